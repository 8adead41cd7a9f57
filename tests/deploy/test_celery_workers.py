"""A shop's days reconciled by Celery workers through a Dagster instance on Postgres equal the
same days reconciled in process, table by table and export by export.

Everything is real and on loopback: a PostgreSQL server holds the instance (runs, events,
the run queue), a Redis server is the broker, ``dagster-daemon`` takes queued runs to the
Celery run launcher, and two ``dagster-celery`` worker processes execute them."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

import recon_pipeline
from tests.faults.conftest import FIRST, LAST, Home, clean_run, copy_landing, wait_for

BIN = Path(sys.executable).parent
DEPLOY = Path(recon_pipeline.__file__).with_name("deploy")
SHOP_TAG = "recon/shop"
__all__ = ["clean_run"]  # the uninterrupted in-process run, shared with the fault tests


@dataclass
class Deployment:
    """One shop's home served by a daemon and two workers sharing the instance folder."""

    home: Home
    dagster_home: Path
    environment: dict[str, str]
    workers: list[Path]

    def launch(self, first: str, last: str) -> str:
        """Submit the daily job over ``first``..``last`` as the UI's single-run backfill does;
        the run is queued in Postgres, not executed here."""
        run_id = str(uuid.uuid4())
        tags = {
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
            SHOP_TAG: self.home.path.name,
        }
        done = subprocess.run(
            [
                str(BIN / "dagster"),
                "job",
                "launch",
                "-m",
                "recon_pipeline.definitions",
                "-a",
                "defs",
                "-j",
                "daily_reconciliation",
                "--run-id",
                run_id,
                "--tags",
                json.dumps(tags),
            ],
            cwd=self.home.path,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return run_id

    def worker_logs(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.workers)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


@pytest.fixture
def deployment(
    tmp_path: Path, postgres_url: str, redis_url: str, clean_run: Home
) -> Iterator[Deployment]:
    home = copy_landing(clean_run, tmp_path / "shop-a")
    dagster_home = tmp_path / "instance"
    dagster_home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", dagster_home / "dagster.yaml")
    environment = home.env(
        DAGSTER_HOME=str(dagster_home),
        RECON_DAGSTER_POSTGRES_URL=postgres_url,
        RECON_CELERY_BROKER=f"{redis_url}/0",
        RECON_CELERY_BACKEND=f"{redis_url}/1",
        PATH=f"{BIN}:{home.env()['PATH']}",
    )
    processes, logs = [], []
    commands = [
        [str(BIN / "dagster-daemon"), "run", "-m", "recon_pipeline.definitions", "-a", "defs"],
        *(
            [
                str(BIN / "dagster-celery"),
                "worker",
                "start",
                "-A",
                "dagster_celery.app",
                "-y",
                str(DEPLOY / "celery.yaml"),
                "-n",
                f"worker{n}",
                "--",
                "--concurrency=1",
            ]
            for n in (1, 2)
        ),
    ]
    for n, command in enumerate(commands):
        log = tmp_path / f"process{n}.log"
        processes.append(
            subprocess.Popen(
                command,
                cwd=home.path,
                env=environment,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        logs.append(log)
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "DAGSTER_HOME",
            "RECON_DAGSTER_POSTGRES_URL",
            "RECON_CELERY_BROKER",
            "RECON_CELERY_BACKEND",
        ):
            patch.setenv(name, environment[name])
        try:
            yield Deployment(home, dagster_home, environment, logs[1:])
        finally:
            # the whole process group: `dagster-celery worker start` runs `celery` as a child
            for process in processes:
                _signal_group(process, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)


def test_runs_executed_by_celery_workers_equal_the_in_process_run(
    deployment: Deployment, clean_run: Home
):
    """Two ranges of one shop submitted at once: the second waits for the first (one writer
    per shop, the run queue's limit on the shop tag), each is executed by a worker, and the
    warehouse and the exports equal the uninterrupted in-process run of the whole range."""
    first_half = deployment.launch(FIRST, "2026-10-03")
    second_half = deployment.launch("2026-10-04", LAST)
    with dg.DagsterInstance.from_config(str(deployment.dagster_home)) as instance:

        def finished() -> bool:
            runs = [instance.get_run_by_id(run_id) for run_id in (first_half, second_half)]
            failed = [run.run_id for run in runs if run.status == dg.DagsterRunStatus.FAILURE]
            assert not failed, f"runs failed: {failed}\n{deployment.worker_logs()[-3000:]}"
            return all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)

        wait_for(finished, timeout=600, what="both runs to succeed on the workers")
        stats = {run_id: instance.get_run_stats(run_id) for run_id in (first_half, second_half)}
        task_ids = [
            instance.get_run_by_id(run_id).tags["dagster-celery/task_id"]
            for run_id in (first_half, second_half)
        ]
    assert stats[second_half].start_time >= stats[first_half].end_time, (
        "the shop's second run started before its first ended"
    )
    logs = deployment.worker_logs()
    for task_id in task_ids:
        assert f"execute_job[{task_id}] received" in logs, "the run was not executed by a worker"
    assert deployment.home.tables() == clean_run.tables()
    assert deployment.home.export_files() == clean_run.export_files()
