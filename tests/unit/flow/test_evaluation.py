"""The monitoring rollout and its RMSE."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest

from flow.evaluation import monitor_table, rollout_rmse
from flow.features import FEATURES


def report(cases: float, deaths: float) -> pd.DataFrame:
    return pd.DataFrame(
        [("Madrid", "Spain", cases, deaths)],
        columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"],
    )


def plus(step: float) -> Callable[[pd.DataFrame], np.ndarray]:
    """A model predicting each log value as the previous one plus `step`."""

    def predict(features: pd.DataFrame) -> np.ndarray:
        assert list(features.columns) == list(FEATURES)
        return features.to_numpy() + step

    return predict


# Log counts grow by exactly 1 a day: log1p(count) = 5, 6, 7, 8.
REPORTS = {date(2021, 1, d): report(math.expm1(4 + d), math.expm1(d)) for d in (1, 2, 3, 4)}


def test_a_model_that_follows_the_data_scores_zero() -> None:
    evaluation = rollout_rmse(plus(1.0), REPORTS)
    assert evaluation.rmse == 0.0
    assert (evaluation.first_day, evaluation.last_day) == (date(2021, 1, 1), date(2021, 1, 4))
    assert evaluation.days_compared == 3
    assert evaluation.regions == 1


def test_the_rollout_feeds_predictions_back_so_errors_compound() -> None:
    # Predicted growth 0.5 instead of 1: errors 0.5, 1.0, 1.5 on both targets.
    evaluation = rollout_rmse(plus(0.5), REPORTS)
    expected = math.sqrt((0.25 + 1.0 + 2.25) / 3)
    assert evaluation.rmse == pytest.approx(round(expected, 5))
    assert evaluation.rmse_by_target["ConfirmedCases"] == pytest.approx(round(expected, 5))


def test_predictions_are_clipped_during_the_rollout() -> None:
    at_cap = math.expm1(16)
    reports = {date(2021, 1, 1): report(0, 0), date(2021, 1, 2): report(at_cap, at_cap)}
    assert rollout_rmse(plus(100.0), reports).rmse == 0.0


def test_a_missing_day_is_predicted_through_but_not_scored() -> None:
    gappy = {day: frame for day, frame in REPORTS.items() if day != date(2021, 1, 2)}
    evaluation = rollout_rmse(plus(0.5), gappy)
    expected = math.sqrt((1.0 + 2.25) / 2)
    assert evaluation.rmse == pytest.approx(round(expected, 5))


def test_one_report_is_not_enough() -> None:
    with pytest.raises(ValueError, match="at least two daily reports"):
        rollout_rmse(plus(1.0), {date(2021, 1, 1): report(1, 1)})


def test_a_region_missing_from_the_first_report_is_an_error_not_a_crash() -> None:
    reports = {date(2021, 1, 1): report(1, 1).iloc[0:0], date(2021, 1, 2): report(2, 1)}
    with pytest.raises(ValueError, match="no requested region is in the first report"):
        rollout_rmse(plus(1.0), reports)


def test_monitor_table_starts_with_the_seed_columns() -> None:
    table = monitor_table(rollout_rmse(plus(1.0), REPORTS), date(2021, 1, 5), "r" * 32, "Madrid")
    assert list(table.columns)[:3] == ["Date", "model_version", "RMSE"]
    assert table.iloc[0]["scope"] == "Madrid"
    assert table.iloc[0]["Date"] == "2021-01-05"
