"""Scoring quantile forecasts as the Forecast Hub does: WIS, error of the median, coverage.

WIS (Bracher, Ray, Gneiting, Reich 2021) for the median m and K central intervals [l_k, u_k]
at levels 1 - alpha_k is (0.5 |y - m| + sum_k (alpha_k / 2) IS_k) / (K + 0.5). Written with
the quantile (pinball) loss QS_tau(q, y) = (1{y < q} - tau)(q - y), the same number is
sum over all 2K + 1 quantiles of QS / (K + 0.5), which is how it is computed here: one pass
over the quantile matrix, numpy only (this module ships in the flow image).

Relative WIS = mean model WIS / mean baseline WIS over the same forecast tasks (with two
models, the hub's pairwise geometric-mean ratio reduces to this).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# The columns that name one forecast task: what is forecast, where, from when.
TASK_COLUMNS = ("reference_date", "target", "horizon", "target_end_date", "location")
SCORE_COLUMNS = ("truth", "wis", "ae_median", "cover_50", "cover_95")
OVERALL = "all"


def quantile_loss(quantiles: np.ndarray, levels: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Pinball loss per task and level: `quantiles` n x L, `levels` L, `truth` n -> n x L."""
    below = (truth[:, None] < quantiles).astype("float64")
    return (below - levels[None, :]) * (quantiles - truth[:, None])


def _check_levels(levels: np.ndarray) -> None:
    """The median must be there and every other level must have its mirror (1 - level)."""
    mirrored = np.sort(1.0 - levels)
    if not np.any(np.isclose(levels, 0.5)) or not np.allclose(mirrored, np.sort(levels)):
        raise ValueError(
            f"WIS needs the median and central intervals: levels {levels.tolist()} must "
            "include 0.5 and, for every level p, also 1 - p"
        )


def weighted_interval_score(
    quantiles: np.ndarray, levels: Sequence[float] | np.ndarray, truth: np.ndarray
) -> np.ndarray:
    """WIS of each row of `quantiles` (n x L, columns in `levels` order) against `truth` (n)."""
    level_array = np.asarray(levels, dtype="float64")
    _check_levels(level_array)
    intervals = (len(level_array) - 1) / 2
    loss = quantile_loss(np.asarray(quantiles, dtype="float64"), level_array, np.asarray(truth))
    return np.asarray(loss.sum(axis=1) / (intervals + 0.5))


def interval_coverage(
    quantiles: np.ndarray, levels: np.ndarray, truth: np.ndarray, width: float
) -> np.ndarray:
    """1.0 where truth lies in the central `width` interval (bounds included), else 0.0."""
    lower = _column(levels, (1 - width) / 2)
    upper = _column(levels, (1 + width) / 2)
    inside = (quantiles[:, lower] <= truth) & (truth <= quantiles[:, upper])
    return np.asarray(inside.astype("float64"))


def _column(levels: np.ndarray, level: float) -> int:
    matches = np.flatnonzero(np.isclose(levels, level))
    if len(matches) == 0:
        raise ValueError(f"the forecast has no {level:g} quantile; levels are {levels.tolist()}")
    return int(matches[0])


def quantile_matrix(forecasts: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(tasks, levels, n x L values) from a forecast frame; each task must have every level."""
    keys = [c for c in forecasts.columns if c not in ("output_type", "output_type_id", "value")]
    ordered = forecasts.sort_values([*keys, "output_type_id"], kind="stable")
    levels = np.sort(ordered["output_type_id"].astype("float64").unique())
    if len(ordered) % len(levels):
        raise ValueError("every forecast task must carry the same quantile levels")
    values = ordered["value"].to_numpy(dtype="float64").reshape(-1, len(levels))
    tasks = ordered[keys].iloc[:: len(levels)].reset_index(drop=True)
    seen = ordered["output_type_id"].to_numpy(dtype="float64").reshape(-1, len(levels))
    if not np.allclose(seen, levels[None, :]):
        raise ValueError(
            "every forecast task must carry the same quantile levels, each exactly once"
        )
    return tasks, levels, values


def score(forecasts: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """One row per forecast task whose target is known in `truth` (a series frame).

    Columns: the task columns of `forecasts` (and any extra key such as `model`), then
    `truth, wis, ae_median, cover_50, cover_95`. Tasks without truth are left out.
    """
    if forecasts.empty:
        keys = [c for c in forecasts.columns if c not in ("output_type", "output_type_id", "value")]
        return pd.DataFrame(columns=[*(keys or TASK_COLUMNS), *SCORE_COLUMNS])
    tasks, levels, values = quantile_matrix(forecasts)
    observed = truth.rename(columns={"date": "target_end_date", "value": "truth"})[
        ["location", "target_end_date", "truth"]
    ]
    joined = tasks.assign(_row=np.arange(len(tasks))).merge(
        observed, on=["location", "target_end_date"], how="inner"
    )
    rows = joined.pop("_row").to_numpy()
    known = values[rows]
    actual = joined["truth"].to_numpy(dtype="float64")
    median = known[:, _column(levels, 0.5)]
    scores = joined.assign(
        wis=weighted_interval_score(known, levels, actual),
        ae_median=np.abs(actual - median),
        cover_50=interval_coverage(known, levels, actual, 0.5),
        cover_95=interval_coverage(known, levels, actual, 0.95),
    )
    return scores.sort_values(list(tasks.columns), ignore_index=True)


def summarize(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean WIS, error of the median and coverage per horizon, then over all horizons.

    Indexed by `horizon` as text (`"0"`, `"1"`, ..., `"all"`), with the row count `n`.
    """
    metrics = ["wis", "ae_median", "cover_50", "cover_95"]
    by_horizon = scores.groupby("horizon")[metrics].mean()
    by_horizon["n"] = scores.groupby("horizon").size()
    overall = pd.DataFrame(
        [[*scores[metrics].mean().tolist(), len(scores)]], columns=[*metrics, "n"], index=[OVERALL]
    )
    table = pd.concat([by_horizon.set_axis(by_horizon.index.astype(str)), overall])
    table.index.name = "horizon"
    return table.astype({"n": "int64"})


def relative_wis(model_scores: pd.DataFrame, baseline_scores: pd.DataFrame) -> pd.DataFrame:
    """Model WIS / baseline WIS on the forecast tasks both scored, per horizon and overall.

    Columns `n, wis, baseline_wis, relative_wis`, indexed like `summarize`.
    """
    keys = [c for c in TASK_COLUMNS if c in model_scores.columns]
    paired = model_scores[[*keys, "wis"]].merge(
        baseline_scores[[*keys, "wis"]], on=keys, suffixes=("", "_baseline")
    )
    if paired.empty:
        raise ValueError("the model and the baseline scored no forecast task in common")
    paired = paired.rename(columns={"wis_baseline": "baseline_wis"})
    by_horizon = paired.groupby("horizon")[["wis", "baseline_wis"]].mean()
    by_horizon.insert(0, "n", paired.groupby("horizon").size())
    overall = pd.DataFrame(
        [[len(paired), paired["wis"].mean(), paired["baseline_wis"].mean()]],
        columns=["n", "wis", "baseline_wis"],
        index=[OVERALL],
    )
    table = pd.concat([by_horizon.set_axis(by_horizon.index.astype(str)), overall])
    table["relative_wis"] = table["wis"] / table["baseline_wis"]
    table.index.name = "horizon"
    return table.astype({"n": "int64"})
