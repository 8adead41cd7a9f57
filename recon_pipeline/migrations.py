"""Versioned warehouse migrations: how a warehouse made by an earlier release is upgraded.

``sql/ddl`` always describes the current tables, so a new warehouse is made from it and
recorded as being at the latest version. A warehouse made earlier is brought forward by the
files ``sql/migrations/NNNN_<what>.sql``, applied in order, each in one transaction together
with its row in ``audit.schema_migrations`` (version, name, when): a run killed in the middle
of one leaves the warehouse at the version before it, and the next run applies it again.
Version 1 is the schema of release 0.1.0, the last one without this table. A warehouse at a
version this code does not know was written by a newer release and is refused, untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from recon_pipeline.packaged import packaged_dir

BASELINE = 1
"""The schema of release 0.1.0, which had no migrations table (its DDL is a test fixture)."""
MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
REQUIRES = re.compile(r"^-- requires: (.+)$", re.M)
"""A migration's ``-- requires: schema.table, …`` line: without every one of those tables there
is nothing to bring forward (``sql/ddl`` makes them afresh, at the latest version), so its
statements are skipped and it is recorded as applied."""
LEDGER = "audit.schema_migrations"


class WarehouseTooNew(RuntimeError):
    """The warehouse was upgraded by a newer release than the one running."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration file, in version order; numbers start after the baseline, without gaps
    (a gap or a stray name is a packaging mistake, so it fails loudly)."""
    found = []
    for path in sorted((packaged_dir("sql") / "migrations").glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            raise ValueError(f"sql/migrations/{path.name}: name must be NNNN_<what>.sql")
        found.append(Migration(int(match[1]), match[2], path))
    expected = list(range(BASELINE + 1, BASELINE + 1 + len(found)))
    if [m.version for m in found] != expected:
        raise ValueError(f"sql/migrations: versions must run {expected}, not gapped or repeated")
    return tuple(found)


def latest_version() -> int:
    return migrations()[-1].version if migrations() else BASELINE


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = $s AND table_name = $t",
        {"s": schema, "t": table},
    ).fetchone()
    return bool(found and found[0])


def _has_required_tables(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    required = [name.strip() for line in REQUIRES.findall(text) for name in line.split(",")]
    return all(_has_table(con, *name.split(".")) for name in required)


def _is_new(con: duckdb.DuckDBPyConnection) -> bool:
    """No table of ours yet: the DDL will make it at the latest version."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name IN ('audit', 'quarantine', 'raw', 'staging', 'config', 'marts', "
        "'exports')"
    ).fetchone()
    return not (found and found[0])


def warehouse_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The version recorded in the warehouse; ``BASELINE`` for one made before migrations
    existed, None for an empty database."""
    if _has_table(con, "audit", "schema_migrations"):
        found = con.execute(f"SELECT max(version) FROM {LEDGER}").fetchone()
        if found and found[0] is not None:
            return int(found[0])
    return None if _is_new(con) else BASELINE


def _record(con: duckdb.DuckDBPyConnection, version: int, name: str) -> None:
    con.execute(
        f"INSERT INTO {LEDGER} VALUES ($v, $n, now()::TIMESTAMP)", {"v": version, "n": name}
    )


def check_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The warehouse's version; raises ``WarehouseTooNew`` for one this code cannot read."""
    version = warehouse_version(con)
    if version is not None and version > latest_version():
        raise WarehouseTooNew(
            f"the warehouse {_database_file(con)} is at schema version {version}, newer than "
            f"this recon_pipeline knows ({latest_version()}): install the release that wrote it "
            "or a newer one"
        )
    return version


def _database_file(con: duckdb.DuckDBPyConnection) -> str:
    found = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return str(found[0]) if found and found[0] else "(in memory)"


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Bring the warehouse to the latest version before the DDL runs; returns what was applied.

    A new warehouse applies nothing (the DDL that follows makes the current tables) and is
    recorded at every version; an old one gets each missing migration in its own
    transaction."""
    version = check_version(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {LEDGER} "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    if version is None:
        con.begin()
        _record(con, BASELINE, "baseline")
        for migration in migrations():
            _record(con, migration.version, migration.name)
        con.commit()
        return []
    if not con.execute(f"SELECT count(*) FROM {LEDGER}").fetchone()[0]:
        _record(con, BASELINE, "baseline")
    applied = []
    for migration in migrations():
        if migration.version <= version:
            continue
        con.begin()
        try:
            text = migration.path.read_text(encoding="utf-8")
            if _has_required_tables(con, text):
                con.execute(text)
            _record(con, migration.version, migration.name)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        applied.append(migration)
    return applied


def check_warehouse_file(path: Path) -> None:
    """``check_version`` on a warehouse file before a command touches it (read-only; a file
    another process is writing is left to the run's own check)."""
    if not path.exists():
        return
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException:
        return
    try:
        check_version(con)
    finally:
        con.close()
