"""Every rule the AI-evaluation module enforces, with its source (a methodology section or an OncoBank setting).

The table of docs/ai-evaluation.md is `rules_table()` (a test keeps the two the same), and protocols show each
check's source through `source_label`. `where` names the function that enforces the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncobank.aieval.labels import label

OURS = "oncobank"


@dataclass(frozen=True)
class Rule:
    """One rule: what it says, where it comes from (a section of the methodology or OncoBank), who enforces it."""

    id: str
    text: str
    source: str  # a section of the methodology ("2", "3", …, "7", "impact") or OURS
    where: str  # module.function (or module.Class.method) under oncobank.aieval, or cli.ai.command


RULES: tuple[Rule, ...] = (
    Rule("stage_order", "Stages are passed in order: self-testing, functional, calibration, then monitoring "
         "(technological, clinical, feedback side by side)", "1–7", "lifecycle._result"),
    Rule("self_test_record", "Self-testing records the open data set's modality, procedure type, device "
         "manufacturer and model, and the outcome compatible / not compatible", "1", "selftest.SelfTest"),
    Rule("functional_studies", "Functional testing checks at least 5 studies", "2", "functional.read_checklist"),
    Rule("experts", "Functional testing: a technical specialist and a medical expert with more than 5 years of "
         "practice", "2", "staff.check_staff"),
    Rule("basic_critical", "A nonconformity with a basic functional requirement (every technical criterion and "
         "the mandatory content) is critical by rule; the form cannot mark it non-critical", "2",
         "functional.read_checklist"),
    Rule("critical_stops", "Any critical nonconformity fails the test and suspends the version until it is "
         "fixed", "2", "functional.FunctionalResult.passed"),
    Rule("retest_count", "At most two functional retests", "2", "lifecycle._result"),
    Rule("second_retest_wait", "The second retest no earlier than 3 months after the last failed protocol", "2",
         "lifecycle._check_functional_retest"),
    Rule("excluded", "After a failed second retest the applicant leaves the track for that service and clinical "
         "task: no new version of it (nor the same service registered again) is accepted", "2",
         "register.Register.add_version"),
    Rule("reinstate", "An administrator may reinstate an excluded service, with a reason that is kept in the "
         "history (the retest count starts again)", OURS, "lifecycle._reinstate"),
    Rule("calibration_set", "Calibration uses at least 100 studies, half with the target abnormality and half "
         "without", "3", "calibration.check_calibration_set"),
    Rule("min_auc", "AUC at least 0.81, or 0.91 for the tasks that demand it", "3", "calibration.calibrate"),
    Rule("max_minutes", "Time to accept, process and return a result at most 6.5 min per study", "3",
         "calibration.time_summary"),
    Rule("time_statistic", "How the per-study limit is held: share of studies over 6.5 min at most "
         "`max_time_share` (0 %: none may be over), or the maximum, or the median", OURS,
         "calibration._time_check"),
    Rule("min_processed", "At least 90 % of the studies processed", "3", "calibration.calibrate"),
    Rule("max_deviation", "A declared metric more than 10 % (relative) worse than declared is a large, critical "
         "deviation; a declared time is compared with the mean time", OURS, "calibration.calibrate"),
    Rule("operating_points", "Thresholds by Youden's J, by maximal NPV and by maximal PPV, each with Se, Sp, "
         "% FN, % FP", "3", "calibration.calibrate"),
    Rule("pretest_probability", "NPV and PPV of the max-NPV and max-PPV points at the task's pretest "
         "probability (default 0.05)", OURS, "calibration.calibrate"),
    Rule("calibration_staff", "Calibration: a technical specialist and a medical expert", "3",
         "staff.check_staff"),
    Rule("auto_defects", "Defects (a) time over 6.5 min and (b) no result are counted on all unique studies of "
         "the period (a re-sent study counts once)", "4", "techmon.auto_defects"),
    Rule("tech_sample", "Defects (c)–(e) on a reproducible sample of 80 processed studies of the period; the "
         "form must hold exactly the drawn studies", "4", "sample.check_sample"),
    Rule("stratified", "The sample is stratified by AI category, allocated by largest remainder, ordered by a "
         "hash of seed and UID", OURS, "sample.stratified_sample"),
    Rule("defect_rate", "More than 10 % of studies with defects suspends participation", "4",
         "techmon.TechReport.suspended"),
    Rule("defect_rule", "One combined estimated rate of (a)–(e) is held against the limit (`per_group`: each "
         "of (a), (b) and (c)–(e) on its own)", OURS, "techmon.TechReport.suspended"),
    Rule("tech_staff", "Technological monitoring: at least one technical specialist; the report names the "
         "person responsible", "4", "staff.check_staff"),
    Rule("clinical_sample", "Clinical monitoring rates the reproducible sample of 80 studies of the period; "
         "the form must hold exactly the drawn studies", "5", "sample.check_sample"),
    Rule("clinical_limits", "False conclusions above 25 % suspend; studies not in full compliance above 35 % "
         "ask for changes", OURS, "clinmon.ClinicalReport.decision"),
    Rule("clinical_expert", "Clinical monitoring: an expert's ratings are the truth (more than 5 years of "
         "practice, as for functional testing)", "5", "staff.check_staff"),
    Rule("periods", "A monitoring period is a calendar month, a quarter or any date range", OURS,
         "periods.parse_period"),
    Rule("min_feedback", "Feedback covers at least 5 % of the processed studies", "6",
         "feedback.FeedbackReport.short"),
    Rule("feedback_remark", "Short feedback coverage is a non-critical remark (the site's shortfall, not the "
         "software's)", OURS, "cli.ai.feedback_report"),
    Rule("survey", "The radiologists' satisfaction survey is reported with the feedback (scores 1–5)", "6",
         "feedback.read_survey"),
    Rule("fail_is_critical", "A failed test or monitoring result suspends the version until a change", "7",
         "lifecycle._result"),
    Rule("non_core_change", "A change that does not touch declared functions, architecture or diagnostic "
         "accuracy: the service proceeds to the next stage at once (a functional failure is retested)", "7",
         "lifecycle._change"),
    Rule("core_change", "A change that touches them: functional and calibration testing are repeated", "7",
         "lifecycle._change"),
    Rule("impact", "With vs without AI: the distribution of a categorical result per period, chi-square",
         "impact", "impact.impact"),
)
BY_ID = {rule.id: rule for rule in RULES}


def source_label(rule_id: str, lang: str = "en") -> str:
    """Where a rule comes from, in `lang`: the methodology's section, or OncoBank's own setting."""
    source = BY_ID[rule_id].source
    if source == OURS:
        return label("source_oncobank", lang)
    if source == "impact":
        return label("source_impact", lang)
    return label("source_methodology", lang).format(section=source)


def rules_table() -> str:
    """The Markdown table of every rule, its source and where it is enforced (as docs/ai-evaluation.md has it)."""
    lines = ["| rule | what it says | source | enforced in |", "| --- | --- | --- | --- |"]
    for rule in RULES:
        lines.append(f"| `{rule.id}` | {rule.text} | {source_label(rule.id)} | `{rule.where}` |")
    return "\n".join(lines)
