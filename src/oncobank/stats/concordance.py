"""Harrell's concordance index of a risk score against censored survival times, with its standard error.

Counted as R's survival::concordance does for a Cox model (`reverse=TRUE`, `timewt="n"`): a pair is
comparable when the earlier time is an event and the later one is either later or a censoring at the
same time; it is concordant when the earlier event has the higher risk, and a tie in risk counts ½.
Two events at the same time are not comparable. The standard error is the infinitesimal jackknife
of Somers' d, as `concordancefit` computes it.

All pair counts take O(n log n): a stable radix sort of block numbers per level of a bottom-up merge
over the time order, and one vectorised brute-force pass over blocks of 64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oncobank.stats.estimate import Estimate, json_number, z_value

_BLOCK = 64  # pairs inside blocks of this many consecutive cases are compared directly


@dataclass(frozen=True)
class Concordance:
    """Harrell's C with its standard error and the pair counts it comes from."""

    estimate: float
    se: float
    concordant: float
    discordant: float
    tied_risk: float
    tied_time: float
    tied_both: float

    @property
    def comparable(self) -> float:
        """Pairs that enter C: concordant, discordant and tied in risk."""
        return self.concordant + self.discordant + self.tied_risk

    def interval(self, level: float = 0.95) -> Estimate:
        """C ± z·SE, clipped to [0, 1]."""
        half = z_value(level) * self.se
        return Estimate(self.estimate, max(0.0, self.estimate - half), min(1.0, self.estimate + half))

    def to_dict(self) -> dict[str, object]:
        return {
            "estimate": json_number(self.estimate),
            "se": json_number(self.se),
            "concordant": json_number(self.concordant),
            "discordant": json_number(self.discordant),
            "tied_risk": json_number(self.tied_risk),
            "tied_time": json_number(self.tied_time),
            "tied_both": json_number(self.tied_both),
        }


def _pair_counts(
    rank: np.ndarray, by_rank: np.ndarray, w_early: np.ndarray, w_late: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sums over ordered pairs p < q with rank[p] <= rank[q]; `by_rank` is the stable argsort of rank.

    Returns `to_later[q]`, the sum of w_early[p] over such p, and `to_earlier[p]`, the sum of w_late[q]
    over such q.
    """
    n = rank.size
    size = max(_BLOCK, -(-n // _BLOCK) * _BLOCK)
    r = np.full(size, rank.max() + 1, dtype=np.int64)  # padding: after every case, highest rank, no weight
    we, wl = np.zeros(size), np.zeros(size)
    r[:n], we[:n], wl[:n] = rank, w_early, w_late
    rb = r.reshape(-1, _BLOCK)
    before = np.triu(np.ones((_BLOCK, _BLOCK), dtype=bool), 1)  # before[p, q]: p < q
    hits = (rb[:, :, None] <= rb[:, None, :]) & before
    to_later = np.einsum("bp,bpq->bq", we.reshape(-1, _BLOCK), hits).ravel()
    to_earlier = np.einsum("bq,bpq->bp", wl.reshape(-1, _BLOCK), hits).ravel()
    # Larger spans, two doublings at a time: in blocks of 4·h consecutive cases, each case meets the
    # cases of the earlier quarters of its block. A stable sort of block numbers over the (rank,
    # position) order gives (block, rank, position) order, where running sums count them.
    by_rank = np.concatenate((by_rank, np.arange(n, size)))
    sorted_pos = np.arange(size)
    running = np.zeros(size + 1)
    shift = _BLOCK.bit_length() - 1
    while (1 << shift) < size:
        ways = 4 if (2 << shift) < size else 2  # the last doubling alone when only one is left
        span = shift + ways.bit_length() - 1
        block = by_rank >> span
        if (size - 1) >> span < 2**16:
            block = block.astype(np.uint16)  # a stable sort of 16-bit keys is a radix sort
        idx = by_rank[np.argsort(block, kind="stable")]
        part = (idx >> shift) & (ways - 1)
        block_start = (sorted_pos >> span) << span
        block_end = np.minimum(block_start + (1 << span), size)
        w_e, w_l = we[idx], wl[idx]
        add_later = np.zeros(size)
        add_earlier = np.zeros(size)
        for j in range(1, ways):
            np.cumsum(np.where(part < j, w_e, 0.0), out=running[1:])  # earlier parts, rank <= own
            add_later = np.where(part == j, running[1:] - running[block_start], add_later)
            np.cumsum(np.where(part >= j, w_l, 0.0), out=running[1:])  # later parts, rank >= own
            add_earlier = np.where(part == j - 1, running[block_end] - running[1:], add_earlier)
        to_later[idx] += add_later
        to_earlier[idx] += add_earlier
        shift = span
    return to_later[:n], to_earlier[:n]


def _runs(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For each position of an array sorted by `keys`, the start and end (exclusive) of its run of equal keys."""
    n = keys[0].size
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for k in keys:
        new[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(new)
    lengths = np.diff(np.r_[starts, n])
    return np.repeat(starts, lengths), np.repeat(starts + lengths, lengths)


def harrell_c(
    time: Sequence[float] | np.ndarray,
    event: Sequence[float] | np.ndarray,
    risk: Sequence[float] | np.ndarray,
) -> Concordance:
    """Harrell's C of `risk` (higher means an earlier event is expected) with its jackknife SE."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    x = np.asarray(risk, dtype=float)
    if not t.size == e.size == x.size:
        raise ValueError("time, event and risk differ in length")
    if np.isnan(t).any() or np.isnan(x).any():
        raise ValueError("time and risk must not be missing")
    _, rank = np.unique(x, return_inverse=True)
    # Time order, latest first; at one time the censored come before the events, the events by
    # falling risk. A case's "earlier" neighbours are then the ones it is compared with, up to
    # corrections for tied events at its own time (which are not comparable).
    _, time_rank = np.unique(t, return_inverse=True)
    # one integer key (time falling, censored first, risk falling) sorts faster than a three-key lexsort
    top_rank = int(rank.max()) + 1
    order = np.argsort(((time_rank.max() - time_rank) * 2 + e) * top_rank + (top_rank - 1 - rank))
    t, e, r = t[order], e[order], rank[order]
    n = t.size
    pos = np.arange(n)
    ones = np.ones(n)
    ev = e.astype(float)

    # Equal risk, earlier or later in the order.
    by_rank = np.argsort(r, kind="stable")
    r_start, _ = _runs([r[by_rank]])
    eq_before = np.empty(n)
    eq_before[by_rank] = np.arange(n) - r_start
    ev_cum = np.cumsum(ev[by_rank])
    ev_eq_after = np.empty(n)
    _, r_end = _runs([r[by_rank]])
    ev_eq_after[by_rank] = ev_cum[r_end - 1] - ev_cum

    # Tied events at the same time: a block of the order, sorted by falling risk.
    tie_group = np.where(e, t, np.nan)
    g_start, g_end = _runs([np.nan_to_num(tie_group, nan=-np.inf), e])
    gr_start, gr_end = _runs([np.nan_to_num(tie_group, nan=-np.inf), e, r])

    # The event's side: compared with every case before it except the tied events.
    at_most, at_least_later = _pair_counts(r, by_rank, ones, ev)
    conc_event = at_most - eq_before
    tied_event = eq_before - (pos - gr_start)
    disc_event = (pos - at_most) - (gr_start - g_start)

    # The other side: each case against the events after it (events tied with it excluded).
    later_events = ev.sum() - np.cumsum(ev)
    higher_later = at_least_later - ev_eq_after
    conc_other = higher_later
    disc_other = later_events - at_least_later - np.where(e, g_end - gr_end, 0)
    tied_other = ev_eq_after - np.where(e, gr_end - pos - 1, 0)

    concordant = float(conc_event[e].sum())
    discordant = float(disc_event[e].sum())
    tied_risk = float(tied_event[e].sum())
    group_size = (g_end - g_start)[e]
    run_size = (gr_end - gr_start)[e]
    tied_both = float(((run_size - 1) / 2).sum())
    tied_time = float(((group_size - 1) / 2).sum()) - tied_both
    pairs = concordant + discordant + tied_risk
    if pairs == 0:
        return Concordance(math.nan, math.nan, concordant, discordant, tied_risk, tied_time, tied_both)
    c = np.where(e, conc_event, 0) + conc_other
    d = np.where(e, disc_event, 0) + disc_other
    tx = np.where(e, tied_event, 0) + tied_other
    somers_d = (concordant - discordant) / pairs
    dfbeta = ((c - d) - somers_d * (c + d + tx)) / pairs
    se = math.sqrt(float(dfbeta @ dfbeta) / 4)
    return Concordance((somers_d + 1) / 2, se, concordant, discordant, tied_risk, tied_time, tied_both)
