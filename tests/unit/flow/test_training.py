"""The seed's model fitted on generated data."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.preprocessing import PolynomialFeatures

from flow.features import FEATURES, TARGETS, training_table
from flow.models.seed import SeedModel
from flow.reports import read_regions
from flow.sample import sample_reports
from flow.training import (
    backtest_metrics,
    fit_model,
    last_origins,
    seed_model,
    training_backtest,
)


def test_fit_learns_next_day_log_counts_from_generated_reports() -> None:
    reports = {
        day: read_regions(text.encode())
        for day, text in sample_reports(date(2021, 1, 1), date(2021, 1, 31)).items()
    }
    table = training_table(reports)
    fitted = fit_model(table)
    steps = [step for _, step in fitted.pipeline.steps]
    assert isinstance(steps[0], PolynomialFeatures)
    assert steps[0].degree == 2
    assert isinstance(steps[1], Ridge)
    assert fitted.rows == len(table) == 30 * 8
    assert fitted.regions == 8
    # Cumulative counts barely move in a day: the fit is good in log space.
    assert fitted.train_rmse < 0.05
    predicted = fitted.pipeline.predict(table[list(FEATURES)])
    assert np.abs(predicted - table[list(TARGETS)].to_numpy()).max() < 0.5


def test_fit_without_rows_explains_what_is_missing() -> None:
    with pytest.raises(ValueError, match="at least two consecutive daily reports"):
        fit_model(training_table({}))


def test_the_numpy_seed_model_predicts_what_the_scikit_learn_pipeline_predicts() -> None:
    reports = {
        day: read_regions(text.encode())
        for day, text in sample_reports(date(2021, 1, 1), date(2021, 1, 31)).items()
    }
    table = training_table(reports)
    pipeline = fit_model(table).pipeline
    served = SeedModel.from_dict(json.loads(json.dumps(seed_model(pipeline).to_dict())))
    grid = pd.DataFrame(
        np.random.default_rng(0).uniform(0, 16, size=(500, 2)), columns=list(FEATURES)
    )
    for features in (table[list(FEATURES)], grid):
        np.testing.assert_allclose(
            served.predict(features), pipeline.predict(features), rtol=0, atol=1e-12
        )


def test_the_training_backtest_uses_the_last_origins_with_known_targets() -> None:
    weeks = pd.date_range(end="2026-03-28", periods=40, freq="7D")
    rng = np.random.default_rng(8)
    series = pd.concat(
        [
            pd.DataFrame({"location": code, "date": weeks, "value": rng.poisson(300, 40) * 1.0})
            for code in ("06", "36", "48")
        ],
        ignore_index=True,
    )
    origins = last_origins(series, "covidhub", 5)
    assert origins[-1] == pd.Timestamp("2026-03-07")  # horizon 3 lands on the last week
    assert len(origins) == 5
    result = training_backtest(series, "covidhub", "default", 5)
    assert result is not None
    metrics = backtest_metrics(result.table)
    assert metrics["relative_wis_all"] == pytest.approx(
        metrics["wis_all"] / metrics["baseline_wis_all"]
    )
    assert {"wis_h0", "relative_wis_h3", "cover_95_h2", "cover_50_all"} <= set(metrics)


def test_the_training_backtest_drops_origins_with_too_little_history() -> None:
    weeks = pd.date_range(end="2026-03-28", periods=16, freq="7D")
    series = pd.concat(
        [
            pd.DataFrame({"location": code, "date": weeks, "value": 100.0 + np.arange(16)})
            for code in ("06", "36", "48")
        ],
        ignore_index=True,
    )
    result = training_backtest(series, "covidhub", "default", 8)
    assert result is not None
    reference_dates = result.scores["reference_date"].unique()
    assert 0 < len(reference_dates) < 8
    tiny = series[series["date"] > weeks[-5]]
    assert training_backtest(tiny, "covidhub", "default", 8) is None
