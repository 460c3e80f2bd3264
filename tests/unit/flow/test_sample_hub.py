"""The generated weekly sample: the hub's layout, deterministic, readable by the covidhub source."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flow.hub import hub_week
from flow.locations import HUB_CODES
from flow.sample_hub import (
    HEADER,
    SAMPLE_HUB_EPOCH,
    latest_sample_week,
    main,
    sample_hub_csv,
    write_sample_hub,
)
from flow.sources import load_series, read_covidhub

END = date(2025, 3, 1)


def test_the_file_is_in_the_hubs_newest_layout_with_every_location_and_week() -> None:
    text = sample_hub_csv(END)
    assert text.splitlines()[0] == ",".join(HEADER)
    series = read_covidhub(text.encode(), "sample")
    assert set(series["location"]) == set(HUB_CODES)
    weeks = sorted(series["date"].unique())
    assert (pd.Timestamp(weeks[0]).date(), pd.Timestamp(weeks[-1]).date()) == (
        SAMPLE_HUB_EPOCH,
        END,
    )
    assert len(series) == 53 * len(weeks)
    assert (series["value"] >= 0).all()
    assert (series["value"] == series["value"].round()).all()


def test_us_is_the_sum_of_the_other_locations() -> None:
    series = read_covidhub(sample_hub_csv(END).encode(), "sample")
    us = series[series["location"] == "US"].set_index("date")["value"]
    rest = series[series["location"] != "US"].groupby("date")["value"].sum()
    pd.testing.assert_series_equal(us, rest, check_names=False)


def test_same_seed_same_bytes_and_a_longer_range_extends_a_shorter_one() -> None:
    assert sample_hub_csv(END) == sample_hub_csv(END)
    assert sample_hub_csv(END, seed=1) != sample_hub_csv(END)
    short = set(sample_hub_csv(END).splitlines())
    long = set(sample_hub_csv(date(2025, 6, 7)).splitlines())
    assert short <= long


def test_locations_have_their_own_waves() -> None:
    series = read_covidhub(sample_hub_csv(date(2026, 3, 28)).encode(), "sample")
    peaks = series.loc[series.groupby("location")["value"].idxmax(), "date"]
    assert peaks.nunique() > 5


def test_the_end_must_be_a_saturday_after_the_first_hub_week() -> None:
    with pytest.raises(ValueError, match="hub weeks end on Saturday"):
        sample_hub_csv(date(2025, 3, 2))
    with pytest.raises(ValueError, match="before the hub's first week"):
        sample_hub_csv(date(2024, 11, 2))


def test_the_latest_sample_week_is_the_week_a_run_today_needs() -> None:
    wednesday = date(2026, 4, 1)
    assert latest_sample_week(wednesday) == date(2026, 3, 28)
    assert latest_sample_week(wednesday) == hub_week(wednesday).data_week


def test_written_file_loads_through_the_covidhub_source(tmp_path: Path) -> None:
    path = write_sample_hub(tmp_path / "hub" / "covid-hospital-admissions.csv", END)
    series = load_series("covidhub", str(path), as_of=date(2025, 2, 1))
    assert series["date"].max() == pd.Timestamp("2025-02-01")


def test_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "admissions.csv"
    assert main([str(dest), "--end", END.isoformat()]) == 0
    assert dest.read_text() == sample_hub_csv(END)
    assert "2024-11-09..2025-03-01" in capsys.readouterr().out
