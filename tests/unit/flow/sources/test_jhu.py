"""The jhu-daily source: daily incident series from cumulative reports, gaps, corrections."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flow.sample import write_sample_reports
from flow.sources import DEFAULT_HISTORY_DAYS, SourceDataError, load_series, location_label
from flow.sources.daily_reports import NoReportError
from flow.sources.jhu import daily_incident
from tests.real_data import JHU, needs_real_data


def regions(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"]
    )


def values(series: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {
        (row.location, f"{row.date:%Y-%m-%d}"): row.value for row in series.itertuples(index=False)
    }


def test_location_labels_name_the_country_unless_it_is_the_region() -> None:
    assert location_label("Madrid", "Spain") == "Madrid (Spain)"
    assert location_label("Portugal", "Portugal") == "Portugal"


def test_daily_values_are_differences_and_corrections_stay_negative(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    reports = {
        date(2021, 1, 1): regions([("Madrid", "Spain", 100, 1), ("Portugal", "Portugal", 50, 0)]),
        date(2021, 1, 2): regions([("Madrid", "Spain", 130, 2), ("Portugal", "Portugal", 55, 0)]),
        date(2021, 1, 3): regions([("Madrid", "Spain", 125, 2), ("Portugal", "Portugal", 60, 1)]),
    }
    series = daily_incident(reports, "cases", date(2021, 1, 2), date(2021, 1, 3))
    assert values(series) == {
        ("Madrid (Spain)", "2021-01-02"): 30.0,
        ("Madrid (Spain)", "2021-01-03"): -5.0,
        ("Portugal", "2021-01-02"): 5.0,
        ("Portugal", "2021-01-03"): 5.0,
    }
    assert "1 negative daily value(s) kept" in caplog.text
    deaths = daily_incident(reports, "deaths", date(2021, 1, 2), date(2021, 1, 3))
    assert list(deaths["value"]) == [1.0, 0.0, 0.0, 1.0]


def test_a_missing_day_leaves_out_its_value_and_the_next_one_and_says_how_many(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reports = {
        date(2021, 1, day): regions([("Madrid", "Spain", 100 * day, 0)]) for day in (1, 2, 4, 5)
    }
    series = daily_incident(reports, "cases", date(2021, 1, 2), date(2021, 1, 5))
    # 01-03 has no report: neither 01-03 nor 01-04 can be computed; no value is merged.
    assert values(series) == {
        ("Madrid (Spain)", "2021-01-02"): 100.0,
        ("Madrid (Spain)", "2021-01-05"): 100.0,
    }
    assert "No report for 1 of the 5 days 2021-01-01..2021-01-05 (2021-01-03)" in caplog.text
    assert "2 daily value(s) not computed" in caplog.text


def test_a_region_missing_from_one_report_loses_only_its_own_days(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reports = {
        date(2021, 1, 1): regions([("Madrid", "Spain", 1, 0), ("Ceuta", "Spain", 1, 0)]),
        date(2021, 1, 2): regions([("Madrid", "Spain", 3, 0)]),
        date(2021, 1, 3): regions([("Madrid", "Spain", 6, 0), ("Ceuta", "Spain", 4, 0)]),
    }
    series = daily_incident(reports, "cases", date(2021, 1, 2), date(2021, 1, 3))
    assert values(series) == {
        ("Madrid (Spain)", "2021-01-02"): 2.0,
        ("Madrid (Spain)", "2021-01-03"): 3.0,
    }
    assert "2 daily value(s) not computed: a region was missing" in caplog.text


@pytest.fixture
def sample_template(tmp_path: Path) -> str:
    write_sample_reports(tmp_path, date(2021, 1, 1), date(2021, 2, 10))
    return f"{tmp_path}/{{date:%m-%d-%Y}}.csv"


def test_load_series_defaults_to_the_history_before_the_latest_report(
    sample_template: str,
) -> None:
    series = load_series("jhu-daily", sample_template, as_of=date(2021, 2, 14))
    days = series["date"].drop_duplicates()
    assert len(days) == DEFAULT_HISTORY_DAYS
    assert days.max() == pd.Timestamp("2021-02-10")
    assert "Madrid (Spain)" in set(series["location"])
    assert "Portugal" in set(series["location"])


def test_load_series_from_start_and_for_deaths(sample_template: str) -> None:
    cases = load_series("jhu-daily", sample_template, as_of="2021-01-10", start="2021-01-05")
    deaths = load_series(
        "jhu-daily", sample_template, as_of="2021-01-10", start="2021-01-05", count="deaths"
    )
    assert sorted(cases["date"].dt.day.unique()) == [5, 6, 7, 8, 9, 10]
    assert (cases["value"] > deaths["value"]).any()


def test_no_report_in_the_look_back_explains_that_jhu_stopped(tmp_path: Path) -> None:
    with pytest.raises(NoReportError, match="last daily report for 2023-03-09"):
        load_series("jhu-daily", f"{tmp_path}/{{date:%m-%d-%Y}}.csv", as_of="2026-12-02")


def test_a_bad_report_in_the_window_refuses_the_whole_series(
    sample_template: str, tmp_path: Path
) -> None:
    bad = tmp_path / "01-07-2021.csv"
    lines = bad.read_text().splitlines(keepends=True)
    lines[3] = lines[3][: len(lines[3]) // 2] + "\n"
    bad.write_text("".join(lines))
    with pytest.raises(SourceDataError, match=rf"^{bad}: refused(.|\n)*line 4 has"):
        load_series("jhu-daily", sample_template, as_of="2021-01-10", start="2021-01-05")


def spain_rows(path: Path) -> dict[str, int]:
    """Confirmed per Spanish region, read with the csv module alone (an independent oracle)."""
    reader = csv.DictReader(io.StringIO(path.read_text()))
    return {row["Province_State"]: int(row["Confirmed"]) for row in reader}


@needs_real_data
def test_the_real_spain_slice_gives_every_region_s_daily_cases() -> None:
    template = str(JHU / "spain" / "{date:%m-%d-%Y}.csv")
    series = load_series("jhu-daily", template, as_of="2021-02-14", start="2021-01-02")
    assert series["location"].nunique() == 20
    assert series["date"].nunique() == 44
    before = spain_rows(JHU / "spain" / "02-13-2021.csv")
    after = spain_rows(JHU / "spain" / "02-14-2021.csv")
    on_the_14th = values(series[series["date"] == "2021-02-14"])
    assert on_the_14th == {
        (location_label(name, "Spain"), "2021-02-14"): float(after[name] - before[name])
        for name in after
    }


@needs_real_data
def test_the_real_daily_files_are_too_far_apart_for_a_daily_value() -> None:
    template = str(JHU / "daily" / "{date:%m-%d-%Y}.csv")
    with pytest.raises(SourceDataError, match="no daily cases value from 2021-07-08 to 2021-07-14"):
        load_series("jhu-daily", template, as_of="2021-07-14", start="2021-07-08")
