"""Score a deployment's past quantile forecasts against the truth now known (pure).

The yardstick is the hub's flat baseline re-computed for each past reference date from the
truth as it was known then (the backtest's rule: weekly data up to reference_date - 7, daily
data up to the reference date), for the same locations, horizons and levels, and scored on
exactly the same forecast tasks. Horizons below 0 (the hub's horizon -1 repeats the last
observation) are left out, as in the hub's own evaluation. Targets not yet observed are left out.
"""

from __future__ import annotations

import pandas as pd

from flow.backtest import RULES, known_at
from flow.models.baseline import BaselineForecaster
from flow.scoring import TASK_COLUMNS, relative_wis, score, summarize
from flow.series import FORECAST_COLUMNS, infer_period

SUMMARY_COLUMNS = (
    "n",
    "wis",
    "baseline_wis",
    "relative_wis",
    "ae_median",
    "cover_50",
    "cover_95",
)


def _normalised(past: pd.DataFrame) -> pd.DataFrame:
    """Forecast frame columns with frame dtypes (past forecasts may come back from CSV)."""
    missing = [column for column in FORECAST_COLUMNS if column not in past.columns]
    if missing:
        raise ValueError(f"past forecasts lack column(s) {missing}; expected {FORECAST_COLUMNS}")
    frame = past[list(FORECAST_COLUMNS)].copy()
    for column in ("reference_date", "target_end_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["location"] = frame["location"].astype(str)
    frame["horizon"] = frame["horizon"].astype("int64")
    frame["output_type_id"] = frame["output_type_id"].astype("float64")
    frame["value"] = frame["value"].astype("float64")
    return frame[frame["horizon"] >= 0].drop_duplicates(
        [*TASK_COLUMNS, "output_type_id"], keep="last"
    )


def baseline_forecasts(past: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The flat baseline for every (reference date, location, horizon, level) in `past`,
    each from the truth as known at that reference date."""
    period = infer_period(truth)
    rule = next(rule for rule in RULES.values() if rule.period == period)
    frames = []
    for (reference, target), tasks in past.groupby(["reference_date", "target"]):
        known = known_at(truth, pd.Timestamp(reference), rule)
        known = known[known["location"].isin(tasks["location"].unique())]
        if known.empty:
            continue
        levels = sorted(tasks["output_type_id"].unique())
        horizons = sorted(tasks["horizon"].unique())
        baseline = BaselineForecaster(period, str(target))
        frames.append(baseline.predict(known, reference, horizons, levels))
    if not frames:
        return past.iloc[0:0]
    return pd.concat(frames, ignore_index=True)


def score_past_forecasts(
    past: pd.DataFrame, truth: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, summary) for `past` (a forecast frame) against `truth` (a series frame).

    rows: one per forecast task scored for both the model and the baseline - the task
    columns, `truth, wis, ae_median, cover_50, cover_95, baseline_wis`.
    summary: per horizon (`"0"`, `"1"`, ...) and `"all"`: `n, wis, baseline_wis,
    relative_wis, ae_median, cover_50, cover_95` (the model's). Both are empty (with these
    columns) when no past target is known yet.
    """
    forecasts = _normalised(past)
    model_scores = score(forecasts, truth)
    baseline_scores = score(baseline_forecasts(forecasts, truth), truth)
    keys = list(TASK_COLUMNS)
    rows = model_scores.merge(
        baseline_scores[[*keys, "wis"]].rename(columns={"wis": "baseline_wis"}), on=keys
    )
    if rows.empty:
        empty = pd.DataFrame(columns=list(SUMMARY_COLUMNS))
        empty.index.name = "horizon"
        return rows, empty
    summary = relative_wis(rows, rows.assign(wis=rows["baseline_wis"])).join(
        summarize(rows)[["ae_median", "cover_50", "cover_95"]]
    )
    return rows, summary[list(SUMMARY_COLUMNS)]
