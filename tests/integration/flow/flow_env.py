"""Names shared by the flow integration tests: buckets, dates and the `FlowEnv` they get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# Prefixed so they cannot clash with buckets other tests create on the shared moto server.
DATA_BUCKET = "flow-it-data"
MLFLOW_BUCKET = "flow-it-mlflow"
RESULTS_BUCKET = "flow-it-results"
FIRST_DAY = date(2021, 1, 1)
LAST_DAY = date(2021, 2, 15)
TRAIN_END = date(2021, 2, 5)
# The `default` model's own experiment, so the seed's experiment keeps exactly one model.
DEFAULT_EXPERIMENT = "covid-forecast-default-tests"


@dataclass(frozen=True)
class FlowEnv:
    """Where the integration tests' data, model store and results live."""

    s3: Any
    local_data_url: str
    s3_data_url: str
    tracking_uri: str
    artifact_root: str
    run_id: str
