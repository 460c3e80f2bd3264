"""`make demo`: run the `dev` stack's scheduled forecast end to end, offline.

    python -m demo [--keep]     run it (--keep leaves the Prefect server up for the UI)
    python -m demo stop         stop a server left up by --keep

Everything lives under `.demo/` (git-ignored). A second run reuses the sample data, the trained
model and a healthy server; processes left behind by an interrupted run are stopped first.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import time
from datetime import date, timedelta
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


def ensure_model(config: Any, start: date, end: date) -> str:
    """The MLflow run id of a model trained on the sample data (trained once)."""
    from flow.flows import train

    artifacts = Path(config.model_artifacts_uri)
    if RUN_ID_FILE.exists():
        run_id = RUN_ID_FILE.read_text().strip()
        if any(artifacts.rglob("MLmodel")):
            say(f"reusing the trained model, MLflow run {run_id}")
            return run_id
    say("training the forecast model on the sample data (MLflow store in .demo/mlflow)")
    artifacts.mkdir(parents=True, exist_ok=True)
    run_id = str(
        train(
            start=start,
            end=end - timedelta(days=1),
            data_url=config.data_url,
            tracking_uri=config.mlflow_tracking_uri,
            artifact_location=artifacts.as_uri(),
        )
    )
    RUN_ID_FILE.write_text(run_id)
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


def print_forecast(results_dir: Path, run_id: str) -> Path:
    """Print the newest forecast CSV written for this model and return its path."""
    written = sorted(results_dir.rglob(f"{run_id}.csv"), key=lambda p: p.stat().st_mtime)
    if not written:
        raise RuntimeError(f"the run completed but no forecast CSV is under {results_dir}")
    with written[-1].open() as handle:
        rows = list(csv.reader(handle))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("    " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return written[-1]


def run_demo(keep: bool) -> int:
    """The demo proper; returns the process exit code."""
    DEMO_DIR.mkdir(exist_ok=True)
    stop_recorded(WORKER_FILE, "worker")
    api_url, server = ensure_server(ui=True)
    # Everything below (flows, providers, the worker) talks to this server only.
    os.environ.update(prefect_env(PREFECT_HOME, api_url, ui=True))
    worker = None
    try:
        from infra.local import apply_stack, load_local_config

        config = load_local_config(STACK)
        start, today = ensure_sample_data(date.today())
        run_id = ensure_model(config, start, today)

        say(f"applying stack {STACK!r} (same specs and providers as `pulumi up`):")
        apply_stack(STACK, {"runId": run_id}, log=lambda line: say(line))

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
        say(f"forecast for {config.city} (model {run_id}):")
        csv_path = print_forecast(Path(str(config.results_uri)), run_id)
        say(f"CSV written to {csv_path}")
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
    args = parser.parse_args(argv)
    if args.command == "stop":
        stop_recorded(WORKER_FILE, "worker")
        stop_recorded(SERVER_FILE, "server")
        return 0
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    return run_demo(args.keep)


if __name__ == "__main__":
    sys.exit(main())
