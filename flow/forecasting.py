"""The public seam of the forecasting models: train, predict, score.

    forecaster = train_forecaster(series, model="default")     # or "baseline"
    forecast = forecaster.predict(series, reference_date, horizons=(0, 1, 2, 3))
    scores = score(forecast, truth)                           # wis, ae_median, cover_50/95
    relative_wis(scores, baseline_scores)                     # per horizon and overall

Models see a *series* frame and return the hub's quantile layout (`flow.series`). Everything
here imports numpy and pandas only, so a logged model serves in the lean flow image.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from flow.models.base import Forecaster, InsufficientHistoryError
from flow.models.baseline import BaselineForecaster
from flow.models.default import SETTINGS, DefaultForecaster
from flow.scoring import relative_wis, score, summarize
from flow.series import DAILY_CASES_TARGET, HUB_TARGET, Period, infer_period

MODELS: dict[str, type[Forecaster]] = {
    BaselineForecaster.kind: BaselineForecaster,
    DefaultForecaster.kind: DefaultForecaster,
}
DEFAULT_TARGETS: dict[str, str] = {"week": HUB_TARGET, "day": DAILY_CASES_TARGET}

__all__ = [
    "MODELS",
    "BaselineForecaster",
    "DefaultForecaster",
    "Forecaster",
    "InsufficientHistoryError",
    "forecaster_from_dict",
    "relative_wis",
    "score",
    "summarize",
    "train_forecaster",
]


def _check_kind(model: str) -> None:
    if model not in MODELS:
        raise ValueError(
            f"unknown model {model!r}: choose one of {sorted(MODELS)} "
            "(the seed's pipeline is trained by the train flow with model='seed')"
        )


def train_forecaster(
    series: pd.DataFrame,
    model: str = "default",
    *,
    target: str | None = None,
    **params: Any,
) -> Forecaster:
    """Fit `model` on `series` (a series frame; its period is inferred).

    `target` defaults to the hub's `wk inc covid hosp` for weekly data and `inc case` for
    daily data; `params` override the model's settings (see its module).
    """
    _check_kind(model)
    period: Period = infer_period(series)
    chosen_target = target or DEFAULT_TARGETS[period]
    if model == BaselineForecaster.kind:
        return BaselineForecaster(period, chosen_target, **params)
    settings = {**SETTINGS[period], **params}
    return DefaultForecaster(period, chosen_target, **settings).fit(series)


def forecaster_from_dict(data: dict[str, Any]) -> Forecaster:
    """Rebuild a forecaster from `Forecaster.to_dict()` output (e.g. JSON from MLflow)."""
    fields = dict(data)
    kind = str(fields.pop("kind", ""))
    _check_kind(kind)
    period = fields.pop("period")
    target = fields.pop("target")
    return MODELS[kind](period, target, **fields)
