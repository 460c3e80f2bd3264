# The flow image: Prefect runs `flow/flows.py:covid_prediction` (and `:monitor`) from
# /opt/prefect/covid-forecast, the directory the deployment's pull step sets as working directory.
# Base pinned to an exact Python patch release; same Python minor as the dev environment.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /opt/prefect/covid-forecast

# Dependencies before code, so a code change rebuilds only the last layer. The flow runs as a
# fixed unprivileged user; Prefect and MLflow write only under its home and /tmp.
COPY requirements-flow.txt ./
RUN pip install --no-cache-dir -r requirements-flow.txt \
    && useradd --create-home --uid 10001 --user-group prefect

COPY flow/ ./flow/
USER 10001
