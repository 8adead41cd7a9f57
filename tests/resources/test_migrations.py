"""Upgrades: a warehouse made by the last release (its DDL kept as a fixture) is migrated by
this code to the same schema a new warehouse gets, and re-running days on it gives the same
marts; a warehouse newer than the code is refused with one line, untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from recon_pipeline.demo_month import generate_month
from recon_pipeline.migrations import (
    BASELINE,
    WarehouseTooNew,
    latest_version,
    migrations,
    warehouse_version,
)
from recon_pipeline.resources.warehouse import create_tables
from recon_pipeline.settings import load_settings
from tests.conftest import memory_instance, run_range, table_fingerprints

RELEASE_0_1_0 = Path(__file__).resolve().parents[1] / "fixtures" / "warehouse" / "schema_0_1_0.sql"
COMPARED = ("quarantine", "staging", "marts", "exports")
"""Every table of what the days wrote, wall-clock columns left out (conftest)."""


def old_warehouse(path: Path) -> Path:
    """A warehouse file as release 0.1.0 left it (empty tables, its fingerprint, its views)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(RELEASE_0_1_0.read_text(encoding="utf-8"))
    return path


def columns(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT schema_name, table_name, column_name, data_type, is_nullable "
        "FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name <> 'main' ORDER BY ALL"
    ).fetchall()


def test_an_old_warehouse_is_migrated_to_the_schema_of_a_new_one(tmp_path):
    old = duckdb.connect(str(old_warehouse(tmp_path / "old.duckdb")))
    assert warehouse_version(old) == BASELINE
    create_tables(old)
    new = duckdb.connect(str(tmp_path / "new.duckdb"))
    assert warehouse_version(new) is None
    create_tables(new)

    def ledger(con) -> list[tuple]:
        return con.execute(
            "SELECT version, name FROM audit.schema_migrations ORDER BY 1"
        ).fetchall()

    expected = [(BASELINE, "baseline")] + [(m.version, m.name) for m in migrations()]
    assert ledger(old) == ledger(new) == expected
    assert warehouse_version(old) == warehouse_version(new) == latest_version()
    old_columns = [c for c in columns(old) if c[0] != "raw"]
    assert old_columns == [c for c in columns(new) if c[0] != "raw"]
    create_tables(old)
    assert ledger(old) == expected, "a migrated warehouse is migrated once"


def test_days_rerun_on_a_migrated_warehouse_equal_a_new_warehouse(tmp_path):
    """The upgrade path users take: the same days run on the upgraded file and on a new one."""
    fingerprints = {}
    for name in ("upgraded", "new"):
        home = tmp_path / name
        settings = load_settings({"RECON_HOME": str(home)})
        generate_month(settings.landing_dir, days=6)
        if name == "upgraded":
            old_warehouse(settings.warehouse)
        with memory_instance() as instance:
            run_range(settings, instance, "2026-10-01", "2026-10-06")
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM marts.receivables").fetchone()[0] > 0
        fingerprints[name] = table_fingerprints(settings.warehouse, COMPARED)
    assert fingerprints["upgraded"] == fingerprints["new"]


def test_a_warehouse_newer_than_the_code_is_refused_untouched(tmp_path):
    path = tmp_path / "home" / "recon.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        create_tables(con)
        con.execute("INSERT INTO audit.schema_migrations VALUES (9999, 'from_the_future', now())")
        con.execute("UPDATE audit.schema_fingerprint SET fingerprint = 'a newer release'")

    def state() -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(
                "SELECT (SELECT list(version ORDER BY version) FROM audit.schema_migrations), "
                "(SELECT fingerprint FROM audit.schema_fingerprint)"
            ).fetchall()

    before = state()
    with duckdb.connect(str(path)) as con, pytest.raises(WarehouseTooNew, match="9999"):
        create_tables(con)
    assert state() == before
    run = subprocess.run(
        [sys.executable, "-m", "recon_pipeline.cli", "run", "--from", "2026-10-01"],
        env=os.environ | {"RECON_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "schema version 9999" in lines[0], run.stderr
    assert "newer than this recon_pipeline" in lines[0]
    assert state() == before
