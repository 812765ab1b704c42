"""Statistics for registry research: pure functions from arrays or DataFrames to typed results.

Nothing here touches a database: callers pass data in and get frozen dataclasses back, each with
`to_dict()` (JSON-safe) and, where a picture helps, `plot(ax=None, lang="en")` and `save_plot(path)`.
"""

from importlib import import_module
from typing import Any

# Loaded on first use: SciPy, statsmodels and matplotlib take seconds to import, and the `oncobank`
# command should not pay for them unless a statistic is computed.
_WHERE = {
    "CI_METHODS": "methods",
    "AccuracyResult": "accuracy",
    "AucComparison": "roc",
    "ChiSquare": "association",
    "CoxResult": "cox",
    "Estimate": "estimate",
    "ForecastResult": "forecast",
    "KMCurve": "survival",
    "KaplanMeierResult": "survival",
    "LogRankResult": "survival",
    "PHTestResult": "cox",
    "RocResult": "roc",
    "SerialResult": "serial",
    "TableOne": "table1",
    "TransitionMatrix": "serial",
    "TwoByTwo": "accuracy",
    "accuracy_from_labels": "accuracy",
    "chi_square": "association",
    "compare_auc": "roc",
    "cox_ph": "cox",
    "delong_auc": "roc",
    "diagnostic_accuracy": "accuracy",
    "forecast_incidence": "forecast",
    "kaplan_meier": "survival",
    "logrank_test": "survival",
    "mape": "forecast",
    "mase": "forecast",
    "natural_key": "data",
    "odds_ratio": "association",
    "pooled_over_stages": "serial",
    "proportion": "estimate",
    "proportional_hazards_test": "cox",
    "risk_difference": "association",
    "roc_analysis": "roc",
    "serial_accuracy": "serial",
    "serial_analysis": "serial",
    "table_one": "table1",
    "transition_matrices": "serial",
    "two_by_two": "accuracy",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'oncobank.stats' has no attribute {name!r}")
    return getattr(import_module(f"oncobank.stats.{_WHERE[name]}"), name)
