"""Mapping files: how one hospital's export columns, codes, dates and units become dictionary fields."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.validate import clip
from oncobank.ingest import limits

IDENTITY_FIELDS = ("surname", "first_name", "patronymic", "full_name", "birth_date", "sex")
MAX_BYTES = 256 * 1024  # a mapping file is a few kilobytes; a bigger one is refused unread
MAX_NODES = 20_000  # YAML nodes once aliases are expanded (a "billion laughs" file expands to 10^9)
MAX_DEPTH = 40  # nesting of YAML collections
Loc = tuple[str | int, ...]


class MappingError(ValueError):
    """A mapping file that is malformed or names something the dictionary does not have."""


def located(file: str, line: int | None, field: str | None, value: Any, rule: str, message: str) -> MappingError:
    """The error as `FILE:LINE: FIELD: VALUE: message [rule: RULE]` (FIELD and VALUE left out when there is none)."""
    parts = [file if line is None else f"{file}:{line}"]
    if field:
        parts.append(field)
    if isinstance(value, str | int | float | bool):
        parts.append(clip(repr(value)))
    return MappingError(f"{': '.join(parts)}: {message} [rule: {rule}]")


def _bad(rule: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(rule, message)


def _encoding(name: str) -> str:
    try:
        io.TextIOWrapper(io.BytesIO(), encoding=name)  # what opening the export will do
    except LookupError:
        raise _bad("encoding", "not a text encoding Python knows (e.g. utf-8, cp1251, utf-16)") from None
    return name


def _delimiter(text: str) -> str:
    if len(text) != 1 or text in "\r\n\"\x00":
        raise _bad("delimiter", "a delimiter is one character, not a quote, a NUL or a line break (e.g. ';')")
    return text


_SAMPLE = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)  # every part differs: a pattern that loses one is caught


def _date_format(pattern: str) -> str:
    """`iso`, `excel`, or a strptime pattern that reads back the whole date (year, month, day) it writes."""
    if pattern in ("iso", "excel"):
        return pattern
    try:
        read = datetime.strptime(_SAMPLE.strftime(pattern), pattern)
    except (ValueError, re.error):  # a bad directive, a stray %, a directive given twice
        raise _bad("date_format", "not a strptime pattern (e.g. '%d.%m.%Y'), 'iso' or 'excel'") from None
    if read.date() != _SAMPLE.date():
        raise _bad("date_format", "the pattern does not read a whole date: year, month and day")
    return pattern


def _relative(pattern: str) -> str:
    """A path or glob inside the source folder: relative, without `..`."""
    path = PurePosixPath(pattern.replace("\\", "/"))
    if not pattern.strip() or "\x00" in pattern or path.is_absolute() or ".." in path.parts or (
            len(pattern) > 1 and pattern[1] == ":"):
        raise _bad("path", "files are named relative to the source folder, without '..'")
    return pattern


def _one_line(limit: int, *, required: bool = True) -> AfterValidator:
    def check(text: str) -> str:
        problem = limits.code_problem(text, limit)
        if problem is not None or (required and not text.strip()):
            rule, message = problem or ("required", "is empty")
            raise _bad(rule, message)
        return text

    return AfterValidator(check)


Encoding = Annotated[str, AfterValidator(_encoding)]
Delimiter = Annotated[str, AfterValidator(_delimiter)]
DateFormat = Annotated[str, AfterValidator(_date_format)]
RelativePath = Annotated[str, AfterValidator(_relative)]
System = Annotated[str, _one_line(limits.SYSTEM)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LongLayout(_Strict):
    """One row per measured item (a lab analyte): which columns hold the item, value, unit and range."""

    item: str
    value: str
    unit: str | None = None
    reference_range: str | None = None


class AdmissionLayout(_Strict):
    """An admissions export: the columns holding the admission record ID, the stay's dates and its codes."""

    id: str
    admitted: str
    discharged: str | None = None
    department: str | None = None
    codes: list[str] = Field(default_factory=list)  # ICD-10 columns ("C73", "C77.0, E89.2")


class CaseFinding(_Strict):
    """Which patients belong to the registry: those of `source` whose `columns` hold one of `codes`."""

    source: str
    patient_id: str
    columns: list[str]
    codes: list[str]


class Source(_Strict):
    """One export (a file or a glob of files) and how its rows map to one dictionary section."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=limits.SOURCE_NAME)
    system: System  # the source system whose patient IDs the rows carry (EMR, LIS, PACS, …)
    format: Literal["csv", "xlsx", "hl7", "json", "fhir", "dicom", "documents"]
    files: list[RelativePath] = Field(min_length=1)
    encoding: Encoding = "utf-8"
    records: str | None = None  # json: dotted path to the list of records inside the document
    resources: list[str] = Field(default_factory=list)  # fhir: resource types this source reads (default: all)
    document: str | None = None  # documents: the index column naming each document file (text or PDF)
    delimiter: Delimiter = ","
    decimal: Literal[".", ","] = "."
    date_formats: list[DateFormat] = Field(default_factory=lambda: ["iso"], min_length=1)
    patient_id: str
    identity: dict[str, str] = Field(default_factory=dict)  # identity field -> column, for linkage
    links: dict[System, str] = Field(default_factory=dict)  # other system -> column holding its ID (deterministic)
    section: str | None = None  # None: the source only feeds linkage or case finding
    record: list[str] = Field(default_factory=list)  # columns that identify a source record (with the item)
    date: str | None = None
    facility: str | None = None
    long: LongLayout | None = None
    admissions: AdmissionLayout | None = None  # the source lists hospital stays (section must be empty)
    admission_id: str | None = None  # column naming the stay a record belongs to; else matched by date
    fields: dict[str, str] = Field(default_factory=dict)  # column -> field, besides the dictionary's aliases
    values: dict[str, dict[str, str]] = Field(default_factory=dict)  # field -> source value -> code
    ignore: list[str] = Field(default_factory=list)
    below_limit: Literal["limit", "reject"] = "reject"  # "<0,2": store the limit, or quarantine the row

    @model_validator(mode="after")
    def _identity_names(self) -> Source:
        unknown = set(self.identity) - set(IDENTITY_FIELDS)
        if unknown:
            raise _bad("identity", f"identity keys {sorted(unknown)} are not among {', '.join(IDENTITY_FIELDS)}")
        if self.admissions is not None and self.section is not None:
            raise _bad("admissions", "an admissions source feeds the stays, not a section: leave `section` out")
        if self.long is not None and not self.record:
            raise _bad("record", "a long layout needs `record` columns that identify the rows of one entry")
        return self


class Mapping(_Strict):
    """A whole mapping file: the registry module, the master system, case finding and the sources."""

    module: str
    centre: Annotated[str, _one_line(limits.CENTRE)]
    registry_prefix: Annotated[str, _one_line(limits.REGISTRY_ID - REGISTRY_DIGITS, required=False)] = "P-"
    master: System  # the system whose patients are the registry's (its patient master table)
    case_finding: CaseFinding | None = None
    items: dict[str, str] = Field(default_factory=dict)  # item code or name (e.g. LOINC) -> field
    sources: list[Source]
    _text: str = PrivateAttr(default="")
    _lines: dict[Loc, int] = PrivateAttr(default_factory=dict)

    @property
    def text(self) -> str:
        """The mapping file as read (its SHA-256 goes into the batch log)."""
        return self._text

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise MappingError(f"mapping has no source {name!r}")

    def line(self, loc: Loc) -> int | None:
        """The line of the file that holds `loc` (a key path such as ("sources", 2, "encoding")), or its parent's."""
        while loc not in self._lines and loc:
            loc = loc[:-1]
        return self._lines.get(loc)


REGISTRY_DIGITS = 6  # registry IDs are the prefix and a number of at least six digits


def load_mapping(path: Path, dictionary: Dictionary | None = None) -> Mapping:
    """Read and check a mapping file; with a dictionary, also check sections and fields exist.

    The YAML is read with bounded work: at most MAX_BYTES, MAX_DEPTH levels and MAX_NODES nodes once its aliases
    are expanded. Every error names the file, the line and the key.
    """
    name = path.name
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise located(name, None, None, None, "file", f"cannot read the mapping: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise located(name, None, None, None, "size", f"a mapping file is at most {MAX_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise located(name, line, None, None, "encoding", "a mapping file is UTF-8 text; this byte is not") from None
    raw, lines = _compose(text, name)
    if not isinstance(raw, dict):
        raise located(name, 1, None, None, "shape", "a mapping file is a YAML mapping of module, centre, master, "
                      "sources and so on")
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc, lines, name) from None
    mapping._text, mapping._lines = text, lines
    _check_sources(mapping, name)
    if dictionary is not None:
        check_against(mapping, dictionary, name)
    return mapping


class _BoundedLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses documents nested deeper than MAX_DEPTH."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _compose(text: str, name: str) -> tuple[Any, dict[Loc, int]]:
    """The document's data and the line of every key path; its size with aliases expanded is checked first."""
    lines: dict[Loc, int] = {}
    loader = None
    try:
        loader = _BoundedLoader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        if node is None:
            return None, lines
        if _expanded(node, {}, set()) > MAX_NODES:
            raise located(name, None, None, None, "aliases",
                          f"the YAML expands to more than {MAX_NODES} nodes through its aliases")
        _locate(node, (), lines)
        _codes_as_written(node)
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)  # a reader error: a character YAML does not allow
        line = mark.line + 1 if mark is not None else None if position is None else text.count("\n", 0, position) + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise located(name, line, None, None, "yaml", f"not valid YAML: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _codes_as_written(root: yaml.Node) -> None:
    """The keys of `items:` stay the text written: an unquoted local code (`3016: tsh`, `0301: tg`) is not a number
    (YAML would read 0301 as the octal 193); the source's cell holds the same digits."""
    if not isinstance(root, yaml.MappingNode):
        return
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.MappingNode):
            for code, _ in value.value:
                if isinstance(code, yaml.ScalarNode) and code.style is None:
                    code.tag = "tag:yaml.org,2002:str"


def _expanded(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many nodes `node` stands for once aliases are expanded (each shared node counted once per use)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        return MAX_NODES + 1  # an alias inside its own anchor: infinite
    open_nodes.add(key)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    total = 1
    for child in children:
        total += _expanded(child, sizes, open_nodes)
        if total > MAX_NODES:
            break
    open_nodes.discard(key)
    sizes[key] = total
    return total


def _locate(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    if loc in lines:
        return
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _locate(child, (*loc, index), lines)
    elif isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            if isinstance(key, yaml.ScalarNode):
                _locate(child, (*loc, key.value), lines)


def _first_error(exc: ValidationError, lines: dict[Loc, int], name: str) -> MappingError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc: Loc = tuple(first["loc"])
    where = loc
    while where not in lines and where:
        where = where[:-1]
    field = _dotted(loc)
    message = first["msg"].removeprefix("Value error, ")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    value = None if first["type"] == "missing" else first.get("input")
    return located(name, lines.get(where), field or None, value, first["type"], message)


def _check_sources(mapping: Mapping, where: str) -> None:
    """What pydantic cannot see one source at a time: unique names, the case-finding source, the master's source."""
    seen: set[str] = set()
    for index, source in enumerate(mapping.sources):
        if source.name in seen:
            loc = ("sources", index, "name")
            raise located(where, mapping.line(loc), _dotted(loc), source.name, "unique", "source names must be unique")
        seen.add(source.name)
    if mapping.case_finding is not None and mapping.case_finding.source not in seen:
        loc = ("case_finding", "source")
        raise located(where, mapping.line(loc), _dotted(loc), mapping.case_finding.source, "case_finding",
                      "no source of this name is listed")
    if not any(s.system == mapping.master and s.identity for s in mapping.sources):
        raise located(where, mapping.line(("master",)), "master", mapping.master, "master",
                      "no source of this system gives identities (`identity:`): the registry's patients are "
                      "registered from the master system's rows")


def check_against(mapping: Mapping, dictionary: Dictionary, where: str) -> None:
    """Check that the sections and fields the mapping names exist in the dictionary (`where`: the file's name)."""

    def field_exists(section: str, field: str, loc: Loc) -> None:
        if all(f.name != field for f in dictionary.section(section).fields):
            raise located(where, mapping.line(loc), _dotted(loc), field, "field",
                          f"section {section} has no such field")

    for item, field in mapping.items.items():
        field_exists("laboratory", field, ("items", item))
    for index, s in enumerate(mapping.sources):
        if s.section is None:
            continue
        try:
            dictionary.section(s.section)
        except KeyError as exc:
            loc = ("sources", index, "section")
            raise located(where, mapping.line(loc), _dotted(loc), s.section, "section", str(exc.args[0])) from None
        for column, field in s.fields.items():
            field_exists(s.section, field, ("sources", index, "fields", column))
        for field in s.values:
            field_exists(s.section, field, ("sources", index, "values", field))


def _dotted(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def shipped_mapping(module: str, name: str) -> Path:
    """A mapping file shipped with a disease module (`diseases/<module>/mappings/<name>.yaml`)."""
    path = Path(str(resources.files("oncobank.diseases") / module / "mappings" / f"{name}.yaml"))
    if not path.is_file():
        raise MappingError(f"module {module} ships no mapping {name!r}")
    return path
