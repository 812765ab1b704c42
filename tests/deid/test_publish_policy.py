"""The publish policy file and the keyed values of the publish secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncobank.deid.keys import DICOM_UID, Keys
from oncobank.deid.policy import Policy, PolicyError, load_policy


def test_defaults_without_a_file() -> None:
    policy = load_policy(None)
    assert (policy.dates, policy.shift_min_days, policy.shift_max_days, policy.age, policy.top_age) == (
        "shift", -365, 365, "birth_year", 90)


@pytest.mark.parametrize(("text", "message"), [
    ("dates: month\n", "dates: Input should be 'shift' or 'year'"),
    ("shift_days: 3\n", "shift_days: Extra inputs are not permitted"),
    ("top_age: 150\n", "top_age: Input should be less than or equal to 120"),
    ("dates: [\n", "not valid YAML (ParserError)"),
])
def test_a_bad_policy_names_the_file_and_the_rule(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"policy {path}: {message}"


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy .*nowhere\.yaml: cannot be read \(No such file or directory\)"):
        load_policy(tmp_path / "nowhere.yaml")


def test_age_groups() -> None:
    policy = Policy(age_group_years=10, top_age=90)
    assert [policy.age_group(a) for a in (0, 9, 10, 85, 89, 90, 104)] == [
        "0-9", "0-9", "10-19", "80-89", "80-89", "90+", "90+"]
    assert Policy().age_group(87) == "85-89"


def test_the_policy_hash_follows_its_settings() -> None:
    assert Policy().digest == load_policy(None).digest
    assert Policy().digest != Policy(shift_max_days=364).digest


def test_offsets_are_keyed_stable_and_in_range() -> None:
    keys = Keys(b"s" * 32)
    offsets = [keys.shift_days(f"TH-{n:06d}", -30, 30) for n in range(500)]
    assert all(-30 <= d <= 30 for d in offsets) and len(set(offsets)) > 40
    assert offsets == [Keys(b"s" * 32).shift_days(f"TH-{n:06d}", -30, 30) for n in range(500)]
    assert offsets != [Keys(b"t" * 32).shift_days(f"TH-{n:06d}", -30, 30) for n in range(500)]
    assert {keys.shift_days("TH-000001", 7, 7)} == {7}


def test_references_are_remapped_into_their_own_shape() -> None:
    keys = Keys(b"s" * 32)
    uid = "1.2.840.113619.2.55.3.604688119.971.1556265476.229"
    digest = "0123456789abcdef" * 4
    text = keys.remap_references(f"study {uid}, file {digest}, seen 01.03.2021, version 1.2")
    mapped_uid = keys.reference(uid)
    assert text == f"study {mapped_uid}, file {keys.reference(digest)}, seen 01.03.2021, version 1.2"
    assert DICOM_UID.fullmatch(mapped_uid) and mapped_uid.startswith("2.25.") and len(mapped_uid) <= 64
    assert len(keys.reference(digest)) == 64 and keys.reference(digest) != digest
    uuid_uid = "2.25.329800735698586629295641978511506172918"  # the example of DICOM PS3.5 B.2
    assert keys.remap_references(f"UID {uuid_uid}.") == f"UID {keys.reference(uuid_uid)}."
    assert keys.remap_references("seen 1.5.2021") == "seen 1.5.2021"
