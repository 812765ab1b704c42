"""Read per-study AI results and expert truth from CSV, JSON or Parquet into checked DataFrames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from oncobank.aieval.errors import InputFileError, Issue

REQUIRED = ("study_uid", "service_version", "sent_at")
TRUE_WORDS = {"1", "true", "yes", "y", "да", "1.0"}
FALSE_WORDS = {"0", "false", "no", "n", "нет", "0.0"}


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV, XLSX, JSON (array or one object per line) or Parquet file as a DataFrame of the raw values."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(p)
    if suffix == ".csv":
        return pd.read_csv(p, dtype=str, keep_default_na=False)
    if suffix == ".xlsx":  # the first sheet, row 1 the header: data rows are numbered as in a CSV
        return pd.read_excel(p, dtype=str, keep_default_na=False, engine="openpyxl")
    if suffix in (".json", ".jsonl"):
        text = p.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if text.lstrip().startswith("[") else [
                json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InputFileError([Issue(p.name, exc.lineno, None, exc.doc[exc.pos:exc.pos + 20], "json",
                                        f"not valid JSON: {exc.msg}")]) from None
        return pd.DataFrame.from_records(data)
    raise InputFileError([Issue(p.name, None, None, suffix, "format",
                                "expected a .csv, .xlsx, .json, .jsonl or .parquet file")])


def row_numbers(path: Path, index: np.ndarray) -> list[int]:
    # A CSV's (or sheet's) first data row is line 2 (after the header); JSON records and Parquet rows count from 1.
    offset = 2 if path.suffix.lower() in (".csv", ".xlsx") else 1
    return [int(i) + offset for i in index]


def text(series: pd.Series) -> pd.Series:
    """Each value as a stripped string, a missing one (None, NaN, NA) as '' — alike on pandas 2 and 3.

    (`astype(str)` alone turns None into 'None' on pandas 2 and keeps it missing on pandas 3.)
    """
    return series.where(series.notna(), "").astype(str).str.strip()


def blank(series: pd.Series) -> pd.Series:
    """Missing or empty cells; raw columns (CSV, XLSX, JSON: object or string dtype) may hold blank strings."""
    if not pd.api.types.is_string_dtype(series.dtype):  # typed columns (Parquet) have no blank strings, only nulls
        return series.isna()
    return text(series) == ""


def check_columns(path: Path, df: pd.DataFrame, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputFileError([Issue(path.name, "header", c, None, "required_column",
                                    f"column is missing; the file has {', '.join(map(str, df.columns)) or 'none'}")
                              for c in missing])


def timestamps(path: Path, df: pd.DataFrame, column: str, issues: list[Issue], required: bool) -> pd.Series:
    raw = df[column] if column in df.columns else pd.Series([None] * len(df), index=df.index)
    if pd.api.types.is_datetime64_any_dtype(raw):  # already typed (Parquet): nothing to parse
        parsed = raw if raw.dt.tz is not None else raw.dt.tz_localize("UTC")
        if required and raw.isna().any():
            issues.extend(Issue(path.name, row, column, "", "required", "a value is required")
                          for row in row_numbers(path, np.flatnonzero(raw.isna().to_numpy())))
        return parsed
    empty = blank(raw)
    parsed = pd.to_datetime(raw.where(~empty), errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna() & ~empty
    for row, value in zip(row_numbers(path, np.flatnonzero(bad.to_numpy())), raw[bad], strict=True):
        issues.append(Issue(path.name, row, column, value, "timestamp", "not an ISO 8601 date and time"))
    if required:
        for row in row_numbers(path, np.flatnonzero(empty.to_numpy())):
            issues.append(Issue(path.name, row, column, "", "required", "a value is required"))
    return parsed


def read_results(path: str | Path) -> pd.DataFrame:
    """Per-study results: study UID, service version, sent/received times, probability (0–1), category.

    A missing `received_at` means the study was sent and no result came back. Every bad cell is reported
    with its row (the CSV line), column, value and rule; nothing is silently dropped. A folder or a .dcm file
    is read as DICOM Structured Reports (`sr_read`), one report per processed study.
    """
    p = Path(path)
    if p.is_dir() or p.suffix.lower() == ".dcm":
        from oncobank.aieval.sr_read import read_sr_results

        return read_sr_results(p)
    df = read_table(p)
    check_columns(p, df, REQUIRED)
    issues: list[Issue] = []
    uid = text(df["study_uid"])
    for row in row_numbers(p, np.flatnonzero(blank(df["study_uid"]).to_numpy())):
        issues.append(Issue(p.name, row, "study_uid", "", "required", "a value is required"))
    sent = timestamps(p, df, "sent_at", issues, required=True)
    received = timestamps(p, df, "received_at", issues, required=False)
    raw_prob = df["probability"] if "probability" in df.columns else pd.Series([None] * len(df), index=df.index)
    blank_prob = blank(raw_prob)
    prob = pd.to_numeric(raw_prob.where(~blank_prob), errors="coerce")
    bad_prob = (prob.isna() & ~blank_prob) | (prob < 0) | (prob > 1)
    for row, value in zip(row_numbers(p, np.flatnonzero(bad_prob.to_numpy())), raw_prob[bad_prob], strict=True):
        issues.append(Issue(p.name, row, "probability", value, "probability", "must be a number from 0 to 1"))
    early = received.notna() & sent.notna() & (received < sent)
    for row, value in zip(row_numbers(p, np.flatnonzero(early.to_numpy())), df.loc[early, "received_at"],
                          strict=True):
        issues.append(Issue(p.name, row, "received_at", value, "received_after_sent",
                            "the result cannot arrive before the study was sent"))
    if issues:
        issues.sort(key=lambda i: (i.row if isinstance(i.row, int) else 0))
        raise InputFileError(issues)
    category = df["category"] if "category" in df.columns else pd.Series([None] * len(df), index=df.index)
    return pd.DataFrame({
        "study_uid": uid,
        "service_version": text(df["service_version"]),
        "sent_at": sent,
        "received_at": received,
        "probability": prob.astype(float),
        "category": category.where(~blank(category)).astype(object),
    })


def parse_flags(path: Path, df: pd.DataFrame, column: str, issues: list[Issue] | None = None) -> pd.Series:
    """A yes/no column (1/0, true/false, yes/no, да/нет) as booleans.

    Each bad row is added to `issues` when given (the caller reports them with its other problems);
    otherwise they are raised at once.
    """
    raw = text(df[column]).str.lower()
    known = raw.isin(TRUE_WORDS | FALSE_WORDS)
    if not known.all():
        rows = row_numbers(path, np.flatnonzero((~known).to_numpy()))
        found = [Issue(path.name, row, column, value, "boolean", "expected 1/0, yes/no or true/false")
                 for row, value in zip(rows, df.loc[~known, column], strict=True)]
        if issues is None:
            raise InputFileError(found)
        issues.extend(found)
    return raw.isin(TRUE_WORDS)


def read_truth(path: str | Path) -> pd.DataFrame:
    """Expert truth: `study_uid` and `truth` (target abnormality present: 1/0, yes/no, true/false)."""
    p = Path(path)
    df = read_table(p)
    check_columns(p, df, ("study_uid", "truth"))
    truth = parse_flags(p, df, "truth")
    uid = text(df["study_uid"])
    dup = uid.duplicated(keep="first")
    if dup.any():
        rows = row_numbers(p, np.flatnonzero(dup.to_numpy()))
        raise InputFileError([Issue(p.name, row, "study_uid", value, "unique", "the study is listed twice")
                              for row, value in zip(rows, uid[dup], strict=True)])
    return pd.DataFrame({"study_uid": uid, "truth": truth})
