"""WIS, error of the median, coverage and relative WIS, checked by hand and against scoringrules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scoringrules

from flow.scoring import relative_wis, score, summarize, weighted_interval_score
from flow.series import HUB_TARGET, QUANTILE_LEVELS

LEVELS = np.array(QUANTILE_LEVELS)


def forecast_frame(
    quantiles: dict[tuple[str, int], list[float]], levels: np.ndarray = LEVELS
) -> pd.DataFrame:
    """A hub forecast frame from {(location, horizon): quantile values}."""
    reference = pd.Timestamp("2026-03-07")
    rows = []
    for (location, horizon), values in quantiles.items():
        for level, value in zip(levels, values, strict=True):
            rows.append(
                {
                    "reference_date": reference,
                    "target": HUB_TARGET,
                    "horizon": horizon,
                    "target_end_date": reference + pd.Timedelta(weeks=horizon),
                    "location": location,
                    "output_type": "quantile",
                    "output_type_id": level,
                    "value": value,
                }
            )
    return pd.DataFrame(rows)


def test_wis_of_a_three_quantile_forecast_matches_the_hand_worked_formula() -> None:
    # Median 10, 50% interval [8, 14], truth 15: (0.5*5 + 0.25*((14-8) + 4*(15-14))) / 1.5
    wis = weighted_interval_score(
        np.array([[8.0, 10.0, 14.0]]), [0.25, 0.5, 0.75], np.array([15.0])
    )
    assert wis[0] == pytest.approx((0.5 * 5 + 0.25 * (6 + 4 * 1)) / 1.5)


def test_wis_over_the_hub_levels_matches_scoringrules_interval_scores() -> None:
    # scoringrules 0.10's own weighted_interval_score adds w_median * median where the formula
    # has w_median * |y - median|, so the cross-check builds WIS from its interval_score (the
    # interval form of the formula) while flow.scoring sums quantile losses.
    rng = np.random.default_rng(7)
    quantiles = np.sort(rng.gamma(2.0, 50.0, size=(200, len(LEVELS))), axis=1)
    truth = rng.gamma(2.0, 50.0, size=200)
    lower, upper = quantiles[:, :11][:, ::-1], quantiles[:, 12:]
    alpha = 2 * LEVELS[:11][::-1]
    intervals = scoringrules.interval_score(
        truth[:, None], lower, upper, alpha[None, :], backend="numpy"
    )
    expected = (0.5 * np.abs(truth - quantiles[:, 11]) + (alpha / 2 * intervals).sum(axis=1)) / 11.5
    np.testing.assert_allclose(
        weighted_interval_score(quantiles, LEVELS, truth), expected, rtol=1e-12
    )


def test_wis_needs_the_median_and_mirrored_levels() -> None:
    with pytest.raises(ValueError, match=r"must include 0\.5"):
        weighted_interval_score(np.array([[1.0, 2.0]]), [0.1, 0.5], np.array([1.0]))


def test_score_joins_truth_by_location_and_target_date_and_reports_every_metric() -> None:
    inside = np.linspace(0, 22, len(LEVELS))  # median 11, 50% [6, 16], 95% [1, 21]
    forecasts = forecast_frame(
        {("06", 0): list(inside), ("06", 1): list(inside), ("US", 0): list(inside)}
    )
    truth = pd.DataFrame(
        {
            "location": ["06", "06", "US"],
            "date": pd.to_datetime(["2026-03-07", "2026-03-14", "2026-03-07"]),
            "value": [11.0, 30.0, 3.0],
        }
    )
    scores = score(forecasts, truth).set_index(["location", "horizon"])
    assert len(scores) == 3
    assert scores.loc[("06", 0), "ae_median"] == 0
    assert scores.loc[("06", 1), "ae_median"] == 19
    assert scores.loc[("06", 0), ["cover_50", "cover_95"]].tolist() == [1.0, 1.0]
    assert scores.loc[("US", 0), ["cover_50", "cover_95"]].tolist() == [0.0, 1.0]
    assert scores.loc[("06", 1), ["cover_50", "cover_95"]].tolist() == [0.0, 0.0]
    assert (
        scores.loc[("06", 1), "wis"] > scores.loc[("US", 0), "wis"] > scores.loc[("06", 0), "wis"]
    )
    # A task whose target date has no truth yet is left out, not scored as zero.
    assert len(score(forecasts, truth.iloc[:1])) == 1


def test_relative_wis_compares_the_same_tasks_per_horizon_and_overall() -> None:
    rows = pd.DataFrame(
        {
            "reference_date": pd.Timestamp("2026-03-07"),
            "target": HUB_TARGET,
            "horizon": [0, 0, 1],
            "target_end_date": pd.to_datetime(["2026-03-07", "2026-03-07", "2026-03-14"]),
            "location": ["06", "US", "06"],
        }
    )
    model = rows.assign(wis=[1.0, 3.0, 4.0])
    baseline = pd.concat(
        [rows.assign(wis=[2.0, 6.0, 4.0]), rows.iloc[:1].assign(location="72", wis=100.0)]
    )
    table = relative_wis(model, baseline)
    assert table.loc["0", "relative_wis"] == pytest.approx(0.5)
    assert table.loc["1", "relative_wis"] == pytest.approx(1.0)
    assert table.loc["all", "relative_wis"] == pytest.approx(8 / 12)
    assert table.loc["all", "n"] == 3


def test_summarize_means_per_horizon_then_overall() -> None:
    scores = pd.DataFrame(
        {
            "horizon": [0, 0, 1],
            "wis": [1.0, 3.0, 5.0],
            "ae_median": [1.0, 1.0, 1.0],
            "cover_50": [1.0, 0.0, 0.0],
            "cover_95": [1.0, 1.0, 0.0],
        }
    )
    table = summarize(scores)
    assert table.index.tolist() == ["0", "1", "all"]
    assert table.loc["0", "wis"] == 2.0
    assert table.loc["all", "wis"] == 3.0
    assert table.loc["all", "cover_95"] == pytest.approx(2 / 3)
