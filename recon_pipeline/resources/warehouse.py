"""The DuckDB warehouse: one file, one writer at a time, every write a replace in a transaction."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource

from recon_pipeline.contracts import Contract
from recon_pipeline.kana import normalize_kana
from recon_pipeline.migrations import latest_version, migrate
from recon_pipeline.packaged import packaged_dir, sql
from recon_pipeline.versions import VERSIONED_TABLES
from recon_pipeline.write_log import clear_partition, log_write, quote

__all__ = ["clear_partition", "log_write", "quote"]

SCHEMAS = ("audit", "quarantine", "raw", "staging", "config", "marts", "exports")
PUBLISHED_SCHEMAS = ("audit", "quarantine", "staging", "config", "marts", "exports")
"""What analysts get in the published copy: everything but ``raw`` (the typed file rows,
the bulk of the file, which the staging tables already carry in business terms)."""
UNPUBLISHED = ("audit.reconcile_scope", "audit.schema_fingerprint", "audit.schema_migrations")
"""Work tables analysts have no use for (which items each day recomputed: every item on a
day reconciled from nothing; which DDL and migrations the warehouse was made with)."""
DEFINITION_FOLDERS = ("migrations", "ddl", "views", "macros")
RAW_FIXED_COLUMNS = (
    ("partition_date", "DATE"),
    ("source", "VARCHAR"),
    ("layout", "VARCHAR"),
    ("path", "VARCHAR"),
    ("line_no", "BIGINT"),
    ("unique_key", "VARCHAR"),
)


def raw_table_ddl(contract: Contract) -> str:
    """``raw.<family>``: the contract's typed columns behind the provenance columns."""
    columns = list(RAW_FIXED_COLUMNS) + [(c.canonical, c.sql_type) for c in contract.columns]
    body = ", ".join(f"{quote(name)} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS raw.{quote(contract.family)} ({body})"


SNAPSHOTS_NOW_VIEWS = ("matches", "receivables", "settlement_status", "customer_profile")
"""Reconcile tables that were full daily snapshots before they were kept as versions."""


@cache
def schema_fingerprint() -> str:
    """A digest of every file of ``sql/migrations``, ``sql/ddl``, ``sql/views`` and
    ``sql/macros``."""
    digest = hashlib.sha256(f"schema version {latest_version()}\0".encode())
    for folder in DEFINITION_FOLDERS:
        for path in sorted((packaged_dir("sql") / folder).glob("*.sql")):
            digest.update(f"{folder}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: the migrations a warehouse of an earlier release lacks
    (:mod:`recon_pipeline.migrations`; one newer than this code is refused), then schemas,
    every ``sql/ddl`` table, the ``sql/views``, then the macros (raw tables come with the
    contracts resource). A warehouse already made with these files
    (``audit.schema_fingerprint``) is left alone: every asset and check connects, and
    replacing the views and macros each time rewrote the catalog, ~40 ms a connection."""
    fingerprint = schema_fingerprint()
    made = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'audit' AND table_name = 'schema_fingerprint'"
    ).fetchone()
    if (
        made
        and made[0]
        and con.execute(
            "SELECT count(*) FROM audit.schema_fingerprint WHERE fingerprint = $f",
            {"f": fingerprint},
        ).fetchall()
        == [(1,)]
    ):
        return
    migrate(con)
    _create_tables(con)
    con.execute(
        "CREATE OR REPLACE TABLE audit.schema_fingerprint AS SELECT $f AS fingerprint",
        {"f": fingerprint},
    )


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    _drop_old_snapshots(con)
    for path in sorted((packaged_dir("sql") / "ddl").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    create_views(con)
    _create_macros(con, sorted((packaged_dir("sql") / "macros").glob("*.sql")))


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The views of ``sql/views`` in the connection's current database."""
    for path in sorted((packaged_dir("sql") / "views").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def _drop_old_snapshots(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before versioned reconcile tables holds them as tables: they are
    dropped for the views (README: re-run the days to rebuild their versions)."""
    old = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'marts' AND list_contains($names, table_name)",
        {"names": list(SNAPSHOTS_NOW_VIEWS)},
    ).fetchall()
    for (name,) in old:
        con.execute(f"DROP TABLE marts.{quote(name)}")


def _create_macros(con: duckdb.DuckDBPyConnection, pending: list[Path]) -> None:
    """Macros may use other macros, which DuckDB resolves on creation: create each once the
    ones it uses exist (a macro that can never be created raises its own error)."""
    while pending:
        failed: list[Path] = []
        for path in pending:
            try:
                con.execute(path.read_text(encoding="utf-8"))
            except duckdb.CatalogException:
                failed.append(path)
        if len(failed) == len(pending):
            con.execute(failed[0].read_text(encoding="utf-8"))
        pending = failed


class WarehouseResource(DuckDBResource):
    """The DuckDB file of all tables (``RECON_WAREHOUSE``); creates its tables on first use.

    DuckDB lets one process write a file, and a reader holding it open blocks the writer. So
    analysts never open this file: after each run a copy is published to ``published_database``
    (``RECON_PUBLISHED_WAREHOUSE``, a link switched to each new copy once it is complete; see
    :func:`publish_copy`). An analyst's open connection keeps reading the copy it opened and
    sees the new day when it reconnects; a run never waits for, or fails on, an analyst.
    """

    published_database: str = ""

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        con = backoff(
            fn=duckdb.connect,
            retry_on=(RuntimeError, duckdb.IOException),
            kwargs={"database": self.database, "config": dict(self.connection_config)},
            max_retries=10,
        )
        try:
            create_tables(con)
            con.create_function("normalize_kana", normalize_kana, ["VARCHAR"], "VARCHAR")
            yield con
        finally:
            con.close()


PARTITION_COLUMNS = ("as_of", "partition_date", "valid_from")
"""``valid_from`` partitions the version tables (``recon_pipeline.versions``)."""
HISTORY_KEYS = {table.history: table.keys for table in VERSIONED_TABLES}


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list:
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = $db "
        "AND schema_name = $schema AND table_name = $table ORDER BY column_index",
        {"db": database, "schema": schema, "table": table},
    ).fetchall()


def _partition_fingerprints(con: duckdb.DuckDBPyConnection, table: str, key: str) -> dict:
    """Rows and the sum of row hashes per partition: what tells a changed partition."""
    rows = con.execute(
        f"SELECT {quote(key)}, count(*), sum(hash(t)) FROM {table} AS t GROUP BY ALL"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _refresh_table(
    con: duckdb.DuckDBPyConnection,
    database: str,
    schema: str,
    table: str,
    written: set | None,
) -> tuple[str, int]:
    """Bring ``published.<schema>.<table>`` to the warehouse's rows. ``written`` holds the
    partitions the write log names since the copy was made; without a log (None), or when
    the row counts still differ afterwards, the partitions whose fingerprints differ are
    rewritten instead. Returns how (``whole``, ``log``, ``fingerprints``) and how many
    partitions were rewritten."""
    name = f"{quote(schema)}.{quote(table)}"
    columns = _columns(con, database, schema, table)
    key = next((c for c in PARTITION_COLUMNS if c in [column for column, _ in columns]), None)
    if key is None or _columns(con, "published", schema, table) != columns:
        con.execute(f"DROP TABLE IF EXISTS published.{name}")
        con.execute(f"CREATE TABLE published.{name} AS SELECT * FROM {name}")
        return "whole", 0
    if written is not None:
        if f"{schema}.{table}" in HISTORY_KEYS:
            _sync_versions(con, name, HISTORY_KEYS[f"{schema}.{table}"], sorted(written))
        else:
            _rewrite_partitions(con, name, key, sorted(written))
        if _row_count(con, name) == _row_count(con, f"published.{name}"):
            return "log", len(written)
    ours = _partition_fingerprints(con, name, key)
    theirs = _partition_fingerprints(con, f"published.{name}", key)
    changed = [k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)]
    _rewrite_partitions(con, name, key, changed)
    return "fingerprints", len(changed)


def _sync_versions(
    con: duckdb.DuckDBPyConnection, name: str, keys: tuple[str, ...], days: list
) -> None:
    """A written day replaces its own versions (``valid_from`` = the day) and moves
    ``valid_to`` of the same items' other versions to or from the day (the next version's
    start); nothing else changes a version. So the copy's versions of the written days are
    replaced, and the other versions whose ``valid_to`` is one of the days on either side
    take the warehouse's ``valid_to`` in place (by rowid, stable within the transaction).
    Deleting and copying every version of every touched item again made the copy's commit
    rewrite them all."""
    if not days:
        return
    listed = ", ".join(quote(column) for column in keys)
    identity = f"{listed}, valid_from"
    joined = " AND ".join(f"p.{quote(column)} = w.{quote(column)}" for column in keys)
    on_days = "list_contains($days, valid_from)"
    closed = f"list_contains($days, valid_to) AND NOT {on_days}"
    params = {"days": days}
    # each history read once: the warehouse's closed versions carry their valid_to, and the
    # copy's rows are those closed there or closed in the warehouse. Only a version closed in
    # the copy but no longer in the warehouse (a re-run that moved valid_to back) is looked
    # up in the warehouse again, which reads nothing when there is none, as in a daily run
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE warehouse_closed AS "
        f"SELECT {identity}, valid_to FROM {name} WHERE {closed}",
        params,
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE published_closed AS "
        f"SELECT rowid AS row_id, {identity}, valid_to FROM published.{name} "
        f"WHERE ({closed}) OR ({identity}) IN (SELECT {identity} FROM warehouse_closed)",
        params,
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE published_moved AS "
        f"WITH reopened AS ("
        f"  SELECT {identity} FROM published_closed "
        f"  EXCEPT SELECT {identity} FROM warehouse_closed), "
        f"w AS ("
        f"  SELECT * FROM warehouse_closed "
        f"  UNION ALL SELECT {identity}, valid_to FROM {name} "
        f"  WHERE ({identity}) IN (SELECT * FROM reopened)) "
        f"SELECT p.row_id, w.valid_to FROM published_closed AS p "
        f"JOIN w ON {joined} AND p.valid_from = w.valid_from WHERE p.valid_to <> w.valid_to; "
        f"DROP TABLE warehouse_closed; DROP TABLE published_closed"
    )
    con.execute(
        f"UPDATE published.{name} AS t SET valid_to = m.valid_to FROM published_moved AS m "
        f"WHERE t.rowid = m.row_id"
    )
    con.execute(f"DELETE FROM published.{name} WHERE {on_days}", params)
    con.execute(f"INSERT INTO published.{name} SELECT * FROM {name} WHERE {on_days}", params)
    con.execute("DROP TABLE published_moved")


def _copy_views(con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...]) -> None:
    """The warehouse's views of ``schemas``, defined again in the copy (they name their tables
    without a database, so in the copy they read the copy's)."""
    listing = (
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = $db "
        "AND NOT internal AND list_contains($schemas, schema_name)"
    )
    ours = con.execute(listing, {"db": database, "schemas": list(schemas)}).fetchall()
    theirs = con.execute(listing, {"db": "published", "schemas": list(schemas)}).fetchall()
    for schema, view, _ in theirs:
        con.execute(f"DROP VIEW published.{quote(schema)}.{quote(view)}")
    con.execute("USE published")
    try:
        for _, _, definition in ours:
            con.execute(definition)
    finally:
        con.execute(f"USE {quote(database)}")


def _rewrite_partitions(con: duckdb.DuckDBPyConnection, name: str, key: str, keys: list) -> None:
    if not keys:
        return
    where = f"list_contains($keys, {quote(key)})"
    con.execute(f"DELETE FROM published.{name} WHERE {where}", {"keys": keys})
    con.execute(f"INSERT INTO published.{name} SELECT * FROM {name} WHERE {where}", {"keys": keys})


def _row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    counted = con.execute(f"SELECT count(*) FROM {name}").fetchone()
    return int(counted[0]) if counted else 0


def _written_since_published(con: duckdb.DuckDBPyConnection, database: str) -> dict | None:
    """Partitions per table written since the published copy was made, from the write log
    the copy carries (``audit.partition_writes``): its last entry must be the warehouse's
    entry of the same id, else (no log, a rebuilt warehouse) None, and fingerprints decide."""
    logged = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name IN ($ours, 'published') "
        "AND schema_name = 'audit' AND table_name = 'partition_writes'",
        {"ours": database},
    ).fetchone()
    if not logged or logged[0] != 2:
        return None
    last = con.execute(
        "SELECT p.write_id, count(w.write_id) FROM (SELECT * FROM published.audit.partition_writes "
        "ORDER BY write_id DESC LIMIT 1) AS p LEFT JOIN audit.partition_writes AS w "
        "USING (write_id, table_name, partition_key, written_at) GROUP BY ALL"
    ).fetchone()
    if last is None or last[1] != 1:
        return None
    written: dict[str, set] = {}
    for table, key in con.execute(
        "SELECT DISTINCT table_name, partition_key FROM audit.partition_writes "
        "WHERE write_id > $last",
        {"last": last[0]},
    ).fetchall():
        written.setdefault(table, set()).add(key)
    return written


class PublishedTable(NamedTuple):
    rows: int
    by: str
    """``whole`` (no partition column, or its columns changed), ``log`` or ``fingerprints``."""
    partitions_rewritten: int


def _generations(target: Path) -> dict[int, Path]:
    """The published files next to ``target`` (``recon.<n>.duckdb``), by generation."""
    pattern = re.compile(rf"{re.escape(target.stem)}\.(\d+){re.escape(target.suffix)}")
    return {
        int(found.group(1)): path
        for path in target.parent.iterdir()
        if (found := pattern.fullmatch(path.name))
    }


def _attach_spare(
    con: duckdb.DuckDBPyConnection, target: Path, current: Path | None, schemas: tuple[str, ...]
) -> Path:
    """Attach as ``published`` the file the next copy is written into: the newest earlier copy
    nobody holds open (DuckDB refuses to attach a file another connection, in this process or
    any other, has open), written over in place; else a byte copy of the current one; else,
    with no copy at all yet, a byte copy of the warehouse itself (:func:`_copy_warehouse`),
    pruned to what is published."""
    generations = _generations(target)
    for _, path in sorted(generations.items(), reverse=True):
        if current is not None and path.resolve() == current.resolve():
            continue
        try:
            con.execute("ATTACH $path AS published", {"path": str(path)})
        except duckdb.Error:
            continue
        return path
    spare = target.with_name(f"{target.stem}.{max(generations, default=0) + 1}{target.suffix}")
    if current is not None:
        shutil.copyfile(current, spare)
    first = current is None and _copy_warehouse(con, spare)
    con.execute("ATTACH $path AS published", {"path": str(spare)})
    if first:
        _prune_first_copy(con, spare, schemas)
    return spare


def _copy_warehouse(con: duckdb.DuckDBPyConnection, spare: Path) -> bool:
    """Start the first copy as a byte copy of the checkpointed warehouse file; False for a
    warehouse with no file. Writing every table into a new file took 36.6 s at 10M orders,
    the byte copy and the pruning 2.7 s; the price is that the first copy keeps the dropped
    raw rows' space as free blocks, which later publishes into that file reuse."""
    found = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not found or not found[0][0] or not Path(found[0][0]).is_file():
        return False
    con.execute("CHECKPOINT")
    shutil.copyfile(found[0][0], spare)
    return True


def _prune_first_copy(
    con: duckdb.DuckDBPyConnection, spare: Path, schemas: tuple[str, ...]
) -> None:
    """Drop from the attached byte copy the schemas that are not published and every macro
    (the tables of ``UNPUBLISHED`` go with the other unpublished tables in :func:`_refresh`).
    On failure the copy is detached and removed, so the next publish does not take a
    half-pruned file for its spare."""
    try:
        con.execute("BEGIN TRANSACTION")
        for (schema,) in con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'published' "
            "AND NOT internal AND NOT list_contains($schemas, schema_name)",
            {"schemas": list(schemas)},
        ).fetchall():
            con.execute(f"DROP SCHEMA published.{quote(schema)} CASCADE")
        for schema, name, kind in con.execute(
            "SELECT DISTINCT schema_name, function_name, function_type FROM duckdb_functions() "
            "WHERE database_name = 'published' AND NOT internal "
            "AND function_type IN ('macro', 'table_macro')"
        ).fetchall():
            table = " TABLE" if kind == "table_macro" else ""
            con.execute(f"DROP MACRO{table} published.{quote(schema)}.{quote(name)}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        con.execute("DETACH published")
        spare.unlink(missing_ok=True)
        raise


def _point_to(target: Path, published: Path, keep: Path | None) -> None:
    """Switch ``target`` (a symbolic link) to ``published`` atomically, and remove the copies
    that are neither the new one nor ``keep`` (the next spare). A reader holding a removed
    copy keeps reading it: the file lives on until it is closed."""
    link = target.with_name(f".{target.name}.link")
    link.unlink(missing_ok=True)
    link.symlink_to(published.name)
    os.replace(link, target)
    kept = {published.resolve(), keep.resolve() if keep else None}
    for path in _generations(target).values():
        if path.resolve() not in kept:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _refresh(
    con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...], tables: list
) -> dict[str, PublishedTable]:
    """Bring the attached ``published`` database to the warehouse's ``tables``."""
    written = _written_since_published(con, database)
    stale = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'published'"
    ).fetchall()
    for schema, table in sorted(set(stale) - set(tables)):
        con.execute(f"DROP TABLE published.{quote(schema)}.{quote(table)}")
    for schema in schemas:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS published.{quote(schema)}")
    counts = {}
    for schema, table in tables:
        logged = None if written is None else written.get(f"{schema}.{table}", set())
        by, rewritten = _refresh_table(con, database, schema, table, logged)
        rows = _row_count(con, f"published.{quote(schema)}.{quote(table)}")
        counts[f"{schema}.{table}"] = PublishedTable(rows, by, rewritten)
    _copy_views(con, database, schemas)
    return counts


def publish_copy(
    con: duckdb.DuckDBPyConnection, target: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS
) -> dict[str, PublishedTable]:
    """Publish ``schemas`` of the open warehouse at ``target``, a symbolic link to the newest
    of (usually) two copies, ``recon.<n>.duckdb``, switched atomically once the new copy is
    complete. Returns per table its rows and how it was brought up to date.

    The new copy is written over the copy before the current one when nobody holds that open
    (else it starts as a byte copy of the current one), in one transaction, and only the
    partitions (``as_of`` / ``partition_date``) written since that copy was made are
    rewritten, as the write log ``audit.partition_writes`` says (every writer goes through
    :func:`clear_partition` or :func:`log_write`): a daily publish costs what the day
    changed, not a copy of all history. A run that failed before publishing is caught up by
    the next. Without a usable log, or if the row counts disagree after the rewrite, the
    partitions whose row count or sum of row hashes differ are rewritten. Tables without a
    partition column, or whose columns changed, are copied whole; tables gone from the
    warehouse are dropped."""
    target.parent.mkdir(parents=True, exist_ok=True)
    current = target.resolve() if target.exists() else None
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND list_contains($schemas, schema_name) "
        "AND NOT list_contains($unpublished, schema_name || '.' || table_name) ORDER BY ALL",
        {"schemas": list(schemas), "unpublished": list(UNPUBLISHED)},
    ).fetchall()
    database = con.execute("SELECT current_database()").fetchone()
    assert database is not None
    spare = _attach_spare(con, target, current, schemas)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            counts = _refresh(con, database[0], schemas, tables)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT published")
    finally:
        con.execute("DETACH published")
    _point_to(target, spare, keep=current if target.is_symlink() else None)
    return counts


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, query: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(query, dict(params or {}))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key_column: str,
    key_value: Any,
    statement: str,
    params: Mapping[str, Any],
) -> int:
    """Delete the partition's rows, insert ``sql/<statement>.sql``'s result; returns the count.

    Runs inside the caller's transaction, so a failure leaves the old rows in place.
    """
    clear_partition(con, table, key_column, key_value)
    con.execute(f"INSERT INTO {table} BY NAME {sql(statement)}", dict(params))
    counted = con.execute(
        f"SELECT count(*) FROM {table} WHERE {quote(key_column)} = $key", {"key": key_value}
    ).fetchone()
    return int(counted[0]) if counted else 0
