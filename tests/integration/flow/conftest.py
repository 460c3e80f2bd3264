"""Shared, session-scoped setup for the flow integration tests.

Generated JHU reports on moto S3, an MLflow store (sqlite tracking, artifacts on moto S3), and
one seed model trained by the `train` flow under the session's Prefect server (and, for the
tests that ask for it, a `default` model). Built once: training and MLflow's first database
migration are the slow parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from prefect.logging.handlers import APILogWorker

from flow.flows import train
from flow.sample import write_sample_reports
from tests.integration.flow.flow_env import (
    DATA_BUCKET,
    DEFAULT_EXPERIMENT,
    FIRST_DAY,
    LAST_DAY,
    MLFLOW_BUCKET,
    RESULTS_BUCKET,
    TRAIN_END,
    FlowEnv,
)
from tests.servers import MotoS3, PrefectServer


@pytest.fixture(scope="session")
def flow_env(
    prefect_server: PrefectServer, moto_s3: MotoS3, session_dir: Path
) -> Iterator[FlowEnv]:
    """Data on local disk and S3, and a model trained on 2021-01-01..2021-02-05 by `train`."""
    s3 = boto3.client("s3", endpoint_url=moto_s3.endpoint_url)
    for bucket in (DATA_BUCKET, MLFLOW_BUCKET, RESULTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    jhu = session_dir / "flow-jhu"
    for path in write_sample_reports(jhu, FIRST_DAY, LAST_DAY):
        s3.upload_file(str(path), DATA_BUCKET, f"jhu/{path.name}")
    mlflow_dir = session_dir / "flow-mlflow"
    mlflow_dir.mkdir()
    tracking_uri = f"sqlite:///{mlflow_dir / 'mlflow.db'}"
    artifact_root = f"s3://{MLFLOW_BUCKET}/artifacts"
    s3_data_url = f"s3://{DATA_BUCKET}/jhu/{{date:%m-%d-%Y}}.csv"
    run_id = train(
        start=FIRST_DAY,
        end=TRAIN_END,
        data_url=s3_data_url,
        model="seed",
        tracking_uri=tracking_uri,
        experiment_name="covid-forecast-tests",
        artifact_location=f"{artifact_root}/covid-forecast-tests",
    )
    yield FlowEnv(
        s3=s3,
        local_data_url=f"{jhu}/{{date:%m-%d-%Y}}.csv",
        s3_data_url=s3_data_url,
        tracking_uri=tracking_uri,
        artifact_root=artifact_root,
        run_id=run_id,
    )
    # Send the flows' queued logs while the server still runs; at interpreter exit the log
    # worker would retry against a stopped server for over a minute.
    APILogWorker.drain_all(timeout=10)


@pytest.fixture(scope="session")
def default_run_id(flow_env: FlowEnv) -> str:
    """A `default` model trained by `train` on the same JHU sample, in its own experiment."""
    return train(
        start=FIRST_DAY,
        end=TRAIN_END,
        data_url=flow_env.s3_data_url,
        source="jhu-daily",
        model="default",
        tracking_uri=flow_env.tracking_uri,
        experiment_name=DEFAULT_EXPERIMENT,
        artifact_location=f"{flow_env.artifact_root}/{DEFAULT_EXPERIMENT}",
        backtest_origins=7,
    )
