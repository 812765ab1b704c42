"""Read the rows of a REDCap data-dictionary CSV: its header shapes, cells, action tags and what it could not keep."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

REDCAP_COLUMNS: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
(VAR, FORM, HEADER, TYPE, LABEL, CHOICES, NOTE, VALIDATION, VMIN, VMAX, IDENTIFIER, BRANCHING, REQUIRED,
 ALIGN, QUESTION, MATRIX, RANKING, ANNOTATION) = REDCAP_COLUMNS
# The same columns as REDCap's API exports the metadata (and some projects save their dictionary)
API_COLUMNS: tuple[str, ...] = (
    "field_name", "form_name", "section_header", "field_type", "field_label", "select_choices_or_calculations",
    "field_note", "text_validation_type_or_show_slider_number", "text_validation_min", "text_validation_max",
    "identifier", "branching_logic", "required_field", "custom_alignment", "question_number", "matrix_group_name",
    "matrix_ranking", "field_annotation",
)

_TAG = re.compile(r"@ONCOBANK-([A-Z]+)=")
_CHARLIMIT = re.compile(r"@CHARLIMIT\s*=\s*(['\"]?)(\d+)\1")
_JSON = json.JSONDecoder()


class RedcapError(ValueError):
    """A REDCap data dictionary that cannot be read, with the row, column and value at fault."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None, value: Any = None):
        where = [f"row {row}"] if row is not None else []
        if column is not None:
            where.append(f"column {column!r}")
        if value is not None:
            where.append(f"value {str(value)[:200]!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.row, self.column, self.value = row, column, value


# What an import could not keep, or keeps without acting on it: key -> (English, Russian) for the CLI's table
LOSS_KINDS: dict[str, tuple[str, str]] = {
    "language": ("one language", "один язык"),
    "repeating": ("repeating instruments", "повторяющиеся формы"),
    "no_value": ("field without a value", "поле без значения"),
    "calculation": ("calculation", "вычисление"),
    "branching": ("branching logic", "условие показа"),
    "action_tag": ("action tag", "тег действия"),
    "validation": ("validation", "проверка ввода"),
    "date_limit": ("date limit", "граница даты"),
    "ontology": ("ontology look-up", "поиск по онтологии"),
    "sql": ("SQL choice list", "список из SQL-запроса"),
}
LOSS_STATUS = {False: ("dropped", "не загружено"), True: ("kept, not applied", "сохранено, не применяется")}


@dataclass(frozen=True)
class Loss:
    """One thing of a REDCap file that the module does not keep, or keeps (to write back) without applying it."""

    kind: str  # a key of LOSS_KINDS
    text: str  # what happened, in English
    row: int | None = None
    column: str | None = None
    variable: str | None = None
    kept: bool = False

    def __str__(self) -> str:
        where = f"row {self.row}, {self.column}: " if self.row is not None and self.column else ""
        return where + self.text

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "kept": self.kept, "row": self.row, "column": self.column,
                "variable": self.variable, "text": self.text}


@dataclass
class Row:
    """One field row: its cells by REDCap column, our `@ONCOBANK-` tags, @CHARLIMIT and the other annotation."""

    number: int
    cells: dict[str, str]
    tags: dict[str, dict[str, Any]]
    charlimit: int | None
    leftover: str  # annotation text that is neither ours nor @CHARLIMIT (REDCap's own action tags, notes)


def read_rows(csv_text: str, warnings: list[str]) -> list[Row]:
    """The rows of a data dictionary; a header or row of a known real-world shape that is not REDCap's own is
    read with a line in `warnings`."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise RedcapError(f"not a readable CSV: {exc}") from None
    if not records:
        raise RedcapError("the file is empty", 1)
    _check_header([c.strip() for c in records[0]], warnings)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    padded: list[int] = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # spreadsheets leave empty lines at the end
        if len(cells) == len(REDCAP_COLUMNS) + 1 and not cells[-1].strip():
            padded.append(number)  # a spreadsheet's trailing separator
            cells = cells[:-1]
        if len(cells) != len(REDCAP_COLUMNS):
            raise RedcapError(f"has {len(cells)} cells, expected {len(REDCAP_COLUMNS)}", number)
        row = dict(zip(REDCAP_COLUMNS, cells, strict=True))
        var = row[VAR].strip()
        if var in seen:
            raise RedcapError(f"variable already defined in row {seen[var]}", number, VAR, var)
        seen[var] = number
        row[VAR], row[FORM] = var, row[FORM].strip()
        tags, leftover = _parse_tags(row[ANNOTATION], number)
        rows.append(Row(number, row, tags, _charlimit(leftover), " ".join(_CHARLIMIT.sub("", leftover).split())))
    if padded:
        shown = ", ".join(map(str, padded[:10])) + (", …" if len(padded) > 10 else "")
        warnings.append(f"{len(padded)} row(s) have one extra empty cell after the 18 columns; it was ignored "
                        f"(rows {shown})")
    if not rows:
        raise RedcapError("no fields: the first row must be the record id", 2)
    record_tags_ok = set(rows[0].tags) <= {"MODULE"}
    misplaced = [r for r in rows[1:] if "MODULE" in r.tags] if record_tags_ok else rows[:1]
    if misplaced:
        raise RedcapError("@ONCOBANK-MODULE goes on the record id row only, and that row takes no other tag",
                          misplaced[0].number, ANNOTATION, misplaced[0].cells[ANNOTATION])
    return rows


def _check_header(header: list[str], warnings: list[str]) -> None:
    """REDCap's 18 column names, or the API's snake_case ones; a first cell that is neither (a spreadsheet's
    leftover, a byte-order mark read as text) and one trailing empty cell are warnings."""
    if header and header[-1] == "" and len(header) == len(REDCAP_COLUMNS) + 1:
        header = header[:-1]
        warnings.append("the header has one extra empty cell after the 18 columns; it was ignored")
    names = REDCAP_COLUMNS
    if header and (header[0].lower() == API_COLUMNS[0] or [c.lower() for c in header[1:]] == list(API_COLUMNS[1:])):
        names, header = API_COLUMNS, [c.lower() for c in header]
    for i, expected in enumerate(names):
        found = header[i] if i < len(header) else None
        if found == expected:
            continue
        if i == 0 and header[1:] == list(names[1:]):
            warnings.append(f"header column 1 is {found[:60]!r}; read as {expected!r}")
            continue
        raise RedcapError(f"header column {i + 1} should be {REDCAP_COLUMNS[i]!r}", 1, REDCAP_COLUMNS[i], found)
    if len(header) > len(names):
        raise RedcapError("the header has extra columns", 1, f"column {len(names) + 1}", header[len(names)])


def _parse_tags(text: str, number: int) -> tuple[dict[str, dict[str, Any]], str]:
    tags: dict[str, dict[str, Any]] = {}
    leftover, pos = [], 0
    while (match := _TAG.search(text, pos)) is not None:
        kind = match.group(1)
        if kind not in ("MODULE", "SECTION", "FIELD", "DOMAIN") or kind in tags:
            raise RedcapError(f"unknown or repeated tag @ONCOBANK-{kind}", number, ANNOTATION, text)
        try:
            value, end = _JSON.raw_decode(text, match.end())
        except json.JSONDecodeError as exc:
            message = f"@ONCOBANK-{kind} is not valid JSON: {exc.msg}"
            raise RedcapError(message, number, ANNOTATION, text) from None
        if not isinstance(value, dict):
            raise RedcapError(f"@ONCOBANK-{kind} must be a JSON object", number, ANNOTATION, text)
        tags[kind] = value
        leftover.append(text[pos:match.start()])
        pos = end
    leftover.append(text[pos:])
    return tags, " ".join(" ".join(leftover).split())


def _charlimit(text: str) -> int | None:
    match = _CHARLIMIT.search(text)
    return int(match.group(2)) if match else None
