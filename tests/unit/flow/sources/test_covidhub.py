"""The covidhub source: every real file of the hub's history, every layout, bad files refused."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flow.series import infer_period
from flow.sources import DataSourceError, SourceDataError, load_series, read_covidhub
from tests.real_data import (
    HUB_FILES,
    NEWEST,
    VINTAGE_2026_03_28,
    needs_real_data,
)

CURRENT = b"state,target_end_date,value,location\nCA,2026-03-21,410,06\nCA,2026-03-28,395,06\n"


def indexed(series: pd.DataFrame) -> pd.Series:
    return series.set_index(["location", "date"])["value"]


def check_series_contract(series: pd.DataFrame) -> None:
    assert list(series.columns) == ["location", "date", "value"]
    assert str(series["date"].dtype) == "datetime64[ns]"
    assert str(series["value"].dtype) == "float64"
    assert not series.isna().any().any()
    assert not series.duplicated(["location", "date"]).any()
    assert series.equals(series.sort_values(["location", "date"]).reset_index(drop=True))


@needs_real_data
@pytest.mark.parametrize("path", HUB_FILES, ids=lambda p: p.name)
def test_every_real_hub_file_loads_as_a_weekly_series_of_53_locations(path: Path) -> None:
    series = read_covidhub(path.read_bytes(), str(path))
    check_series_contract(series)
    assert series["location"].nunique() == 53
    assert (series["date"].dt.dayofweek == 5).all()
    assert (series["value"] >= 0).all()
    assert series["date"].nunique() == 1 or infer_period(series) == "week"
    assert series["date"].min() == pd.Timestamp("2024-11-09")


@needs_real_data
@pytest.mark.parametrize(
    ("name", "rows", "revised"),
    [
        # The README: 519 of the 3,869 rows of the 2026-03-28 vintage differ in the newest.
        ("covid-hospital-admissions.2026-03-28.csv", 3869, 519),
        ("covid-hospital-admissions.2025-01-18.csv", 583, 386),
        ("covid-hospital-admissions.2024-11-09.csv", 53, 49),
        ("time-series.csv", 1643, 813),
        ("covid-hospital-admissions.csv", 4929, 0),
    ],
)
def test_every_layout_gives_the_same_series_for_shared_weeks_up_to_revisions(
    name: str, rows: int, revised: int
) -> None:
    newest = indexed(read_covidhub(NEWEST.read_bytes(), str(NEWEST)))
    older = indexed(read_covidhub((NEWEST.parent / name).read_bytes(), name))
    assert len(older) == rows
    # Every (location, week) of an older vintage is in the newest: only values are revised.
    assert older.index.isin(newest.index).all()
    assert int((newest.loc[older.index] != older).sum()) == revised


@needs_real_data
def test_the_latest_week_is_revised_up_as_the_readme_says() -> None:
    old = indexed(read_covidhub(VINTAGE_2026_03_28.read_bytes(), "old"))
    new = indexed(read_covidhub(NEWEST.read_bytes(), "new"))
    week = ("US", pd.Timestamp("2026-03-28"))
    assert (old[week], new[week]) == (1965.0, 2280.0)


def test_the_quoted_first_layout_and_reordered_columns_read_the_same() -> None:
    quoted = b'"date","state","value","location"\n"2026-03-21","CA",410,"06"\n'
    reordered = b"location,value,state,date\n06,410,CA,2026-03-21\n"
    expected = read_covidhub(CURRENT, "current").iloc[[0]]
    assert read_covidhub(quoted, "quoted").equals(expected)
    assert read_covidhub(reordered, "reordered").equals(expected)


def test_hubverse_time_series_uses_the_latest_vintage_of_a_week() -> None:
    content = (
        b"state,date,observation,location,as_of,target\n"
        b"CA,2026-03-21,400,06,2026-03-25,wk inc covid hosp\n"
        b"CA,2026-03-21,410,06,2026-04-01,wk inc covid hosp\n"
        b"CA,2026-03-28,395,06,2026-04-01,wk inc covid hosp\n"
    )
    assert indexed(read_covidhub(content, "ts")).to_dict() == {
        ("06", pd.Timestamp("2026-03-21")): 410.0,
        ("06", pd.Timestamp("2026-03-28")): 395.0,
    }


ROW = "CA,{date},{value},06\n"
HEAD = "state,target_end_date,value,location\n"
BAD_HUB_FILES = {
    "an HTML page": (
        b"<html><head><title>429 Too Many Requests</title></head></html>",
        "an HTML or XML page, not CSV",
    ),
    "an empty file": (b"", "the file is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    "Latin-1 text": (HEAD.encode() + "CA,2026-03-21,4\xb910,06\n".encode("latin-1"), "not UTF-8"),
    "an unknown header": (
        b"location,week,count\n06,2026-03-21,410\n",
        r"header 'location,week,count' is not a Forecast Hub target-data layout",
    ),
    "a header and no rows": (HEAD.encode(), "no data rows"),
    "a non-numeric value": (
        (HEAD + ROW.format(date="2026-03-21", value="n/a")).encode(),
        r"column 'value': 1 bad value\(s\) \(line 2 'n/a'\); expected a weekly count",
    ),
    "a negative value": (
        (HEAD + ROW.format(date="2026-03-21", value="-3")).encode(),
        r"column 'value': 1 bad value\(s\) \(line 2 '-3'\)",
    ),
    "a fractional value": ((HEAD + ROW.format(date="2026-03-21", value="3.5")).encode(), "'3.5'"),
    "a non-Saturday date": (
        (HEAD + ROW.format(date="2026-03-22", value="4")).encode(),
        r"line 2 '2026-03-22 \(Sunday\)'\); expected a Saturday",
    ),
    "an unparseable date": (
        (HEAD + ROW.format(date="03/21/2026", value="4")).encode(),
        r"line 2 '03/21/2026'\); expected a date written YYYY-MM-DD",
    ),
    "an impossible date": ((HEAD + ROW.format(date="2026-02-30", value="4")).encode(), "YYYY-MM"),
    "a duplicate week": (
        (HEAD + ROW.format(date="2026-03-21", value="4") * 2).encode(),
        r"1 duplicate\(s\) \(06, 2026-03-21 on lines 2 and 3\); expected one row per "
        "location and week",
    ),
    "an HHS region": (
        (HEAD + "Region 1,2026-03-21,40,Region 1\n").encode(),
        r"column 'location': 1 bad value\(s\) \(line 2 'Region 1'\); expected a hub location",
    ),
    "a state that does not match its code": (
        (HEAD + "CA,2026-03-21,40,36\n").encode(),
        r"column 'state': 1 bad value\(s\) \(line 2 'CA for location 36'\)",
    ),
    "a row cut short": (
        (HEAD + "CA,2026-03-21,40\n").encode(),
        r"line 2 has 3\); expected 4 fields",
    ),
    "another hubverse target": (
        b"state,date,observation,location,as_of,target\n"
        b"CA,2026-03-21,40,06,2026-04-01,wk inc flu hosp\n",
        r"column 'target': 1 bad value\(s\) \(line 2 'wk inc flu hosp'\)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_HUB_FILES))
def test_every_bad_hub_file_is_refused_naming_the_file(case: str) -> None:
    content, expected = BAD_HUB_FILES[case]
    source = "https://example.org/target-data/covid-hospital-admissions.csv"
    with pytest.raises(SourceDataError, match=expected) as raised:
        read_covidhub(content, source)
    assert str(raised.value).startswith(f"{source}: refused")
    assert raised.value.source == source


def test_several_problems_are_reported_together() -> None:
    content = HEAD + "".join(
        [
            ROW.format(date="2026-03-21", value="ten"),
            ROW.format(date="2026-03-22", value="4"),
            "XX,2026-03-28,4,99\n",
        ]
    )
    with pytest.raises(SourceDataError) as raised:
        read_covidhub(content.encode(), "hub.csv")
    assert len(raised.value.problems) == 3
    assert "hub.csv: refused, 3 problem(s)" in str(raised.value)


def test_many_bad_rows_are_summarised_not_printed_back() -> None:
    content = HEAD + ROW.format(date="2026-03-21", value="x") * 500
    with pytest.raises(SourceDataError) as raised:
        read_covidhub(content.encode(), "hub.csv")
    message = str(raised.value)
    assert "500 bad value(s) (line 2 'x', line 3 'x', line 4 'x' and 497 more)" in message
    assert len(message) < 2000


@pytest.fixture
def hub_file(tmp_path: Path) -> Path:
    path = tmp_path / "admissions.csv"
    path.write_bytes(CURRENT + b"US,2026-03-28,2280,US\n")
    return path


def test_load_series_reads_plain_paths_and_file_uris_and_filters_the_weeks(
    hub_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    every = load_series("covidhub", str(hub_file))
    assert len(every) == 3
    assert load_series("covidhub", f"file://{hub_file}").equals(every)
    latest = load_series("covidhub", str(hub_file), as_of=date(2026, 3, 27))
    assert indexed(latest).to_dict() == {("06", pd.Timestamp("2026-03-21")): 410.0}
    assert "using 1 week(s) 2026-03-21..2026-03-21 for 1 location(s)" in caplog.text
    later = load_series("covidhub", str(hub_file), start="2026-03-22", as_of="2026-03-28")
    assert sorted(later["location"]) == ["06", "US"]


def test_missing_location_weeks_are_logged_not_filled(
    hub_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    series = load_series("covidhub", str(hub_file))
    assert "1 location-week(s) missing in the range" in caplog.text
    assert len(series) == 3


def test_a_range_without_weeks_is_refused_naming_the_file_s_weeks(hub_file: Path) -> None:
    with pytest.raises(SourceDataError, match=r"no week from the first to 2026-01-01; the file "):
        load_series("covidhub", str(hub_file), as_of=date(2026, 1, 1))


def test_a_missing_file_names_the_location(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"no file at .*nope\.csv; check data_url"):
        load_series("covidhub", str(tmp_path / "nope.csv"))


def test_a_bad_file_on_disk_is_refused_naming_its_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"state,target_end_date,value,location\nCA,2026-03-21,-1,06\n")
    with pytest.raises(SourceDataError, match=f"^{path}: refused"):
        load_series("covidhub", str(path))


def test_unknown_source_count_or_date_is_a_clear_error(hub_file: Path) -> None:
    with pytest.raises(ValueError, match=r"source must be one of \['jhu-daily', 'covidhub'\]"):
        load_series("nhsn", str(hub_file))
    with pytest.raises(ValueError, match=r"count must be one of \['cases', 'deaths'\]"):
        load_series("covidhub", str(hub_file), count="admissions")
    with pytest.raises(ValueError, match=r"as_of must be a date \(YYYY-MM-DD\), got 'soon'"):
        load_series("covidhub", str(hub_file), as_of="soon")
