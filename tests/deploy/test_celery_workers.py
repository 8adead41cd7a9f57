"""Three shops' days reconciled by Celery workers through a Dagster instance on Postgres equal
the same days reconciled in process, table by table and export by export.

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
from recon_pipeline.demo_month import generate_month
from tests.faults.conftest import FIRST, LAST, Home, clean_run, copy_landing, wait_for

BIN = Path(sys.executable).parent
DEPLOY = Path(recon_pipeline.__file__).with_name("deploy")
SHOP_TAG = "recon/shop"
SHORT = {"shop-b": (20261002, "10002"), "shop-c": (20261003, "10003")}
"""Two more shops, the first day of a small month of their own (the demo month's generator,
other seeds), with their own codes at the agent: they run on the worker that shop-a's queued
second range leaves idle, so they cost the test little more than their in-process runs."""


def small_month_of(landing: Path, seed: int) -> None:
    """The fault tests' small month (six days of 20 orders; the generator needs that many to
    place every case) with another seed: other customers, amounts and payments."""
    generate_month(landing, days=6, orders_per_day=20, seed=seed)


__all__ = ["clean_run"]  # the uninterrupted in-process run, shared with the fault tests


def shop_file(landing: Path, code: str) -> str:
    return (
        f"source:\n  type: local\n  root: {landing}\n"
        f"agent_company_code: '929023'\nagent_shop_code: '{code}'\n"
    )


@dataclass
class Deployment:
    """A home of three shops served by a daemon and two workers sharing the instance."""

    root: Path
    dagster_home: Path
    environment: dict[str, str]
    workers: list[Path]

    def shop(self, name: str) -> Home:
        """The shop's own folder: its warehouse and exports, where a Home has them."""
        return Home(self.root / "shops" / name)

    def launch(self, shop: str, first: str, last: str) -> str:
        """Submit the daily job over the shop's ``first``..``last`` as the UI's single-run
        backfill does; the run is queued in Postgres, not executed here."""
        run_id = str(uuid.uuid4())
        tags = {
            "dagster/asset_partition_range_start": f"{first}|{shop}",
            "dagster/asset_partition_range_end": f"{last}|{shop}",
            SHOP_TAG: shop,
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
            cwd=self.root,
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
    root = Home(tmp_path / "deploy")
    (root.path / "shops").mkdir(parents=True)
    landing_a = copy_landing(clean_run, tmp_path / "shop-a").landing
    # the demo's codes: shop-a's slips are the in-process run's, byte for byte
    (root.path / "shops" / "shop-a.yaml").write_text(shop_file(landing_a, "12345"))
    for name, (seed, code) in SHORT.items():
        landing = tmp_path / name / "landing"
        small_month_of(landing, seed)
        (root.path / "shops" / f"{name}.yaml").write_text(shop_file(landing, code))
    home = root
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
            with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
                instance.add_dynamic_partitions("shops", ["shop-a", *SHORT])
            yield Deployment(home.path, dagster_home, environment, logs[1:])
        finally:
            # the whole process group: `dagster-celery worker start` runs `celery` as a child
            for process in processes:
                _signal_group(process, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)


def in_process(tmp_path: Path, name: str, seed: int, code: str) -> tuple[Home, subprocess.Popen]:
    """The shop's short days as the single shop reconciles them in process (``recon run``)."""
    home = Home(tmp_path / f"{name}-in-process")
    small_month_of(home.landing, seed)
    run = home.start("run", "--from", FIRST, RECON_AGENT_SHOP_CODE=code)
    return home, run


def test_runs_executed_by_celery_workers_equal_the_in_process_run(
    deployment: Deployment, clean_run: Home, tmp_path: Path
):
    """Three shops' ranges submitted at once, two of one shop: the shop's second waits for
    its first (one writer per shop, the run queue's limit on the shop tag), each run is
    executed by a worker, and every shop's warehouse and exports equal the same days
    reconciled in process by the single shop."""
    first_half = deployment.launch("shop-a", FIRST, "2026-10-03")
    second_half = deployment.launch("shop-a", "2026-10-04", LAST)
    short = [deployment.launch(name, FIRST, FIRST) for name in SHORT]
    references = {name: in_process(tmp_path, name, *shop) for name, shop in SHORT.items()}
    run_ids = [first_half, second_half, *short]
    with dg.DagsterInstance.from_config(str(deployment.dagster_home)) as instance:

        def finished() -> bool:
            runs = [instance.get_run_by_id(run_id) for run_id in run_ids]
            failed = [run.run_id for run in runs if run.status == dg.DagsterRunStatus.FAILURE]
            assert not failed, f"runs failed: {failed}\n{deployment.worker_logs()[-3000:]}"
            return all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)

        wait_for(finished, timeout=900, what="every run to succeed on the workers")
        stats = {run_id: instance.get_run_stats(run_id) for run_id in (first_half, second_half)}
        task_ids = [
            instance.get_run_by_id(run_id).tags["dagster-celery/task_id"] for run_id in run_ids
        ]
    assert stats[second_half].start_time >= stats[first_half].end_time, (
        "the shop's second run started before its first ended"
    )
    logs = deployment.worker_logs()
    for task_id in task_ids:
        assert f"execute_job[{task_id}] received" in logs, "the run was not executed by a worker"
    assert deployment.shop("shop-a").tables() == clean_run.tables()
    assert deployment.shop("shop-a").export_files() == clean_run.export_files()
    for name, (reference, process) in references.items():
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        shop = deployment.shop(name)
        assert set(shop.tables()) == set(reference.tables())
        for table, rows in reference.tables().items():
            assert shop.tables()[table] == rows, f"{name}: {table}"
        assert shop.export_files() == reference.export_files(), name
