"""The seed's monitoring metric: RMSE (log space) of a multi-day rollout against the reports.

Starting from the first report's actual values, the model predicts each following day from its
own previous prediction (clipped at 16, as the seed did); every day that has a report is
compared with it. The metric is the RMSE per target, averaged over both targets, rounded to 5
decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from flow.features import TARGETS, as_features, clip_log, log_counts
from flow.reports import REGION_COLUMNS

Predict = Callable[[pd.DataFrame], Any]


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one rollout."""

    rmse: float
    rmse_by_target: dict[str, float]
    first_day: date
    last_day: date
    days_compared: int
    regions: int


def _log_targets(regions: pd.DataFrame) -> pd.DataFrame:
    frame = regions[list(REGION_COLUMNS)].copy()
    for target in TARGETS:
        frame[target] = log_counts(regions[target].to_numpy(dtype="float64"))
    return frame


def rollout_rmse(predict: Predict, reports: Mapping[date, pd.DataFrame]) -> Evaluation:
    """Roll the model forward from the earliest report to the latest and score it.

    Needs at least two reports. Missing days in between are predicted but not scored.
    """
    days = sorted(reports)
    if len(days) < 2:
        raise ValueError(f"monitoring needs at least two daily reports, got {len(days)}: {days}")
    state = _log_targets(reports[days[0]])
    if state.empty:
        raise ValueError(f"no requested region is in the first report of the window, {days[0]}")
    keys = state[list(REGION_COLUMNS)]
    actual_parts: list[np.ndarray] = []
    predicted_parts: list[np.ndarray] = []
    day = days[0]
    while day < days[-1]:
        day += timedelta(days=1)
        current = clip_log(predict(as_features(state[list(TARGETS)].to_numpy())))
        state = keys.assign(**{t: current[:, i] for i, t in enumerate(TARGETS)})
        if day in reports:
            paired = state.merge(
                _log_targets(reports[day]), on=list(REGION_COLUMNS), suffixes=("_pred", "")
            )
            actual_parts.append(paired[list(TARGETS)].to_numpy())
            predicted_parts.append(paired[[f"{t}_pred" for t in TARGETS]].to_numpy())
    actual = np.concatenate(actual_parts)
    predicted = np.concatenate(predicted_parts)
    if len(actual) == 0:
        raise ValueError("monitoring found no region present in both the first and later reports")
    by_target = {
        target: float(np.sqrt(np.mean((actual[:, i] - predicted[:, i]) ** 2)))
        for i, target in enumerate(TARGETS)
    }
    return Evaluation(
        rmse=round(float(np.mean(list(by_target.values()))), 5),
        rmse_by_target={target: round(value, 5) for target, value in by_target.items()},
        first_day=days[0],
        last_day=days[-1],
        days_compared=len(days) - 1,
        regions=len(keys),
    )


def monitor_table(evaluation: Evaluation, as_of: date, run_id: str, scope: str) -> pd.DataFrame:
    """The monitoring CSV: the seed's `Date, model_version, RMSE` plus what was compared."""
    return pd.DataFrame(
        {
            "Date": [as_of.isoformat()],
            "model_version": [run_id],
            "RMSE": [evaluation.rmse],
            **{f"RMSE_{t}": [evaluation.rmse_by_target[t]] for t in TARGETS},
            "scope": [scope],
            "first_day": [evaluation.first_day.isoformat()],
            "last_day": [evaluation.last_day.isoformat()],
            "days_compared": [evaluation.days_compared],
            "regions": [evaluation.regions],
        }
    )
