"""The generated demo data: JHU format, deterministic, realistic enough to train on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from flow.reports import parse_report, read_regions
from flow.sample import NEW_ERA_HEADER, main, sample_reports, write_sample_reports


def test_same_seed_same_bytes_other_seed_other_numbers() -> None:
    first = sample_reports(date(2021, 1, 1), date(2021, 1, 3), seed=7)
    assert first == sample_reports(date(2021, 1, 1), date(2021, 1, 3), seed=7)
    assert first != sample_reports(date(2021, 1, 1), date(2021, 1, 3), seed=8)


def test_a_day_does_not_depend_on_the_requested_range() -> None:
    short = sample_reports(date(2021, 1, 10), date(2021, 1, 12))
    long = sample_reports(date(2021, 1, 1), date(2021, 3, 1))
    assert all(long[day] == text for day, text in short.items())


def test_reports_use_the_new_era_header_and_parse() -> None:
    text = sample_reports(date(2021, 1, 1), date(2021, 1, 1))[date(2021, 1, 1)]
    assert text.splitlines()[0] == ",".join(NEW_ERA_HEADER)
    frame = parse_report(text.encode())
    assert len(frame) == 10


def test_regions_cover_madrid_a_country_counties_and_a_shared_name() -> None:
    text = sample_reports(date(2021, 1, 1), date(2021, 1, 1))[date(2021, 1, 1)]
    raw = parse_report(text.encode())
    regions = read_regions(text.encode())
    keys = set(zip(regions["Province_State"], regions["Country_Region"], strict=True))
    assert {("Madrid", "Spain"), ("Portugal", "Portugal"), ("New York", "US")} <= keys
    assert {("Punjab", "India"), ("Punjab", "Pakistan")} <= keys
    counties = raw[raw["Province_State"] == "New York"]["Confirmed"].astype(int)
    new_york = regions[regions["Province_State"] == "New York"]["ConfirmedCases"].item()
    assert len(counties) == 3
    assert new_york == counties.sum()


def test_cumulative_counts_never_decrease_and_grow_plausibly() -> None:
    reports = sample_reports(date(2020, 6, 1), date(2021, 6, 1))
    madrid = np.array(
        [
            read_regions(text.encode())
            .set_index("Province_State")
            .loc["Madrid"][["ConfirmedCases", "Fatalities"]]
            .to_numpy(dtype=float)
            for _, text in sorted(reports.items())[::7]
        ]
    )
    assert (np.diff(madrid, axis=0) >= 0).all()
    assert (madrid[:, 1] < madrid[:, 0] * 0.05).all()
    assert 50_000 < madrid[-1, 0] < 6_663_000


def test_dates_before_jhu_started_are_rejected() -> None:
    with pytest.raises(ValueError, match="before the JHU data start 2020-01-22"):
        sample_reports(date(2019, 12, 31), date(2020, 2, 1))


def test_files_are_named_for_the_data_url_template(tmp_path: Path) -> None:
    files = write_sample_reports(tmp_path, date(2021, 1, 30), date(2021, 2, 2))
    assert [f.name for f in files] == [
        "01-30-2021.csv",
        "01-31-2021.csv",
        "02-01-2021.csv",
        "02-02-2021.csv",
    ]


def test_cli_writes_the_requested_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "jhu"), "--start", "2021-01-01", "--end", "2021-01-03"]) == 0
    assert sorted(p.name for p in (tmp_path / "jhu").iterdir()) == [
        "01-01-2021.csv",
        "01-02-2021.csv",
        "01-03-2021.csv",
    ]
    assert "{date:%m-%d-%Y}.csv" in capsys.readouterr().out


def test_cli_rejects_a_reversed_range(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--start", "2021-01-03", "--end", "2021-01-01"])
