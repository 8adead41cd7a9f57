"""Crash recovery and one writer at a time, for ``recon`` and for Dagster's daemon.

Any run may be killed at any instant (an OOM kill, a reboot). Its rows are safe — every day
of every asset is written in one transaction — but Dagster does not know the process is
gone: the run stays STARTED and keeps its slot in the ``duckdb`` pool, and every later run
waits for that slot for ever. So every run ``recon`` starts carries the host, pid and
process start time of its process (``recon/*`` tags); a run whose process is gone is marked
FAILED and its slot freed — by ``recon`` before it starts a run, and by the daemon's run
monitoring through :class:`ReconRunLauncher`.

Two ``recon run`` at once would interleave their steps in the pool; the second waits for the
first instead (an exclusive ``flock`` next to the warehouse, released by the kernel when the
holder's process ends however it ends), saying what it waits for, and stops on SIGINT or
SIGTERM.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import FINISHED_STATUSES

HOST_TAG = "recon/host"
PID_TAG = "recon/pid"
STARTED_TAG = "recon/process_started"
"""The process's start time (clock ticks since boot, from /proc): a pid reused by another
process after a crash is not mistaken for the run's."""
POOL = "duckdb"
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def _process_started(pid: int) -> str | None:
    """When ``pid`` started (its identity with the pid), or None when no such process runs;
    ``""`` when this system cannot tell when (no ``/proc``) but the pid exists."""
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return ""
        return ""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has ended; only its parent has not reaped it yet
        return None
    return fields[19]


def process_tags() -> dict[str, str]:
    """The tags that let a later process tell whether this one is still running the run."""
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(os.getpid()),
        STARTED_TAG: _process_started(os.getpid()) or "",
    }


def worker_gone(run: dg.DagsterRun) -> bool | None:
    """True when the process that ran ``run`` has ended (or its pid is another process now);
    False while it runs; None when this host cannot tell (no ``recon`` tags, another host)."""
    tags = run.tags
    if PID_TAG not in tags or tags.get(HOST_TAG) != socket.gethostname():
        return None
    started = _process_started(int(tags[PID_TAG]))
    if started is None:
        return True
    return bool(tags.get(STARTED_TAG)) and started not in ("", tags[STARTED_TAG])


def describe(run: dg.DagsterRun, instance: dg.DagsterInstance) -> str:
    record = instance.get_run_record_by_id(run.run_id)
    since = ""
    if record is not None and record.create_timestamp:
        since = f", created {record.create_timestamp.astimezone():%Y-%m-%d %H:%M:%S}"
    pid = f", pid {run.tags[PID_TAG]}" if PID_TAG in run.tags else ""
    days = run.tags.get("dagster/partition") or "–".join(
        filter(
            None,
            (
                run.tags.get("dagster/asset_partition_range_start"),
                run.tags.get("dagster/asset_partition_range_end"),
            ),
        )
    )
    return f"run {run.run_id[:8]} ({days or 'no partition'}{pid}{since})"


def recover_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark FAILED every unfinished run whose process is gone, and free its pool slots;
    returns one line per run recovered."""
    recovered = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED)):
        if not worker_gone(run):
            continue
        message = (
            f"{describe(run, instance)} was still {run.status.value} but its process is gone "
            "(killed?): marked FAILED, its duckdb slot freed; its days are run again"
        )
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(message)
    return recovered


def free_finished_slots(instance: dg.DagsterInstance) -> None:
    """Free the pool slots of runs that have finished (the daemon does this too, when it
    runs: ``free_slots_after_run_end_seconds``)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    holders = {slot.run_id for slot in storage.get_concurrency_info(POOL).claimed_slots}
    for run_id in holders:
        run = instance.get_run_by_id(run_id)
        if run is None or run.status in FINISHED_STATUSES:
            storage.free_concurrency_slots_for_run(run_id)


def pool_holders(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """The unfinished runs that hold a slot of the ``duckdb`` pool."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(POOL)
    runs = [instance.get_run_by_id(run_id) for run_id in {s.run_id for s in info.claimed_slots}]
    return [run for run in runs if run is not None and run.status not in FINISHED_STATUSES]


class Stopped(Exception):
    """SIGINT or SIGTERM arrived while waiting."""


@contextmanager
def _signals_stop() -> Iterator[None]:
    def stop(signum: int, _frame: Any) -> None:
        raise Stopped(signal.Signals(signum).name)

    before = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def wait_until(
    ready: Callable[[], str | None], say: Callable[[str], None], poll_seconds: float = 0.5
) -> None:
    """Poll ``ready`` until it returns None; each different thing it returns (what is waited
    for) is said once. SIGINT/SIGTERM stop the wait (:class:`Stopped`)."""
    said = None
    with _signals_stop():
        while (waiting := ready()) is not None:
            if waiting != said:
                say(waiting)
                said = waiting
            time.sleep(poll_seconds)


class RunLock:
    """One ``recon`` writer per warehouse: an exclusive ``flock`` on ``<warehouse>.lock``,
    which the kernel releases when the holding process ends, however it ends. The file
    names the holder for the message of whoever waits."""

    def __init__(self, warehouse: Path) -> None:
        self.path = warehouse.with_name(warehouse.name + ".lock")
        self._file: IO[str] | None = None

    def _try(self) -> str | None:
        assert self._file is not None
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self.path.read_text().strip() or "another recon process"
            return f"another recon run writes {self.path.with_suffix('')} ({holder})"
        self._file.seek(0)
        self._file.truncate()
        self._file.write(
            f"pid {os.getpid()} on {socket.gethostname()}, "
            f"since {dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S}"
        )
        self._file.flush()
        return None

    def acquire(self, say: Callable[[str], None]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a+")
        try:
            wait_until(self._try, say)
        except BaseException:
            self._file.close()
            self._file = None
            raise

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def prepare_to_run(instance: dg.DagsterInstance, say: Callable[[str], None]) -> None:
    """Before a run: recover the runs whose process is gone, then wait while a live run
    (one the UI or the daemon launched) holds the ``duckdb`` pool."""
    for line in recover_dead_runs(instance):
        say(line)
    free_finished_slots(instance)

    def holder() -> str | None:
        for line in recover_dead_runs(instance):
            say(line)
        holders = pool_holders(instance)
        if not holders:
            return None
        return f"{describe(holders[0], instance)} holds the duckdb pool"

    wait_until(holder, lambda what: say(f"waiting: {what} (Ctrl-C to stop)"), poll_seconds=1.0)


class ReconRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher, plus a health check for run monitoring: a run carrying
    ``recon``'s process tags whose process is gone is reported FAILED by the daemon (run
    monitoring, ``dagster.yaml``), which then frees its pool slots. Runs it cannot judge
    (no tags, another host) are left alone."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        if worker_gone(run):
            return CheckRunHealthResult(
                WorkerStatus.FAILED,
                f"process {run.tags.get(PID_TAG)} on {run.tags.get(HOST_TAG)} is gone (killed?)",
            )
        return CheckRunHealthResult(WorkerStatus.RUNNING)
