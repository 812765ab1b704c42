"""Read HL7 v2 message files as source rows: one per OBX, with its message's patient and order fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import AdapterError, SourceRow

HL7_CHUNK = 1 << 16


def hl7_rows(source: Source, path: Path, name: str, per_patient: bool = False) -> Iterator[SourceRow]:
    message: list[str] = []
    number = 0
    for segment in _segments(path, name, source.encoding):
        kind = segment[:3]
        if kind == "MSH" and message:
            number += 1
            yield from _hl7_message(message, name, number, per_patient)
            message = []
        if kind in ("FHS", "BHS", "BTS", "FTS") or (per_patient and kind not in _CONTEXT):
            continue
        message.append(segment)
    if message:
        yield from _hl7_message(message, name, number + 1, per_patient)


def _segments(path: Path, name: str, encoding: str) -> Iterator[str]:
    # HL7 ends segments with \r; files copied through other systems may carry \n or \r\n.
    rest = b""
    with path.open("rb") as handle:
        while chunk := handle.read(HL7_CHUNK):
            parts = (rest + chunk).replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r")
            rest = parts.pop()
            for part in parts:
                if part.strip():
                    yield _decode(part, name, encoding)
    if rest.strip():
        yield _decode(rest, name, encoding)


def _decode(raw: bytes, name: str, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise AdapterError(f"{name}: a segment is not valid {encoding}: {exc.reason}") from None


_CONTEXT = ("MSH", "PID", "OBR", "ORC", "PV1")  # segments whose fields every later OBX row of a message carries


def _hl7_message(segments: list[str], name: str, number: int, per_patient: bool = False) -> Iterator[SourceRow]:
    """One row per OBX, carrying the message's MSH, PID and the OBR it belongs to as `SEG-n.c` keys."""
    where = f"message {number}"
    if not segments[0].startswith("MSH") or len(segments[0]) < 8:
        yield SourceRow(name, where, {"segments": "\r".join(segments)[:2000]}, "message does not start with MSH")
        return
    separator = segments[0][3]
    components = segments[0][4] if len(segments[0]) > 4 else "^"
    repetition = segments[0][5] if len(segments[0]) > 5 else "~"
    sub = segments[0][7] if len(segments[0]) > 7 and segments[0][7] != separator else "&"
    context: dict[str, str] = {}
    count = 0
    for segment in segments:
        kind = segment[:3]
        parts = segment.split(separator)
        if kind == "MSH":
            parts = ["MSH", separator, *parts[1:]]  # MSH-1 is the separator itself
        fields = _flatten(kind, parts, components, repetition, sub)
        if kind == "OBX":
            if fields.get("OBX-2") == "SN":
                fields["OBX-5"] = _structured_numeric(fields.get("OBX-5", ""), components)
            count += 1
            yield SourceRow(name, f"{where}, OBX {count}", {**context, **fields})
        elif kind in _CONTEXT:
            if kind == "OBR":
                context = {k: v for k, v in context.items() if not k.startswith("OBR-")}
            context.update(fields)
    if per_patient:
        yield SourceRow(name, where, context)
    elif count == 0:
        yield SourceRow(name, where, {k: v for k, v in context.items() if not k.startswith("PID-")},
                        "message carries no OBX result")


def _flatten(kind: str, parts: list[str], components: str, repetition: str, sub: str = "&") -> dict[str, str]:
    """`PID-5` → whole field, `PID-5.1` → its components; identifier lists as `PID-3:<authority>`, and as
    `PID-3:<namespace>` too when the authority has subcomponents (`MPI&2.16.840.1.113883.19.3.2.1&ISO`).

    A timestamp with a UTC offset or a fraction of a second (`200808151030-0700`) is given as the sender's local
    time without them, which the mapping's date formats read.
    """
    out: dict[str, str] = {}
    for index in range(1, len(parts)):
        value = _local_time(parts[index])
        key = _field_key(kind, index)
        out[key] = value
        first = value.split(repetition, 1)[0] if repetition in value else value
        if components in first:
            for c, part in enumerate(first.split(components), start=1):
                out[_component_key(key, c)] = _local_time(part)
        else:  # most fields have one component: skip the split (this loop runs for every field of every row)
            out[_component_key(key, 1)] = first
        if index == 3 and kind == "PID":
            for rep in value.split(repetition):
                bits = rep.split(components)
                if len(bits) >= 4 and bits[3]:
                    out[f"PID-3:{bits[3]}"] = bits[0]
                    namespace = bits[3].split(sub, 1)[0]
                    if namespace and namespace != bits[3]:
                        out.setdefault(f"PID-3:{namespace}", bits[0])
    return out


_TIMESTAMP = re.compile(r"(\d{8}(?:\d{2}){0,3})(\.\d{1,4})?([+-]\d{4})?")


def _local_time(value: str) -> str:
    """`200808151030-0700` → `200808151030`, `20080815103000.0000` → `20080815103000`; other values unchanged."""
    if len(value) < 13 or not value[:8].isdigit():  # most fields: no regex
        return value
    match = _TIMESTAMP.fullmatch(value)
    if match is None or not (match.group(3) or (match.group(2) and len(match.group(1)) == 14)):
        return value
    return match.group(1) if 1800 <= int(value[:4]) <= 2200 else value


def _structured_numeric(value: str, components: str) -> str:
    """An SN value as the number reader reads it: `^182` → `182`, `<^0.5` → `<0.5`, `^10^-^20` → `10-20`."""
    bits = value.split(components)
    return "".join(bits[:4]).strip() if len(bits) > 1 else value


@lru_cache(maxsize=4096)
def _field_key(kind: str, index: int) -> str:
    return f"{kind}-{index}"


@lru_cache(maxsize=16384)
def _component_key(key: str, component: int) -> str:
    return f"{key}.{component}"
