"""The seed's model served with numpy: PolynomialFeatures(2) + Ridge as plain arrays.

Training stays the seed's scikit-learn pipeline (`flow.training`); what is logged for serving
is its fitted numbers - the polynomial feature powers, the ridge coefficients and intercepts -
which reproduce the pipeline's predictions exactly (same products, same sums) with numpy alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from flow.features import FEATURES, TARGETS


@dataclass(frozen=True)
class SeedModel:
    """`predict(features)` maps `prev_*` log features (n x 2) to next-day log targets (n x 2).

    `powers` (terms x features) are PolynomialFeatures' `powers_`; `coef` (targets x terms)
    and `intercept` (targets) are Ridge's `coef_` and `intercept_`.
    """

    kind: ClassVar[str] = "seed"
    powers: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Log-space predictions (n x 2, `TARGETS` order), unclipped as the pipeline's."""
        inputs = features[list(FEATURES)].to_numpy(dtype="float64")
        terms = np.prod(inputs[:, None, :] ** self.powers[None, :, :], axis=2)
        return np.asarray(terms @ self.coef.T + self.intercept)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able parameters, with the feature and target names they belong to."""
        return {
            "kind": self.kind,
            "features": list(FEATURES),
            "targets": list(TARGETS),
            "powers": self.powers.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedModel:
        """Rebuild from `to_dict()` output."""
        if data.get("features", list(FEATURES)) != list(FEATURES):
            raise ValueError(
                f"this seed model was trained on features {data['features']}, "
                f"not {list(FEATURES)}: re-run the train flow with model='seed'"
            )
        return cls(
            powers=np.asarray(data["powers"], dtype="int64"),
            coef=np.asarray(data["coef"], dtype="float64"),
            intercept=np.asarray(data["intercept"], dtype="float64"),
        )
