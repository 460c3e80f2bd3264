"""The Forecast Hub's flat baseline (`CovidHub-baseline`, epipredict's cdc_baseline_forecaster).

For each location: the median is the last observed value, flat over every horizon. The spread
comes from the location's whole history of one-period differences, symmetrised by adding their
negatives. One step ahead is the last value plus `nsim` evenly spaced quantiles of those
differences, clipped at 0; each further step adds another independent (shuffled) copy of them
to the running sum - random-walk widening - re-centred so the median stays the last value and
clipped at 0 again. The requested levels are quantiles of those samples. The shuffles use a
fixed seed, so a forecast is reproducible.

Negative values (JHU's downward corrections) are data here, exactly as the hub's baseline
would see them: they enter the differences, and an output below 0 is clipped.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flow.models.base import Forecaster, History, monotone_clipped
from flow.series import Period

DEFAULT_NSIM = 1000
DEFAULT_SEED = 20211


class BaselineForecaster(Forecaster):
    """The hub's flat baseline for any period; nothing to fit beyond the period and target."""

    kind: ClassVar[str] = "baseline"

    def __init__(
        self, period: Period, target: str, nsim: int = DEFAULT_NSIM, seed: int = DEFAULT_SEED
    ) -> None:
        super().__init__(period, target)
        if nsim < 2:
            raise ValueError(f"nsim must be at least 2, got {nsim}")
        self.nsim = nsim
        self.seed = seed

    def params(self) -> dict[str, Any]:
        """The simulation size and seed."""
        return {"nsim": self.nsim, "seed": self.seed}

    def quantiles(self, history: History, steps: int, levels: np.ndarray) -> np.ndarray:
        """Flat median, symmetrised-difference spread widening as a random walk."""
        rng = np.random.default_rng(self.seed)
        grid = np.linspace(0.0, 1.0, self.nsim)
        out = np.empty((len(history.locations), steps, len(levels)))
        for row, values in enumerate(history.values):
            known = values[~np.isnan(values)]
            last = known[-1]
            differences = np.diff(known)
            spread = np.concatenate([differences, -differences]) if len(differences) else [0.0]
            sample = np.quantile(spread, grid)
            raw = np.maximum(last + sample, 0.0)
            out[row, 0] = np.quantile(raw, levels)
            for step in range(1, steps):
                raw = raw + rng.permutation(sample)
                raw = np.maximum(raw - np.median(raw) + last, 0.0)
                out[row, step] = np.quantile(raw, levels)
        return monotone_clipped(out)
