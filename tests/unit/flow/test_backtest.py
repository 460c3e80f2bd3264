"""The rolling-origin backtest: what each origin may see, the table, the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flow.backtest import RULES, backtest, forecasts_from_origins, known_at, main, reference_dates
from tests.real_data import VINTAGE_2026_03_28 as HUB_FILE
from tests.real_data import needs_real_data

LOCATIONS = ("US", "06", "36", "48", "02", "11", "72", "12")


def hub_series() -> pd.DataFrame:
    frame = pd.read_csv(HUB_FILE, dtype={"location": str})
    frame = frame[frame["location"].isin(LOCATIONS)]
    return pd.DataFrame(
        {
            "location": frame["location"],
            "date": pd.to_datetime(frame["date"]),
            "value": frame["value"].astype("float64"),
        }
    ).sort_values(["location", "date"], ignore_index=True)


@needs_real_data
def test_hub_origins_see_data_up_to_the_week_before_the_reference_date() -> None:
    series = hub_series()
    known = known_at(series, pd.Timestamp("2026-03-07"), RULES["covidhub"])
    assert known["date"].max() == pd.Timestamp("2026-02-28")
    daily = pd.DataFrame(
        {"location": "x", "date": pd.date_range("2021-01-01", "2021-01-10"), "value": 1.0}
    )
    assert known_at(daily, pd.Timestamp("2021-01-05"), RULES["jhu-daily"])[
        "date"
    ].max() == pd.Timestamp("2021-01-05")


@needs_real_data
@pytest.mark.parametrize("model", ["default", "baseline"])
def test_forecasts_do_not_change_when_later_data_change(model: str) -> None:
    series = hub_series()
    origins = reference_dates("2026-01-03", "2026-02-07", "week")
    tampered = series.copy()
    later = tampered["date"] > pd.Timestamp("2026-01-24")
    tampered.loc[later, "value"] *= 50
    rule = RULES["covidhub"]
    honest = forecasts_from_origins(series, model, origins[:-1], rule, rule.horizons)
    pd.testing.assert_frame_equal(
        honest, forecasts_from_origins(tampered, model, origins[:-1], rule, rule.horizons)
    )
    # ...while the origin that may see the changed week does change.
    assert not forecasts_from_origins(series, model, origins[-1:], rule, (0,)).equals(
        forecasts_from_origins(tampered, model, origins[-1:], rule, (0,))
    )


@needs_real_data
def test_backtest_table_has_every_horizon_and_the_overall_row() -> None:
    series = hub_series()
    result = backtest(series, "covidhub", reference_dates("2025-12-06", "2026-03-07", "week"))
    table = result.table
    assert table.index.tolist() == ["0", "1", "2", "3", "all"]
    assert list(table.columns) == [
        "n",
        "wis",
        "baseline_wis",
        "relative_wis",
        "ae_median",
        "cover_50",
        "cover_95",
    ]
    assert table.loc["all", "n"] == 14 * 4 * len(LOCATIONS)
    assert table.loc["all", "relative_wis"] == pytest.approx(
        table.loc["all", "wis"] / table.loc["all", "baseline_wis"]
    )
    assert set(result.scores["model"]) == {"default", "baseline"}
    assert 0 <= table.loc["all", "cover_95"] <= 1


def test_weekly_reference_dates_must_be_saturdays() -> None:
    with pytest.raises(ValueError, match=r"2026-03-04 is a Wednesday: use 2026-03-07"):
        reference_dates("2026-03-04", "2026-03-21", "week")
    assert len(reference_dates("2026-02-07", "2026-03-07", "week")) == 5
    with pytest.raises(ValueError, match="before --start"):
        reference_dates("2026-03-07", "2026-02-07", "week")


@needs_real_data
def test_command_line_prints_the_table_and_writes_the_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "hub.csv"
    pd.read_csv(HUB_FILE, dtype=str).query("location in @LOCATIONS").to_csv(data, index=False)
    rows = tmp_path / "rows.csv"
    code = main(
        [
            "--source", "covidhub", "--data", str(data), "--start", "2026-02-07",
            "--end", "2026-03-07", "--horizons", "0", "1", "--scores", str(rows),
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "default vs baseline, covidhub, 5 reference dates 2026-02-07..2026-03-07" in out
    assert "relative_wis" in out
    table_lines = [line.split()[0] for line in out.splitlines()[3:]]
    assert table_lines == ["0", "1", "all"]
    written = pd.read_csv(rows)
    assert len(written) == 2 * 5 * 2 * len(LOCATIONS)
    assert {"wis", "cover_50", "cover_95", "ae_median", "model"} <= set(written.columns)
