"""The hub model-output file: what the writer produces passes every rule of the validator, and
each rule the validator holds is one a broken file actually trips."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flow.hub_output import (
    HubFileError,
    check_hub_csv,
    hub_csv_bytes,
    hub_table,
    level_text,
    main,
    read_forecast_csv,
    submission_file_name,
    validate_hub_csv,
)
from flow.locations import HUB_CODES
from flow.series import FORECAST_COLUMNS, HUB_HORIZONS, HUB_TARGET, QUANTILE_LEVELS
from tests.real_data import VINTAGE_2026_03_28, needs_real_data

REFERENCE = date(2026, 4, 4)


def quantile_forecast(last: dict[str, float], reference: date = REFERENCE) -> pd.DataFrame:
    """A forecast frame: flat median at the last value, spread widening with the horizon."""
    z = np.array([float(np.sqrt(2) * _erfinv(2 * q - 1)) for q in QUANTILE_LEVELS])
    rows = []
    for location, value in last.items():
        for horizon in HUB_HORIZONS:
            spread = 0.1 * value * np.sqrt(horizon + 2)
            for level, quantile in zip(QUANTILE_LEVELS, value + z * spread, strict=True):
                rows.append(
                    (
                        pd.Timestamp(reference),
                        HUB_TARGET,
                        horizon,
                        pd.Timestamp(reference + timedelta(days=7 * horizon)),
                        location,
                        "quantile",
                        level,
                        float(quantile),
                    )
                )
    return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))


def _erfinv(y: float) -> float:
    # Newton on erf (math.erf): enough for test quantiles, no scipy needed.
    import math

    x = 0.0
    for _ in range(60):
        x -= (math.erf(x) - y) / (2 / math.sqrt(math.pi) * math.exp(-x * x))
    return x


def latest_real_values() -> dict[str, float]:
    """Each location's last week in the hub's 2026-03-28 vintage (the real target data)."""
    real = pd.read_csv(VINTAGE_2026_03_28, dtype={"location": str})
    last = real.sort_values("date").groupby("location")["value"].last()
    return {str(k): float(v) for k, v in last.items()}


def rows_of(content: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)


def to_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@needs_real_data
def test_a_written_file_for_every_real_location_passes_every_rule() -> None:
    last = latest_real_values()
    assert set(last) == set(HUB_CODES)
    content = hub_csv_bytes(quantile_forecast(last))
    assert validate_hub_csv(content, reference=REFERENCE, locations=HUB_CODES) == []
    table = rows_of(content)
    assert list(table.columns) == list(FORECAST_COLUMNS)
    assert len(table) == 53 * 5 * 23
    assert set(table["output_type_id"]) == {
        "0.01", "0.025", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.35", "0.4", "0.45",
        "0.5", "0.55", "0.6", "0.65", "0.7", "0.75", "0.8", "0.85", "0.9", "0.95", "0.975",
        "0.99",
    }  # fmt: skip
    assert {"US", "06", "72", "11"} <= set(table["location"])  # codes keep their leading 0
    assert set(table["reference_date"]) == {"2026-04-04"}


def test_the_writer_sorts_crossing_quantiles_and_clips_at_zero() -> None:
    forecast = quantile_forecast({"06": 3.0})
    # A model with crossing quantiles and a negative lower tail.
    forecast.loc[forecast["output_type_id"] == 0.5, "value"] = 100.0
    table = hub_table(forecast)
    for _, rows in table.groupby(["location", "horizon"]):
        values = rows["value"].to_numpy()
        assert np.all(np.diff(values) >= 0)
        assert values.min() >= 0
    assert validate_hub_csv(hub_csv_bytes(forecast)) == []


def test_values_keep_full_precision() -> None:
    forecast = quantile_forecast({"06": 1234.5678912345})
    table = rows_of(hub_csv_bytes(forecast))
    median = table[(table["output_type_id"] == "0.5") & (table["horizon"] == "0")]
    assert median["value"].item() == "1234.5678912345"


def test_level_text_is_written_like_the_hub() -> None:
    assert [level_text(q) for q in (0.025, 0.1, 0.5, 0.99)] == ["0.025", "0.1", "0.5", "0.99"]
    assert level_text(0.1 + 0.2 - 0.2) == "0.1"  # float noise is not written


def valid_rows() -> pd.DataFrame:
    return rows_of(hub_csv_bytes(quantile_forecast({"06": 100.0, "US": 2000.0})))


def broken(change: str) -> bytes:
    rows = valid_rows()
    first = rows.index[0]
    if change == "column renamed":
        rows = rows.rename(columns={"output_type_id": "quantile"})
    elif change == "extra column":
        rows["model"] = "x"
    elif change == "target":
        rows.loc[first, "target"] = "wk inc flu hosp"
    elif change == "location":
        rows.loc[first, "location"] = "6"
    elif change == "horizon":
        rows.loc[first, "horizon"] = "4"
    elif change == "end date":
        rows.loc[first, "target_end_date"] = "2026-03-29"
    elif change == "two references":
        rows.loc[rows["location"] == "US", "reference_date"] = "2026-04-11"
    elif change == "not a saturday":
        rows["reference_date"] = "2026-04-05"
    elif change == "level":
        rows.loc[first, "output_type_id"] = "0.025000"
    elif change == "missing level":
        rows = rows.drop(index=first)
    elif change == "negative":
        rows.loc[first, "value"] = "-1"
    elif change == "not a number":
        rows.loc[first, "value"] = "NA"
    elif change == "decreasing":
        rows.loc[rows.index[1], "value"] = "0"
        rows.loc[first, "value"] = "5"
    elif change == "duplicate":
        rows = pd.concat([rows, rows.iloc[[5]]])
    elif change == "output type":
        rows.loc[first, "output_type"] = "median"
    elif change == "missing horizon":
        rows = rows[~((rows["location"] == "06") & (rows["horizon"] == "3"))]
    return to_bytes(rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("column renamed", "columns must be exactly"),
        ("extra column", "unexpected ['model']"),
        ("target", "target must be 'wk inc covid hosp', found: wk inc flu hosp"),
        ("location", "location must be a hub code (US or 2-digit FIPS), found: 6"),
        ("horizon", "horizon must be an integer in -1..3, found: 4"),
        ("end date", "target_end_date must be reference_date + 7 x horizon on row(s): 1"),
        ("two references", "one reference_date per file, found: 2026-04-04, 2026-04-11"),
        ("not a saturday", "reference_date must be a Saturday, found: 2026-04-05"),
        ("level", "found: 0.025000"),
        ("missing level", "location 06 horizon -1: has 22 of the 23 levels; missing 0.01"),
        ("negative", "value must be >= 0, found: -1"),
        ("not a number", "value must be a finite number, found: NA"),
        ("decreasing", "location 06 horizon -1: quantiles decrease"),
        ("duplicate", "duplicate rows for: 06 h-1 0.2"),
        ("output type", "output_type must be 'quantile', found: median"),
        ("missing horizon", "missing location x horizon: 06 h3"),
    ],
)
def test_each_broken_rule_is_reported(change: str, message: str) -> None:
    problems = validate_hub_csv(broken(change))
    assert any(message in problem for problem in problems), problems


def test_the_expected_reference_and_locations_are_checked() -> None:
    content = hub_csv_bytes(quantile_forecast({"06": 10.0}))
    problems = validate_hub_csv(content, reference=date(2026, 4, 11), locations=["06", "36"])
    assert "reference_date must be 2026-04-11, found: 2026-04-04" in problems
    assert any("missing location x horizon: 36 h-1, 36 h0" in p for p in problems)


def test_check_raises_with_every_problem_and_the_file_named() -> None:
    rows = valid_rows()
    rows.loc[rows.index[0], "value"] = "-1"
    rows.loc[rows.index[1], "target"] = "x"
    with pytest.raises(HubFileError) as caught:
        check_hub_csv(to_bytes(rows), source="s3://bucket/ca/2026-04-04/r.csv")
    assert str(caught.value).startswith("s3://bucket/ca/2026-04-04/r.csv is not a valid hub")
    assert len(caught.value.problems) >= 2


def test_unreadable_and_empty_files_are_refused() -> None:
    assert validate_hub_csv(b"")[0].startswith("not a readable CSV")
    header = ",".join(FORECAST_COLUMNS).encode() + b"\n"
    assert validate_hub_csv(header) == ["the file has a header but no forecast rows"]


def test_submission_file_names_follow_the_hub() -> None:
    assert submission_file_name(REFERENCE, "CovidFC", "weekly_v1") == (
        "2026-04-04-CovidFC-weekly_v1.csv"
    )
    with pytest.raises(ValueError, match="no '-'"):
        submission_file_name(REFERENCE, "covid-fc", "m")
    with pytest.raises(ValueError, match="1-20"):
        submission_file_name(REFERENCE, "t", "m" * 21)
    content = hub_csv_bytes(quantile_forecast({"06": 10.0}))
    assert validate_hub_csv(content, file_name="2026-04-04-CovidFC-weekly_v1.csv") == []
    problems = validate_hub_csv(content, file_name="2026-04-11-CovidFC-weekly_v1.csv")
    assert any("file name date 2026-04-11 differs" in p for p in problems)
    problems = validate_hub_csv(content, file_name="forecast.csv")
    assert any("<reference_date>-<team>-<model>.csv" in p for p in problems)


def test_a_written_file_reads_back_as_the_same_forecast() -> None:
    forecast = quantile_forecast({"06": 123.456, "US": 2000.0})
    back = read_forecast_csv(hub_csv_bytes(forecast))
    assert back["location"].tolist()[0] == "06"
    expected = hub_table(forecast).assign(
        reference_date=lambda f: pd.to_datetime(f["reference_date"]),
        target_end_date=lambda f: pd.to_datetime(f["target_end_date"]),
        output_type_id=lambda f: f["output_type_id"].astype(float),
    )
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_the_cli_checks_a_submission_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "2026-04-04-CovidFC-weekly.csv"
    good.write_bytes(hub_csv_bytes(quantile_forecast({"06": 10.0})))
    assert main([str(good)]) == 0
    assert "the hub's rules all hold" in capsys.readouterr().out
    assert main([str(good), "--all-locations"]) == 1
    assert "missing location x horizon: 01 h-1" in capsys.readouterr().out
    renamed = tmp_path / "run.csv"
    renamed.write_bytes(good.read_bytes())
    assert main([str(renamed)]) == 1
    assert main([str(renamed), "--any-name"]) == 0
