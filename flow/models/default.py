"""The team's default model: a damped log-trend with pooled, out-of-sample residual quantiles.

For one location with incident counts v (negative JHU corrections count as 0: a downward
revision is not a negative number of new cases, and the log scale needs v >= 0):

- level   l_t = mean of the last `season` periods (7 for daily data, so weekend gaps and Monday
          catch-ups do not move it; 1 for weekly data), on the log scale z_t = log(l_t + offset);
- trend   b_t = (z_t - z_{t-window}) / window, pooled: moved a share `pooling` toward the
          median of every location's b on the same date (a wave is shared; one location's
          latest change is noisy), then damped: z_{t+s} = z_t + b_t (phi + ... + phi^s), with
          `phi_down` for a falling trend (declines after a peak last; rises get cut off);
- shape   (daily) each weekday's share of the last `profile_weeks` weeks' counts, so a region
          that reports nothing on Sundays is forecast 0 on Sundays;
- point   p = season x (exp(z_{t+s}) - offset) x share(weekday);
- spread  residuals r = log(y + offset) - log(p + offset) of the same point forecast made
          from every earlier origin of every location in the training series (out of sample:
          each origin's forecast uses only data up to it). Each residual is divided by its
          location's spread known at that origin (RMS of the location's last `scale_window`
          one-step residuals, shrunk toward the pooled RMS), and the quantiles of these
          standardised residuals are pooled across locations, one set per step ahead;
- quantiles exp(log(p + offset) + spread_location x standardised quantile) - offset, >= 0;
          a weekday the location did not report on in the profile is forecast 0.

`fit` learns the pooled spread and the standardised residual quantiles; the rest are settings
chosen by rolling-origin backtest on data up to 2026-03-28 (docs/benchmarks.md, "Forecast
skill"). Everything here is numpy and pandas, at training as at prediction. Because of the
pooled trend, forecast a location from a series holding every location (`predict`'s
`locations` picks the ones to return).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from flow.models.base import (
    Forecaster,
    History,
    InsufficientHistoryError,
    history_matrix,
    monotone_clipped,
)
from flow.series import QUANTILE_LEVELS, Period

SEASON = {"day": 7, "week": 1}
# Settings per period, chosen by backtest (see the module docstring).
SETTINGS: dict[str, dict[str, Any]] = {
    "week": {
        "offset": 1.0,
        "window": 1,
        "phi": 0.5,
        "phi_down": 0.7,
        "pooling": 0.6,
        "profile_weeks": 0,
        "scale_window": 13,
    },
    "day": {
        "offset": 1.0,
        "window": 7,
        "phi": 0.9,
        "phi_down": 0.9,
        "pooling": 0.6,
        "profile_weeks": 2,
        "scale_window": 21,
    },
}
# Residual quantiles are fitted for this many steps; further steps widen as sqrt(steps).
FIT_STEPS = {"day": 10, "week": 5}
MIN_RESIDUALS = 20
# A location's own spread counts as this many one-step residuals at the pooled spread.
SCALE_PRIOR = 4.0


class DefaultForecaster(Forecaster):
    """Damped log-trend point forecast with pooled residual quantiles per step ahead."""

    kind: ClassVar[str] = "default"

    def __init__(
        self,
        period: Period,
        target: str,
        *,
        offset: float,
        window: int,
        phi: float,
        profile_weeks: int,
        scale_window: int = 0,
        phi_down: float | None = None,
        pooling: float = 0.0,
        pooled_scale: float = 1.0,
        levels: list[float] | None = None,
        residual_quantiles: list[list[float]] | None = None,
    ) -> None:
        super().__init__(period, target)
        damping = [phi] if phi_down is None else [phi, phi_down]
        if (
            offset <= 0
            or window < 1
            or not all(0 <= value <= 1 for value in [*damping, pooling])
            or profile_weeks < 0
        ):
            raise ValueError(
                f"bad default-model settings offset={offset} window={window} phi={phi} "
                f"phi_down={phi_down} pooling={pooling} profile_weeks={profile_weeks}: need "
                "offset > 0, window >= 1, phi, phi_down and pooling in 0..1, profile_weeks >= 0"
            )
        self.offset = float(offset)
        self.window = int(window)
        self.phi = float(phi)
        self.profile_weeks = int(profile_weeks)
        self.scale_window = int(scale_window)
        self.phi_down = float(self.phi if phi_down is None else phi_down)
        self.pooling = float(pooling)
        self.pooled_scale = float(pooled_scale)
        self.levels = np.asarray(levels if levels is not None else QUANTILE_LEVELS, dtype="float64")
        self.residual_quantiles = (
            np.asarray(residual_quantiles, dtype="float64")
            if residual_quantiles is not None
            else np.zeros((0, len(self.levels)))
        )

    @property
    def season(self) -> int:
        """Periods in one seasonal cycle (a week of days, or one week)."""
        return SEASON[self.period]

    def params(self) -> dict[str, Any]:
        """Settings and the fitted residual quantiles (steps x levels, log scale)."""
        return {
            "offset": self.offset,
            "window": self.window,
            "phi": self.phi,
            "profile_weeks": self.profile_weeks,
            "scale_window": self.scale_window,
            "phi_down": self.phi_down,
            "pooling": self.pooling,
            "pooled_scale": self.pooled_scale,
            "levels": self.levels.tolist(),
            "residual_quantiles": self.residual_quantiles.tolist(),
        }

    # -- point forecasts -------------------------------------------------------------------

    def _points(self, values: np.ndarray, steps: int, lags: np.ndarray) -> np.ndarray:
        """Point forecasts from every origin (locations x origins x steps); NaN where the
        history before an origin is too short, `_SILENT` (< 0) on a weekday the location does
        not report. Origin t uses columns ..t only (of every location, for the pooled trend);
        `lags` says how many periods each row's last column lies before the latest one."""
        counts = np.clip(values, 0.0, None)
        season = self.season
        level = _trailing_mean(counts, season)
        z = np.log(level + self.offset)
        slope = np.full_like(z, np.nan)
        slope[:, self.window :] = (z[:, self.window :] - z[:, : -self.window]) / self.window
        if self.pooling > 0:
            common = _calendar_median(slope, lags)
            pooled = (1 - self.pooling) * slope + self.pooling * common
            slope = np.where(np.isnan(common), slope, pooled)
        phi = np.where(slope < 0, self.phi_down, self.phi)
        damping = np.cumsum(phi[:, :, None] ** np.arange(1, steps + 1)[None, None, :], axis=2)
        z_ahead = z[:, :, None] + slope[:, :, None] * damping
        points = season * (np.exp(z_ahead) - self.offset)
        points = np.clip(points, 0.0, None)
        if season > 1 and self.profile_weeks > 0:
            shares = self._weekday_shares(counts, steps)
            points = np.where(shares > 0, points * shares, _SILENT)
        return points

    def _weekday_shares(self, counts: np.ndarray, steps: int) -> np.ndarray:
        """Share of the target's weekday in the last `profile_weeks` weeks before each origin
        (locations x origins x steps); NaN where the history is shorter than that."""
        season = self.season
        span = self.profile_weeks * season
        total = _trailing_mean(counts, span) * span
        shares = np.full((*counts.shape, steps), np.nan)
        for step in range(1, steps + 1):
            # The target t + step falls on the weekday of t + step - season, t + step - 2 season...
            lag = (-step) % season
            same_day = np.zeros_like(counts)
            for week in range(self.profile_weeks):
                shift = lag + week * season
                if shift:
                    same_day[:, shift:] += counts[:, :-shift]
                    same_day[:, :shift] = np.nan
                else:
                    same_day += counts
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, same_day / total, 1.0 / season)
            shares[:, :, step - 1] = share
        return shares

    def _log_residuals(self, actual: np.ndarray, points: np.ndarray, step: int) -> np.ndarray:
        """log(y + offset) - log(p + offset) of the `step`-ahead forecast from each origin,
        aligned on the origin (locations x origins); NaN where either side is missing or the
        target is a weekday the location does not report."""
        residuals = np.full(actual.shape, np.nan)
        predicted = points[:, :-step, step - 1]
        with np.errstate(invalid="ignore"):
            residuals[:, :-step] = np.where(
                predicted >= 0,
                np.log(actual[:, step:] + self.offset)
                - np.log(np.maximum(predicted, 0.0) + self.offset),
                np.nan,
            )
        return residuals

    def _scales(self, actual: np.ndarray, points: np.ndarray) -> np.ndarray:
        """Each location's spread at each origin (locations x origins): the RMS of its one-step
        log residuals known by then (last `scale_window`), shrunk toward the pooled spread."""
        one_step = self._log_residuals(actual, points, 1)
        # A one-step forecast made at t is known at t + 1: shift onto the origin that knows it.
        known = np.full(actual.shape, np.nan)
        known[:, 1:] = one_step[:, :-1]
        window = self.scale_window or actual.shape[1]
        total = _trailing_sum(np.nan_to_num(known**2), window)
        count = _trailing_sum((~np.isnan(known)).astype("float64"), window)
        prior = SCALE_PRIOR * self.pooled_scale**2
        return np.asarray(np.sqrt((total + prior) / (count + SCALE_PRIOR)) / self.pooled_scale)

    # -- fitting and forecasting --------------------------------------------------------------

    def fit(self, series: pd.DataFrame, steps: int | None = None) -> DefaultForecaster:
        """Fit the pooled spread and the residual quantiles on every origin of `series` (each
        forecast out of sample, scaled by its location's spread known at that origin)."""
        history = history_matrix(series, self.period)
        steps = steps or FIT_STEPS[self.period]
        actual = np.clip(history.values, 0.0, None)
        points = self._points(history.values, steps, history.lags)
        one_step = self._log_residuals(actual, points, 1)
        if np.count_nonzero(~np.isnan(one_step)) < MIN_RESIDUALS:
            raise InsufficientHistoryError(
                f"the default model needs a longer series to learn its spread: fewer than "
                f"{MIN_RESIDUALS} one-step forecasts could be checked; give it more {self.period}s"
            )
        self.pooled_scale = float(np.sqrt(np.nanmean(one_step**2))) or 1.0
        scales = self._scales(actual, points)
        table = np.full((steps, len(self.levels)), np.nan)
        for step in range(1, steps + 1):
            standardized = self._log_residuals(actual, points, step) / scales
            usable = standardized[~np.isnan(standardized)]
            if len(usable) >= MIN_RESIDUALS:
                table[step - 1] = np.quantile(usable, self.levels)
        fitted = ~np.isnan(table).any(axis=1)
        self.residual_quantiles = table[: steps if fitted.all() else int(np.argmin(fitted))]
        return self

    def _spread(self, steps: int) -> np.ndarray:
        """Residual quantiles for steps 1..steps; beyond the fitted ones they grow as sqrt."""
        fitted = self.residual_quantiles
        if len(fitted) == 0:
            raise ValueError("this default model is not fitted: call fit() or train_forecaster()")
        if steps <= len(fitted):
            return fitted[:steps]
        extra = np.arange(len(fitted) + 1, steps + 1)
        grown = fitted[-1][None, :] * np.sqrt(extra / len(fitted))[:, None]
        return np.concatenate([fitted, grown])

    def quantiles(self, history: History, steps: int, levels: np.ndarray) -> np.ndarray:
        """Point forecast from each location's last period, spread by the fitted residuals."""
        if not np.allclose(levels, self.levels):
            spread = np.stack([np.interp(levels, self.levels, row) for row in self._spread(steps)])
        else:
            spread = self._spread(steps)
        values = _filled(history.values)
        every_origin = self._points(values, steps, history.lags)
        scales = self._scales(np.clip(values, 0.0, None), every_origin)[:, -1]
        points = every_origin[:, -1, :]
        if np.isnan(points).any():
            short = history.locations[np.isnan(points).any(axis=1)].tolist()
            raise InsufficientHistoryError(
                f"too little recent data to forecast {short}: the default model needs at least "
                f"{self.window + self.season + self.profile_weeks * self.season} {self.period}s"
            )
        base = np.log(np.maximum(points, 0.0) + self.offset)[:, :, None]
        out = np.exp(base + scales[:, None, None] * spread[None, :, :]) - self.offset
        out = np.where(points[:, :, None] >= 0, out, 0.0)
        return monotone_clipped(out)


# Marks a forecast for a weekday the location does not report (its value is 0).
_SILENT = -1.0


def _trailing_mean(values: np.ndarray, span: int) -> np.ndarray:
    """Mean of the last `span` columns at each column (NaN until `span` values exist)."""
    if span == 1:
        return values.copy()
    out = np.full_like(values, np.nan)
    if values.shape[1] < span:
        return out
    cumulative = np.cumsum(np.nan_to_num(values), axis=1)
    out[:, span - 1] = cumulative[:, span - 1]
    out[:, span:] = cumulative[:, span:] - cumulative[:, :-span]
    invalid = np.isnan(values)
    window_invalid = np.cumsum(invalid, axis=1)
    window_invalid[:, span:] = window_invalid[:, span:] - window_invalid[:, :-span]
    out[window_invalid > 0] = np.nan
    return out / span


def _trailing_sum(values: np.ndarray, span: int) -> np.ndarray:
    """Sum of the last `span` columns (fewer at the start) at each column."""
    cumulative = np.cumsum(values, axis=1)
    out = cumulative.copy()
    out[:, span:] -= cumulative[:, :-span]
    return out


def _calendar_median(values: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Per row and column, the median over every row of the value on the same calendar date
    (rows are right-aligned on their own last date, `lags` periods before the latest)."""
    n_rows, width = values.shape
    most = int(lags.max()) if len(lags) else 0
    calendar = np.full((n_rows, width + most), np.nan)
    starts = most - lags
    for row in range(n_rows):
        calendar[row, starts[row] : starts[row] + width] = values[row]
    with warnings.catch_warnings():
        # A date no location has a value for yet is NaN, as it should be.
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nanmedian(calendar, axis=0)
    return np.stack([medians[start : start + width] for start in starts])


def _filled(values: np.ndarray) -> np.ndarray:
    """Interior gaps carried forward from the last value before them (leading NaN stays)."""
    frame = pd.DataFrame(values)
    return frame.ffill(axis=1).to_numpy()
