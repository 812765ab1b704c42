"""The reason a protocol's lifecycle step gives, written from the protocol's stored numbers in either language.

The step is stored with its English reason; a Russian history shows the same reason in Russian, written
again from the protocol it rests on, so that one history never mixes the languages of the runs behind it.
"""

from __future__ import annotations

from typing import Any

from oncobank.aieval.labels import label, percent


def step_reason(kind: str, payload: dict[str, Any], lang: str = "en") -> str:
    """Why the protocol of `kind` (its stored `payload`) led to its step; `lang` en or ru."""
    if kind == "self_testing":
        return label(f"why_self_testing_{payload['decision']}", lang).format(
            modality=label(f"modality_{payload['modality']}", lang), model=payload["model"])
    text = label(f"why_{kind}", lang)
    if kind == "calibration":
        failed = [label(c["name"], lang) for c in payload["checks"] if not c["passed"]]
        return text if not failed else label("why_calibration_failed", lang).format(failed=", ".join(failed))
    if kind == "functional":
        critical = sum(bool(n["critical"]) for n in payload["nonconformities"])
        return text.format(studies=len(payload["studies"]), critical=critical,
                           other=len(payload["nonconformities"]) - critical)
    if kind == "technological_monitoring":
        return text.format(period=payload["period"], rate=percent(payload["defect_rate"], 1, lang))
    if kind == "clinical_monitoring":
        return text.format(period=payload["period"], errors=payload["errors"], sample=payload["sample_size"],
                           discordant=payload["discordant"])
    if kind == "feedback":
        return text.format(period=payload["period"], coverage=percent(payload["coverage"], 1, lang),
                           required=percent(payload["min_coverage"], 0, lang),
                           agreement=percent(payload["agreement"]["estimate"], 1, lang))
    raise ValueError(f"a protocol of kind {kind!r} records no lifecycle step")
