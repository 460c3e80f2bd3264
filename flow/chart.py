"""A dependency-free SVG fan chart of a quantile forecast (pure; no matplotlib in the image).

One panel per location: the recent history as a line with dots, the 95% and 50% central
intervals as shaded bands, the median as a line. With more locations than `max_panels` (a
`city = all` run has 53) only the largest ones by their latest observed count are drawn, and
the chart says how many were left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import pandas as pd

PANEL_WIDTH = 360
PANEL_HEIGHT = 210
_MARGIN_LEFT = 58
_MARGIN_RIGHT = 14
_MARGIN_TOP = 28
_MARGIN_BOTTOM = 30
_HEADER = 34
COLUMNS = 2
DEFAULT_MAX_PANELS = 6
DEFAULT_HISTORY_PERIODS = 16
# Colours: history dark grey, forecast blue with two band shades.
_HISTORY = "#333333"
_MEDIAN = "#1f5fa8"
_BAND_95 = "#c6dbef"
_BAND_50 = "#6baed6"


@dataclass(frozen=True)
class _Scale:
    """Maps data (days since the first date, count) into one panel's pixel box."""

    x0: float
    x1: float
    y_max: float
    left: float
    top: float
    width: float
    height: float

    def x(self, day: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return self.left + (day - self.x0) / span * self.width

    def y(self, value: float) -> float:
        return self.top + self.height - (value / self.y_max) * self.height


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top` (1, 2 or 5 times a power of ten apart)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _count_label(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _points(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def _level_values(task_rows: pd.DataFrame, level: float) -> pd.Series:
    rows = task_rows[(task_rows["output_type_id"].astype(float) - level).abs() < 1e-9]
    return rows.set_index("target_end_date")["value"].astype(float)


def choose_locations(
    history: pd.DataFrame, forecast: pd.DataFrame, max_panels: int
) -> tuple[list[str], int]:
    """The locations drawn (largest latest count first when there are too many) and how many
    were left out."""
    locations = list(dict.fromkeys(forecast["location"].astype(str)))
    if len(locations) <= max_panels:
        return locations, 0
    latest = history.sort_values("date").groupby(history["location"].astype(str))["value"].last()
    ranked = sorted(locations, key=lambda loc: (-float(latest.get(loc, 0.0)), loc))
    return ranked[:max_panels], len(locations) - max_panels


def _panel(
    location: str,
    name: str,
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    left: float,
    top: float,
    panel_width: float,
) -> list[str]:
    past = history.sort_values("date")
    dates_past = pd.to_datetime(past["date"])
    ends = sorted(pd.to_datetime(forecast["target_end_date"]).unique())
    f = forecast.assign(target_end_date=pd.to_datetime(forecast["target_end_date"]))
    bands = {
        level: _level_values(f, level).reindex(ends) for level in (0.025, 0.25, 0.5, 0.75, 0.975)
    }
    all_dates = list(dates_past) + list(ends)
    origin = min(all_dates)
    day = [(d - origin).days for d in all_dates]
    highest = max([*past["value"].astype(float), *bands[0.975].fillna(0.0), 1.0])
    ticks = nice_ticks(highest * 1.05)
    plot_w = panel_width - _MARGIN_LEFT - _MARGIN_RIGHT
    plot_h = PANEL_HEIGHT - _MARGIN_TOP - _MARGIN_BOTTOM
    scale = _Scale(
        min(day), max(day), ticks[-1], left + _MARGIN_LEFT, top + _MARGIN_TOP, plot_w, plot_h
    )
    xs_past = [scale.x((d - origin).days) for d in dates_past]
    ys_past = [scale.y(v) for v in past["value"].astype(float)]
    xs_fc = [scale.x((pd.Timestamp(d) - origin).days) for d in ends]

    out = [f'<g class="panel" data-location="{escape(location)}">']
    out.append(
        f'<text x="{left + _MARGIN_LEFT}" y="{top + 18}" font-size="13" font-weight="bold">'
        f"{escape(name)}</text>"
    )
    for tick in ticks:
        y = scale.y(tick)
        out.append(
            f'<line x1="{scale.left:.1f}" y1="{y:.1f}" x2="{scale.left + plot_w:.1f}" '
            f'y2="{y:.1f}" stroke="#e5e5e5"/>'
        )
        out.append(
            f'<text x="{scale.left - 6:.1f}" y="{y + 4:.1f}" font-size="10" '
            f'text-anchor="end">{_count_label(tick)}</text>'
        )
    # The first and the last date label the axis; a dashed line marks where forecasts start.
    x_first = scale.x((pd.Timestamp(ends[0]) - origin).days)
    out.append(
        f'<line x1="{x_first:.1f}" y1="{scale.top:.1f}" x2="{x_first:.1f}" '
        f'y2="{scale.top + plot_h:.1f}" stroke="#999999" stroke-dasharray="3,3"/>'
    )
    labels = {pd.Timestamp(origin): "start", pd.Timestamp(ends[-1]): "end"}
    for d, anchor in labels.items():
        x = scale.x((d - origin).days)
        out.append(
            f'<text x="{x:.1f}" y="{scale.top + plot_h + 16:.1f}" font-size="10" '
            f'text-anchor="{anchor}">{d:%Y-%m-%d}</text>'
        )
    for low, high, colour in ((0.025, 0.975, _BAND_95), (0.25, 0.75, _BAND_50)):
        lows, highs = bands[low], bands[high]
        if lows.isna().any() or highs.isna().any():
            continue
        upper = _points(xs_fc, [scale.y(v) for v in highs])
        lower = _points(xs_fc[::-1], [scale.y(v) for v in lows[::-1]])
        out.append(f'<polygon points="{upper} {lower}" fill="{colour}" stroke="none"/>')
    if len(xs_past) > 1:
        out.append(
            f'<polyline points="{_points(xs_past, ys_past)}" fill="none" '
            f'stroke="{_HISTORY}" stroke-width="1.5"/>'
        )
    out += [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{_HISTORY}"/>'
        for x, y in zip(xs_past, ys_past, strict=True)
    ]
    median = bands[0.5]
    if not median.isna().any():
        ys_med = [scale.y(v) for v in median]
        out.append(
            f'<polyline points="{_points(xs_fc, ys_med)}" fill="none" '
            f'stroke="{_MEDIAN}" stroke-width="2"/>'
        )
        out += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{_MEDIAN}"/>'
            for x, y in zip(xs_fc, ys_med, strict=True)
        ]
    out.append(
        f'<rect x="{scale.left:.1f}" y="{scale.top:.1f}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#999999"/>'
    )
    out.append("</g>")
    return out


def fan_chart_svg(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    title: str = "",
    max_panels: int = DEFAULT_MAX_PANELS,
    history_periods: int = DEFAULT_HISTORY_PERIODS,
) -> str:
    """An SVG document: one fan-chart panel per forecast location (at most `max_panels`).

    `history` is a series frame (`location, date, value`), `forecast` a forecast frame with
    at least the levels 0.025, 0.25, 0.5, 0.75 and 0.975; `names` maps location ids to the
    names shown (default: the ids).
    """
    if forecast.empty:
        raise ValueError("fan_chart_svg needs a forecast with at least one row")
    names = names or {}
    chosen, left_out = choose_locations(history, forecast, max_panels)
    columns = min(COLUMNS, len(chosen))
    rows = math.ceil(len(chosen) / columns)
    # The chart is always two panels wide: a single location gets one wide panel.
    width = COLUMNS * PANEL_WIDTH
    panel_width = width / columns
    height = _HEADER + rows * PANEL_HEIGHT + 22
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    forecast = forecast.assign(location=forecast["location"].astype(str))
    history = history.assign(location=history["location"].astype(str))
    for index, location in enumerate(chosen):
        left = (index % columns) * panel_width
        top = _HEADER + (index // columns) * PANEL_HEIGHT
        past = history[history["location"] == location].sort_values("date").tail(history_periods)
        out += _panel(
            location,
            names.get(location, location),
            past,
            forecast[forecast["location"] == location],
            left,
            top,
            panel_width,
        )
    legend_y = height - 8
    legend = [
        (_HISTORY, "observed"),
        (_MEDIAN, "median"),
        (_BAND_50, "50% interval"),
        (_BAND_95, "95% interval"),
    ]
    x = 10
    for colour, label in legend:
        out.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="12" height="10" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{legend_y}" font-size="11">{label}</text>'
        )
        x += 110
    if left_out:
        out.append(
            f'<text x="{x}" y="{legend_y}" font-size="11" fill="#666666">'
            f"{len(chosen)} largest shown; {left_out} more in the CSV</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
