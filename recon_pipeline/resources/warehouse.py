"""The DuckDB warehouse: one file, one writer at a time, every write a replace in a transaction."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource

from recon_pipeline.contracts import Contract
from recon_pipeline.kana import normalize_kana
from recon_pipeline.packaged import packaged_dir, sql

SCHEMAS = ("audit", "quarantine", "raw", "staging", "config", "marts", "exports")
PUBLISHED_SCHEMAS = ("audit", "quarantine", "staging", "config", "marts", "exports")
"""What analysts get in the published copy: everything but ``raw`` (the typed file rows,
the bulk of the file, which the staging tables already carry in business terms)."""
RAW_FIXED_COLUMNS = (
    ("partition_date", "DATE"),
    ("source", "VARCHAR"),
    ("layout", "VARCHAR"),
    ("path", "VARCHAR"),
    ("line_no", "BIGINT"),
    ("unique_key", "VARCHAR"),
)


def quote(identifier: str) -> str:
    """A safely quoted identifier; values never go into SQL text, only through parameters."""
    return '"' + identifier.replace('"', '""') + '"'


def raw_table_ddl(contract: Contract) -> str:
    """``raw.<family>``: the contract's typed columns behind the provenance columns."""
    columns = list(RAW_FIXED_COLUMNS) + [(c.canonical, c.sql_type) for c in contract.columns]
    body = ", ".join(f"{quote(name)} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS raw.{quote(contract.family)} ({body})"


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: schemas, every ``sql/ddl`` table, then the macros (raw tables come with
    the contracts resource)."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for path in sorted((packaged_dir("sql") / "ddl").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    _create_macros(con, sorted((packaged_dir("sql") / "macros").glob("*.sql")))


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
    (``RECON_PUBLISHED_WAREHOUSE``), built under a temporary name and renamed into place. An
    analyst's open connection keeps reading the copy it opened (the old inode) and sees the
    new day when it reconnects; a run never waits for, or fails on, an analyst.
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


PARTITION_COLUMNS = ("as_of", "partition_date")


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
        _rewrite_partitions(con, name, key, sorted(written))
        if _row_count(con, name) == _row_count(con, f"published.{name}"):
            return "log", len(written)
    ours = _partition_fingerprints(con, name, key)
    theirs = _partition_fingerprints(con, f"published.{name}", key)
    changed = [k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)]
    _rewrite_partitions(con, name, key, changed)
    return "fingerprints", len(changed)


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


def publish_copy(
    con: duckdb.DuckDBPyConnection, target: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS
) -> dict[str, PublishedTable]:
    """Copy ``schemas`` of the open warehouse into a new DuckDB file at ``target``, atomically
    (temporary name, checkpoint, rename). Returns per table its rows and how it was brought
    up to date.

    The new file starts as a byte copy of the last published one, and only the partitions
    (``as_of`` / ``partition_date``) written since then are rewritten, as the write log
    ``audit.partition_writes`` says (every writer goes through :func:`clear_partition` or
    :func:`log_write`): a daily run rewrites its days, a backfill its range, and a run that
    failed before publishing is caught up by the next, at a cost that follows the changes,
    not the history. Without a usable log, or if the row counts disagree after the rewrite,
    the partitions whose row count or sum of row hashes differ are rewritten. Tables without
    a partition column, or whose columns changed, are copied whole; tables gone from the
    warehouse are dropped."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if target.exists():
        shutil.copyfile(target, partial)
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND list_contains($schemas, schema_name) "
        "ORDER BY ALL",
        {"schemas": list(schemas)},
    ).fetchall()
    database = con.execute("SELECT current_database()").fetchone()
    assert database is not None
    counts = {}
    con.execute("ATTACH $path AS published", {"path": str(partial)})
    try:
        written = _written_since_published(con, database[0])
        stale = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'published'"
        ).fetchall()
        for schema, table in sorted(set(stale) - set(tables)):
            con.execute(f"DROP TABLE published.{quote(schema)}.{quote(table)}")
        for schema in schemas:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS published.{quote(schema)}")
        for schema, table in tables:
            logged = None if written is None else written.get(f"{schema}.{table}", set())
            by, rewritten = _refresh_table(con, database[0], schema, table, logged)
            rows = _row_count(con, f"published.{quote(schema)}.{quote(table)}")
            counts[f"{schema}.{table}"] = PublishedTable(rows, by, rewritten)
        con.execute("CHECKPOINT published")
    finally:
        con.execute("DETACH published")
    os.replace(partial, target)
    return counts


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, query: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(query, dict(params or {}))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def log_write(con: duckdb.DuckDBPyConnection, table: str, key_value: Any) -> None:
    """Record that ``table`` (``schema.table``) had rows of one partition written: how the
    published copy knows what to rewrite. Call it in the writing transaction."""
    con.execute(
        "INSERT INTO audit.partition_writes SELECT coalesce(max(write_id), 0) + 1, $table, "
        "$key, now()::TIMESTAMP FROM audit.partition_writes",
        {"table": table, "key": key_value},
    )


def clear_partition(
    con: duckdb.DuckDBPyConnection, table: str, key_column: str, key_value: Any
) -> None:
    """Delete one partition of ``table`` (``schema.table``) before it is written again, and
    log the write."""
    name = ".".join(quote(part) for part in table.split("."))
    con.execute(f"DELETE FROM {name} WHERE {quote(key_column)} = $key", {"key": key_value})
    log_write(con, table, key_value)


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
