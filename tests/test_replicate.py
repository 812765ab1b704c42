"""The large-store builder of the benchmarks: exact patient count, fresh keys per copy, references kept per copy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _replicate_module():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCHMARKS))  # the script imports its sibling `report`
    try:
        spec = importlib.util.spec_from_file_location("replicate", BENCHMARKS / "replicate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_three_patients_grow_to_seven(tmp_path: Path) -> None:
    source = tmp_path / "analysis.duckdb"
    con = duckdb.connect(str(source))
    con.execute("CREATE TABLE patient (pseudonym VARCHAR, sex VARCHAR, module VARCHAR)")
    con.execute("INSERT INTO patient VALUES ('aaaa1111', 'F', 'thyroid'), ('bbbb2222', 'M', 'thyroid'), "
                "('cccc3333', 'F', 'thyroid')")
    con.execute("CREATE TABLE thyroid_imaging (pseudonym VARCHAR, entry_key VARCHAR, modality VARCHAR)")
    con.execute("INSERT INTO thyroid_imaging VALUES ('aaaa1111', 'e1', 'CT'), ('aaaa1111', 'e2', 'CT'), "
                "('bbbb2222', 'e3', 'US')")
    con.execute("CREATE TABLE thyroid_recist (pseudonym VARCHAR, entry VARCHAR, baseline_entry VARCHAR)")
    con.execute("INSERT INTO thyroid_recist VALUES ('aaaa1111', 'e2', 'e1')")
    con.execute("CREATE TABLE columns (\"table\" VARCHAR, \"column\" VARCHAR)")
    con.execute("INSERT INTO columns VALUES ('patient', 'sex')")
    con.close()

    result = _replicate_module().replicate(source, tmp_path / "big.duckdb", 7)
    # 7 patients from 3: copies 0 and 1 whole, copy 2 cut after its first patient (in pseudonym order)
    assert (result["copies"], result["patients"]) == (3, 7)
    big = duckdb.connect(str(tmp_path / "big.duckdb"), read_only=True)
    people = big.execute("SELECT pseudonym, sex FROM patient").fetchall()
    assert len(people) == 7 and len({p for p, _ in people}) == 7
    assert {p for p, _ in people} >= {"aaaa1111", "bbbb2222", "cccc3333"}  # copy 0 is the published patient
    assert all(len(p) == 8 for p, _ in people)
    assert sorted(s for _, s in people) == ["F"] * 5 + ["M"] * 2  # a, b, c, a, b, c, a
    # patient aaaa1111 is in all three copies, bbbb2222 in two: 3 × 2 + 2 × 1 imaging rows
    assert big.execute("SELECT count(*), count(DISTINCT entry_key) FROM thyroid_imaging").fetchone() == (8, 8)
    # each copy's RECIST row points at that copy's own imaging entries
    joined = big.execute("""SELECT count(*) FROM thyroid_recist r
        JOIN thyroid_imaging a ON a.pseudonym = r.pseudonym AND a.entry_key = r.entry
        JOIN thyroid_imaging b ON b.pseudonym = r.pseudonym AND b.entry_key = r.baseline_entry""").fetchone()[0]
    assert joined == 3 == big.execute("SELECT count(*) FROM thyroid_recist").fetchone()[0]
    assert big.execute("SELECT count(*) FROM columns").fetchone()[0] == 1  # no pseudonym: copied once
