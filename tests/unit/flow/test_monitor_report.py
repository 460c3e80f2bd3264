"""The monitor's tables: full precision in the CSV, whole counts and short ratios for people."""

from __future__ import annotations

import pandas as pd
import pytest

from flow.monitor_report import monitor_display_table, monitor_summary_table, overall_relative_wis

RUN = "0123456789abcdef0123456789abcdef"


def summary() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "n": [53, 53, 106],
            "wis": [10.44, 20.51, 15.475],
            "baseline_wis": [12.2, 19.9, 16.05],
            "relative_wis": [0.8557377, 1.0306533, 0.9641745],
            "ae_median": [14.6, 28.2, 21.4],
            "cover_50": [0.4716981, 0.5094339, 0.490566],
            "cover_95": [0.9433962, 0.9622642, 0.9528302],
        },
        index=pd.Index(["0", "1", "all"], name="horizon"),
    )
    return frame


def test_the_csv_table_keeps_every_horizon_and_full_precision() -> None:
    table = monitor_summary_table(summary(), RUN, "California")
    assert list(table.columns)[:2] == ["scope", "horizon"]
    assert table["horizon"].tolist() == ["0", "1", "all"]
    assert table["relative_wis"].tolist()[-1] == 0.9641745
    assert set(table["model_version"]) == {RUN}


def test_the_overall_ratio_is_the_all_row() -> None:
    assert overall_relative_wis(summary()) == pytest.approx(0.9641745)


def test_people_read_whole_counts_and_two_decimals() -> None:
    shown = monitor_display_table(monitor_summary_table(summary(), RUN, "California"))
    assert shown["wis"].tolist() == [10, 21, 15]
    assert shown["relative_wis"].tolist() == [0.86, 1.03, 0.96]
    assert shown["cover_95"].tolist() == [0.94, 0.96, 0.95]
