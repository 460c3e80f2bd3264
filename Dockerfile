# Two images from one file, both built and pushed by the stack (infra/aws/image.py):
#   worker: `prefect worker start --type ecs` (prefect + prefect-aws, requirements-worker.txt);
#   flow:   every flow run's Fargate task (requirements-flow.txt: prefect-client, no server, no
#           scikit-learn), flow code in /opt/prefect/covid-forecast, the deployments' working
#           directory. The last stage, so a plain `docker build .` builds it.
# Base pinned to an exact Python patch release; same Python minor as the dev environment.
FROM python:3.11.14-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Both images run as this fixed unprivileged user; Prefect and MLflow write only under its
# home and /tmp.
RUN useradd --create-home --uid 10001 --user-group prefect


FROM base AS worker

# The flow file is a constraint only: the worker's boto3 and friends get the flow's versions.
COPY requirements-worker.txt requirements-flow.txt /tmp/requirements/
RUN pip install --no-cache-dir -r /tmp/requirements/requirements-worker.txt \
        -c /tmp/requirements/requirements-flow.txt \
    && rm -rf /tmp/requirements

USER 10001
# The task definition passes the pool: `prefect worker start --type ecs --pool <pool> ...`.
CMD ["prefect", "worker", "start", "--type", "ecs"]


FROM base AS flow

WORKDIR /opt/prefect/covid-forecast

# Dependencies before code, so a code change rebuilds only the last layer.
COPY requirements-flow.txt ./
RUN pip install --no-cache-dir -r requirements-flow.txt

COPY flow/ ./flow/
# Byte-compiled once here: PYTHONDONTWRITEBYTECODE would make every flow run compile the flow
# package again (about 50 ms of each cold start, measured).
RUN python -m compileall -q flow/
USER 10001
# prefect-client has no `prefect` CLI: the pool's `command` job variable runs this too.
CMD ["python", "-m", "flow.engine"]
