"""`make demo`: run the `dev` stack's scheduled forecast end to end, offline.

    python -m demo [--keep] [--source covidhub]   run it (--keep leaves the Prefect server up)
    python -m demo stop                           stop a server left up by --keep

`--source jhu-daily` (the default) forecasts tomorrow's cases and deaths of Madrid from generated
JHU daily reports with the seed model. `--source covidhub` runs the weekly path: generated
weekly admissions in the CDC Forecast Hub's layout, the default quantile model, and the `dev`
stack switched to `dataSource=covidhub` for California: a hub model-output CSV and a fan chart.

Everything lives under `.demo/` (git-ignored). A second run reuses the sample data, the trained
model and a healthy server; processes left behind by an interrupted run are stopped first.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from demo.processes import (
    free_port,
    http_ok,
    pid_alive,
    port_is_free,
    prefect_env,
    start_prefect_server,
    start_process_worker,
    stop_group,
    stop_process,
    wait_http_ok,
)
from infra.config import PROJECT_DIR

STACK = "dev"
DEMO_DIR = PROJECT_DIR / ".demo"
PREFECT_HOME = DEMO_DIR / "prefect"
SERVER_FILE = DEMO_DIR / "server.json"
WORKER_FILE = DEMO_DIR / "worker.json"
RUN_ID_FILE = DEMO_DIR / "run_id"
SAMPLE_DIR = DEMO_DIR / "jhu"
HUB_SAMPLE = DEMO_DIR / "covidhub" / "covid-hospital-admissions.csv"
# The covidhub demo forecasts one state, as the live Pulumi.california.yaml stack does.
HUB_CITY = "California"
# Days of sample history: enough to train on, ending today so the scheduled run has data.
SAMPLE_DAYS = 90
RUN_TIMEOUT_S = 300


def say(message: str) -> None:
    """One progress line, flushed at once so `make` shows it live."""
    print(f"[demo] {message}", flush=True)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def _is_ours(pid: int, marker: str) -> bool:
    """The PID is a live process started with our PREFECT_HOME (never touch anything else)."""
    if not pid_alive(pid):
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return f"PREFECT_HOME={PREFECT_HOME}".encode() in environ and marker.encode() in cmdline


def stop_recorded(path: Path, marker: str) -> None:
    """Stop a server/worker recorded in `path` by an earlier run, if it is still ours."""
    pid = int(_read_json(path).get("pid", 0))
    if pid and _is_ours(pid, marker):
        say(f"stopping {marker} left by an earlier run (pid {pid})")
        stop_group(pid)
    path.unlink(missing_ok=True)


def ensure_server(ui: bool) -> tuple[str, Any]:
    """A healthy local Prefect server: reuse ours if up, else start one. Returns (api_url, proc)."""
    recorded = _read_json(SERVER_FILE)
    if recorded and _is_ours(int(recorded["pid"]), "server"):
        api_url = f"http://127.0.0.1:{recorded['port']}/api"
        if http_ok(f"{api_url}/health"):
            say(f"reusing the Prefect server at {api_url} (pid {recorded['pid']})")
            return api_url, None
    stop_recorded(SERVER_FILE, "server")
    port = 4200 if port_is_free(4200) else free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    say(f"starting a Prefect server on port {port} (state in {PREFECT_HOME}; up to 2 min)")
    proc = start_prefect_server(PREFECT_HOME, port, DEMO_DIR / "server.log", ui=ui)
    SERVER_FILE.write_text(json.dumps({"pid": proc.pid, "port": port}))
    wait_http_ok(f"{api_url}/health", 180, proc)
    say("Prefect server is healthy")
    return api_url, proc


def ensure_sample_data(today: date) -> tuple[date, date]:
    """JHU-format sample reports for the last SAMPLE_DAYS days (generated once per day)."""
    from flow.sample import write_sample_reports

    start = today - timedelta(days=SAMPLE_DAYS)
    if not (SAMPLE_DIR / f"{today:%m-%d-%Y}.csv").exists():
        say(f"generating sample JHU daily reports {start} .. {today} in {SAMPLE_DIR}")
        write_sample_reports(SAMPLE_DIR, start, today)
    else:
        say(f"reusing sample data in {SAMPLE_DIR}")
    return start, today


def ensure_hub_sample(now: datetime) -> date:
    """Weekly sample admissions up to the latest complete hub week (generated once per week);
    returns that week."""
    from flow.hub import hub_day
    from flow.sample_hub import SAMPLE_HUB_EPOCH, latest_sample_week, sample_hub_csv

    end = latest_sample_week(hub_day(now))
    text = sample_hub_csv(end)
    if HUB_SAMPLE.exists() and HUB_SAMPLE.read_text() == text:
        say(f"reusing sample hub data in {HUB_SAMPLE}")
    else:
        say(f"generating sample weekly admissions {SAMPLE_HUB_EPOCH} .. {end} in {HUB_SAMPLE}")
        HUB_SAMPLE.parent.mkdir(parents=True, exist_ok=True)
        HUB_SAMPLE.write_text(text)
    return end


def _model_logged(artifacts: Path, run_id: str) -> bool:
    """Whether the artifact store holds a model logged by `run_id`."""
    return any(f"run_id: {run_id}" in p.read_text() for p in artifacts.rglob("MLmodel"))


def ensure_model(config: Any, start: date, end: date, source: str = "jhu-daily") -> str:
    """The MLflow run id of a model trained on `source`'s sample data (trained once): the seed
    model for jhu-daily (on the days before `end`, the day the forecast starts from), the
    default quantile model for covidhub (on the weeks up to `end`)."""
    from flow.flows import train

    run_id_file = RUN_ID_FILE if source == "jhu-daily" else DEMO_DIR / f"run_id-{source}"
    artifacts = Path(config.model_artifacts_uri)
    if run_id_file.exists():
        run_id = run_id_file.read_text().strip()
        if _model_logged(artifacts, run_id):
            say(f"reusing the trained {source} model, MLflow run {run_id}")
            return run_id
    model = "seed" if source == "jhu-daily" else "default"
    say(f"training the {model} model on the {source} sample (MLflow store in .demo/mlflow)")
    artifacts.mkdir(parents=True, exist_ok=True)
    run_id = str(
        train(
            start=start,
            end=end - timedelta(days=1) if source == "jhu-daily" else end,
            data_url=config.data_url,
            source=source,
            model=model,
            tracking_uri=config.mlflow_tracking_uri,
            artifact_location=artifacts.as_uri(),
        )
    )
    run_id_file.write_text(run_id)
    say(f"trained: MLflow run {run_id}")
    return run_id


def wait_for_run(flow_run_id: Any, worker: Any) -> Any:
    """Poll the flow run until it is final; progress every few seconds, bounded."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + RUN_TIMEOUT_S
    last: str | None = ""
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            state = run.state.name if run.state else "unknown"
            if state != last:
                say(f"flow run {run.name}: {state}")
                last = state
            if run.state and run.state.is_final():
                return run
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited (see {DEMO_DIR / 'worker.log'})")
            time.sleep(2)
    raise TimeoutError(f"flow run not finished after {RUN_TIMEOUT_S}s; see {DEMO_DIR}/worker.log")


def print_table(table: Any) -> None:
    """Print a frame as aligned columns, indented under the demo's progress lines."""
    rows = [list(map(str, table.columns))]
    rows += [
        ["" if cell is None else str(cell) for cell in row]
        for row in table.astype(object).where(table.notna(), None).itertuples(index=False)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("    " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def print_forecast(results_dir: Path, run_id: str, source: str = "jhu-daily") -> Path:
    """Print the newest forecast written for this model (whole counts; the CSV keeps full
    precision) and return the CSV's path."""
    import pandas as pd

    from flow.forecast import quantile_summary, seed_display_table
    from flow.locations import HUB_LOCATIONS

    written = sorted(results_dir.rglob(f"{run_id}.csv"), key=lambda p: p.stat().st_mtime)
    if not written:
        raise RuntimeError(f"the run completed but no forecast CSV is under {results_dir}")
    table = pd.read_csv(written[-1], dtype={"location": str})
    if source == "covidhub":
        names = {location.code: location.name for location in HUB_LOCATIONS}
        print_table(quantile_summary(table, names))
    else:
        print_table(seed_display_table(table))
    return written[-1]


def run_demo(keep: bool, source: str = "jhu-daily") -> int:
    """The demo proper; returns the process exit code."""
    DEMO_DIR.mkdir(exist_ok=True)
    stop_recorded(WORKER_FILE, "worker")
    api_url, server = ensure_server(ui=True)
    # Everything below (flows, providers, the worker) talks to this server only.
    os.environ.update(prefect_env(PREFECT_HOME, api_url, ui=True))
    worker = None
    try:
        from infra.local import apply_stack, load_local_config

        overrides: dict[str, str] = {}
        if source == "covidhub":
            overrides = {
                "dataSource": "covidhub",
                "city": HUB_CITY,
                "country": "",
                "dataUrl": str(HUB_SAMPLE),
            }
            config = load_local_config(STACK, overrides)
            end = ensure_hub_sample(datetime.now(UTC))
            run_id = ensure_model(config, end - timedelta(weeks=104), end, source)
        else:
            config = load_local_config(STACK)
            start, today = ensure_sample_data(date.today())
            run_id = ensure_model(config, start, today, source)

        shown = " ".join(f"--set {k}={v}" for k, v in overrides.items())
        say(f"applying stack {STACK!r} {shown} (same specs and providers as `pulumi up`):")
        apply_stack(STACK, {**overrides, "runId": run_id}, log=lambda line: say(line))

        pool = config.work_pool_name
        say(f"starting a process worker for pool {pool!r}")
        worker = start_process_worker(pool, dict(os.environ), DEMO_DIR / "worker.log", PROJECT_DIR)
        WORKER_FILE.write_text(json.dumps({"pid": worker.pid}))

        from prefect.client.schemas.objects import FlowRun
        from prefect.deployments import run_deployment

        name = f"covid-prediction/{config.city_slug}"
        say(f"triggering a run of the scheduled deployment {name} now")
        flow_run = run_deployment(name=name, timeout=0)
        assert isinstance(flow_run, FlowRun)  # the sync call (a coroutine only when awaited)
        final = wait_for_run(flow_run.id, worker)
        ui_url = api_url.removesuffix("/api") + f"/runs/flow-run/{final.id}"
        if not final.state.is_completed():
            say(f"the run ended {final.state.name}: {final.state.message}; UI: {ui_url}")
            return 1
        say(f"forecast for {config.city} (model {run_id}), whole counts:")
        csv_path = print_forecast(Path(str(config.results_uri)), run_id, source)
        say(f"CSV written to {csv_path}")
        if csv_path.with_suffix(".svg").exists():
            say(f"fan chart written to {csv_path.with_suffix('.svg')}")
        say(f"Prefect UI: {ui_url}")
        return 0
    finally:
        if worker is not None:
            say("stopping the worker")
            stop_process(worker)
            WORKER_FILE.unlink(missing_ok=True)
        if keep:
            say(f"server left running at {api_url.removesuffix('/api')}; `make demo-stop` stops it")
        else:
            if server is not None:
                say("stopping the Prefect server")
                stop_process(server)
            stop_recorded(SERVER_FILE, "server")  # one reused from an earlier run, if any


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # run the `finally` blocks: nothing left running


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["run", "stop"], default="run")
    parser.add_argument("--keep", action="store_true", help="leave the Prefect server running")
    parser.add_argument(
        "--source",
        choices=["jhu-daily", "covidhub"],
        default="jhu-daily",
        help="the data source of the demo's dev stack (covidhub: the weekly hub path)",
    )
    args = parser.parse_args(argv)
    if args.command == "stop":
        stop_recorded(WORKER_FILE, "worker")
        stop_recorded(SERVER_FILE, "server")
        return 0
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    return run_demo(args.keep, args.source)


if __name__ == "__main__":
    sys.exit(main())
