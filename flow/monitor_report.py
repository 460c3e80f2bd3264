"""The monitor's output (pure): the scores table it writes and the one a person reads.

`flow.monitoring.score_past_forecasts` gives a summary indexed by horizon (`"0"` .. and
`"all"`); the CSV keeps it at full precision with the model and scope beside it, the artifact
shows WIS in whole admissions and ratios to two decimals.
"""

from __future__ import annotations

import pandas as pd

OVERALL = "all"
_COUNTS = ("wis", "baseline_wis", "ae_median")
_RATIOS = ("relative_wis", "cover_50", "cover_95")


def monitor_summary_table(summary: pd.DataFrame, run_id: str, scope: str) -> pd.DataFrame:
    """One row per horizon and one `all` row: the scores, the model and the scope."""
    table = summary.reset_index().rename(columns={"index": "horizon"})
    table.insert(0, "scope", scope)
    table["model_version"] = run_id
    return table


def overall_relative_wis(summary: pd.DataFrame) -> float:
    """The relative WIS over every horizon (the `all` row)."""
    return float(summary.loc[OVERALL, "relative_wis"])


def monitor_display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The summary as a person reads it: whole counts, ratios to two decimals."""
    shown = table.copy()
    for column in _COUNTS:
        if column in shown:
            shown[column] = shown[column].astype("float64").round().astype("Int64")
    for column in _RATIOS:
        if column in shown:
            shown[column] = shown[column].astype("float64").round(2)
    return shown
