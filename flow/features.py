"""The seed's features: log1p of cumulative counts, and the previous day's value per region.

A model maps `prev_ConfirmedCases`, `prev_Fatalities` (log1p of day d-1) to `ConfirmedCases`,
`Fatalities` (log1p of day d). Predictions are clipped at 16 in log space (about 8.9 million)
and turned back into counts with expm1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from flow.reports import REGION_COLUMNS

TARGETS = ("ConfirmedCases", "Fatalities")
FEATURES = tuple(f"prev_{target}" for target in TARGETS)
LOG_CLIP = 16.0


def log_counts(counts: Any) -> Any:
    """log1p of cumulative counts; negative counts (JHU corrections) count as 0."""
    return np.log1p(np.maximum(counts, 0))


def daily_table(reports: Mapping[date, pd.DataFrame]) -> pd.DataFrame:
    """All reports stacked: region columns, `Date`, and the two targets in log space."""
    frames = []
    for day, regions in sorted(reports.items()):
        frame = regions[[*REGION_COLUMNS, *TARGETS]].copy()
        frame.insert(2, "Date", day)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*REGION_COLUMNS, "Date", *TARGETS])
    table = pd.concat(frames, ignore_index=True)
    for target in TARGETS:
        table[target] = log_counts(table[target].astype("float64"))
    return table


def training_table(reports: Mapping[date, pd.DataFrame]) -> pd.DataFrame:
    """Rows (region, day d) with the log targets of d and the `prev_*` log values of d-1.

    A row exists only when the region is in both day d's and day d-1's report, so a missing
    day never pairs d with d-2.
    """
    daily = daily_table(reports)
    if daily.empty:
        return pd.DataFrame(columns=[*REGION_COLUMNS, "Date", *TARGETS, *FEATURES])
    previous = daily.rename(columns=dict(zip(TARGETS, FEATURES, strict=True)))
    previous["Date"] = [day + timedelta(days=1) for day in previous["Date"]]
    table = daily.merge(previous, on=[*REGION_COLUMNS, "Date"], how="inner")
    return table.sort_values([*REGION_COLUMNS, "Date"], ignore_index=True)


def next_day_features(regions: pd.DataFrame) -> pd.DataFrame:
    """The model input that forecasts the day after `regions`' report: its counts in log space."""
    return pd.DataFrame(
        {
            feature: log_counts(regions[target].to_numpy(dtype="float64"))
            for target, feature in zip(TARGETS, FEATURES, strict=True)
        }
    )


def as_features(log_values: np.ndarray) -> pd.DataFrame:
    """Log-space values of one day (n x 2, in `TARGETS` order) as the next day's model input."""
    return pd.DataFrame(np.asarray(log_values, dtype="float64"), columns=list(FEATURES))


def clip_log(predictions: Any) -> np.ndarray:
    """Model output as an n x 2 float array, capped at `LOG_CLIP` as the seed did."""
    values = np.asarray(predictions, dtype="float64").reshape(-1, len(TARGETS))
    return np.clip(values, None, LOG_CLIP)


def to_counts(log_values: np.ndarray) -> np.ndarray:
    """Back from log space to case counts."""
    return np.expm1(log_values)
