"""The patient's own identifiers found in text with any separators between their characters, only between word
boundaries, in any letter case (the spans counted by hand)."""

from __future__ import annotations

from oncobank.deid.known import known_hits


def spans(text: str, *known: str) -> list[tuple[int, int, str]]:
    return [(h.start, h.end, h.category) for h in known_hits(text, known)]


def test_an_identifier_with_other_separators_or_none() -> None:
    assert spans("ИБ E 1001, карта e1001.", "E-1001") == [(3, 9, "ID"), (17, 22, "ID")]
    assert spans("полис 1234 5678 9012 3456", "1234567890123456") == [(6, 25, "POLICY")]
    assert spans("№ 12/34-56", "123456") == [(2, 10, "ID")]


def test_only_whole_words_count() -> None:
    assert spans("E-10012 и XE-1001 и E-1001_2", "E-1001") == []
    assert spans("(E-1001)", "E-1001") == [(1, 7, "ID")]
    assert spans("E-1001:E-1001", "E-1001") == [(0, 6, "ID"), (7, 13, "ID")]


def test_no_identifier_crosses_other_characters_or_a_text_without_digits() -> None:
    assert spans("E-10, 01", "E-1001") == []
    assert spans("без номера", "E-1001") == []
