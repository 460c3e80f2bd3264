"""The weekly covidhub path under the session's Prefect server: hub files, charts, artifacts,
the missing-week and bad-data refusals, monitoring, and a quantile model on a JHU stack.

The data is the generated hub sample (weeks up to 2026-03-28) on disk and on moto S3; the
models are trained by the `train` flow into a real MLflow store.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.flow_engine import run_flow
from prefect.logging.handlers import APILogWorker
from prefect.states import Scheduled

from flow.flows import ModelWorseThanBaselineError, covid_prediction, monitor, train
from flow.hub import MissingWeekError
from flow.hub_output import validate_hub_csv
from flow.locations import HUB_CODES
from flow.sample_hub import write_sample_hub
from tests.integration.flow.flow_env import FlowEnv
from tests.servers import MotoS3, PrefectServer

pytestmark = pytest.mark.integration

LAST_WEEK = date(2026, 3, 28)
RUN_DAY = date(2026, 4, 1)  # a Wednesday: reference date 2026-04-04, data up to 2026-03-28
REFERENCE = date(2026, 4, 4)
BUCKET = "flow-it-hub"


@dataclass(frozen=True)
class HubEnv:
    """The hub sample, a weekly default model and where it is logged."""

    data: Path
    s3_data: str
    tracking_uri: str
    artifact_root: str
    run_id: str


@pytest.fixture(scope="module")
def hub_env(
    prefect_server: PrefectServer, moto_s3: MotoS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubEnv]:
    import boto3

    root = tmp_path_factory.mktemp("hub")
    data = write_sample_hub(root / "covid-hospital-admissions.csv", LAST_WEEK)
    s3 = boto3.client("s3", endpoint_url=moto_s3.endpoint_url)
    s3.create_bucket(Bucket=BUCKET)
    s3.upload_file(str(data), BUCKET, "target-data/covid-hospital-admissions.csv")
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    artifacts = (root / "artifacts").as_uri()
    run_id = str(
        train(
            start=LAST_WEEK - timedelta(weeks=70),
            end=LAST_WEEK - timedelta(weeks=4),
            data_url=str(data),
            source="covidhub",
            model="default",
            tracking_uri=tracking,
            artifact_location=artifacts,
            backtest_origins=4,
        )
    )
    yield HubEnv(
        data=data,
        s3_data=f"s3://{BUCKET}/target-data/covid-hospital-admissions.csv",
        tracking_uri=tracking,
        artifact_root=str(root / "artifacts"),
        run_id=run_id,
    )
    APILogWorker.drain_all(timeout=10)


def latest_artifact(key: str) -> Any:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    assert artifacts, f"no artifact {key}"
    return max(artifacts, key=lambda artifact: artifact.created)


def test_one_state_gives_a_hub_file_a_chart_and_whole_count_artifacts(
    hub_env: HubEnv, tmp_path: Path
) -> None:
    kwargs: dict[str, Any] = {
        "prov_st": "ca",
        "run_id": hub_env.run_id,
        "source": "covidhub",
        "as_of": RUN_DAY,
        "tracking_uri": hub_env.tracking_uri,
        "results_uri": str(tmp_path),
        "data_url": str(hub_env.data),
    }
    location = covid_prediction(**kwargs)
    path = tmp_path / "california" / "2026-04-04" / f"{hub_env.run_id}.csv"
    assert location == str(path)
    content = path.read_bytes()
    assert validate_hub_csv(content, reference=REFERENCE, locations=["06"]) == []
    table = pd.read_csv(io.BytesIO(content), dtype={"location": str})
    assert len(table) == 5 * 23
    # Horizon -1 is the latest complete week itself, as the hub's baseline reports it.
    observed = pd.read_csv(hub_env.data, dtype={"location": str})
    last = observed[(observed["location"] == "06") & (observed["target_end_date"] == "2026-03-28")]
    nowcast = table[(table["horizon"] == -1) & (table["output_type_id"] == 0.5)]
    assert nowcast["value"].item() == pytest.approx(float(last["value"].item()))
    assert (tmp_path / "california" / "2026-04-04" / f"{hub_env.run_id}.svg").exists()

    # Same inputs, same key: a re-run replaces the file.
    covid_prediction(**kwargs)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        f"{hub_env.run_id}.csv",
        f"{hub_env.run_id}.svg",
    ]

    summary = latest_artifact("covid-forecast-california")
    rows = summary.data if isinstance(summary.data, list) else json.loads(str(summary.data))
    assert [row["horizon"] for row in rows] == [-1, 0, 1, 2, 3]
    for row in rows:
        assert row["name"] == "California"
        for column in ("median", "50% low", "50% high", "95% low", "95% high"):
            assert isinstance(row[column], int), (column, row[column])
    chart = latest_artifact("covid-forecast-chart-california")
    assert chart.type == "markdown"
    prefix = "data:image/svg+xml;base64,"
    encoded = str(chart.data).split(prefix, 1)[1].split(")", 1)[0]
    assert base64.b64decode(encoded).startswith(b"<svg")


def test_all_is_one_complete_submission_read_from_s3(hub_env: HubEnv, tmp_path: Path) -> None:
    location = covid_prediction(
        prov_st="all",
        run_id=hub_env.run_id,
        source="covidhub",
        as_of=RUN_DAY,
        artifact_root=hub_env.artifact_root,
        results_uri=str(tmp_path),
        data_url=hub_env.s3_data,
    )
    content = Path(location).read_bytes()
    assert validate_hub_csv(content, reference=REFERENCE, locations=HUB_CODES) == []
    assert len(content.decode().splitlines()) == 1 + 53 * 5 * 23


def test_a_missing_latest_week_fails_naming_the_locations_before_any_model_is_loaded(
    hub_env: HubEnv, tmp_path: Path
) -> None:
    # One week short: a run on 2026-04-08 needs the week ending 2026-04-04. The run id exists
    # nowhere, so loading a model first would fail differently.
    missing = r"week ending 2026-04-04.*06 \(latest week 2026-03-28\)"
    with pytest.raises(MissingWeekError, match=missing):
        covid_prediction(
            prov_st="California",
            run_id="e" * 32,
            source="covidhub",
            as_of=date(2026, 4, 8),
            tracking_uri=hub_env.tracking_uri,
            results_uri=str(tmp_path / "results"),
            data_url=str(hub_env.data),
        )
    assert not (tmp_path / "results").exists()


def run_scheduled(parameters: dict[str, Any]) -> Any:
    """Run `covid_prediction` as a flow run the server knows; returns the run read back."""
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run(
            covid_prediction,
            parameters=parameters,
            state=Scheduled(scheduled_time=datetime(2026, 4, 1, 22, tzinfo=UTC)),
        )
    run_flow(covid_prediction, flow_run=flow_run, parameters=parameters, return_type="state")
    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        final = client.read_flow_run(flow_run.id)
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.id]))
        )
        task_runs = client.read_task_runs()
    tasks = [t.name for t in task_runs if t.flow_run_id == flow_run.id]
    return final, "\n".join(log.message for log in logs), tasks


@pytest.mark.parametrize(
    ("source", "body", "expected"),
    [
        (
            "covidhub",
            "state,target_end_date,value,location\nCA,2026-03-28,ten,06\n",
            "'ten'",
        ),
        (
            "jhu-daily",
            "Province_State,Country_Region,Last_Update,Confirmed,Deaths\n"
            "Madrid,Spain,2021-02-10 05:22:33,ten,5\n",
            "'ten'",
        ),
    ],
)
def test_a_run_given_bad_data_ends_failed_with_the_message_before_any_model_is_loaded(
    hub_env: HubEnv, tmp_path: Path, source: str, body: str, expected: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if source == "covidhub":
        bad = data / "covid-hospital-admissions.csv"
        url = str(bad)
        as_of = RUN_DAY
    else:
        bad = data / "02-10-2021.csv"
        url = str(data / "{date:%m-%d-%Y}.csv")
        as_of = date(2021, 2, 10)
    bad.write_text(body)
    final, logs, tasks = run_scheduled(
        {
            "prov_st": "California" if source == "covidhub" else "Madrid",
            "run_id": hub_env.run_id,
            "source": source,
            "as_of": as_of.isoformat(),
            "tracking_uri": hub_env.tracking_uri,
            "results_uri": str(tmp_path / "results"),
            "data_url": url,
        }
    )
    assert final.state.is_failed()
    assert "refused, 1 problem(s) in the source data" in logs
    assert str(bad) in logs and expected in logs
    assert "load-model" not in " ".join(tasks)
    assert not (tmp_path / "results").exists()


def test_monitor_scores_the_deployments_past_weekly_forecasts_against_the_baseline(
    hub_env: HubEnv, tmp_path: Path
) -> None:
    common: dict[str, Any] = {
        "prov_st": "all",
        "run_id": hub_env.run_id,
        "source": "covidhub",
        "tracking_uri": hub_env.tracking_uri,
        "results_uri": str(tmp_path),
        "data_url": str(hub_env.data),
    }
    # The deployment ran on the four Wednesdays before: reference dates 03-07 .. 03-28.
    for weeks_back in range(1, 5):
        covid_prediction(**common, as_of=RUN_DAY - timedelta(weeks=weeks_back))
    location = monitor(**common, as_of=RUN_DAY, weeks=4)
    path = tmp_path / "monitoring" / "all" / "2026-04-04" / f"{hub_env.run_id}.csv"
    assert location == str(path)
    summary = pd.read_csv(path)
    assert {"wis", "baseline_wis", "relative_wis"} <= set(summary.columns)
    overall = summary[summary["horizon"].astype(str) == "all"]["relative_wis"].item()
    assert 0 < overall < 1.5
    artifact = latest_artifact("covid-monitor-all")
    assert artifact.type == "table"

    # Held to a bar it cannot meet, the run ends Failed after writing its scores.
    path.unlink()
    with pytest.raises(ModelWorseThanBaselineError, match=r"relative WIS .* above"):
        monitor(**common, as_of=RUN_DAY, weeks=4, max_relative_wis=0.01)
    assert path.exists()


def test_monitor_without_past_forecasts_says_so_and_completes(
    hub_env: HubEnv, tmp_path: Path
) -> None:
    message = monitor(
        prov_st="Texas",
        run_id=hub_env.run_id,
        source="covidhub",
        as_of=RUN_DAY,
        tracking_uri=hub_env.tracking_uri,
        results_uri=str(tmp_path),
        data_url=str(hub_env.data),
    )
    assert "nothing to score yet" in message
    assert not (tmp_path / "monitoring").exists()


def test_a_quantile_model_on_a_jhu_stack_writes_the_seed_columns_and_its_quantiles(
    flow_env: FlowEnv, default_run_id: str, tmp_path: Path
) -> None:
    run_id = default_run_id
    location = covid_prediction(
        prov_st="Madrid",
        country="Spain",
        run_id=run_id,
        as_of=date(2021, 2, 10),
        tracking_uri=flow_env.tracking_uri,
        results_uri=str(tmp_path),
        data_url=flow_env.local_data_url,
    )
    folder = tmp_path / "madrid" / "2021-02-10"
    assert location == str(folder / f"{run_id}.csv")
    row = pd.read_csv(location).iloc[0]
    assert (row["Province_State"], row["Date"], row["data_date"]) == (
        "Madrid",
        "2021-02-11",
        "2021-02-10",
    )
    report = pd.read_csv(flow_env.local_data_url.format(date=date(2021, 2, 10)))
    cumulative = report.loc[report["Province_State"] == "Madrid", "Confirmed"].item()
    quantiles = pd.read_csv(folder / f"{run_id}.quantiles.csv")
    next_day = quantiles[(quantiles["horizon"] == 1) & (quantiles["output_type_id"] == 0.5)]
    assert row["pred_out_ConfirmedCases"] == pytest.approx(cumulative + next_day["value"].item())
    assert pd.isna(row["pred_out_Fatalities"])
    assert sorted(quantiles["horizon"].unique()) == list(range(1, 8))
    assert set(quantiles["location"]) == {"Madrid (Spain)"}
    assert (folder / f"{run_id}.svg").exists()


@pytest.mark.parametrize(
    ("scheduled", "reference"),
    [
        # The deployment's Wednesday 18:00 America/New_York run (22:00 UTC in summer time).
        (datetime(2026, 4, 1, 22, 0, tzinfo=UTC), "2026-04-04"),
        # Sunday 01:30 UTC is still Saturday evening in New York: the week that Saturday ends.
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "2026-03-28"),
    ],
)
def test_a_scheduled_run_takes_its_week_from_the_scheduled_day_in_us_eastern(
    hub_env: HubEnv, tmp_path: Path, scheduled: datetime, reference: str
) -> None:
    parameters = {
        "prov_st": "06",
        "run_id": hub_env.run_id,
        "source": "covidhub",
        "tracking_uri": hub_env.tracking_uri,
        "results_uri": str(tmp_path),
        "data_url": str(hub_env.data),
    }
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run(
            covid_prediction, parameters=parameters, state=Scheduled(scheduled_time=scheduled)
        )
    location = run_flow(covid_prediction, flow_run=flow_run, parameters=parameters)
    assert location == str(tmp_path / "california" / reference / f"{hub_env.run_id}.csv")
    content = Path(str(location)).read_bytes()
    assert validate_hub_csv(content, reference=date.fromisoformat(reference)) == []


def test_monitor_scores_a_quantile_model_on_a_jhu_stack_from_its_past_quantile_files(
    flow_env: FlowEnv, default_run_id: str, tmp_path: Path
) -> None:
    common: dict[str, Any] = {
        "prov_st": "Madrid",
        "country": "Spain",
        "run_id": default_run_id,
        "tracking_uri": flow_env.tracking_uri,
        "results_uri": str(tmp_path),
        "data_url": flow_env.local_data_url,
    }
    for day in (date(2021, 2, 8), date(2021, 2, 9), date(2021, 2, 10)):
        covid_prediction(**common, as_of=day)
    location = monitor(**common, as_of=date(2021, 2, 12), days=4)
    path = tmp_path / "monitoring" / "madrid" / "2021-02-12" / f"{default_run_id}.csv"
    assert location == str(path)
    summary = pd.read_csv(path)
    scored = summary[summary["horizon"].astype(str) == "all"]
    assert scored["n"].item() > 0
    assert scored["relative_wis"].item() > 0
    assert (path.parent / f"{default_run_id}.rows.csv").exists()


def test_monitor_reads_past_forecasts_back_through_an_s3_bucket_block(
    hub_env: HubEnv, moto_s3: MotoS3
) -> None:
    import boto3
    from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

    S3Bucket(
        bucket_name=BUCKET,
        bucket_folder="results",
        credentials=AwsCredentials(
            region_name="us-east-1",
            aws_client_parameters=AwsClientParameters(endpoint_url=moto_s3.endpoint_url),
        ),
    ).save("hub-tests-results", overwrite=True)
    common: dict[str, Any] = {
        "prov_st": "NY",
        "run_id": hub_env.run_id,
        "source": "covidhub",
        "artifact_root": hub_env.artifact_root,
        "results_block": "s3-bucket/hub-tests-results",
        "data_url": hub_env.s3_data,
    }
    for weeks_back in (1, 2):
        covid_prediction(**common, as_of=RUN_DAY - timedelta(weeks=weeks_back))
    location = monitor(**common, as_of=RUN_DAY, weeks=3)
    key = f"results/monitoring/new-york/2026-04-04/{hub_env.run_id}.csv"
    assert location == f"s3://{BUCKET}/{key}"
    body = boto3.client("s3", endpoint_url=moto_s3.endpoint_url).get_object(Bucket=BUCKET, Key=key)
    summary = pd.read_csv(io.BytesIO(body["Body"].read()))
    # Two forecasts (reference dates 03-21 and 03-28) with horizons 0..3 whose weeks are known
    # by 03-28: 03-21 h0, h1 and 03-28 h0.
    assert summary[summary["horizon"].astype(str) == "all"]["n"].item() == 3
