"""Decide whether bytes are a plain PDF document: it parses, it has pages, and it carries no active content.

A file that starts with `%PDF-` and ends with `%%EOF` may still be an HTML page, an executable or a PDF that runs
JavaScript or launches programs when opened. Hospitals open these files on clinical workstations, so a document
is accepted only when pypdf reads it strictly and no object in it names an action or an embedded file.
"""

from __future__ import annotations

import io
import logging
import re

# Names whose presence anywhere in the object graph makes a PDF active: scripts, launch and submit actions,
# embedded or attached files, rich media and XFA forms.
ACTIVE = frozenset({
    "/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/FileAttachment", "/RichMedia",
    "/XFA", "/SubmitForm", "/ImportData", "/GoToE",
})
# Executable and markup signatures that have no place in a PDF's bytes outside its streams (whose binary content
# could hold any byte sequence by chance).
FOREIGN = re.compile(rb"\x7fELF|MZ\x90\x00|<script|<html|<!doctype html|<iframe|<body", re.IGNORECASE)
STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
MAX_OBJECTS = 200_000


class NotAPlainPdf(ValueError):
    """The bytes are not a PDF this registry keeps; the message says why, without the file's content."""


def check_pdf(data: bytes) -> int:
    """The number of pages of a plain PDF; NotAPlainPdf otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if FOREIGN.search(STREAM.sub(b"stream endstream", data)):
        raise NotAPlainPdf("it carries foreign content (an executable or a web page), not only a PDF")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would name the file's objects
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        pages = len(reader.pages)
        active = _active_names(reader.trailer)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise NotAPlainPdf(f"it does not parse as a PDF ({type(exc).__name__})") from None
    if pages == 0:
        raise NotAPlainPdf("it has no pages")
    if active:
        raise NotAPlainPdf(f"it carries active content ({', '.join(sorted(active))})")
    return pages


def _active_names(root: object) -> set[str]:
    """The ACTIVE names used as keys or values anywhere under `root`, indirect objects followed once each."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    todo = [root]
    visited = 0
    while todo:
        item = todo.pop()
        visited += 1
        if visited > MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            todo.append(item.get_object())
        elif isinstance(item, DictionaryObject):
            found.update(k for k in item if k in ACTIVE)
            todo.extend(item.values())
        elif isinstance(item, ArrayObject):
            todo.extend(item)
        elif isinstance(item, NameObject) and item in ACTIVE:
            found.add(str(item))
    return found
