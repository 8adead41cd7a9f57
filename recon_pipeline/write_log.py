"""The write log (``audit.partition_writes``): every write of a partition is recorded, so the
published copy knows what to rewrite."""

from __future__ import annotations

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
