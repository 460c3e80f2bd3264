"""What every flow run reads and writes around its work: the model it loads, where its results go,
the day it was scheduled for, and the artifacts it shows in the Prefect UI."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

import pandas as pd
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from flow.hub import hub_day
from flow.model_location import validate_run_id
from flow.results import artifact_key, check_results_target
from flow.sources import DEFAULT_URLS, SOURCES
from flow.tasks import load_run_model, write_result


def scheduled_day() -> date:
    """The UTC day of this flow run's scheduled start (today for an ad-hoc run).

    JHU names its daily reports by UTC day, so a backfill run scheduled for a past day reads
    the same report every time it is retried.
    """
    return flow_run.scheduled_start_time.astimezone(UTC).date()


def scheduled_hub_day() -> date:
    """The day of this flow run's scheduled start in US/Eastern, the hub's timezone (today for
    an ad-hoc run): it decides the hub week, hence the reference date, of the forecast."""
    return hub_day(flow_run.scheduled_start_time)


@dataclass(frozen=True)
class ModelRef:
    """Which model a run uses and where MLflow keeps it."""

    run_id: str
    tracking_uri: str | None
    artifact_root: str | None

    def load(self) -> Any:
        """The logged model (a quantile `Forecaster`, or the seed's `SeedModel`)."""
        return load_run_model(self.run_id, self.tracking_uri, self.artifact_root)


@dataclass(frozen=True)
class ResultsTarget:
    """Where a run writes: a saved block (preferred) or a URI."""

    uri: str | None
    block: str | None

    def write(self, key: str, content: bytes) -> str:
        """Write `content` at `key`; returns the location."""
        return write_result(key, content, self.uri, self.block)


@dataclass(frozen=True)
class RunInputs:
    """A forecast or monitor run's checked inputs: its data URL, model and results target."""

    url: str
    model: ModelRef
    results: ResultsTarget


def checked_inputs(
    run_id: str,
    source: str,
    data_url: str | None,
    tracking_uri: str | None,
    artifact_root: str | None,
    results_uri: str | None,
    results_block: str | None,
) -> RunInputs:
    """The parameters both deployed flows share, checked before anything is read; `data_url`
    defaults to the source's public URL."""
    validate_run_id(run_id)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    check_results_target(results_uri, results_block)
    return RunInputs(
        data_url or DEFAULT_URLS[source],
        ModelRef(run_id, tracking_uri, artifact_root),
        ResultsTarget(results_uri, results_block),
    )


def publish_table(kind: str, name: str | None, table: pd.DataFrame, description: str) -> None:
    """`table` as a table artifact keyed by `kind` and `name` (missing values shown empty)."""
    records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    create_table_artifact(table=records, key=artifact_key(kind, name), description=description)


def publish_chart(name: str, chart: str, location: str, title: str, run_id: str) -> None:
    """The fan chart as a markdown artifact: the image inline, and where the SVG file is."""
    encoded = base64.b64encode(chart.encode("utf-8")).decode("ascii")
    create_markdown_artifact(
        markdown=(
            f"### {title}\n\n![fan chart](data:image/svg+xml;base64,{encoded})\n\n"
            f"History, median and 50%/95% intervals of model `{run_id}`. SVG: `{location}`\n"
        ),
        key=artifact_key("covid-forecast-chart", name),
        description=f"Fan chart of the forecast for {name}",
    )
