# The README's two commands are `make demo` and `make test`; everything else is a convenience.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The flow image's environment (requirements-flow.txt alone): tests run real deployments in it.
FLOW_VENV ?= .venv-flow
FLOW_STAMP := $(FLOW_VENV)/.installed-stamp
STACK ?= madrid
PYTEST_ARGS ?=

.PHONY: venv flow-env test lint fmt demo demo-stop demo-clean bench plan plan-diff pulumi-cli preview up destroy

# Re-installs only when a requirements file changed (the stamp is newer otherwise).
$(STAMP): requirements.txt requirements-worker.txt requirements-flow.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# Rebuilt from scratch when requirements-flow.txt changes, so nothing stale stays in it.
$(FLOW_STAMP): requirements-flow.txt
	rm -rf $(FLOW_VENV)
	$(PYTHON) -m venv $(FLOW_VENV)
	$(FLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-flow.txt
	$(FLOW_VENV)/bin/python -m pip check
	touch $@

flow-env: $(FLOW_STAMP)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy infra flow demo policy
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/zizmor --offline .github/workflows/ .github/dependabot.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint flow-env
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Offline: local Prefect server + MLflow store + process worker, one scheduled run now.
# KEEP=1 leaves the Prefect server running afterwards so you can browse its UI.
# SOURCE=covidhub runs the weekly CDC Forecast Hub path (hub CSV + fan chart) on generated data.
demo: venv
	$(PY) -m demo $(if $(KEEP),--keep,) $(if $(SOURCE),--source $(SOURCE),)

demo-stop: venv
	$(PY) -m demo stop

demo-clean: demo-stop
	rm -rf .demo

bench: venv
	$(PY) -m bench

# Offline: what `pulumi up` would declare for STACK (config, Prefect objects, resources,
# outputs); no cloud, credentials or Pulumi CLI. PLAN_ARGS="--json" or "--set key=value".
plan: venv
	$(PY) -m infra.plan --stack $(STACK) $(PLAN_ARGS)

# The plan of the working tree against the plan at BASE (a git ref), as a diff.
# DIFF_ARGS="--json" for the diff as a document.
BASE ?= HEAD
plan-diff: venv
	$(PY) -m infra.plan_diff --stack $(STACK) --base '$(BASE)' $(DIFF_ARGS)

# The cloud path needs the Pulumi CLI and AWS credentials (see README); checked first.
pulumi-cli:
	@command -v pulumi >/dev/null 2>&1 || { \
	  echo "make $(MAKECMDGOALS) needs the Pulumi CLI, which is not on PATH." >&2; \
	  echo "Install it: https://www.pulumi.com/docs/install/ (then pulumi login and AWS credentials, see README)." >&2; \
	  echo "Without it: make plan STACK=$(STACK) shows what pulumi up would declare, offline;" >&2; \
	  echo "            make demo runs the dev stack on a local Prefect server." >&2; \
	  exit 1; }

# preview and up run the policy pack (policy/), as CI's preview does.
preview up destroy: pulumi-cli venv
	pulumi $@ --stack $(STACK) $(if $(filter destroy,$@),,--policy-pack policy)
