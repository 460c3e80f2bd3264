"""Features as the seed computed them, checked by hand."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from flow.features import (
    FEATURES,
    LOG_CLIP,
    clip_log,
    next_day_features,
    to_counts,
    training_table,
)


def report(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"]
    )


def test_training_rows_pair_each_day_with_the_previous_days_log_counts() -> None:
    table = training_table(
        {
            date(2021, 1, 1): report([("Madrid", "Spain", 99, 9), ("Lombardia", "Italy", 0, 0)]),
            date(2021, 1, 2): report([("Madrid", "Spain", 199, 19), ("Lombardia", "Italy", 4, 0)]),
        }
    )
    assert len(table) == 2
    madrid = table[table["Province_State"] == "Madrid"].iloc[0]
    assert madrid["Date"] == date(2021, 1, 2)
    # log1p(99) = ln(100), log1p(9) = ln(10), log1p(199) = ln(200), log1p(19) = ln(20)
    assert madrid["prev_ConfirmedCases"] == pytest.approx(4.605170186)
    assert madrid["prev_Fatalities"] == pytest.approx(2.302585093)
    assert madrid["ConfirmedCases"] == pytest.approx(5.298317367)
    assert madrid["Fatalities"] == pytest.approx(2.995732274)
    lombardia = table[table["Province_State"] == "Lombardia"].iloc[0]
    assert lombardia["prev_ConfirmedCases"] == 0.0
    assert lombardia["ConfirmedCases"] == pytest.approx(math.log(5))


def test_a_missing_day_never_pairs_a_day_with_two_days_before() -> None:
    table = training_table(
        {
            date(2021, 1, 1): report([("Madrid", "Spain", 99, 9)]),
            date(2021, 1, 3): report([("Madrid", "Spain", 299, 29)]),
            date(2021, 1, 4): report([("Madrid", "Spain", 399, 39)]),
        }
    )
    assert list(table["Date"]) == [date(2021, 1, 4)]
    assert table.iloc[0]["prev_ConfirmedCases"] == pytest.approx(math.log(300))


def test_a_region_new_in_a_report_has_no_training_row_that_day() -> None:
    table = training_table(
        {
            date(2021, 1, 1): report([("Madrid", "Spain", 99, 9)]),
            date(2021, 1, 2): report([("Madrid", "Spain", 99, 9), ("Ceuta", "Spain", 5, 0)]),
        }
    )
    assert list(table["Province_State"]) == ["Madrid"]


def test_next_day_features_are_the_log_counts_of_the_report_day() -> None:
    features = next_day_features(report([("Madrid", "Spain", 99, 9)]))
    assert list(features.columns) == list(FEATURES)
    assert features.iloc[0].tolist() == pytest.approx([math.log(100), math.log(10)])


def test_negative_counts_count_as_zero() -> None:
    features = next_day_features(report([("Somewhere", "X", -3, -1)]))
    assert features.iloc[0].tolist() == [0.0, 0.0]


def test_predictions_are_clipped_at_16_in_log_space() -> None:
    clipped = clip_log(np.array([[17.5, 3.0], [2.0, 16.0001]]))
    assert clipped.tolist() == [[LOG_CLIP, 3.0], [2.0, LOG_CLIP]]
    assert LOG_CLIP == 16.0


def test_a_flat_prediction_vector_becomes_rows_of_two_targets() -> None:
    assert clip_log([1.0, 2.0]).shape == (1, 2)


def test_expm1_undoes_log1p() -> None:
    assert to_counts(np.log1p(np.array([[0.0, 41.0]])))[0].tolist() == pytest.approx([0.0, 41.0])
