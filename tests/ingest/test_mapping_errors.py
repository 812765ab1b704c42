"""Mapping files that are wrong or hostile: one `error: FILE:LINE: FIELD: VALUE: message` line, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.ingest.mapping import MappingError, load_mapping

from .small_hospital import SMALL_MAPPING

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> str:
    """The URL of a SQLite store the first command creates (its acting user becomes the administrator)."""
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


def _ingest(folder: Path, mapping: Path, url: str) -> Any:
    return runner.invoke(app, ["ingest", str(folder), "--mapping", str(mapping), "--db", url, "--json"])


def _clean_error(result: Any) -> str:
    """The one error line of a failed command, checked to be a stated error and not a caught bug."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.output + result.stderr
    return " ".join(result.stderr.split())


@pytest.mark.parametrize(("change", "expected"), [
    (("files: [patients.csv]", "files: [patients.csv]\n    encoding: cp9999"),
     "mapping.yaml:11: sources[0].encoding: 'cp9999': not a text encoding"),
    (('delimiter: ";"\n    date_formats', 'delimiter: ";;"\n    date_formats'),
     "mapping.yaml:11: sources[0].delimiter: ';;': a delimiter is one character"),
    (('date_formats: ["%d.%m.%Y"]\n    patient_id: ИД', 'date_formats: ["%q"]\n    patient_id: ИД'),
     "mapping.yaml:12: sources[0].date_formats[0]: '%q': not a strptime pattern"),
    (('date_formats: ["%d.%m.%Y"]\n    patient_id: ИД', 'date_formats: ["%Y-%m"]\n    patient_id: ИД'),
     "sources[0].date_formats[0]: '%Y-%m': the pattern does not read a whole date"),
    (("files: [patients.csv]", "files: [/etc/passwd]"),
     "mapping.yaml:10: sources[0].files[0]: '/etc/passwd': files are named relative to the source folder"),
    (("files: [patients.csv]", "files: [../../../etc/passwd]"),
     "sources[0].files[0]: '../../../etc/passwd': files are named relative"),
    (("master: EMR", "master: HIS"), "mapping.yaml:4: master: 'HIS': no source of this system gives identities"),
    (("centre: C01", "centre: " + "C" * 40), "mapping.yaml:2: centre: 'CCCC"),
    (("system: LIS", "system: " + "L" * 40), "sources[1].system:"),
    (("section: laboratory", "section: nosuchsection"), "mapping.yaml:25: sources[1].section: 'nosuchsection':"),
    (("items: {3016-3: tsh}", "items: {3016-3: nosuchfield}"), "mapping.yaml:5: items.3016-3: 'nosuchfield':"),
    (("name: lis", "name: emr"), "mapping.yaml:16: sources[1].name: 'emr': source names must be unique"),
], ids=["encoding", "delimiter", "strftime", "part_date", "absolute", "parent", "master", "centre", "system",
        "section", "item", "unique"])
def test_each_bad_key_is_named_with_its_line(
    env: str, small_hospital: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in SMALL_MAPPING
    (small_hospital / "mapping.yaml").write_text(SMALL_MAPPING.replace(old, new, 1), encoding="utf-8")
    assert expected in _clean_error(_ingest(small_hospital, small_hospital / "mapping.yaml", env))


def test_a_mapping_not_in_utf8_names_the_line_of_the_first_bad_byte(env: str, small_hospital: Path) -> None:
    (small_hospital / "mapping.yaml").write_bytes(SMALL_MAPPING.encode("cp1251"))
    line = next(n for n, text in enumerate(SMALL_MAPPING.splitlines(), start=1) if not text.isascii())
    message = _clean_error(_ingest(small_hospital, small_hospital / "mapping.yaml", env))
    assert f"mapping.yaml:{line}: a mapping file is UTF-8 text" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("", "a mapping file is a YAML mapping"),
    ("[1, 2]", "a mapping file is a YAML mapping"),
    ("module: [", "not valid YAML"),
    ("a: !!python/object/apply:os.system [ls]", "not valid YAML"),
    ("[" * 20_000, "nested deeper than"),
    ("a: &a [*a]", "expands to more than"),
    ("a: 1\nb: \x11", "m.yaml:2: not valid YAML: unacceptable character"),
], ids=["empty", "list", "broken", "python_tag", "deep", "recursive", "control"])
def test_malformed_yaml_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=expected):
        load_mapping(tmp_path / "m.yaml")


def test_a_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    (tmp_path / "m.yaml").write_text("\n".join(lines) + "\nsources: *a9\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(MappingError, match="expands to more than"):
        load_mapping(tmp_path / "m.yaml")
    assert time.perf_counter() - start < 2


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = SMALL_MAPPING.replace('date_formats: ["%d.%m.%Y"]\n    patient_id: ИД',
                                 'date_formats: &dates ["%d.%m.%Y"]\n    patient_id: ИД', 1)
    text = text.replace('date_formats: ["%d.%m.%Y"]\n    patient_id: Код', 'date_formats: *dates\n    patient_id: Код')
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    assert load_mapping(tmp_path / "m.yaml").sources[1].date_formats == ["%d.%m.%Y"]


# Random mappings: the small hospital's, with keys replaced, removed or added at random, run through the CLI.
# Most replacements keep the value's type (so that many runs get past the schema into the ingest itself).
_WORDS = st.sampled_from(["cp9999", "utf-16", "cp1251", ";;", ";", ",", "", "/etc/passwd", "../labs.csv", "*.csv",
                          "labs.csv", "patients.csv", "%q", "%Y", "%d.%m.%Y", "iso", "excel", "EMR", "LIS", "HIS",
                          "laboratory", "demographics", "nosuch", "ИД", "Код", "Дата", "Тест", "\x00", "x" * 500])
_TEXT = _WORDS | st.text(max_size=12)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), _TEXT)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=6)


def _like(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, list):
        return st.lists(_TEXT, max_size=3)
    if isinstance(value, dict):
        return st.dictionaries(_TEXT, _TEXT, max_size=3)
    return _VALUES


def _mutate(data: Any, draw: Any) -> Any:
    if isinstance(data, dict) and data:
        key = draw(st.sampled_from(sorted(data, key=str)))
        action = draw(st.sampled_from(["same_type", "same_type", "any", "remove", "add", "descend", "descend"]))
        data = dict(data)
        if action == "same_type":
            data[key] = draw(_like(data[key]))
        elif action == "any":
            data[key] = draw(_VALUES)
        elif action == "remove":
            del data[key]
        elif action == "add":
            data[draw(_TEXT)] = draw(_VALUES)
        else:
            data[key] = _mutate(data[key], draw)
        return data
    if isinstance(data, list) and data:
        index = draw(st.integers(0, len(data) - 1))
        return [_mutate(item, draw) if n == index else item for n, item in enumerate(data)]
    return draw(_like(data))


@st.composite
def _mappings(draw: Any) -> bytes:
    kind = draw(st.sampled_from(["bytes", "cp1251", *["utf-8"] * 10]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    data = yaml.safe_load(SMALL_MAPPING)
    for _ in range(draw(st.integers(1, 2))):
        data = _mutate(data, draw)
    return yaml.safe_dump(data, allow_unicode=True).encode(kind, errors="replace")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_mappings())
def test_random_mappings_give_a_clean_error_or_a_run(env: str, small_hospital: Path, text: bytes) -> None:
    path = small_hospital / "random.yaml"
    path.write_bytes(text)
    result = _ingest(small_hospital, path, env)
    if result.exit_code in (0, 2):
        assert '"balanced"' in result.stdout
    else:
        _clean_error(result)
