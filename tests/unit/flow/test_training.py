"""The seed's model fitted on generated data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.preprocessing import PolynomialFeatures

from flow.features import FEATURES, TARGETS, training_table
from flow.reports import read_regions
from flow.sample import sample_reports
from flow.training import fit_model


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
