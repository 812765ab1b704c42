"""Stored text made safe to print on a terminal: control characters and direction overrides shown, not obeyed."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (a lone 0x9b opens a control sequence on some terminals too),
# and the bidirectional overrides and isolates that make text read other than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    r"""`value` as text a terminal shows as it is: `\x1b[2J` prints as those six characters, not as a clear screen.

    Tabs and line breaks stay; every other control character is written as its escape (`\x1b`, `\u202e`).
    """
    return _CONTROL.sub(_escape, str(value))


def printable_json(text: str) -> str:
    r"""JSON text with the same characters written as `\uXXXX` escapes: still the same JSON, and safe to print."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
