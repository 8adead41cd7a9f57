"""The DuckDB warehouse: one file, one writer at a time, every write a replace in a transaction."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource

from recon_pipeline.contracts import Contract
from recon_pipeline.kana import normalize_kana
from recon_pipeline.migrations import latest_version, migrate
from recon_pipeline.packaged import packaged_dir, sql
from recon_pipeline.write_log import clear_partition, create_views_in_order, log_write, quote

__all__ = ["clear_partition", "log_write", "quote"]

SCHEMAS = ("audit", "quarantine", "raw", "staging", "config", "marts", "exports")
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


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """The Python functions the SQL calls (``normalize_kana``): a macro that calls one is
    refused without it (``staging.payer_aliases_as_of``). Registered once per DuckDB instance
    (:class:`_Host` does it for the warehouse); registering again is refused, and that refusal
    is the cheap test: asking ``duckdb_functions()`` first cost ~20 ms a connection. A result
    left unread is finished first, as DuckDB refuses to register beside one."""
    con.complete()
    try:
        con.create_function("normalize_kana", normalize_kana, ["VARCHAR"], "VARCHAR")
    except duckdb.NotImplementedException as error:  # "already created" on this connection
        if "already created" not in str(error):
            raise
    except duckdb.CatalogException as error:  # "already exists": another connection made it
        if "already exists" not in str(error):
            raise


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    register_functions(con)
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    _drop_old_snapshots(con)
    for path in sorted((packaged_dir("sql") / "ddl").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    create_views(con)
    _create_macros(con, sorted((packaged_dir("sql") / "macros").glob("*.sql")))


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The views of ``sql/views`` in the connection's current database."""
    create_views_in_order(
        con,
        {
            path.stem: path.read_text(encoding="utf-8")
            for path in sorted((packaged_dir("sql") / "views").glob("*.sql"))
        },
    )


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
        host = _Host.of(self.database, dict(self.connection_config))
        con = host.open()
        try:
            create_tables(con)
            yield con
        finally:
            host.close(con)


class _Host:
    """An in-memory DuckDB kept for the process, into which the warehouse file is attached
    while a connection is open (and detached, which checkpoints it and lets the file go,
    when the last one closes): every asset and check connects, and starting a DuckDB
    (its catalog of built-in functions) cost ~17 ms CPU each time, attaching ~5 ms.

    The file is held exactly as long as with a ``duckdb.connect`` per connection, so other
    processes wait for it as before. One host per file and settings (the settings are the
    instance's; spill files go beside the file, as a file database's do), per process: a
    forked child makes its own. Python functions are registered on the host, which outlives
    every connection (DuckDB's functions belong to the instance, and one registered by a
    closed connection crashes the next call)."""

    def __init__(self, database: str, config: dict[str, Any]) -> None:
        self.database = database
        self.name = attached_name(database)
        self.con = duckdb.connect(
            ":memory:", config={"temp_directory": f"{database}.tmp", **config}
        )
        register_functions(self.con)
        self.users = 0

    @classmethod
    def of(cls, database: str, config: dict[str, Any]) -> _Host:
        key = (os.getpid(), str(Path(database).resolve()), tuple(sorted(config.items())))
        with _HOSTS_LOCK:
            if key not in _HOSTS:
                _HOSTS[key] = cls(database, config)
            return _HOSTS[key]

    def open(self) -> duckdb.DuckDBPyConnection:
        """A connection (a cursor of the host) whose current database is the warehouse."""
        with _HOSTS_LOCK:
            if not self.users:
                backoff(
                    fn=self.con.execute,
                    retry_on=(RuntimeError, duckdb.IOException),
                    args=[f"ATTACH $path AS {quote(self.name)}", {"path": self.database}],
                    max_retries=10,
                )
            self.users += 1
        try:
            con = self.con.cursor()
            con.execute(f"USE {quote(self.name)}")
        except BaseException:
            self._release()
            raise
        return con

    def close(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            con.close()
        finally:
            self._release()

    def _release(self) -> None:
        with _HOSTS_LOCK:
            self.users -= 1
            if not self.users:
                self.con.execute(f"DETACH {quote(self.name)}")


def attached_name(database: str) -> str:
    """The name the warehouse is attached under: its file's stem, as ``duckdb.connect`` names
    it, except where the stem is a name DuckDB reserves or the host's own (``temp``,
    ``system``, ``main``, ``memory``), which ATTACH refuses: ``<stem>_db`` then, as
    ``duckdb.connect`` does."""
    stem = Path(database).name.split(".")[0]
    return f"{stem}_db" if stem.lower() in {"temp", "system", "main", "memory"} else stem


_HOSTS: dict[tuple, _Host] = {}
_HOSTS_LOCK = threading.RLock()


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
