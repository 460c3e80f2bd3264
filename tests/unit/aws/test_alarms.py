"""The worker-health alarm under mocks: on the worker service's task count, to an SNS topic."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pulumi_harness import ProgramRun, run_program

TOPIC = "aws:sns/topic:Topic"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PLATFORM = "acme/covid-forecast/madrid"


@pytest.fixture(scope="module")
def madrid() -> ProgramRun:
    return run_program("madrid")


def alarm_of(run: ProgramRun) -> dict[str, Any]:
    return run.one(ALARM).inputs


def test_the_alarm_watches_the_worker_service_s_running_tasks(madrid: ProgramRun) -> None:
    alarm = alarm_of(madrid)
    service = madrid.one("aws:ecs/service:Service").inputs
    cluster = madrid.one("aws:ecs/cluster:Cluster").inputs
    assert (alarm["namespace"], alarm["metricName"]) == (
        "ECS/ContainerInsights",
        "RunningTaskCount",
    )
    assert alarm["dimensions"] == {"ClusterName": cluster["name"], "ServiceName": service["name"]}
    # Container Insights, which publishes the metric, is on for the cluster.
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]


def test_fewer_than_one_task_for_five_minutes_alarms(madrid: ProgramRun) -> None:
    alarm = alarm_of(madrid)
    assert alarm["comparisonOperator"] == "LessThanThreshold" and alarm["threshold"] == 1
    assert alarm["statistic"] == "Minimum"
    minutes = alarm["period"] * alarm["evaluationPeriods"] / 60
    assert minutes == 5 and alarm["datapointsToAlarm"] == alarm["evaluationPeriods"]
    # No data from the service is not evidence of a running worker.
    assert alarm["treatMissingData"] == "breaching"


def test_the_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(madrid: ProgramRun) -> None:
    topic = madrid.one(TOPIC)
    alarm = alarm_of(madrid)
    topic_arn = madrid.outputs["alertTopicArn"]
    assert topic_arn.endswith(topic.name)
    assert alarm["alarmActions"] == [topic_arn] and alarm["okActions"] == [topic_arn]
    assert "covid-forecast-madrid-worker" in alarm["alarmDescription"]


def test_no_subscription_without_alert_email(madrid: ProgramRun) -> None:
    assert madrid.of_type(SUBSCRIPTION) == []


def test_alert_email_subscribes_the_address_to_the_topic() -> None:
    run = run_program("madrid", overrides={"alertEmail": "oncall@example.org"})
    subscription = run.one(SUBSCRIPTION).inputs
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "oncall@example.org")
    assert subscription["topic"] == run.outputs["alertTopicArn"]


def test_a_shared_mode_city_has_no_alarm_of_its_own(madrid: ProgramRun) -> None:
    run = run_program(
        "madrid",
        overrides={"platformStack": PLATFORM},
        stack_references={PLATFORM: madrid.outputs},
    )
    assert run.of_type(ALARM) == [] and run.of_type(TOPIC) == []
