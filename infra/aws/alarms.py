"""The worker-health alarm: someone hears about it when the Prefect worker is not running.

Without a worker nothing starts the scheduled flow runs: they pile up as Late in Prefect while
AWS reports nothing wrong. The ECS service keeps one worker task; this alarm fires when the
service has run fewer than one task for five minutes in a row (a crash loop, a task that cannot
pull its image or reach its secrets, a deployment rolled back) and notifies an SNS topic, and
notifies it again when the worker is back. `alertEmail` subscribes an address to the topic.

The metric is Container Insights' `RunningTaskCount` (the cluster has Container Insights on):
the plain `AWS/ECS` namespace has no task count. Missing data counts as breaching, because a
service that reports nothing is not a service known to be running.

The topic is not encrypted with a KMS key: CloudWatch cannot publish to a topic under the
AWS-managed SNS key, and the messages hold only the alarm's name and state.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

CONTAINER_INSIGHTS = "ECS/ContainerInsights"
RUNNING_TASKS_METRIC = "RunningTaskCount"
# Fewer than this many worker tasks, minute after minute, for ALARM_MINUTES minutes.
MIN_RUNNING_TASKS = 1
ALARM_MINUTES = 5
PERIOD_SECONDS = 60


class WorkerAlarm(pulumi.ComponentResource):
    """SNS topic + CloudWatch alarm on the worker service's running task count (+ email)."""

    topic_arn: pulumi.Output[str]
    alarm_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        service_name: pulumi.Input[str],
        alert_email: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("covid-forecast:aws:WorkerAlarm", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(name, name=name, opts=child)
        alarm = aws.cloudwatch.MetricAlarm(
            name,
            name=name,
            alarm_description=pulumi.Output.concat(
                "The Prefect worker service ",
                service_name,
                f" ran fewer than {MIN_RUNNING_TASKS} task for {ALARM_MINUTES} minutes: "
                "scheduled forecasts are not being started.",
            ),
            namespace=CONTAINER_INSIGHTS,
            metric_name=RUNNING_TASKS_METRIC,
            dimensions={"ClusterName": cluster_name, "ServiceName": service_name},
            statistic="Minimum",
            period=PERIOD_SECONDS,
            evaluation_periods=ALARM_MINUTES * 60 // PERIOD_SECONDS,
            datapoints_to_alarm=ALARM_MINUTES * 60 // PERIOD_SECONDS,
            comparison_operator="LessThanThreshold",
            threshold=MIN_RUNNING_TASKS,
            treat_missing_data="breaching",
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            opts=child,
        )
        if alert_email:
            # AWS mails a confirmation link; the address gets alarms once it is confirmed.
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=alert_email,
                opts=child,
            )
        self.topic_arn = topic.arn
        self.alarm_name = alarm.name
        self.register_outputs({"topicArn": self.topic_arn, "alarmName": self.alarm_name})
