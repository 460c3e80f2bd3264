# The README's two commands are `make demo` and `make test`; everything else is a convenience.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
STACK ?= madrid
PYTEST_ARGS ?=

.PHONY: venv test lint fmt demo demo-stop demo-clean bench preview up destroy

# Re-installs only when a requirements file changed (the stamp is newer otherwise).
$(STAMP): requirements.txt requirements-flow.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(STAMP)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy infra flow demo
	$(VENV)/bin/hadolint Dockerfile

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Offline: local Prefect server + MLflow store + process worker, one scheduled run now.
# KEEP=1 leaves the Prefect server running afterwards so you can browse its UI.
demo: venv
	$(PY) -m demo $(if $(KEEP),--keep,)

demo-stop: venv
	$(PY) -m demo stop

demo-clean: demo-stop
	rm -rf .demo

bench: venv
	$(PY) -m bench

# The cloud path needs the Pulumi CLI and AWS credentials (see README).
preview up destroy: venv
	pulumi $@ --stack $(STACK)
