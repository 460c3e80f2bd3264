"""The seed's model: PolynomialFeatures(2) + Ridge on the log features, fitted on a date range.

Training the seed needs scikit-learn (imported only when it is fitted, so `import flow.flows`
stays free of it); serving does not: `seed_model` turns the fitted pipeline into the numpy
`SeedModel` that is logged and loaded. The quantile models' training is `training_backtest`
(the skill logged with the model) followed by `flow.forecasting.train_forecaster`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flow.backtest import RULES, BacktestResult, backtest
from flow.features import FEATURES, TARGETS
from flow.models.base import InsufficientHistoryError
from flow.models.seed import SeedModel
from flow.series import PERIOD_DAYS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class FittedModel:
    """A fitted pipeline with its in-sample fit quality and the rows it saw."""

    pipeline: Pipeline
    train_rmse: float
    rows: int
    regions: int


def build_pipeline(alpha: float = 1.0) -> Pipeline:
    """Degree-2 polynomial features into a (multi-output) ridge regression."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    return make_pipeline(PolynomialFeatures(degree=2), Ridge(alpha=alpha))


def fit_model(table: pd.DataFrame, alpha: float = 1.0) -> FittedModel:
    """Fit on a `features.training_table`: `prev_*` columns -> the two log targets."""
    if table.empty:
        raise ValueError(
            "no training rows: the date range needs at least two consecutive daily reports"
        )
    features = table[list(FEATURES)]
    targets = table[list(TARGETS)].to_numpy()
    pipeline = build_pipeline(alpha).fit(features, targets)
    residuals = pipeline.predict(features) - targets
    return FittedModel(
        pipeline=pipeline,
        train_rmse=float(np.mean(np.sqrt(np.mean(residuals**2, axis=0)))),
        rows=len(table),
        regions=int(table.groupby(["Province_State", "Country_Region"]).ngroups),
    )


def seed_model(pipeline: Pipeline) -> SeedModel:
    """The fitted pipeline's numbers as a `SeedModel` (predicts the same with numpy only)."""
    polynomial, ridge = (step for _, step in pipeline.steps)
    return SeedModel(
        powers=np.asarray(polynomial.powers_, dtype="int64"),
        coef=np.atleast_2d(np.asarray(ridge.coef_, dtype="float64")),
        intercept=np.atleast_1d(np.asarray(ridge.intercept_, dtype="float64")),
    )


def last_origins(series: pd.DataFrame, source: str, count: int) -> list[pd.Timestamp]:
    """The last `count` reference dates whose every horizon (under `source`'s rule) has truth
    in `series`."""
    rule = RULES[source]
    step = pd.Timedelta(days=PERIOD_DAYS[rule.period])
    latest = pd.Timestamp(series["date"].max()) - max(rule.horizons) * step
    return [latest - back * step for back in reversed(range(count))]


def training_backtest(
    series: pd.DataFrame, source: str, model: str, count: int
) -> BacktestResult | None:
    """Rolling-origin backtest of `model` against the baseline over the last `count` reference
    dates of `series`, dropping the earliest ones while their history is too short to train
    on; None when no origin is left."""
    origins = last_origins(series, source, count)
    while origins:
        try:
            return backtest(series, source, origins, model=model)
        except InsufficientHistoryError:
            origins = origins[1:]
    return None


def backtest_metrics(table: pd.DataFrame) -> dict[str, float]:
    """MLflow metrics from a backtest table: `wis_h0`, `relative_wis_h0`, ..., `wis_all`..."""
    names = ("wis", "baseline_wis", "relative_wis", "ae_median", "cover_50", "cover_95")
    return {
        f"{name}_h{horizon}" if horizon != "all" else f"{name}_all": float(table.at[horizon, name])
        for horizon in table.index
        for name in names
    }
