"""The Prefect flows: `covid-prediction`, `monitor` and `train`.

Deployment entrypoints: `flow/flows.py:covid_prediction` and `flow/flows.py:monitor`, run from
the repository root (process worker) or `/opt/prefect/covid-forecast` (the image).

Both take the stack's `source`: `jhu-daily` (daily JHU reports, the seed's output columns) or
`covidhub` (the CDC Forecast Hub's weekly admissions, the hub's file format, `flow.hub` timing).
Every run reads its data, and checks it, before it loads a model.

This module holds the flows' signatures and docstrings (Prefect builds each flow's parameter
schema from them) and nothing heavy: each body is in `flow.runs`, imported when that flow runs.
Every flow run imports this module before Prefect marks it Running, so pandas, numpy, the models
and MLflow are paid by the run that needs them, after it has started (docs/benchmarks.md,
Footprint).
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flow.errors import ModelWorseThanBaselineError

__all__ = ["ModelWorseThanBaselineError", "covid_prediction", "monitor", "train"]

# JHU reports are published the next day, so the as_of day itself is usually not out yet.
DEFAULT_LOOKBACK_DAYS = 7


@flow(name="covid-prediction")
def covid_prediction(
    prov_st: str,
    run_id: str,
    source: str = "jhu-daily",
    country: str | None = None,
    as_of: date | None = None,
    artifact_root: str | None = None,
    tracking_uri: str | None = None,
    results_uri: str | None = None,
    results_block: str | None = None,
    data_url: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> str:
    """Forecast with the MLflow model of `run_id`; returns where the CSV was written.

    `source` `jhu-daily`: tomorrow's cumulative cases and deaths of one region from the latest
    JHU report on or before `as_of` (default: the run's scheduled UTC day), written to
    `<city>/<as_of>/<run_id>.csv` in the seed's columns (a quantile model also writes its
    quantiles beside it, `<run_id>.quantiles.csv`, and a fan chart, `<run_id>.svg`).

    `source` `covidhub`: weekly hospital admissions of `prov_st` (a hub location, or `all`) for
    the hub's reference date of `as_of`'s week (default: the run's scheduled day in
    US/Eastern), horizons -1..3, written as a hub model-output file
    `<location>/<reference_date>/<run_id>.csv` with its fan chart `<run_id>.svg` beside it.

    Results go under `results_block` or `results_uri`, replacing an earlier result of the same
    inputs. Bad source data fails the run before any model is loaded. `data_url` defaults to
    the source's public URL.
    """
    from flow.runs.prediction import run_prediction

    return run_prediction(
        prov_st=prov_st,
        run_id=run_id,
        source=source,
        country=country,
        as_of=as_of,
        artifact_root=artifact_root,
        tracking_uri=tracking_uri,
        results_uri=results_uri,
        results_block=results_block,
        data_url=data_url,
        lookback_days=lookback_days,
    )


@flow(name="monitor")
def monitor(
    run_id: str,
    prov_st: str | None = None,
    source: str = "jhu-daily",
    country: str | None = None,
    as_of: date | None = None,
    days: int = 7,
    weeks: int = 8,
    max_relative_wis: float = 1.0,
    artifact_root: str | None = None,
    tracking_uri: str | None = None,
    results_uri: str | None = None,
    results_block: str | None = None,
    data_url: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> str:
    """Score the deployed model on the truth known now; returns where its CSV was written.

    Quantile models (every `covidhub` stack; a quantile model on a `jhu-daily` stack): the
    deployment's own past forecasts, read back from its results (`covidhub`: the last `weeks`
    reference dates; `jhu-daily`: the last `days` days), scored with WIS against the flat
    baseline re-computed from the truth as known at each reference date. The run ends Failed
    when the overall relative WIS exceeds `max_relative_wis`, after writing its CSV and table.

    The seed model on `jhu-daily`: RMSE (log space) of the model rolled forward over the last
    `days` days, for one region (`prov_st`, optionally `country`), a country, or all.

    Writes `monitoring/<scope>/<date>/<run_id>.csv` under `results_block` or `results_uri`.
    """
    from flow.runs.monitor import run_monitor

    return run_monitor(
        run_id=run_id,
        prov_st=prov_st,
        source=source,
        country=country,
        as_of=as_of,
        days=days,
        weeks=weeks,
        max_relative_wis=max_relative_wis,
        artifact_root=artifact_root,
        tracking_uri=tracking_uri,
        results_uri=results_uri,
        results_block=results_block,
        data_url=data_url,
        lookback_days=lookback_days,
    )


@flow(name="train")
def train(
    start: date,
    end: date,
    data_url: str | None = None,
    source: str = "jhu-daily",
    model: str = "default",
    tracking_uri: str | None = None,
    experiment_name: str = "covid-forecast",
    artifact_location: str | None = None,
    alpha: float = 1.0,
    count: str = "cases",
    backtest_origins: int = 26,
) -> str:
    """Train `model` on `source`'s data from `start` to `end`; returns the MLflow run id.

    `model` `default` or `baseline`: a quantile forecaster of `source`'s series (`count` picks
    JHU cases or deaths). Before the final fit, a rolling-origin backtest over the last
    `backtest_origins` reference dates of the window scores it against the baseline; its
    metrics (WIS, relative WIS, coverage per horizon and overall) go on the MLflow run and its
    rows in `backtest.csv`.

    `model` `seed`: the seed's PolynomialFeatures(2) + Ridge on JHU daily reports (`alpha`),
    served with numpy and also logged in MLflow's scikit-learn flavour.

    `data_url` defaults to the source's public URL. The model is logged as `"model"`.
    """
    from flow.runs.train import run_training

    return run_training(
        start=start,
        end=end,
        data_url=data_url,
        source=source,
        model=model,
        tracking_uri=tracking_uri,
        experiment_name=experiment_name,
        artifact_location=artifact_location,
        alpha=alpha,
        count=count,
        backtest_origins=backtest_origins,
    )
