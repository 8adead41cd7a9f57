"""The write log (``audit.partition_writes``): every write of a partition is recorded, so the
published copy knows what to rewrite."""

from __future__ import annotations

import re
from typing import Any

import duckdb


def quote(identifier: str) -> str:
    """A safely quoted identifier; values never go into SQL text, only through parameters."""
    return '"' + identifier.replace('"', '""') + '"'


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


def create_views_in_order(con: duckdb.DuckDBPyConnection, views: dict[str, str]) -> None:
    """Run ``CREATE VIEW`` statements (``schema.name`` → statement) so that a view over other
    views (``marts.aging_latest`` over ``marts.receivables``) is made after them: DuckDB binds
    a view when it is made. Without trial and error, as the publish runs in one transaction,
    which a failed statement would abort."""
    reads = {
        name: {
            other
            for other in views
            if other != name and re.search(rf"(?<![\w.]){re.escape(other)}(?!\w)", statement)
        }
        for name, statement in views.items()
    }
    made: set[str] = set()
    while len(made) < len(views):
        ready = sorted(name for name in views if name not in made and reads[name] <= made)
        if not ready:  # a cycle: let DuckDB say which view cannot bind
            ready = sorted(set(views) - made)[:1]
        for name in ready:
            con.execute(views[name])
            made.add(name)
