"""Read AI result Structured Reports (DICOM SR, pydicom) into the per-study result rows of the CSV/JSON import.

Every problem is reported with the file, the content item (its path of concept names), the result field,
the value and the rule, and every file of a folder is checked before anything is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from oncobank.aieval.columns import RESULT_COLUMNS
from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.sr_codes import CODES, SECTIONS, key_of
from oncobank.aieval.sr_map import SrMap
from oncobank.aieval.sr_tid1500 import dicom_datetime, read_mapped

SR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
    "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
}
# Further classes vendors write; read only through a concept mapping.
VENDOR_CLASSES = {"1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR", "1.2.840.10008.5.1.4.1.1.88.35": "Extensible SR"}
REQUIRED_ITEMS = {"service": ("algorithm_version", "sent_at", "received_at"),
                  "conclusion": ("probability", "category")}


@dataclass(frozen=True)
class SrReport:
    """What one result report says: the result row, its findings, and which sections it has."""

    row: dict[str, Any]
    findings: list[dict[str, Any]]
    sections: tuple[str, ...]
    warning: str | None
    conclusion: str | None


def _meaning(name: str) -> str:
    return CODES[name][2]


def _children(item: Any) -> dict[str, Any]:
    """The child content items of `item` by concept name (the first of each; findings are read as a list)."""
    out: dict[str, Any] = {}
    for child in getattr(item, "ContentSequence", []):
        concept = child.ConceptNameCodeSequence[0] if "ConceptNameCodeSequence" in child else None
        key = key_of(str(concept.CodeValue), str(concept.CodingSchemeDesignator)) if concept else None
        if key is not None:
            out.setdefault(key, child)
    return out


def _value(item: Any) -> Any:
    kind = item.ValueType
    if kind == "TEXT":
        return str(item.TextValue)
    if kind == "NUM":
        measured = item.get("MeasuredValueSequence")
        return float(measured[0].NumericValue) if measured else None
    if kind == "DATETIME":
        return str(item.DateTime)
    if kind == "CODE":
        code = item.ConceptCodeSequence[0]
        return (str(code.CodeValue), str(code.CodingSchemeDesignator), str(code.CodeMeaning))
    if kind == "SCOORD3D":
        return tuple(float(v) for v in item.GraphicData)
    return None


def open_sr(path: Path) -> Any:
    """The file as a pydicom dataset of a structured report class; InputFileError otherwise."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    name = path.name
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, EOFError) as exc:
        raise InputFileError([Issue(name, None, None, None, "dicom", f"not a readable DICOM file ({exc})")]) from None
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in SR_CLASSES and sop_class not in VENDOR_CLASSES:
        kinds = ", ".join([*SR_CLASSES.values(), *VENDOR_CLASSES.values()])
        raise InputFileError([Issue(name, "attribute SOPClassUID", "sop_class", sop_class, "sr_class",
                                    f"expected a structured report ({kinds})")])
    return ds


def is_own(ds: Any) -> bool:
    """Whether the report is OncoBank's own result template (its document title)."""
    title = ds.ConceptNameCodeSequence[0] if "ConceptNameCodeSequence" in ds else None
    return title is not None and key_of(str(title.CodeValue), str(title.CodingSchemeDesignator)) == "title"


def read_sr(path: Path, ds: Any = None) -> SrReport:
    """One result report of OncoBank's template; InputFileError lists every missing or malformed item."""
    name = path.name
    ds = open_sr(path) if ds is None else ds
    if not is_own(ds) or str(ds.SOPClassUID) not in SR_CLASSES:
        title = ds.ConceptNameCodeSequence[0] if "ConceptNameCodeSequence" in ds else None
        shown = f"{title.CodeValue} ({title.CodingSchemeDesignator}) {title.CodeMeaning}" if title else None
        raise InputFileError([Issue(name, "document title", "title", shown, "sr_template",
                                    f"expected an '{_meaning('title')}' report ({CODES['title'][0]}, "
                                    f"{CODES['title'][1]}); another template (a TID 1500 measurement report, "
                                    "a text SR) is read with a concept mapping (--map)")])
    issues: list[Issue] = []
    top = _children(ds)
    values: dict[str, Any] = {}
    for section, keys in REQUIRED_ITEMS.items():
        if section not in top:
            issues.append(Issue(name, "content tree", section, None, "sr_required_item",
                                f"the report has no '{_meaning(section)}' container"))
            continue
        inner = _children(top[section])
        for key in keys:
            where = f"item {_meaning(section)} > {_meaning(key)}"
            if key not in inner:
                issues.append(Issue(name, where, key, None, "sr_required_item", "the item is missing"))
                continue
            values[key] = _value(inner[key])
            if values[key] is None:
                issues.append(Issue(name, where, key, None, "sr_required_item", "the item has no value"))
    study_uid = str(ds.get("StudyInstanceUID", "")).strip()
    if not study_uid:
        issues.append(Issue(name, "attribute StudyInstanceUID", "study_uid", "", "required", "a value is required"))
    times: dict[str, datetime | None] = {}
    for key in ("sent_at", "received_at"):
        if values.get(key) is not None:
            times[key] = dicom_datetime(values[key])
            if times[key] is None:
                issues.append(Issue(name, f"item {_meaning('service')} > {_meaning(key)}", key, values[key],
                                    "timestamp", "not a DICOM date-time (YYYYMMDDHHMMSS, optional &ZZXX offset)"))
    if times.get("sent_at") and times.get("received_at") and times["received_at"] < times["sent_at"]:
        issues.append(Issue(name, f"item {_meaning('service')} > {_meaning('received_at')}", "received_at",
                            values["received_at"], "received_after_sent",
                            "the result cannot arrive before the study was sent"))
    prob = values.get("probability")
    if prob is not None and not 0 <= prob <= 1:
        issues.append(Issue(name, f"item {_meaning('conclusion')} > {_meaning('probability')}", "probability", prob,
                            "probability", "must be a number from 0 to 1"))
    findings = _findings(name, top.get("findings"), issues)
    if issues:
        raise InputFileError(issues)
    text = _children(top["conclusion"]).get("conclusion_text")
    warning = top.get("warning")
    row = {"study_uid": study_uid, "service_version": values["algorithm_version"], "sent_at": times["sent_at"],
           "received_at": times["received_at"], "probability": prob, "category": values["category"]}
    return SrReport(row, findings, tuple(s for s in SECTIONS if s in top),
                    _value(warning) if warning is not None else None,
                    _value(text) if text is not None else None)


def _findings(name: str, container: Any, issues: list[Issue]) -> list[dict[str, Any]]:
    """Each finding with its description, site, point (mm) and probability; a finding must be localised."""
    out = []
    for i, item in enumerate(getattr(container, "ContentSequence", []), start=1):
        parts = _children(item)
        where = f"item {_meaning('findings')} > {_meaning('finding')} {i}"
        point = _value(parts["region"]) if "region" in parts else None
        if point is None:
            issues.append(Issue(name, where, "localisation", None, "sr_localisation",
                                f"a finding needs its localisation ('{_meaning('region')}')"))
        prob = _value(parts["probability"]) if "probability" in parts else None
        if prob is not None and not 0 <= prob <= 1:
            issues.append(Issue(name, f"{where} > {_meaning('probability')}", "probability", prob, "probability",
                                "must be a number from 0 to 1"))
        out.append({"description": _value(parts["finding"]) if "finding" in parts else None,
                    "site": _value(parts["finding_site"]) if "finding_site" in parts else None,
                    "point": point, "probability": prob})
    return out


def sr_files(path: Path) -> list[Path]:
    """The SR files of a folder (every *.dcm below it, in name order), or the one file given."""
    return sorted(path.rglob("*.dcm")) if path.is_dir() else [path]


def read_sr_results(path: str | Path, smap: SrMap | None = None) -> pd.DataFrame:
    """Result rows (the columns of `read_results`) from one SR file or a folder of them; all problems at once.

    OncoBank's own reports are read as they are; other templates (TID 1500, text SRs) through `smap`.
    """
    issues: list[Issue] = []
    rows = []
    files = sr_files(Path(path))
    if not files:
        raise InputFileError([Issue(Path(path).name, None, None, None, "sr_files", "the folder has no .dcm files")])
    for file in files:
        try:
            ds = open_sr(file)
            if smap is not None and not is_own(ds):
                row, _ = read_mapped(file.name, ds, smap, issues)
                rows.append(row)
            else:
                rows.append(read_sr(file, ds).row)
        except InputFileError as exc:
            issues.extend(exc.issues)
    if issues:
        raise InputFileError(issues)
    frame = pd.DataFrame.from_records(rows, columns=list(RESULT_COLUMNS))
    for col in ("sent_at", "received_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    frame["probability"] = frame["probability"].astype(float)
    frame["category"] = frame["category"].astype(object)
    return frame
