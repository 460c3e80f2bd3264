"""The seed's model: PolynomialFeatures(2) + Ridge on the log features, fitted on a date range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from flow.features import FEATURES, TARGETS


@dataclass(frozen=True)
class FittedModel:
    """A fitted pipeline with its in-sample fit quality and the rows it saw."""

    pipeline: Pipeline
    train_rmse: float
    rows: int
    regions: int


def build_pipeline(alpha: float = 1.0) -> Pipeline:
    """Degree-2 polynomial features into a (multi-output) ridge regression."""
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
