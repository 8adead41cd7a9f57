"""A ``recon run`` killed with SIGKILL (as an OOM kill would) part way through a range: the
next run notices the dead run, marks it failed, frees its pool slot, says so in one line,
and ends with every table and every export file as an uninterrupted run leaves them. The
daemon's run monitoring does the same without ``recon``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

from tests.faults.conftest import FIRST, LAST, Home, wait_for


def run_statuses(home: Home) -> list[str]:
    runs = home.path / "dagster" / "history" / "runs.db"
    if not runs.exists():
        return []
    with sqlite3.connect(runs) as con:
        return [status for (status,) in con.execute("SELECT status FROM runs ORDER BY id")]


def pool_holders(home: Home) -> list[str]:
    index = home.path / "dagster" / "history" / "runs" / "index.db"
    with sqlite3.connect(index) as con:
        return [
            run_id
            for (run_id,) in con.execute(
                "SELECT run_id FROM concurrency_slots WHERE run_id IS NOT NULL"
            )
        ]


def holds_a_slot(home: Home) -> bool:
    """Whether a run holds the duckdb pool's slot now (False while the instance is not made
    yet or its index is busy)."""
    if not (home.path / "dagster" / "history" / "runs" / "index.db").exists():
        return False
    try:
        return bool(pool_holders(home))
    except sqlite3.OperationalError:
        return False


def kill_mid_range(home: Home, *extra: str) -> None:
    """Start the range and SIGKILL the whole process group once it is inside the run: files
    landed and a step holding the duckdb slot (between two steps no slot is held, and a day's
    small steps end quickly: killed there, there would be no slot to recover)."""
    run = home.start("run", "--from", FIRST, "--to", LAST, *extra)
    landed = home.path / "landed"
    wait_for(
        lambda: landed.exists() and any(landed.rglob("*.csv")) and holds_a_slot(home),
        120,
        "the first files landed, a step holding the duckdb slot",
    )
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate()
    assert run.returncode == -signal.SIGKILL
    assert "STARTED" in run_statuses(home), "killed after the run ended: nothing to recover"
    assert pool_holders(home), "the killed run still holds its duckdb slot"


def test_a_killed_range_is_recovered_and_ends_as_an_uninterrupted_run(clean_run, make_home):
    home = make_home("killed")
    kill_mid_range(home)

    again = home.recon("run", "--from", FIRST, "--to", LAST, timeout=300)

    assert again.returncode == 0, again.stderr
    recovered = [line for line in again.stderr.splitlines() if "process is gone" in line]
    assert len(recovered) == 1 and "marked FAILED" in recovered[0], again.stderr
    assert "Traceback" not in again.stderr
    assert run_statuses(home).count("FAILURE") == 1
    assert run_statuses(home)[-1] == "SUCCESS"
    assert not pool_holders(home)
    assert home.tables() == clean_run.tables()
    assert home.export_files() == clean_run.export_files()


def test_a_killed_day_by_day_run_is_recovered_too(clean_run, make_home):
    home = make_home("killed_daily")
    kill_mid_range(home, "--day-by-day")

    again = home.recon("run", "--from", FIRST, "--to", LAST, timeout=300)

    assert again.returncode == 0, again.stderr
    assert "process is gone" in again.stderr
    assert home.tables() == clean_run.tables()
    assert home.export_files() == clean_run.export_files()


def test_the_daemons_run_monitoring_fails_a_killed_run_and_frees_its_slot(make_home):
    home = make_home("daemon")
    kill_mid_range(home)
    config_path = home.path / "dagster" / "dagster.yaml"
    config = yaml.safe_load(config_path.read_text())
    assert config["run_launcher"]["class"] == "ReconRunLauncher"
    config["run_monitoring"] |= {"poll_interval_seconds": 1, "free_slots_after_run_end_seconds": 1}
    config_path.write_text(yaml.safe_dump(config))
    daemon = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-daemon")),
            "run",
            "-m",
            "recon_pipeline.definitions",
        ],
        cwd=home.path,
        env=home.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: "STARTED" not in run_statuses(home), 180, "the daemon to fail the run")
        assert run_statuses(home) == ["FAILURE"]
        wait_for(lambda: not pool_holders(home), 60, "the daemon to free the slot")
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
