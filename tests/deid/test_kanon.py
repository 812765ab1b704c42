"""k-anonymity and l-diversity: measures against published example tables; generalisation, suppression by hand."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pytest
from pydantic import ValidationError

from oncobank.deid.hierarchies import CodeGroups, RegionDistricts, YearBands, federal_district, parents_from_domain
from oncobank.deid.kanon import KAnonymityPolicy, QuasiIdentifier, anonymise
from oncobank.deid.kanon_report import _LABELS
from oncobank.deid.measures import class_count, distinct_l, entropy_l, k_anonymity, share_below
from oncobank.dictionary import load_module

# Machanavajjhala A, Kifer D, Gehrke J, Venkitasubramaniam M. l-Diversity: privacy beyond k-anonymity.
# ACM TKDD 1(1), 2007. Figure 1 (inpatient microdata), Figure 2 (its 4-anonymous version) and Figure 3 (its 3-diverse
# version); non-sensitive Zip code, Age, Nationality; sensitive Condition.
FIG1 = [
    ("13053", "28", "Russian", "Heart Disease"), ("13068", "29", "American", "Heart Disease"),
    ("13068", "21", "Japanese", "Viral Infection"), ("13053", "23", "American", "Viral Infection"),
    ("14853", "50", "Indian", "Cancer"), ("14853", "55", "Russian", "Heart Disease"),
    ("14850", "47", "American", "Viral Infection"), ("14850", "49", "American", "Viral Infection"),
    ("13053", "31", "American", "Cancer"), ("13053", "37", "Indian", "Cancer"),
    ("13068", "36", "Japanese", "Cancer"), ("13068", "35", "American", "Cancer"),
]
FIG2 = [
    *[("130**", "<30", "*", c) for c in ("Heart Disease", "Heart Disease", "Viral Infection", "Viral Infection")],
    *[("1485*", ">=40", "*", c) for c in ("Cancer", "Heart Disease", "Viral Infection", "Viral Infection")],
    *[("130**", "3*", "*", "Cancer")] * 4,
]
FIG3 = [  # records 1, 4, 9, 10 / 5-8 / 2, 3, 11, 12 of Figure 1
    *[("1305*", "<=40", "*", c) for c in ("Heart Disease", "Viral Infection", "Cancer", "Cancer")],
    *[("1485*", ">40", "*", c) for c in ("Cancer", "Heart Disease", "Viral Infection", "Viral Infection")],
    *[("1306*", "<=40", "*", c) for c in ("Heart Disease", "Viral Infection", "Cancer", "Cancer")],
]
INPATIENT = ["zip", "age", "nationality", "condition"]
QI = ["zip", "age", "nationality"]

# Sweeney L. k-anonymity: a model for protecting privacy. Int J Uncertainty, Fuzziness and Knowledge-Based Systems
# 10(5):557-570, 2002. Figure 2: "Example of k-anonymity, where k=2 and QI={Race, Birth, Gender, ZIP}".
SWEENEY = [
    ("black", "1965", "m", "0214*", "short breath"), ("black", "1965", "m", "0214*", "chest pain"),
    ("black", "1965", "f", "0213*", "hypertension"), ("black", "1965", "f", "0213*", "hypertension"),
    ("black", "1964", "f", "0213*", "obesity"), ("black", "1964", "f", "0213*", "chest pain"),
    ("white", "1964", "m", "0213*", "chest pain"), ("white", "1964", "m", "0213*", "obesity"),
    ("white", "1964", "m", "0213*", "short breath"), ("white", "1967", "m", "0213*", "chest pain"),
    ("white", "1967", "m", "0213*", "chest pain"),
]
SWEENEY_QI = ["race", "birth", "gender", "zip"]


def _frame(rows: list[tuple[str, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def test_inpatient_microdata_is_1_anonymous():
    table = _frame(FIG1, INPATIENT)
    assert k_anonymity(table, QI) == 1  # every age differs
    assert class_count(table, QI) == 12
    assert distinct_l(table, QI, "condition") == 1


def test_four_anonymous_inpatient_table_has_l_of_one():
    # Classes by hand: {HD, HD, VI, VI}, {C, HD, VI, VI}, {C, C, C, C}: the third is the paper's homogeneity attack.
    table = _frame(FIG2, INPATIENT)
    assert k_anonymity(table, QI) == 4
    assert class_count(table, QI) == 3
    assert distinct_l(table, QI, "condition") == 1
    assert entropy_l(table, QI, "condition") == pytest.approx(1.0)  # entropy 0 in the all-cancer class
    assert share_below(table, QI, 5) == 1.0
    assert share_below(table, QI, 4) == 0.0


def test_three_diverse_inpatient_table():
    # Every class holds one heart disease, one viral infection and two cancers: distinct l 3; entropy
    # -(1/4 ln 1/4 + 1/4 ln 1/4 + 1/2 ln 1/2) = 1.5 ln 2, so entropy l = 2^1.5.
    table = _frame(FIG3, INPATIENT)
    assert k_anonymity(table, QI) == 4
    assert distinct_l(table, QI, "condition") == 3
    assert entropy_l(table, QI, "condition") == pytest.approx(2 ** 1.5)


def test_sweeney_example_is_2_anonymous():
    # Classes by hand: t1-t2, t3-t4, t5-t6, t10-t11 of two rows, t7-t9 of three.
    table = _frame(SWEENEY, [*SWEENEY_QI, "problem"])
    assert k_anonymity(table, SWEENEY_QI) == 2
    assert class_count(table, SWEENEY_QI) == 5
    assert share_below(table, SWEENEY_QI, 3) == pytest.approx(8 / 11)
    assert distinct_l(table, SWEENEY_QI, "problem") == 1  # t3-t4 both hypertension, t10-t11 both chest pain
    assert k_anonymity(table, SWEENEY_QI[:2]) == 2  # race and birth alone: {black 1965} 4, {black 1964} 2, ...


def test_measures_of_an_empty_table():
    empty = _frame([], INPATIENT)
    assert (k_anonymity(empty, QI), class_count(empty, QI), distinct_l(empty, QI, "condition")) == (0, 0, 0)
    assert share_below(empty, QI, 5) == 0.0


def test_missing_values_form_a_class_of_their_own():
    table = pd.DataFrame({"sex": ["F", "F", None, None, None], "x": [1, 2, 3, 4, 5]})
    assert k_anonymity(table, ["sex"]) == 2
    assert class_count(table, ["sex"]) == 2


def test_year_bands():
    years = pd.Series([1963, 1960, 1969, None])
    h = YearBands()
    assert h.generalise(years, 1, 5).tolist() == ["1960-1964", "1960-1964", "1965-1969", None]
    assert h.generalise(years, 2, 5).tolist() == ["1960-1969", "1960-1969", "1960-1969", None]
    assert h.generalise(years, 3, 5).tolist() == ["*"] * 4
    with pytest.raises(ValueError, match="row 2 is not a year"):
        h.generalise(pd.Series([1960, "nineteen"]), 1, 5)


@pytest.mark.parametrize(("region", "district"), [
    ("Ямало-Ненецкий автономный округ", "Уральский федеральный округ"),  # not the Nenets district of the North-West
    ("Ненецкий АО", "Северо-Западный федеральный округ"),
    ("Сахалинская обл.", "Дальневосточный федеральный округ"),
    ("Нижний Новгород", "Приволжский федеральный округ"),
    ("Новгородская область", "Северо-Западный федеральный округ"),
    ("г. Москва", "Центральный федеральный округ"),
    ("Кабардино-Балкарская Республика", "Северо-Кавказский федеральный округ"),
    ("Республика Кабардино-Балкария", "Северо-Кавказский федеральный округ"),
    ("Орёл", "Центральный федеральный округ"),
    ("Томская", "Сибирский федеральный округ"),
    ("Омская", "Сибирский федеральный округ"),
    ("Алтай", None),  # the republic or the krai: not guessed
])
def test_federal_districts(region: str, district: str | None):
    assert federal_district(region) == district


def test_every_synthetic_region_has_a_district():
    from oncobank.synth.people import REGIONS

    assert [r for r in REGIONS if federal_district(r) is None] == []


def test_unknown_region_goes_straight_to_suppressed():
    values = pd.Series(["Тверская область", "Atlantis", None])
    assert RegionDistricts().generalise(values, 1, 5).tolist() == ["Центральный федеральный округ", "*", None]


def test_code_parents_come_from_the_dictionary_domain():
    parents = parents_from_domain(load_module("thyroid").domains["thyroid_histology"])
    assert parents["papillary"] == parents["oncocytic"] == "differentiated"
    codes = pd.Series(["papillary", "oncocytic", "not-in-domain"])
    assert CodeGroups(parents).generalise(codes, 1, 5).tolist() == ["differentiated", "differentiated", "other"]


def test_rare_codes_become_other_without_a_hierarchy():
    codes = pd.Series(["a", "a", "a", "b", "c", "c"])
    assert CodeGroups().generalise(codes, 1, 2).tolist() == ["a", "a", "a", "other", "c", "c"]


def _policy(*qis: QuasiIdentifier, **settings: object) -> KAnonymityPolicy:
    return KAnonymityPolicy(quasi_identifiers=list(qis), **settings)


SEX = QuasiIdentifier(column="sex")
YEAR = QuasiIdentifier(column="birth_year", kind="birth_year")
REGION = QuasiIdentifier(column="region", kind="region")


def test_the_step_that_fixes_most_rows_is_taken():
    # Level 0: all 8 rows alone. Suppressing sex leaves them alone (gain 0); 5-year bands make two classes of 4.
    table = pd.DataFrame({"sex": ["F"] * 8, "birth_year": [1961, 1962, 1963, 1964, 1966, 1967, 1968, 1969]})
    out, report = anonymise(table, _policy(SEX, YEAR, k=2, max_suppressed=0))
    assert out["birth_year"].tolist() == ["1960-1964"] * 4 + ["1965-1969"] * 4
    assert out["sex"].tolist() == ["F"] * 8
    assert report.levels == {"sex": "original", "birth_year": "band5"}
    assert (report.k_before, report.k_after, report.classes_after) == (1, 4, 2)
    assert report.holds and report.masked_rows == 0 and report.removed == ()


def test_cheaper_generalisation_wins_when_both_fix_the_same_rows():
    # Either suppressing sex (1 of 1 levels lost) or regions to districts (1 of 2 levels) makes classes of 2;
    # per unit of precision the district step fixes twice as many rows.
    table = pd.DataFrame({"sex": ["M", "F", "M", "F"],
                          "region": ["г. Москва", "г. Москва", "Тверская область", "Тверская область"]})
    out, report = anonymise(table, _policy(SEX, REGION, k=2, max_suppressed=0))
    assert report.levels == {"sex": "original", "region": "district"}
    assert set(out["region"]) == {"Центральный федеральный округ"}
    assert report.information_loss == pytest.approx(0.25)  # region at 1 of 2 levels, sex at 0: (0.5 + 0) / 2


def test_a_lone_row_is_removed_when_masking_cannot_hide_it():
    # 5-year bands: 1960-1964 holds 4, 1990-1994 one; one failing row is within the allowance (floor(0.2 * 5)).
    # Masked, it is alone in the class (*, *), so it is removed.
    table = pd.DataFrame({"sex": ["F"] * 5, "birth_year": [1961, 1962, 1963, 1964, 1990]}, index=list("abcde"))
    out, report = anonymise(table, _policy(SEX, YEAR, k=2, max_suppressed=0.2))
    assert list(out.index) == list("abcd")
    assert report.removed == ("e",)
    assert (report.masked_rows, report.rows_after, report.k_after) == (0, 4, 4)
    assert report.information_loss == pytest.approx((4 * 1 / 3 + 2) / 10)  # 4 rows at band5, the removed 2 cells


def test_masked_rows_that_make_a_class_together_are_kept():
    # Bands: 1960-1964 x4, M 1990-1994 x1, F 1985-1989 x1: two failing rows, allowance floor(0.34 * 6) = 2.
    # Masked, the two make the class (*, *) of 2.
    table = pd.DataFrame({"sex": ["F", "F", "F", "F", "M", "F"],
                          "birth_year": [1961, 1962, 1963, 1964, 1990, 1985]})
    out, report = anonymise(table, _policy(SEX, YEAR, k=2, max_suppressed=0.34))
    assert out["sex"].tolist() == ["F", "F", "F", "F", "*", "*"]
    assert out["birth_year"].tolist() == ["1960-1964"] * 4 + ["*", "*"]
    assert (report.masked_rows, report.removed, report.k_after) == (2, (), 2)


def test_l_diversity_target_forces_generalisation():
    # k = 2 holds at once, but each region's two patients share their vital status: l 1 < 2. Districts merge them.
    table = pd.DataFrame({"region": ["г. Москва", "г. Москва", "Тверская область", "Тверская область"],
                          "vital": ["alive", "alive", "dead", "dead"]})
    out, report = anonymise(table, _policy(REGION, k=2, l=2, sensitive=["vital"], max_suppressed=0))
    assert set(out["region"]) == {"Центральный федеральный округ"}
    assert (report.l_before, report.l_after) == ({"vital": 1}, {"vital": 2})
    assert report.entropy_l_after["vital"] == pytest.approx(2.0)  # two values, half each: exp(ln 2)
    assert report.levels == {"region": "district"} and report.holds


def test_kept_centre_is_never_generalised():
    # Two centres of one patient each: with the centre kept, the only way to 2-anonymity is removal.
    table = pd.DataFrame({"centre": ["A", "B"], "sex": ["F", "F"]})
    out, report = anonymise(table, _policy(QuasiIdentifier(column="centre", generalise=False), SEX, k=2))
    assert out["centre"].tolist() == [] and len(report.removed) == 2
    assert report.levels["centre"] == "original"
    assert report.holds  # nothing left to single out


def test_histology_grouped_to_parents_or_rare_to_other():
    table = pd.DataFrame({"histology": ["papillary", "papillary", "follicular", "oncocytic"]})
    parents = parents_from_domain(load_module("thyroid").domains["thyroid_histology"])
    grouped, report = anonymise(table, _policy(QuasiIdentifier(column="histology", kind="code", parents=parents),
                                               k=2, max_suppressed=0))
    assert grouped["histology"].tolist() == ["differentiated"] * 4 and report.levels["histology"] == "parent"
    rare, report = anonymise(table, _policy(QuasiIdentifier(column="histology", kind="code"), k=2, max_suppressed=0))
    assert rare["histology"].tolist() == ["papillary", "papillary", "other", "other"]
    assert report.levels["histology"] == "rare_other"


def test_arrow_in_arrow_out_and_the_rest_untouched():
    table = pa.table({"pseudonym": ["p1", "p2", "p3", "p4"], "sex": ["F"] * 4,
                      "birth_year": [1961, 1962, 1966, 1967], "stage": ["I", "II", "I", "IV"]})
    out, report = anonymise(table, _policy(SEX, YEAR, k=2, max_suppressed=0))
    assert isinstance(out, pa.Table) and report.rows_after == 4
    assert out.column("birth_year").to_pylist() == ["1960-1964", "1960-1964", "1965-1969", "1965-1969"]
    assert out.column("pseudonym").to_pylist() == ["p1", "p2", "p3", "p4"]
    assert out.column("stage").to_pylist() == ["I", "II", "I", "IV"]


def test_same_input_same_output():
    table = pd.DataFrame({"sex": list("MFMFMFMF"), "birth_year": [1950, 1951, 1957, 1962, 1968, 1971, 1979, 1980],
                          "region": ["г. Москва", "Омская", "Тверская", "Омская", "г. Москва", "Тверская", "Омская",
                                     "г. Москва"]})
    policy = _policy(SEX, YEAR, REGION, k=2)
    first, a = anonymise(table, policy)
    second, b = anonymise(table.copy(), policy)
    pd.testing.assert_frame_equal(first, second)
    assert a == b


def test_bad_input():
    with pytest.raises(ValueError, match="no column 'region'"):
        anonymise(pd.DataFrame({"sex": ["F"]}), _policy(SEX, REGION))
    with pytest.raises(ValidationError, match="listed twice"):
        _policy(SEX, SEX)
    with pytest.raises(ValidationError, match="both quasi-identifier and sensitive"):
        _policy(SEX, sensitive=["sex"])
    with pytest.raises(ValidationError, match="no sensitive column"):
        _policy(SEX, l=2)


def test_report_in_russian_and_as_json():
    from rich.console import Console

    table = pd.DataFrame({"sex": ["F"] * 4, "birth_year": [1961, 1962, 1966, 1967], "vital": ["a", "d", "a", "d"]})
    _, report = anonymise(table, _policy(SEX, YEAR, k=2, sensitive=["vital"]))
    console = Console(record=True, width=150)
    console.print(report.table("ru"))
    text = console.export_text()
    assert "5-летние интервалы" in text and "Цель достигнута" in text and "да" in text
    data = report.to_dict()
    assert data["k"] == {"before": 1, "after": 2} and data["generalisations"]["birth_year"] == "band5"
    assert data["distinct_l"] == {"vital": {"before": 1, "after": 2}}
    assert data["removed_rows"] == 0 and math.isfinite(data["information_loss"])


def test_every_label_in_both_languages():
    assert [key for key, (en, ru) in _LABELS.items() if not en.strip() or not ru.strip()] == []


def test_standard_policy_names_the_issue_quasi_identifiers():
    policy = KAnonymityPolicy.standard({"papillary": "differentiated"}, k=3)
    assert [q.column for q in policy.quasi_identifiers] == ["sex", "birth_year", "region", "centre", "histology"]
    assert [q.column for q in policy.quasi_identifiers if not q.generalise] == ["centre"]
    assert policy.k == 3 and policy.small_cell == 5
