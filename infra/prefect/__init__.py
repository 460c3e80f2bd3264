"""Prefect objects as Pulumi resources: work pools, blocks, deployments and automations.

    pool = WorkPool("pool", {"name": "covid-forecast", "type": "ecs",
                             "job_variable_defaults": {"cluster": cluster.arn}})
    results = Block("results", {"type_slug": "s3-bucket", "name": "covid-results",
                                "data": {"bucket_name": bucket.bucket}})
    Deployment("madrid", {"flow_name": "covid-prediction", "name": "madrid",
                          "entrypoint": "flow/flows.py:covid_prediction",
                          "work_pool_name": pool.name, "work_pool_type": "ecs",
                          "parameters": {"prov_st": "Madrid", "run_id": run_id},
                          "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madrid"}})
    Automation("stuck", {"name": "madrid stuck",
                         "trigger": {"posture": "Proactive", "after": ["prefect.flow-run.Running"],
                                     "expect": ["prefect.flow-run.Completed"], "within": 3600,
                                     "match": {"prefect.resource.id": "prefect.flow-run.*"},
                                     "for_each": ["prefect.resource.id"]},
                         "actions": [{"type": "cancel-flow-run"}]})

The Prefect API comes from stack config (`pulumi config set prefect:apiUrl ...`,
`pulumi config set --secret prefect:apiKey ...` or `prefect:authString`), else from
PREFECT_API_URL / PREFECT_API_KEY / PREFECT_API_AUTH_STRING; it never enters resource state.
The providers (`WorkPoolProvider`, `BlockProvider`, `DeploymentProvider`,
`AutomationProvider`) can also be driven
directly (`provider.create(props)`, ...) without the engine, connecting through the environment.

Importing this package has no side effects: no Prefect import, no client, no network.
"""

from infra.prefect.automation import Automation
from infra.prefect.block import Block, block_ref
from infra.prefect.deployment import Deployment
from infra.prefect.work_pool import WorkPool

__all__ = ["Automation", "Block", "Deployment", "WorkPool", "block_ref"]
