"""Flow run cost: one city's forecast in-process vs the floor (read the CSV + one predict).

Data: the verbatim JHU extract in ../shared/data/jhu/ when present (the model is trained on the
45 Spain days, the forecast reads the full 07-14-2021 world report), else the generated sample.
The model is trained once into a local MLflow store (sqlite tracking, local artifacts) and each
flow run loads it by run id from the artifact root. Flows report to the benchmark's server.

Files the flow opens are seen through a Python audit hook (`open` events), so the flow code
runs unmodified; bytes read = sizes of the data files it opened (each is read whole).
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.measure import (
    REPETITIONS,
    median,
    megabytes,
    ratio,
    seconds,
    stopwatch,
    timed,
    with_range,
)
from infra.config import PROJECT_DIR

JHU = PROJECT_DIR.parent / "shared" / "data" / "jhu"
# Ten regions of the 07-14-2021 report; New York sums 64 county rows.
JHU_REGIONS = [
    ("Madrid", "Spain"),
    ("Catalonia", "Spain"),
    ("Andalusia", "Spain"),
    ("Lombardia", "Italy"),
    ("Ontario", "Canada"),
    ("New York", "US"),
    ("Sao Paulo", "Brazil"),
    ("Maharashtra", "India"),
    ("Tokyo", "Japan"),
    ("England", "United Kingdom"),
]
SAMPLE_REGIONS = [
    ("Madrid", "Spain"),
    ("Catalonia", "Spain"),
    ("Andalusia", "Spain"),
    ("Portugal", "Portugal"),
    ("Lombardia", "Italy"),
    ("New York", "US"),
    ("Punjab", "India"),
    ("Punjab", "Pakistan"),
]


@dataclass
class OpenedFiles:
    """Files opened for reading under `root` while `active` (fed by a sys audit hook)."""

    root: Path
    active: bool = False
    paths: list[Path] = field(default_factory=list)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook: records `open` events of files under `root` in a read mode."""
        if not self.active or event != "open" or not isinstance(args[0], str | Path):
            return
        path, mode, flags = Path(args[0]), args[1], args[2]
        # `open()` reports its mode; `os.open()` reports None and its flags instead.
        reading = "r" in mode if isinstance(mode, str) else not flags & (os.O_WRONLY | os.O_RDWR)
        if reading and path.is_relative_to(self.root):
            self.paths.append(path)

    def bytes_read(self) -> int:
        """Total size of the files opened (the flow reads each one whole)."""
        return sum(path.stat().st_size for path in self.paths)


def _data(workdir: Path) -> dict[str, Any]:
    """Train/forecast templates and days: real JHU files if present, else the sample."""
    if (JHU / "daily" / "07-14-2021.csv").exists():
        return {
            "source": "real JHU CSSE extract (../shared/data/jhu): model trained on the 45 "
            "Spain days 2021-01-01..02-14, forecasts from the full 07-14-2021 report",
            "root": JHU,
            "train_url": str(JHU / "spain" / "{date:%m-%d-%Y}.csv"),
            "train": (date(2021, 1, 1), date(2021, 2, 14)),
            "forecast_url": str(JHU / "daily" / "{date:%m-%d-%Y}.csv"),
            "as_of": date(2021, 7, 14),
            "regions": JHU_REGIONS,
        }
    from flow.sample import write_sample_reports

    end = date(2021, 2, 14)
    write_sample_reports(workdir / "jhu", end - timedelta(days=45), end)
    template = str(workdir / "jhu" / "{date:%m-%d-%Y}.csv")
    return {
        "source": "generated sample (../shared/data/jhu absent)",
        "root": workdir / "jhu",
        "train_url": template,
        "train": (end - timedelta(days=45), end - timedelta(days=1)),
        "forecast_url": template,
        "as_of": end,
        "regions": SAMPLE_REGIONS,
    }


def run(workdir: Path, repetitions: int = REPETITIONS) -> dict[str, Any]:
    """Flow vs floor (medians of `repetitions`), and every region once in the same process."""
    import numpy as np
    import pandas as pd
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flow.data import report_location
    from flow.features import as_features
    from flow.flows import covid_prediction, train
    from flow.model_store import load_model

    data = _data(workdir)
    artifacts = workdir / "artifacts"
    run_id = str(
        train(
            start=data["train"][0],
            end=data["train"][1],
            data_url=data["train_url"],
            model="seed",
            tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}",
            artifact_location=artifacts.as_uri(),
        )
    )

    def forecast(region: tuple[str, str]) -> None:
        covid_prediction(
            prov_st=region[0],
            run_id=run_id,
            country=region[1],
            as_of=data["as_of"],
            artifact_root=str(artifacts),
            results_uri=str(workdir / "results"),
            data_url=data["forecast_url"],
        )

    @flow(name="bench-empty")
    def empty() -> None:
        """Prefect's own cost of a flow run: no task, no I/O."""

    opened = OpenedFiles(Path(data["root"]))
    sys.addaudithook(opened.hook)
    regions = data["regions"]
    with stopwatch() as first:
        forecast(regions[0])  # first run in this process: lazy imports, first API connection
    opened.active = True
    flow_seconds = timed(lambda: forecast(regions[0]), repetitions)
    opened.active = False
    flow_bytes = opened.bytes_read() // repetitions
    files_per_run = len(opened.paths) // repetitions
    per_region = []
    for region in regions[1:]:
        with stopwatch() as elapsed:
            forecast(region)
        per_region.append(elapsed[0])
    empty_seconds = timed(empty, repetitions)
    # Prefect 3.9.1 joins its flow-run heartbeat thread at the end of every run, and that
    # thread sleeps in 1 s steps; with heartbeats off the same runs show the rest of the cost.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        quiet_empty_seconds = timed(empty, repetitions)
        quiet_flow_seconds = timed(lambda: forecast(regions[0]), repetitions)

    # The floor: the bytes of the one report the forecast needs, parsed, and one predict call.
    load_seconds = timed(lambda: load_model(run_id, artifact_root=str(artifacts)), repetitions)
    model: Any = load_model(run_id, artifact_root=str(artifacts))  # the seed: predict(features)
    report = Path(report_location(data["forecast_url"], data["as_of"]))
    features = as_features(np.array([[12.0, 9.0]]))

    def floor() -> None:
        pd.read_csv(io.BytesIO(report.read_bytes()))
        model.predict(features)

    return {
        "source": data["source"],
        "repetitions": repetitions,
        "first_run_seconds": first[0],
        "flow_seconds": flow_seconds,
        "flow_bytes_read": flow_bytes,
        "flow_files_read": files_per_run,
        "floor_seconds": timed(floor, repetitions),
        "floor_bytes_read": report.stat().st_size,
        "model_load_seconds": load_seconds,
        "empty_flow_seconds": empty_seconds,
        "no_heartbeat_empty_flow_seconds": quiet_empty_seconds,
        "no_heartbeat_flow_seconds": quiet_flow_seconds,
        "regions": len(regions),
        "further_region_seconds": per_region,
        "all_regions_seconds": first[0] + sum(per_region),
    }


def lines(result: dict[str, Any]) -> list[str]:
    """Printable figures with ratios."""
    flow_s, floor_s = median(result["flow_seconds"]), median(result["floor_seconds"])
    empty_s = median(result["empty_flow_seconds"])
    quiet_flow = median(result["no_heartbeat_flow_seconds"])
    quiet_empty = median(result["no_heartbeat_empty_flow_seconds"])
    own_work = max(quiet_flow - quiet_empty, 0)
    bytes_ratio = ratio(result["floor_bytes_read"], result["flow_bytes_read"])
    return [
        f"data: {result['source']}",
        f"covid_prediction for Madrid: {with_range(result['flow_seconds'])}, "
        f"{megabytes(result['flow_bytes_read'])} read in {result['flow_files_read']} file(s)",
        f"floor (read + parse the CSV, one predict): {with_range(result['floor_seconds'])}, "
        f"{megabytes(result['floor_bytes_read'])} -> flow/floor: time "
        f"{ratio(floor_s, flow_s)}, bytes {bytes_ratio}",
        f"an empty Prefect flow run: {with_range(result['empty_flow_seconds'])} -> forecast / "
        f"empty flow: {ratio(empty_s, flow_s)}",
        f"with Prefect's flow-run heartbeats off: forecast {seconds(quiet_flow)}, empty flow "
        f"{seconds(quiet_empty)} -> the forecast's own work {seconds(own_work)} (of which "
        f"loading the model {seconds(median(result['model_load_seconds']))})",
        f"{result['regions']} regions in one process: {seconds(result['all_regions_seconds'])} "
        f"(first forecast {seconds(result['first_run_seconds'])}, then "
        f"{with_range(result['further_region_seconds'])} per further region)",
    ]
