"""Fixtures: a tmp landing zone + warehouse, and a way to run days through the real job."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from recon_pipeline.assets.ingest import LANDED_FILES
from recon_pipeline.cli import QUIET_LOGS, failure_reason, main
from recon_pipeline.definitions import DAILY_JOB, build_definitions
from recon_pipeline.settings import Settings, load_settings

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"
"""The hand-checked sample landing tree (one file per layout); the project's own copy."""


LONGEST_FIRST = (
    "tests/assets/test_matching_properties.py",
    "tests/faults/test_concurrency.py",
    "tests/ui/test_browser.py",
    "tests/assets/test_incremental_reconcile.py",
    "tests/assets/test_dunning_walk.py",
    "tests/layouts/test_variance.py",
    "tests/faults/test_exactly_once.py",
    "tests/assets/test_backfill.py",
    "tests/e2e/test_s3_source.py",
    "tests/faults/test_crash_recovery.py",
    "tests/assets/test_collections_marts.py",
    "tests/test_demo.py",
    "tests/assets/test_pipeline.py",
    "tests/e2e/test_sftp_source.py",
    "tests/assets/test_freshness_gate.py",
    "tests/test_cli.py",
    "tests/assets/test_dunning_holds.py",
    "tests/deploy/test_celery_workers.py",
    "tests/resources/test_migrations.py",
)
"""The test files that take longest (measured with ``--durations``), longest first. ``make
test`` hands whole files to its workers in collection order (``--dist loadfile``,
``--no-loadscope-reorder``): a long file handed out last would run alone at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of LONGEST_FIRST first, in its order; the others after them as collected."""
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def built_once(request: pytest.FixtureRequest, name: str, build: Callable[[Path], None]) -> Path:
    """``build(folder)`` run once a test session, not once a worker, and its folder returned:
    the session's xdist workers share the parent of their temp dirs, and the first to get here
    builds under a file lock while the others wait (as tests/faults/conftest.py's clean run).
    Callers only read the folder, or copy it (``shutil.copytree(..., symlinks=True)``)."""
    root = request.getfixturevalue("tmp_path_factory").getbasetemp()
    if hasattr(request.config, "workerinput"):
        root = root.parent
    folder = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / f"{name}.done"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            done.touch()
    return folder


def _run_samples_fortnight(folder: Path) -> None:
    home = folder / "home"
    shutil.copytree(SAMPLES, home / "landing")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out):
        patch.setenv("RECON_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        patch.chdir(folder)
        code = main(["run", "--from", "2026-10-01", "--to", "2026-10-14"])
    (folder / "code.txt").write_text(str(code), encoding="utf-8")
    (folder / "out.txt").write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="session")
def samples_fortnight(request: pytest.FixtureRequest) -> tuple[Path, int, str]:
    """The shared samples' fortnight (2026-10-01 to 10-14) run once a session by ``recon run``
    (one run over the range, into a persistent Dagster instance in the home): its home, exit
    code and output. tests/test_cli.py and tests/layouts/test_golden.py start from it; they
    read the home, or copy it."""
    folder = built_once(request, "samples_fortnight", _run_samples_fortnight)
    code = int((folder / "code.txt").read_text(encoding="utf-8"))
    return folder / "home", code, (folder / "out.txt").read_text(encoding="utf-8")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"RECON_HOME": str(tmp_path / "home")})


@pytest.fixture
def landing(settings: Settings) -> Path:
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    return settings.landing_dir


@contextmanager
def memory_instance() -> Iterator[dg.DagsterInstance]:
    """A Dagster instance whose runs and event log are in memory: the same in-process
    execution, events and records as a SQLite instance, without opening a SQLite file for
    every event (about 40 % of a small day's run). Tests of what a persistent instance does
    (``recon run``, ``dagster dev``, the daemon) use a DAGSTER_HOME of their own instead."""
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with memory_instance() as test_instance:
        yield test_instance


QUIET = QUIET_LOGS


def run_job(
    settings: Settings,
    instance: dg.DagsterInstance,
    first: str,
    last: str | None = None,
    *,
    expect_success: bool = True,
) -> list[dg.ExecuteInProcessResult]:
    """Execute the daily job of the Definitions for each day, in order, as `recon run` does."""
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)
    results = []
    while day <= end:
        result = job.execute_in_process(
            partition_key=day.isoformat(), instance=instance, raise_on_error=False, run_config=QUIET
        )
        if expect_success:
            assert result.success, f"{day} failed: {failure_reason(result)}"
        results.append(result)
        day += dt.timedelta(days=1)
    return results


@pytest.fixture
def run_days(settings: Settings, instance: dg.DagsterInstance) -> Callable[..., list]:
    return lambda first, last=None, **kw: run_job(settings, instance, first, last, **kw)


@pytest.fixture
def warehouse(settings: Settings) -> Callable[[], duckdb.DuckDBPyConnection]:
    return lambda: duckdb.connect(str(settings.warehouse), read_only=True)


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """sha256 over every row of a table, in a stable order."""
    rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def table_fingerprints(path: Path, schemas: tuple[str, ...]) -> dict[str, str]:
    """sha256 of every table, leaving out the wall-clock columns (loaded_at, sent_at …) and
    ``run_id`` (which Dagster run wrote a row: another one each time, by design)."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE list_contains($schemas, schema_name) ORDER BY ALL",
            {"schemas": list(schemas)},
        ).fetchall()
        for schema, table in tables:
            columns = [
                name
                for name, kind in con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() "
                    "WHERE schema_name = $s AND table_name = $t ORDER BY column_index",
                    {"s": schema, "t": table},
                ).fetchall()
                if kind != "TIMESTAMP" and name != "run_id"
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {listed} FROM "{schema}"."{table}" ORDER BY ALL').fetchall()
            out[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def land_days(settings: Settings, instance: dg.DagsterInstance, first: str, last: str) -> None:
    """Run only the ingest asset (``1_ingest/landed_files``) for each day: landing, not matching."""
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        result = job.execute_in_process(
            partition_key=day.isoformat(),
            instance=instance,
            asset_selection=[LANDED_FILES],
            run_config=QUIET,
        )
        assert result.success, f"{day} failed: {failure_reason(result)}"
        day += dt.timedelta(days=1)


def landed_summary(settings: Settings) -> list[tuple]:
    """What was landed, independent of where from: source, path, sha256, status, reason."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT source, path, sha256, bytes, status, duplicate_of FROM audit.landed_files "
            "ORDER BY ALL"
        ).fetchall()


def run_range(
    settings: Settings, instance: dg.DagsterInstance, first: str, last: str
) -> dg.ExecuteInProcessResult:
    """Execute the daily job once over a range of days (a single-run backfill): every asset
    walks the days of the range in order, as the UI's "single run" backfill does."""
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=QUIET,
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success, f"{first}…{last} failed: {failure_reason(result)}"
    return result
