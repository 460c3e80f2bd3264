"""The Forecast skill section: which origins it scores, and how its figures are rendered."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.report import render
from bench.skill import hub_tuning_origins, lines, section


def backtest_table(relative: float, horizons: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "horizon": horizon,
            "n": 100.0,
            "wis": 10.0 * relative,
            "baseline_wis": 10.0,
            "relative_wis": relative,
            "ae_median": 12.0,
            "cover_50": 0.5,
            "cover_95": 0.95,
        }
        for horizon in horizons
    ]


def result() -> dict[str, Any]:
    hub = {
        "origins": ["2025-09-13", "2026-03-07"],
        "reference_dates": 26,
        "locations": 53,
        "table": backtest_table(0.87, ["0", "1", "2", "3", "all"]),
        "seconds": [1.2, 1.3, 1.4],
    }
    return {
        "hub": hub,
        "jhu": {
            "origins": ["2021-02-01", "2021-02-07"],
            "locations": 20,
            "table": backtest_table(0.29, [*map(str, range(1, 8)), "all"]),
            "seconds": [0.3],
            "seed_h1": {"n": 140, "wis": 1500.0, "baseline_wis": 1000.0},
        },
        "held_out": {
            **hub,
            "origins": ["2026-04-04", "2026-07-25"],
            "reference_dates": 17,
            "table": backtest_table(0.68, ["0", "1", "2", "3", "all"]),
        },
        "load": {
            "tracking_server": [0.016] * 5,
            "artifact_root": [0.007] * 5,
            "forecast_only": [0.004] * 5,
        },
        "budgets": {"backtest": 30.0, "load_forecast": 0.05},
    }


def test_the_tuning_origins_are_the_26_saturdays_whose_horizons_end_by_the_vintage() -> None:
    origins = hub_tuning_origins()
    assert len(origins) == 26
    assert origins[0] == pd.Timestamp("2025-09-13")
    assert origins[-1] + pd.Timedelta(weeks=3) == pd.Timestamp("2026-03-28")
    assert all(origin.day_of_week == 5 for origin in origins)


def test_the_section_shows_every_model_s_relative_wis_held_out_apart_and_the_budgets() -> None:
    text = "\n".join(section(result()))
    assert text.startswith("## Forecast skill")
    assert "| all | 8.7 | 10.0 | **0.870** |" in text
    assert (
        "| `seed` (point forecast: WIS = absolute error) | n/a (JHU only) | "
        "n/a (one day ahead) | 1.500 (140 rows) |" in text
    )
    assert "### Held out: weeks after 2026-03-28" in text
    assert "| all | 6.8 | 10.0 | **0.680** |" in text
    assert "(budget 30 s)" in text
    assert "Budget for load + forecast: 50.0 ms" in text
    assert any("seed (horizon 1) rel WIS 1.500" in line for line in lines(result()))


def test_the_summary_of_the_page_carries_the_headline_ratio() -> None:
    meta = {
        "taken": "2026-12-02 18:00 UTC",
        "commit": "abc1234",
        "seconds": 20.0,
        "repetitions": 5,
        "machine": {
            "cpu": "cpu",
            "cores": 2,
            "memory": "24 GB",
            "os": "Linux",
            "python": "3.11",
            "packages": {},
        },
    }
    page = render({"skill": result(), "meta": meta})
    assert (
        "| forecast WIS, hub backtest (26 weeks x 53 locations) | 8.7 (relative 0.870) | "
        "flat baseline 10.0 | 1.1x |" in page
    )
    assert "## Forecast skill" in page
