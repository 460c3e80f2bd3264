"""Scoring a deployment's past forecasts against the truth now known, beside the baseline."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from flow.backtest import RULES, forecasts_from_origins
from flow.forecasting import score, train_forecaster
from flow.monitoring import SUMMARY_COLUMNS, score_past_forecasts


def weekly_truth() -> pd.DataFrame:
    weeks = pd.date_range(end="2026-03-28", periods=40, freq="7D")
    rng = np.random.default_rng(11)
    frames = [
        pd.DataFrame(
            {
                "location": code,
                "date": weeks,
                "value": np.round(size * np.exp(np.cumsum(rng.normal(0, 0.1, len(weeks))))),
            }
        )
        for code, size in (("06", 500.0), ("36", 300.0), ("US", 4000.0), ("02", 20.0))
    ]
    return pd.concat(frames, ignore_index=True)


ORIGINS = list(pd.date_range("2026-02-07", "2026-03-28", freq="7D"))


def past_forecasts(truth: pd.DataFrame, model: str) -> pd.DataFrame:
    """What a deployment would have written each week (horizons -1..3), from data known then."""
    rule = RULES["covidhub"]
    return forecasts_from_origins(truth, model, ORIGINS, rule, (-1, 0, 1, 2, 3))


def test_the_baseline_scored_against_itself_has_relative_wis_one() -> None:
    truth = weekly_truth()
    rows, summary = score_past_forecasts(past_forecasts(truth, "baseline"), truth)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["relative_wis"].tolist() == pytest.approx([1.0] * len(summary))
    np.testing.assert_allclose(rows["wis"], rows["baseline_wis"])


def test_rows_are_the_tasks_already_observed_with_horizons_from_zero() -> None:
    truth = weekly_truth()
    rows, summary = score_past_forecasts(past_forecasts(truth, "default"), truth)
    # Reference 2026-03-28 targets 03-28..04-18: only horizon 0 is known; 03-21: 0 and 1...
    expected_tasks = sum(min(4, (len(ORIGINS) - i)) for i in range(len(ORIGINS))) * 4
    assert len(rows) == expected_tasks
    assert rows["horizon"].min() == 0
    assert summary.index.tolist() == ["0", "1", "2", "3", "all"]
    assert summary.loc["all", "n"] == expected_tasks
    assert summary.loc["all", "relative_wis"] == pytest.approx(
        rows["wis"].mean() / rows["baseline_wis"].mean()
    )


def test_the_baseline_is_recomputed_from_the_truth_known_at_each_reference_date() -> None:
    truth = weekly_truth()
    rows, _ = score_past_forecasts(past_forecasts(truth, "default"), truth)
    # Revisions after the fact must not leak into the yardstick: an honest baseline backtest
    # scores exactly the same.
    honest = score(past_forecasts(truth, "baseline"), truth)
    honest = honest[honest["horizon"] >= 0].reset_index(drop=True)
    np.testing.assert_allclose(rows["baseline_wis"].to_numpy(), honest["wis"].to_numpy())


def test_a_perfect_model_scores_zero_and_read_back_from_csv_works() -> None:
    truth = weekly_truth()
    past = past_forecasts(truth, "baseline")
    observed = truth.rename(columns={"date": "target_end_date", "value": "actual"})
    past = past.merge(observed, on=["location", "target_end_date"], how="left")
    past["value"] = past["actual"].fillna(past["value"])
    text = past.drop(columns="actual").to_csv(index=False, date_format="%Y-%m-%d")
    from_csv = pd.read_csv(io.StringIO(text), dtype={"location": str})
    _, summary = score_past_forecasts(from_csv, truth)
    assert summary.loc["all", "wis"] == 0
    assert summary.loc["all", "relative_wis"] == 0
    assert summary.loc["all", "cover_50"] == 1


def test_nothing_known_yet_gives_empty_frames() -> None:
    truth = weekly_truth()
    past = past_forecasts(truth, "baseline")
    rows, summary = score_past_forecasts(
        past[past["horizon"] > 0], truth[truth["date"] <= "2026-02-07"]
    )
    assert rows.empty
    assert summary.empty
    assert list(summary.columns) == list(SUMMARY_COLUMNS)


def test_a_daily_series_uses_the_daily_rule() -> None:
    days = pd.date_range("2021-01-01", "2021-02-14", freq="D")
    rng = np.random.default_rng(2)
    truth = pd.DataFrame(
        {
            "location": "Madrid (Spain)",
            "date": days,
            "value": rng.poisson(300, len(days)).astype(float),
        }
    )
    origin = pd.Timestamp("2021-02-07")
    known = truth[truth["date"] <= origin]
    past = train_forecaster(known, "default").predict(known, origin, range(1, 8))
    rows, summary = score_past_forecasts(past, truth)
    assert len(rows) == 7
    assert summary.loc["all", "baseline_wis"] > 0
