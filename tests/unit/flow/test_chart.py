"""The SVG fan chart: a well-formed image with history, median and both bands per location."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pandas as pd
import pytest

from flow.chart import choose_locations, fan_chart_svg, nice_ticks
from tests.unit.flow.test_hub_output import REFERENCE, quantile_forecast

SVG = "{http://www.w3.org/2000/svg}"


def weekly_history(last: dict[str, float], weeks: int = 20) -> pd.DataFrame:
    rows = []
    for location, value in last.items():
        for back in range(weeks):
            day = REFERENCE - timedelta(days=7 * (back + 1))
            rows.append((location, pd.Timestamp(day), value * (1 + 0.02 * back)))
    return pd.DataFrame(rows, columns=["location", "date", "value"])


def panels(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"]


def test_one_panel_per_location_with_history_bands_and_median() -> None:
    last = {"06": 500.0, "36": 300.0}
    svg = fan_chart_svg(
        weekly_history(last),
        quantile_forecast(last),
        names={"06": "California", "36": "New York"},
        title="wk inc covid hosp, reference date 2026-04-04",
    )
    found = panels(svg)
    assert [g.get("data-location") for g in found] == ["06", "36"]
    california = found[0]
    assert california.find(f"{SVG}text").text == "California"  # type: ignore[union-attr]
    assert len(california.findall(f"{SVG}polygon")) == 2  # 95% and 50% bands
    lines = california.findall(f"{SVG}polyline")
    assert len(lines) == 2  # history and median
    history_points = lines[0].get("points", "").split()
    assert len(history_points) == 16  # the default history window
    median_points = lines[1].get("points", "").split()
    assert len(median_points) == 5  # horizons -1..3
    assert "2026-04-25" in svg  # the last target end date labels the axis


def test_the_median_sits_inside_the_bands_in_pixels() -> None:
    last = {"06": 500.0}
    svg = fan_chart_svg(weekly_history(last), quantile_forecast(last))
    [panel] = panels(svg)
    wide, narrow = panel.findall(f"{SVG}polygon")
    median = panel.findall(f"{SVG}polyline")[1]

    def ys(points: str) -> list[float]:
        return [float(p.split(",")[1]) for p in points.split()]

    wide_ys, narrow_ys, med_ys = (
        ys(wide.get("points", "")),
        ys(narrow.get("points", "")),
        ys(median.get("points", "")),
    )
    # Upper edge first (smaller y = higher count), then the lower edge reversed.
    for i, y in enumerate(med_ys):
        assert wide_ys[i] <= narrow_ys[i] <= y <= narrow_ys[-1 - i] <= wide_ys[-1 - i]


def test_all_locations_draws_the_largest_and_says_how_many_are_left_out() -> None:
    last = {f"{i:02d}": float(i * 10) for i in range(1, 12)}
    svg = fan_chart_svg(weekly_history(last), quantile_forecast(last), max_panels=4)
    assert [g.get("data-location") for g in panels(svg)] == ["11", "10", "09", "08"]
    assert "4 largest shown; 7 more in the CSV" in svg


def test_choose_locations_keeps_the_order_when_all_fit() -> None:
    last = {"36": 1.0, "06": 2.0}
    assert choose_locations(weekly_history(last), quantile_forecast(last), 6) == (["36", "06"], 0)


def test_names_are_escaped() -> None:
    last = {"06": 5.0}
    svg = fan_chart_svg(
        weekly_history(last), quantile_forecast(last), names={"06": "A & <B>"}, title="x < y"
    )
    ET.fromstring(svg)  # noqa: S314 (our own output)
    assert "A &amp; &lt;B&gt;" in svg


@pytest.mark.parametrize(
    ("top", "expected"),
    [(95.0, [0, 50, 100]), (1234.0, [0, 500, 1000, 1500]), (0.0, [0, 1]), (7.0, [0, 2, 4, 6, 8])],
)
def test_ticks_are_round_numbers_covering_the_top(top: float, expected: list[float]) -> None:
    assert nice_ticks(top) == expected


def test_an_empty_forecast_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        fan_chart_svg(weekly_history({"06": 1.0}), quantile_forecast({}))


def test_daily_forecasts_draw_too() -> None:
    days = pd.date_range("2021-02-01", "2021-02-10")
    history = pd.DataFrame({"location": "Madrid (Spain)", "date": days, "value": 100.0})
    forecast = quantile_forecast({"Madrid (Spain)": 100.0}, date(2021, 2, 10))
    forecast["target_end_date"] = pd.Timestamp("2021-02-10") + pd.to_timedelta(
        forecast["horizon"], unit="D"
    )
    assert len(panels(fan_chart_svg(history, forecast))) == 1
