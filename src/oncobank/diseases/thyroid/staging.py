"""AJCC/UICC 8th-edition stage group of thyroid carcinoma from histology, age at diagnosis and T, N, M."""

from __future__ import annotations

DIFFERENTIATED = {"papillary", "follicular", "oncocytic", "invasive_encapsulated_follicular_variant_papillary",
                  "poorly_differentiated", "differentiated_high_grade"}


class StagingError(ValueError):
    """A case the AJCC 8 rules do not stage; `code` and `value` say why (for messages in either language)."""

    def __init__(self, code: str, value: str, message: str):
        super().__init__(message)
        self.code, self.value = code, value


def _axis(category: str) -> str:
    """Drop the c/p prefix: pT3a -> T3a."""
    return category[1:] if category[:1] in ("c", "p") else category


def stage_group(histology: str, age: int, t: str, n: str, m: str) -> str:
    """Stage group (I … IVC) for a histological type; raises StagingError for categories it cannot stage."""
    tt, nn, mm = _axis(t), _axis(n), _axis(m)
    if tt in ("TX", "T0"):
        raise StagingError("t_category", t, f"cannot stage T category {t}")
    node_positive = nn.startswith("N1")
    distant = mm == "M1"
    if histology == "anaplastic":
        if distant:
            return "IVC"
        if tt.startswith("T4") or tt == "T3b" or node_positive:
            return "IVB"
        return "IVA"
    if histology in ("medullary", "mixed_medullary_follicular"):
        if distant:
            return "IVC"
        if tt == "T4b":
            return "IVB"
        if tt.startswith("T4") or nn == "N1b":
            return "IVA"
        if node_positive:
            return "III"
        return "I" if tt.startswith("T1") else "II"
    if histology not in DIFFERENTIATED:
        raise StagingError("histology", histology, f"no AJCC 8 staging rule for histology {histology!r}")
    if age < 55:
        return "II" if distant else "I"
    if distant:
        return "IVB"
    if tt == "T4b":
        return "IVA"
    if tt.startswith("T4"):
        return "III"
    if tt.startswith("T3") or node_positive:
        return "II"
    return "I"


def t_from_tumour(size_mm: float, invasiveness: str) -> str:
    """T category (without prefix) from the largest diameter and the extent of invasion (DTC rules)."""
    if invasiveness == "gross_prevertebral_vascular":
        return "T4b"
    if invasiveness == "gross_major_structures":
        return "T4a"
    if invasiveness == "gross_strap_muscles":
        return "T3b"
    if size_mm > 40:
        return "T3a"
    if size_mm > 20:
        return "T2"
    return "T1b" if size_mm > 10 else "T1a"
