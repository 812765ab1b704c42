"""Who took part in a stage: the staff each stage needs, checked before its protocol is issued."""

from __future__ import annotations

MIN_EXPERT_YEARS = 5  # "more than 5 years of practice" (the expert whose opinion is the truth)
# Per stage: the roles that must be named, the rule, and the role whose practice must exceed MIN_EXPERT_YEARS.
NEEDS: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "functional": (("technical", "medical"), "experts", "medical"),
    "calibration": (("technical", "medical"), "calibration_staff", None),
    "technological_monitoring": (("technical", "responsible"), "tech_staff", None),
    "clinical_monitoring": (("expert",), "clinical_expert", "expert"),
}
ROLE_NAMES = {"technical": "a technical specialist", "medical": "a medical expert", "expert": "an expert",
              "responsible": "the person responsible"}


def check_staff(stage: str, staff: dict[str, list[str]], years: float | None = None) -> list[tuple[str, str]]:
    """The stage's staff as (role, name) rows for the protocol; ValueError naming the rule when someone is missing.

    `staff` maps a role to its names (blank ones are ignored); `years` is the practice of the stage's expert.
    """
    roles, rule, senior = NEEDS[stage]
    named = {role: [n.strip() for n in staff.get(role, []) if n and n.strip()] for role in roles}
    missing = [ROLE_NAMES[role] for role in roles if not named[role]]
    if missing:
        raise ValueError(f"{stage.replace('_', ' ')} needs {' and '.join(missing)} [rule: {rule}]")
    if senior is not None and (years is None or years <= MIN_EXPERT_YEARS):
        got = "none given" if years is None else f"got {years:g}"
        raise ValueError(f"the {ROLE_NAMES[senior].split(' ', 1)[1]} needs more than {MIN_EXPERT_YEARS} years of "
                         f"practice, {got} [rule: expert_experience]")
    return [(role, name) for role in roles for name in named[role]]
