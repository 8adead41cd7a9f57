"""Great Expectations' SQL engine over the warehouse's own DuckDB connection.

GX 1.24 runs a suite as SQL through SQLAlchemy (``duckdb-engine`` is DuckDB's dialect), so
a suite reads nothing into pandas. Out of the box every metric fails on DuckDB:
``SqlAlchemyExecutionEngine.execute_query`` returns the cursor result after the ``with``
block of its connection has closed, and DuckDB's rows are gone by then (``fetchall()`` is
empty, or "No open result set" once the connection is really closed), so
``resolve_metric_bundle`` indexes an empty list. :class:`BufferedSqlAlchemyExecutionEngine`
is the one override: the rows are buffered (``freeze()``) while the connection is open. A
test (``tests/test_expectations.py``) tells when GX fixes it upstream
(:func:`upstream_loses_rows` turns False), and the shim can go.

The datasource hands GX cursors of the connection the caller holds (:func:`bound`), not a
second ``duckdb.connect`` of the file: one process may not open a database file twice with
different settings, and an asset check already holds the warehouse.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import duckdb
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from typing_extensions import override

from recon_pipeline.write_log import quote

_CONNECTION: contextvars.ContextVar[tuple[duckdb.DuckDBPyConnection, str]] = contextvars.ContextVar(
    "recon_gx_connection"
)


class BufferedSqlAlchemyExecutionEngine(SqlAlchemyExecutionEngine):
    """``execute_query`` with the rows fetched before the connection closes (the GX bug
    above); nothing else differs."""

    @override
    def execute_query(self, query):
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            return result.freeze()()


class DuckDBDatasource(SQLDatasource):
    """GX's generic SQL datasource (``add_sql``) with the buffered engine; registered by GX
    as ``context.data_sources.add_duckdb_warehouse``."""

    type: Literal["duckdb_warehouse"] = "duckdb_warehouse"

    @property
    @override
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return BufferedSqlAlchemyExecutionEngine


def _cursor() -> ConnectionWrapper:
    """A new cursor (DuckDB: a connection to the same database) of the bound connection."""
    try:
        con, database = _CONNECTION.get()
    except LookupError:
        raise RuntimeError("no warehouse connection bound for Great Expectations") from None
    cursor = con.cursor()
    cursor.execute(f"USE {quote(database)}")  # a cursor starts in the instance's default one
    return ConnectionWrapper(cursor)


ENGINE_KWARGS = {"creator": _cursor, "poolclass": sa.pool.NullPool}
"""``create_engine`` arguments of the datasource: every connection GX opens is a cursor of
the bound connection, closed when GX returns it."""


@contextmanager
def bound(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """GX's queries inside the block run on ``con`` (a cursor of it each, in ``con``'s current
    database: they see what it has committed)."""
    database = con.execute("SELECT current_database()").fetchone()
    assert database is not None
    token = _CONNECTION.set((con, database[0]))
    try:
        yield
    finally:
        _CONNECTION.reset(token)


def upstream_loses_rows(con: duckdb.DuckDBPyConnection) -> bool:
    """True while GX's own ``execute_query`` loses DuckDB's rows (the reason for the shim)."""
    with bound(con):
        engine = SqlAlchemyExecutionEngine(engine=sa.create_engine("duckdb://", **ENGINE_KWARGS))
        try:
            rows = engine.execute_query(sa.text("SELECT 42")).fetchall()
        except Exception:  # any failure to return the row is the bug
            return True
        finally:
            engine.engine.dispose()
    return rows != [(42,)]
