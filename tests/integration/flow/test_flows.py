"""The flows under the session's Prefect server, with MLflow artifacts and results on moto S3.

One model, trained by the `train` flow (see conftest), is loaded through each route: the
tracking server, an artifact-root search in the MLflow 3 layout, and in the MLflow 2 layout.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.filesystems import LocalFileSystem
from prefect.flow_engine import run_flow
from prefect.states import Scheduled
from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

from flow.flows import covid_prediction, monitor
from flow.model_location import ModelNotFoundError
from flow.regions import UnknownRegionError
from tests.integration.flow.flow_env import MLFLOW_BUCKET, RESULTS_BUCKET, FlowEnv
from tests.servers import MotoS3

pytestmark = pytest.mark.integration

AS_OF = date(2021, 2, 10)


def s3_keys(env: FlowEnv, bucket: str, prefix: str) -> list[str]:
    listing = env.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def s3_csv(env: FlowEnv, bucket: str, key: str) -> pd.DataFrame:
    body = env.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return pd.read_csv(io.BytesIO(body))


def logged_model_prefix(env: FlowEnv) -> str:
    """The S3 prefix of the MLflow 3 logged model the session's `train` run wrote."""
    mlmodels = [
        key
        for key in s3_keys(env, MLFLOW_BUCKET, "artifacts/covid-forecast-tests/models/")
        if key.endswith("/MLmodel")
    ]
    assert len(mlmodels) == 1, mlmodels
    return mlmodels[0].removesuffix("MLmodel")


def expected_forecast(env: FlowEnv, day: date) -> tuple[float, float]:
    """Madrid's forecast for the day after `day`, computed without the flow's own code."""
    report = pd.read_csv(env.local_data_url.format(date=day))
    madrid = report[report["Province_State"] == "Madrid"].iloc[0]
    pipeline = mlflow.sklearn.load_model(f"s3://{MLFLOW_BUCKET}/{logged_model_prefix(env)}")
    features = pd.DataFrame(
        {
            "prev_ConfirmedCases": [np.log1p(madrid["Confirmed"])],
            "prev_Fatalities": [np.log1p(madrid["Deaths"])],
        }
    )
    cases, deaths = np.expm1(np.clip(pipeline.predict(features), None, 16))[0]
    return float(cases), float(deaths)


def test_train_logs_the_model_with_signature_and_example_to_s3(flow_env: FlowEnv) -> None:
    prefix = logged_model_prefix(flow_env)
    files = {key.removeprefix(prefix) for key in s3_keys(flow_env, MLFLOW_BUCKET, prefix)}
    assert {"MLmodel", "model.skops", "input_example.json"} <= files
    body = flow_env.s3.get_object(Bucket=MLFLOW_BUCKET, Key=f"{prefix}MLmodel")["Body"].read()
    mlmodel = body.decode()
    assert f"run_id: {flow_env.run_id}" in mlmodel
    assert '"name": "prev_ConfirmedCases"' in mlmodel
    run = mlflow.MlflowClient(flow_env.tracking_uri).get_run(flow_env.run_id)
    assert run.data.params["start"] == "2021-01-01"
    assert run.data.params["end"] == "2021-02-05"
    # train's tracking URI applied to its own call only; it did not leak into this process.
    assert mlflow.get_tracking_uri() != flow_env.tracking_uri


def test_forecast_through_the_tracking_server_lands_in_s3_and_reruns_overwrite(
    flow_env: FlowEnv,
) -> None:
    kwargs = {
        "prov_st": "Madrid",
        "country": "Spain",
        "run_id": flow_env.run_id,
        "as_of": AS_OF,
        "tracking_uri": flow_env.tracking_uri,
        "results_uri": f"s3://{RESULTS_BUCKET}/forecasts",
        "data_url": flow_env.s3_data_url,
    }
    key = f"forecasts/madrid/2021-02-10/{flow_env.run_id}.csv"
    assert covid_prediction(**kwargs) == f"s3://{RESULTS_BUCKET}/{key}"
    first = s3_csv(flow_env, RESULTS_BUCKET, key)
    covid_prediction(**kwargs)

    assert s3_keys(flow_env, RESULTS_BUCKET, "forecasts/madrid/") == [key]
    table = s3_csv(flow_env, RESULTS_BUCKET, key)
    pd.testing.assert_frame_equal(table, first)
    assert len(table) == 1
    row = table.iloc[0]
    assert list(table.columns)[:5] == [
        "Province_State",
        "Date",
        "pred_out_ConfirmedCases",
        "pred_out_Fatalities",
        "model_version",
    ]
    assert (row["Province_State"], row["Country_Region"]) == ("Madrid", "Spain")
    assert (row["Date"], row["data_date"]) == ("2021-02-11", "2021-02-10")
    assert row["model_version"] == flow_env.run_id
    cases, deaths = expected_forecast(flow_env, AS_OF)
    assert row["pred_out_ConfirmedCases"] == pytest.approx(cases, rel=1e-9)
    assert row["pred_out_Fatalities"] == pytest.approx(deaths, rel=1e-9)
    # A sane model: within 5% of what the generated data reports the next day.
    actual = pd.read_csv(flow_env.local_data_url.format(date=date(2021, 2, 11)))
    actual_cases = actual.loc[actual["Province_State"] == "Madrid", "Confirmed"].item()
    assert row["pred_out_ConfirmedCases"] == pytest.approx(actual_cases, rel=0.05)


def test_forecast_is_published_as_a_table_artifact(flow_env: FlowEnv, tmp_path: Path) -> None:
    covid_prediction(
        prov_st="Madrid",
        run_id=flow_env.run_id,
        as_of=AS_OF,
        tracking_uri=flow_env.tracking_uri,
        results_uri=str(tmp_path),
        data_url=flow_env.local_data_url,
    )
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["covid-forecast-madrid"]))
        )
    assert artifacts
    latest = max(artifacts, key=lambda artifact: artifact.created)
    assert latest.type == "table"
    data = latest.data if isinstance(latest.data, list) else json.loads(str(latest.data))
    assert data[0]["Province_State"] == "Madrid"
    assert data[0]["model_version"] == flow_env.run_id
    # A person reads whole counts; the CSV keeps full precision.
    written = pd.read_csv(tmp_path / "madrid" / AS_OF.isoformat() / f"{flow_env.run_id}.csv")
    for column in ("pred_out_ConfirmedCases", "pred_out_Fatalities"):
        assert isinstance(data[0][column], int)
        assert data[0][column] == round(written.at[0, column])
        assert written.at[0, column] != round(written.at[0, column])


def test_forecast_found_in_the_mlflow3_layout_written_through_an_s3_bucket_block(
    flow_env: FlowEnv, moto_s3: MotoS3
) -> None:
    S3Bucket(
        bucket_name=RESULTS_BUCKET,
        bucket_folder="via-block",
        credentials=AwsCredentials(
            region_name="us-east-1",
            aws_client_parameters=AwsClientParameters(endpoint_url=moto_s3.endpoint_url),
        ),
    ).save("covid-tests-results", overwrite=True)
    # 02-16..02-20 have no report: the look-back falls back to 02-15 and says so in the row.
    location = covid_prediction(
        prov_st="Madrid",
        country="Spain",
        run_id=flow_env.run_id,
        as_of=date(2021, 2, 20),
        artifact_root=flow_env.artifact_root,
        results_block="s3-bucket/covid-tests-results",
        data_url=flow_env.s3_data_url,
    )
    key = f"via-block/madrid/2021-02-20/{flow_env.run_id}.csv"
    assert location == f"s3://{RESULTS_BUCKET}/{key}"
    row = s3_csv(flow_env, RESULTS_BUCKET, key).iloc[0]
    assert (row["Date"], row["data_date"]) == ("2021-02-16", "2021-02-15")
    cases, _ = expected_forecast(flow_env, date(2021, 2, 15))
    assert row["pred_out_ConfirmedCases"] == pytest.approx(cases, rel=1e-9)


def test_forecast_found_in_the_mlflow2_layout_written_through_a_local_block(
    flow_env: FlowEnv, tmp_path: Path
) -> None:
    # The same model files where MLflow 2 kept them: <root>/<experiment>/<run_id>/artifacts/model
    prefix = logged_model_prefix(flow_env)
    legacy = f"legacy/7/{flow_env.run_id}/artifacts/model/"
    for key in s3_keys(flow_env, MLFLOW_BUCKET, prefix):
        flow_env.s3.copy_object(
            Bucket=MLFLOW_BUCKET,
            Key=legacy + key.removeprefix(prefix),
            CopySource={"Bucket": MLFLOW_BUCKET, "Key": key},
        )
    LocalFileSystem(basepath=str(tmp_path / "results")).save("covid-tests-local", overwrite=True)
    location = covid_prediction(
        prov_st="madrid",
        run_id=flow_env.run_id,
        as_of=AS_OF,
        artifact_root=f"s3://{MLFLOW_BUCKET}/legacy",
        results_block="local-file-system/covid-tests-local",
        data_url=f"file://{flow_env.local_data_url}",
    )
    path = tmp_path / "results" / "madrid" / "2021-02-10" / f"{flow_env.run_id}.csv"
    assert location == str(path)
    row = pd.read_csv(path).iloc[0]
    assert row["pred_out_ConfirmedCases"] == pytest.approx(expected_forecast(flow_env, AS_OF)[0])


def test_a_wrong_run_id_fails_naming_every_place_searched(
    flow_env: FlowEnv, tmp_path: Path
) -> None:
    wrong = "f" * 32
    with pytest.raises(ModelNotFoundError) as failure:
        covid_prediction(
            prov_st="Madrid",
            run_id=wrong,
            as_of=AS_OF,
            tracking_uri=flow_env.tracking_uri,
            artifact_root=flow_env.artifact_root,
            results_uri=str(tmp_path),
            data_url=flow_env.local_data_url,
        )
    message = str(failure.value)
    assert f"tracking server {flow_env.tracking_uri}: no run {wrong}" in message
    assert f"{flow_env.artifact_root}/*/{wrong}/artifacts/model (MLflow 2 layout)" in message
    assert f"{flow_env.artifact_root}/*/models/m-*/artifacts (MLflow 3 layout" in message
    assert not list(tmp_path.iterdir())


def test_an_unknown_region_fails_with_the_closest_names(flow_env: FlowEnv, tmp_path: Path) -> None:
    with pytest.raises(UnknownRegionError, match=r"'Madird'.*'Madrid \(Spain\)'"):
        covid_prediction(
            prov_st="Madird",
            run_id=flow_env.run_id,
            as_of=AS_OF,
            tracking_uri=flow_env.tracking_uri,
            results_uri=str(tmp_path),
            data_url=flow_env.local_data_url,
        )


def test_monitor_writes_the_rmse_of_the_last_days(flow_env: FlowEnv, tmp_path: Path) -> None:
    location = monitor(
        run_id=flow_env.run_id,
        prov_st="Madrid",
        country="Spain",
        as_of=date(2021, 2, 15),
        days=7,
        artifact_root=flow_env.artifact_root,
        results_uri=str(tmp_path),
        data_url=flow_env.local_data_url,
    )
    path = tmp_path / "monitoring" / "madrid" / "2021-02-15" / f"{flow_env.run_id}.csv"
    assert location == str(path)
    row = pd.read_csv(path).iloc[0]
    assert row["model_version"] == flow_env.run_id
    assert (row["first_day"], row["last_day"], row["days_compared"]) == (
        "2021-02-08",
        "2021-02-15",
        7,
    )
    assert row["regions"] == 1
    # Out of sample (trained up to 02-05) yet close: cumulative counts move slowly.
    assert 0 < row["RMSE"] < 0.2


def test_a_backfill_run_defaults_as_of_to_its_scheduled_day(
    flow_env: FlowEnv, tmp_path: Path
) -> None:
    parameters = {
        "prov_st": "Madrid",
        "run_id": flow_env.run_id,
        "tracking_uri": flow_env.tracking_uri,
        "results_uri": str(tmp_path),
        "data_url": flow_env.local_data_url,
    }
    scheduled = datetime(2021, 2, 12, 6, 0, tzinfo=UTC)
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run(
            covid_prediction, parameters=parameters, state=Scheduled(scheduled_time=scheduled)
        )
    location = run_flow(covid_prediction, flow_run=flow_run, parameters=parameters)
    path = tmp_path / "madrid" / "2021-02-12" / f"{flow_env.run_id}.csv"
    assert location == str(path)
    assert pd.read_csv(path).iloc[0]["data_date"] == "2021-02-12"
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(flow_run.id).state_type.value == "COMPLETED"
