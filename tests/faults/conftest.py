"""What the fault tests share: a small demo month in a home of its own, the real ``recon``
command run as a process against it, and the state a run leaves (every table but the
clocks, every export file's bytes) to compare one run with another."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from recon_pipeline.demo_month import generate_month

RECON = str(Path(sys.executable).with_name("recon"))
FIRST, LAST = "2026-10-01", "2026-10-06"
"""The small month: six days of 20 orders (the fault tests run several whole ranges)."""
CLOCK_COLUMNS = {
    "landed_at",
    "loaded_at",
    "sent_at",
    "pushed_at",
    "written_at",
    "applied_at",
    "recorded_at",
    "run_id",
}
"""When something happened (and in which Dagster run), not what: differs between two runs of
the same input."""
NOT_COMPARED = {"audit.partition_writes", "audit.schema_fingerprint", "audit.reconcile_scope"}
"""Bookkeeping of how the run went (the write log, the DDL digest, the work table)."""


@dataclass
class Home:
    """A ``RECON_HOME`` with its landing tree, where ``recon`` runs as a process."""

    path: Path

    @property
    def landing(self) -> Path:
        return self.path / "landing"

    @property
    def warehouse(self) -> Path:
        return self.path / "recon.duckdb"

    @property
    def exports(self) -> Path:
        return self.path / "exports"

    def env(self, **extra: str) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("RECON_", "DAGSTER_"))}
        return (
            environ
            | {
                "RECON_HOME": str(self.path),
                "DAGSTER_HOME": str(self.path / "dagster"),
                "RECON_DUCKDB_THREADS": "1",
                "PYTHONUNBUFFERED": "1",
            }
            | extra
        )

    def recon(self, *args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
        """``recon ARGS`` to its end, output captured."""
        return subprocess.run(
            [RECON, *args],
            cwd=self.path,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        """``recon ARGS`` started in its own process group (so a kill reaches it whole)."""
        return subprocess.Popen(
            [RECON, *args],
            cwd=self.path,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def tables(self) -> dict[str, list[tuple]]:
        """Every table's rows, sorted, without the clock columns."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            names = con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                "WHERE database_name = current_database() ORDER BY 1"
            ).fetchall()
            found = {}
            for (name,) in names:
                if name in NOT_COMPARED:
                    continue
                columns = [
                    row[0]
                    for row in con.execute(f"DESCRIBE {name}").fetchall()
                    if row[0] not in CLOCK_COLUMNS
                ]
                listed = ", ".join(f'"{c}"' for c in columns)
                found[name] = sorted(
                    con.execute(f"SELECT {listed} FROM {name}").fetchall(), key=repr
                )
            return found
        finally:
            con.close()

    def export_files(self) -> dict[str, bytes]:
        return {
            str(path.relative_to(self.exports)): path.read_bytes()
            for path in sorted(self.exports.rglob("*"))
            if path.is_file()
        }

    def query(self, statement: str, params: dict | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(statement, params or {}).fetchall()
        finally:
            con.close()


def small_month(path: Path) -> Home:
    home = Home(path)
    generate_month(home.landing, days=6, orders_per_day=20)
    return home


@pytest.fixture
def make_home(tmp_path: Path) -> Callable[[str], Home]:
    """A fresh home with the small month in its landing tree."""

    def make(name: str) -> Home:
        return small_month(tmp_path / name)

    return make


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Home:
    """The small month run once, uninterrupted: what every fault must end up equal to.

    Run once a test session, not once a worker: the session's xdist workers share the
    parent of their temp dirs, and the first to get here runs it under a file lock while the
    others wait. Tests only read it, or copy it (:func:`copy_home`)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    with (root / "faults_clean_run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        home, done_marker = Home(root / "faults_clean_run" / "home"), root / "faults_clean_run.done"
        if not done_marker.exists():
            shutil.rmtree(home.path, ignore_errors=True)
            home = small_month(home.path)
            done = home.recon("run", "--from", FIRST, "--to", LAST)
            assert done.returncode == 0, done.stderr
            done_marker.touch()
    return home


def copy_home(source: Home, target: Path) -> Home:
    """A home in the state ``source`` left it: landing tree, warehouse, published copy (its
    link kept relative), exports and Dagster instance."""
    shutil.copytree(source.path, target, symlinks=True)
    return Home(target)


def copy_landing(source: Home, target: Path) -> Home:
    home = Home(target)
    shutil.copytree(source.landing, home.landing)
    return home


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)
