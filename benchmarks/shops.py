"""Shops reconciled per minute through the distributed deployment, with 1 and 2 workers.

Not a timed test: a figure for docs/scale-out.md. Each shop gets its own demo landing (a few
days of ``recon_pipeline.demo_month`` with its own seed) and a shop file; a PostgreSQL server
holds the Dagster instance, a Redis server is the broker (``tests/deploy/servers.py``, the
deploy tests' own). For each worker count, one run per shop over the days is queued with
``dagster job launch`` before any worker starts, then ``dagster-daemon`` and the workers are
started; the figure is the shops divided by the time from the first run's start to the last
run's end (Dagster's own run stats), so the launch commands' start-up is not counted.

    .venv/bin/python -m benchmarks.shops --shops 4 --days 2
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg

import recon_pipeline
from recon_pipeline.demo_month import START, generate_month
from tests.deploy.servers import postgres_server, redis_server

BIN = Path(sys.executable).parent
DEPLOY = Path(recon_pipeline.__file__).with_name("deploy")
RESULTS = Path(__file__).with_name("results")


def shop_file(landing: Path, n: int) -> str:
    return (
        f"source:\n  type: local\n  root: {landing}\n"
        f"agent_company_code: '929023'\nagent_shop_code: '{10000 + n}'\n"
    )


def launch(env: dict[str, str], cwd: Path, shop: str, first: str, last: str) -> str:
    run_id = str(uuid.uuid4())
    tags = {
        "dagster/asset_partition_range_start": f"{first}|{shop}",
        "dagster/asset_partition_range_end": f"{last}|{shop}",
        "recon/shop": shop,
    }
    command = [str(BIN / "dagster"), "job", "launch", "-m", "recon_pipeline.definitions"]
    command += ["-a", "defs", "-j", "daily_reconciliation", "--run-id", run_id]
    command += ["--tags", json.dumps(tags)]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"dagster job launch failed: {done.stderr[-2000:]}")
    return run_id


def measure(
    scratch: Path, landings: dict[str, Path], workers: int, first: str, last: str, urls: tuple
) -> dict:
    """One deployment with ``workers`` workers: every shop's run, queued, then executed."""
    postgres, redis = urls
    home = scratch / f"home-{workers}"
    (home / "shops").mkdir(parents=True)
    for n, (shop, landing) in enumerate(landings.items()):
        (home / "shops" / f"{shop}.yaml").write_text(shop_file(landing, n))
    dagster_home = scratch / f"instance-{workers}"
    dagster_home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {
        **os.environ,
        "RECON_HOME": str(home),
        "RECON_FIRST_DAY": START.isoformat(),
        "DAGSTER_HOME": str(dagster_home),
        "RECON_DAGSTER_POSTGRES_URL": postgres,
        "RECON_CELERY_BROKER": f"{redis}/0",
        "RECON_CELERY_BACKEND": f"{redis}/1",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    for name in ("RECON_DAGSTER_POSTGRES_URL", "RECON_CELERY_BROKER", "RECON_CELERY_BACKEND"):
        os.environ[name] = env[name]  # for the instance this process reads
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("shops", list(landings))
    run_ids = [launch(env, home, shop, first, last) for shop in landings]
    commands = [[str(BIN / "dagster-daemon"), "run", "-m", "recon_pipeline.definitions"]]
    worker = [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app"]
    worker += ["-y", str(DEPLOY / "celery.yaml")]
    commands += [[*worker, "-n", f"bench{n}", "--", "--concurrency=1"] for n in range(workers)]
    processes = [
        subprocess.Popen(
            command,
            cwd=home,
            env=env,
            stdout=(scratch / f"process-{workers}-{n}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for n, command in enumerate(commands)
    ]
    load_before = os.getloadavg()[0]
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            while True:
                runs = [instance.get_run_by_id(run_id) for run_id in run_ids]
                failed = [r.run_id for r in runs if r.status == dg.DagsterRunStatus.FAILURE]
                if failed:
                    raise SystemExit(f"runs failed: {failed}; logs in {scratch}")
                if all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs):
                    break
                time.sleep(1)
            stats = [instance.get_run_stats(run_id) for run_id in run_ids]
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    start = min(s.start_time for s in stats)
    end = max(s.end_time for s in stats)
    seconds = end - start
    return {
        "workers": workers,
        "shops": len(landings),
        "seconds": round(seconds, 1),
        "run_seconds": [round(s.end_time - s.start_time, 1) for s in stats],
        "shops_per_minute": round(len(landings) / seconds * 60, 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=4)
    parser.add_argument("--days", type=int, default=2, help="days of the demo month per shop")
    parser.add_argument("--orders-per-day", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    first = START.isoformat()
    last = (START + dt.timedelta(days=args.days - 1)).isoformat()
    scratch = Path(tempfile.mkdtemp(prefix="recon-bench-shops-"))
    try:
        landings = {}
        for n in range(args.shops):
            landing = scratch / "landing" / f"shop{n}"
            # the generator needs six days to place every case; the runs take --days of them
            days, seed = max(6, args.days), 20261001 + n
            generate_month(landing, days=days, orders_per_day=args.orders_per_day, seed=seed)
            landings[f"shop{n}"] = landing
        results = []
        (scratch / "redis").mkdir()
        with postgres_server() as postgres, redis_server(scratch / "redis") as redis:
            for workers in args.workers:
                result = measure(scratch, landings, workers, first, last, (postgres, redis))
                results.append(result)
                print(
                    f"{workers} worker(s): {result['shops']} shops × {args.days} days in "
                    f"{result['seconds']} s = {result['shops_per_minute']} shops/min "
                    f"(runs {result['run_seconds']} s; load {result['load_average_before']} → "
                    f"{result['load_average_after']})",
                    flush=True,
                )
        report = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "days": args.days,
            "orders_per_day": args.orders_per_day,
            "results": results,
        }
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "shops-latest.json").write_text(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
