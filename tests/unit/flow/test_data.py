"""Daily reports by date: templates, look-back, gaps, one read per day (local files)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from flow.data import (
    DEFAULT_DATA_URL,
    DailyReports,
    NoReportError,
    report_location,
    validate_template,
)
from flow.reports import ReportFormatError
from flow.sample import write_sample_reports


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    """Generated reports for 2021-01-01..2021-01-10 with 01-05 and 01-08..01-09 missing."""
    write_sample_reports(tmp_path, date(2021, 1, 1), date(2021, 1, 10))
    for day in ("01-05-2021", "01-08-2021", "01-09-2021"):
        (tmp_path / f"{day}.csv").unlink()
    return tmp_path


def template(folder: Path) -> str:
    return f"{folder}/{{date:%m-%d-%Y}}.csv"


def test_default_template_points_at_jhu_daily_reports() -> None:
    assert report_location(DEFAULT_DATA_URL, date(2021, 1, 2)) == (
        "https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/"
        "csse_covid_19_data/csse_covid_19_daily_reports/01-02-2021.csv"
    )


@pytest.mark.parametrize(
    "bad", ["s3://bucket/jhu.csv", "s3://b/{day:%m}.csv", "s3://b/{date}-{other}.csv", "{date"]
)
def test_a_template_without_exactly_the_date_field_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"data_url .* exactly one field, \{date\}"):
        validate_template(bad)


def test_latest_uses_as_of_when_its_report_exists(reports_dir: Path) -> None:
    day, regions = DailyReports(template(reports_dir)).latest(date(2021, 1, 7), 3)
    assert day == date(2021, 1, 7)
    assert "Madrid" in set(regions["Province_State"])


def test_latest_steps_back_over_missing_days_and_says_which_day(
    reports_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flow.sources.daily_reports")
    day, _ = DailyReports(template(reports_dir)).latest(date(2021, 1, 9), 3)
    assert day == date(2021, 1, 7)
    assert "Using the report of 2021-01-07 (as_of 2021-01-09)" in caplog.text


def test_latest_gives_up_after_the_look_back(reports_dir: Path) -> None:
    with pytest.raises(NoReportError, match="between 2021-01-13 and 2021-01-15"):
        DailyReports(template(reports_dir)).latest(date(2021, 1, 15), 2)


def test_no_report_after_jhu_stopped_explains_why(tmp_path: Path) -> None:
    with pytest.raises(NoReportError, match="last daily report for 2023-03-09"):
        DailyReports(template(tmp_path)).latest(date(2026, 11, 25), 7)


def test_window_skips_missing_days_with_a_warning(
    reports_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    window = DailyReports(template(reports_dir)).window(date(2021, 1, 3), date(2021, 1, 10))
    assert sorted(window) == [date(2021, 1, d) for d in (3, 4, 6, 7, 10)]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [m.split(" at ")[0] for m in warned] == [
        "No report for 2021-01-05",
        "No report for 2021-01-08",
        "No report for 2021-01-09",
    ]


def test_each_day_is_read_once_per_instance(reports_dir: Path) -> None:
    reports = DailyReports(template(reports_dir))
    first, regions = reports.latest(date(2021, 1, 7), 3)
    # Gone from the source: a second read would fail, a remembered one does not.
    (reports_dir / "01-07-2021.csv").unlink()
    assert reports.get(first) is regions
    assert date(2021, 1, 7) in reports.window(date(2021, 1, 6), date(2021, 1, 7))


def test_missing_days_are_remembered_too(reports_dir: Path) -> None:
    reports = DailyReports(template(reports_dir))
    assert reports.get(date(2021, 1, 5)) is None
    write_sample_reports(reports_dir, date(2021, 1, 5), date(2021, 1, 5))
    assert reports.get(date(2021, 1, 5)) is None
    assert DailyReports(template(reports_dir)).get(date(2021, 1, 5)) is not None


def test_file_uri_template_works(reports_dir: Path) -> None:
    day, _ = DailyReports(f"file://{template(reports_dir)}").latest(date(2021, 1, 4), 0)
    assert day == date(2021, 1, 4)


def test_negative_look_back_is_rejected(reports_dir: Path) -> None:
    with pytest.raises(ValueError, match="lookback_days must be >= 0"):
        DailyReports(template(reports_dir)).latest(date(2021, 1, 4), -1)


def test_a_bad_report_is_refused_naming_its_location(reports_dir: Path) -> None:
    bad = reports_dir / "01-04-2021.csv"
    bad.write_text(bad.read_text() + ",,Ceuta\n")
    with pytest.raises(ReportFormatError, match=rf"^{bad}: refused(.|\n)*line \d+ has 3"):
        DailyReports(template(reports_dir)).latest(date(2021, 1, 4), 0)


def test_blank_counts_are_logged_to_the_run_s_logger(
    reports_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    day = reports_dir / "01-04-2021.csv"
    lines = day.read_text().splitlines(keepends=True)
    madrid = next(i for i, line in enumerate(lines) if ",Madrid,Spain," in line)
    cells = lines[madrid].split(",")
    cells[7] = cells[8] = ""
    lines[madrid] = ",".join(cells)
    day.write_text("".join(lines))
    logger = logging.getLogger("test.run")
    _, regions = DailyReports(template(reports_dir), logger=logger).latest(date(2021, 1, 4), 0)
    assert "Madrid" not in set(regions["Province_State"])
    assert any(
        r.name == "test.run" and "left out of this day (Madrid (Spain))" in r.getMessage()
        for r in caplog.records
    )
