"""Self-testing: the open data set the supplier checked its service on, and the compatibility outcome."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from oncobank.aieval.labels import codes


@dataclass(frozen=True)
class SelfTest:
    """What the methodology's stage 1 records: the data set's parameters and whether the service is compatible."""

    modality: str  # a DICOM modality code of `labels.codes("modality")`
    procedure: str  # the procedure type, e.g. "chest CT without contrast"
    manufacturer: str  # of the device the data set's studies were acquired on
    model: str
    compatible: bool
    notes: str = ""

    def __post_init__(self) -> None:
        if self.modality not in codes("modality"):
            raise ValueError(f"unknown modality {self.modality!r}; expected one of {', '.join(codes('modality'))} "
                             "[rule: self_test_record]")
        for name in ("procedure", "manufacturer", "model"):
            if not getattr(self, name).strip():
                raise ValueError(f"self-testing records the data set's {name}; it is empty [rule: self_test_record]")

    @property
    def decision(self) -> str:
        return "compatible" if self.compatible else "not_compatible"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decision": self.decision}
