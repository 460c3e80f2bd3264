"""What every forecaster shares: the frame plumbing around a model's quantile arithmetic.

A model only has to turn a *history matrix* (one row per location, its values on a regular
period grid, right-aligned so the last column is each location's last period; NaN where a
location has no value) into quantiles for steps 1..S after that last period. This base class
anchors the steps: `target_end_date = reference_date + horizon x period`, and step =
(target_end_date - the location's last date) / period, so a forecast made from data that
ends before `reference_date` (the hub's rule: data to `reference_date - 7`) is one more step
ahead. A target on or before the last date is the observed value itself (the hub's horizon -1).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from flow.series import (
    FORECAST_COLUMNS,
    OUTPUT_TYPE,
    PERIOD_DAYS,
    QUANTILE_LEVELS,
    Period,
)


class InsufficientHistoryError(ValueError):
    """A series too short for a model to train or forecast; the message says what it needs."""


@dataclass(frozen=True)
class History:
    """Series frame as a right-aligned matrix: `values[i, -1]` is `last_dates[i]`'s value."""

    locations: np.ndarray
    last_dates: np.ndarray
    values: np.ndarray
    period: Period

    @property
    def step(self) -> pd.Timedelta:
        """One period."""
        return pd.Timedelta(days=PERIOD_DAYS[self.period])

    @property
    def lags(self) -> np.ndarray:
        """Periods each location's last date lies before the latest one (0 for most)."""
        behind = (self.last_dates.max() - self.last_dates) / self.step.to_timedelta64()
        return np.round(behind.astype("float64")).astype(int)


def history_matrix(series: pd.DataFrame, period: Period) -> History:
    """Each location's values on its own period grid (gaps NaN), right-aligned, left-padded."""
    if series.empty:
        raise ValueError("cannot forecast from an empty series: no location has any data")
    step_ns = PERIOD_DAYS[period] * 86_400 * 10**9
    codes, locations = pd.factorize(series["location"], sort=True)
    dates = pd.to_datetime(series["date"]).to_numpy(dtype="datetime64[ns]").view("int64")
    last = np.full(len(locations), np.iinfo("int64").min)
    np.maximum.at(last, codes, dates)
    back_ns = last[codes] - dates
    if np.any(back_ns % step_ns):
        raise ValueError(f"series dates are not on a {period} grid; expected one row per {period}")
    back = back_ns // step_ns
    width = int(back.max()) + 1
    values = np.full((len(locations), width), np.nan)
    values[codes, width - 1 - back] = series["value"].to_numpy(dtype="float64")
    return History(np.asarray(locations, dtype=object), last.view("datetime64[ns]"), values, period)


class Forecaster(ABC):
    """A trained model: `predict` turns a series into hub-layout quantile forecasts."""

    kind: ClassVar[str]

    def __init__(self, period: Period, target: str) -> None:
        self.period: Period = period
        self.target = target

    @abstractmethod
    def quantiles(self, history: History, steps: int, levels: np.ndarray) -> np.ndarray:
        """Quantiles (locations x `steps` x levels) for steps 1..`steps` after each location's
        last period, non-decreasing along levels and >= 0."""

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The model's fitted parameters, JSON-able."""

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild this forecaster with numpy and pandas (JSON-able)."""
        return {"kind": self.kind, "period": self.period, "target": self.target, **self.params()}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Forecaster:
        """Rebuild a forecaster of any kind from `to_dict()` output."""
        # Imported here: the registry of kinds imports every model module, which imports this.
        from flow.forecasting import forecaster_from_dict

        return forecaster_from_dict(data)

    def predict(
        self,
        series: pd.DataFrame,
        reference_date: Any,
        horizons: Sequence[int],
        levels: Sequence[float] = QUANTILE_LEVELS,
        locations: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Quantile forecasts for `reference_date` + horizons of `locations` (default: every
        location in `series`).

        Uses all of `series` (the caller truncates it to what was known; other locations are
        context a model may pool over), anchored at each location's last date. Returns a
        forecast frame (`flow.series.FORECAST_COLUMNS`).
        """
        history = history_matrix(series, self.period)
        if locations is not None:
            unknown = sorted(set(locations) - set(history.locations))
            if unknown:
                raise ValueError(f"no data for location(s) {unknown} in the series to forecast")
        reference = pd.Timestamp(reference_date)
        level_array = np.asarray(levels, dtype="float64")
        horizon_array = np.asarray(list(horizons), dtype=int)
        targets = pd.DatetimeIndex([reference + int(h) * history.step for h in horizon_array])
        # steps[i, j]: periods from location i's last date to horizon j's target date.
        gap = targets.to_numpy()[None, :] - history.last_dates[:, None]
        steps = np.round(gap / history.step.to_timedelta64()).astype(int)
        max_steps = int(max(steps.max(), 1))
        ahead = self.quantiles(history, max_steps, level_array)
        values = np.empty((len(history.locations), len(horizon_array), len(level_array)))
        for j in range(len(horizon_array)):
            for i, step in enumerate(steps[:, j]):
                if step >= 1:
                    values[i, j] = ahead[i, step - 1]
                else:
                    values[i, j] = _observed(history, i, step)
        frame = _forecast_frame(
            history.locations, reference, self.target, horizon_array, targets, level_array, values
        )
        if locations is None:
            return frame
        return frame[frame["location"].isin(list(locations))].reset_index(drop=True)


def _observed(history: History, row: int, step: int) -> float:
    value = history.values[row, history.values.shape[1] - 1 + step]
    if np.isnan(value):
        raise ValueError(
            f"{history.locations[row]} has no value {-step} period(s) before its last date, "
            "which a target on or before the data's end needs"
        )
    return float(max(value, 0.0))


def _forecast_frame(
    locations: np.ndarray,
    reference: pd.Timestamp,
    target: str,
    horizons: np.ndarray,
    targets: pd.DatetimeIndex,
    levels: np.ndarray,
    values: np.ndarray,
) -> pd.DataFrame:
    n_loc, n_h, n_lev = values.shape
    frame = pd.DataFrame(
        {
            "reference_date": np.repeat(np.datetime64(reference, "ns"), n_loc * n_h * n_lev),
            "target": target,
            "horizon": np.tile(np.repeat(horizons, n_lev), n_loc),
            "target_end_date": np.tile(np.repeat(targets.to_numpy(), n_lev), n_loc),
            "location": np.repeat(locations, n_h * n_lev),
            "output_type": OUTPUT_TYPE,
            "output_type_id": np.tile(levels, n_loc * n_h),
            "value": values.reshape(-1),
        }
    )
    return frame[list(FORECAST_COLUMNS)]


def monotone_clipped(quantiles: np.ndarray) -> np.ndarray:
    """Quantiles sorted along the last axis (no crossing) and clipped at 0 (counts)."""
    return np.clip(np.sort(quantiles, axis=-1), 0.0, None)
