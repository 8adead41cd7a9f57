"""Two ``recon run`` at once and ``recon status`` in a loop beside them: the second run
waits for the first and says so, nothing crashes on DuckDB's lock, status reads the
published copy; a waiting run stops cleanly on SIGTERM."""

from __future__ import annotations

import shutil
import signal
import threading
import time

from tests.faults.conftest import FIRST, LAST, Home, wait_for


def test_two_runs_and_a_status_loop_at_once(clean_run, tmp_path):
    # the month already run once (so there is a published copy), then run twice more at once
    home = Home(tmp_path / "together")
    shutil.copytree(clean_run.path, home.path, symlinks=True)
    lock = home.path / "recon.duckdb.lock"

    first = home.start("run", "--from", FIRST, "--to", LAST)
    wait_for(lambda: f"pid {first.pid} " in _text(lock), 60, "the first run's lock")
    second = home.start("run", "--from", FIRST, "--to", LAST)
    statuses = []
    while first.poll() is None or second.poll() is None:
        statuses.append(home.recon("status", timeout=120))
        time.sleep(0.2)
    first_out, first_err = first.communicate()
    second_out, second_err = second.communicate()

    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    assert "waiting: another recon run writes" in second_err
    assert f"pid {first.pid}" in second_err
    for output in (first_err, second_err, *(s.stderr for s in statuses)):
        assert "Traceback" not in output
    assert statuses and all(s.returncode == 0 for s in statuses), [s.stderr for s in statuses]
    assert all("as of 2026-10-06" in s.stdout for s in statuses)
    # the same days, the same figures (re-runs both: nothing re-sent), each its own run id
    assert _days(first_out) == _days(second_out)
    assert any(line.startswith("2026-10-06") for line in _days(first_out))
    assert home.tables() == clean_run.tables()


def test_a_waiting_run_stops_on_sigterm_and_runs_nothing(make_home):
    home = make_home("waiting")
    lock = home.path / "recon.duckdb.lock"
    first = home.start("run", "--from", FIRST, "--to", LAST)
    wait_for(lambda: f"pid {first.pid} " in _text(lock), 60, "the first run's lock")
    second = home.start("run", "--from", FIRST, "--to", LAST)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(second.stderr), daemon=True)
    reader.start()
    wait_for(lambda: any("waiting" in line for line in said), 60, "the waiting line")

    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)
    reader.join(timeout=30)
    second_err = "".join(said)
    _, first_err = first.communicate(timeout=300)

    assert second.returncode == 143, second_err
    assert "stopped by SIGTERM while waiting; nothing was run" in second_err
    assert "Traceback" not in second_err
    assert first.returncode == 0, first_err


def _days(out: str) -> list[str]:
    """``recon run``'s lines but its last, which names the run (another id each time)."""
    lines = out.splitlines()
    assert lines[-1].startswith("run ") and "/runs/" in lines[-1], lines[-1]
    return lines[:-1]


def _text(path) -> str:
    return path.read_text() if path.exists() else ""
