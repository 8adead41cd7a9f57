"""Tables kept as versions: a day stores what changed, not a copy of everything.

``marts.matches``, ``marts.receivables``, ``marts.settlement_status`` and
``marts.customer_profile`` are views over ``<table>_history``: a row holds one version of
one item (a link, a receivable, a line, a customer) from ``valid_from`` until ``valid_to``
(exclusive, ``9999-12-31`` while current), and ``present = false`` marks an item that
ended (a link undone). The view joins the versions
with ``marts.snapshot_days``, so ``WHERE as_of = D`` reads the state of day D as a filter
over the versions. A day costs what changed that day, and storage grows with changes, not
with days × items.

A day's write is idempotent and keeps the history valid in any order of runs: the day's
own versions are deleted, the day's scope is recomputed (a SQL statement), compared with the
versions in force the day before, and what differs is written with ``valid_from`` = the day;
``valid_to`` of the touched items is then recomputed from their versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from recon_pipeline.packaged import sql
from recon_pipeline.write_log import log_write

CURRENT = dt.date(9999, 12, 31)
"""``valid_to`` of a version still in force."""
VERSION_COLUMNS = ("valid_from", "valid_to", "present")


@dataclass(frozen=True)
class VersionedTable:
    view: str
    """``schema.table`` of the view analysts and the marts read (``marts.matches``)."""
    keys: tuple[str, ...]
    """What identifies an item across versions."""
    scope_side: str
    """Which side of ``audit.reconcile_scope`` says whose versions a day recomputes."""
    scope_column: str
    """The column of the item that is on that side."""

    @property
    def history(self) -> str:
        return f"{self.view}_history"


MATCHES = VersionedTable(
    "marts.matches", ("receivable_id", "settlement_line_id"), "RECEIVABLE", "receivable_id"
)
RECEIVABLES = VersionedTable("marts.receivables", ("receivable_id",), "RECEIVABLE", "receivable_id")
SETTLEMENT_STATUS = VersionedTable(
    "marts.settlement_status", ("settlement_line_id",), "SETTLEMENT", "settlement_line_id"
)
CUSTOMER_PROFILE = VersionedTable(
    "marts.customer_profile", ("customer_id",), "CUSTOMER", "customer_id"
)
RECONCILE_TABLES = (MATCHES, RECEIVABLES, SETTLEMENT_STATUS)
"""Written together, one transaction a day, by the reconcile step."""
VERSIONED_TABLES = (*RECONCILE_TABLES, CUSTOMER_PROFILE)


@dataclass(frozen=True)
class DayVersions:
    recomputed: int
    """Items of the day's scope, recomputed."""
    versions: int
    """Versions written: items that changed, appeared or ended."""


_COLUMNS: dict[str, list[str]] = {}


def _state_columns(con: duckdb.DuckDBPyConnection, table: VersionedTable) -> list[str]:
    """The history table's columns but the version columns (fixed by its DDL: asked once)."""
    if table.history not in _COLUMNS:
        schema, name = table.history.split(".")
        rows = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = $schema AND table_name = $name ORDER BY column_index",
            {"schema": schema, "name": name},
        ).fetchall()
        _COLUMNS[table.history] = [c for (c,) in rows if c not in VERSION_COLUMNS]
    return _COLUMNS[table.history]


def write_day(
    con: duckdb.DuckDBPyConnection,
    table: VersionedTable,
    day: dt.date,
    statement: str,
    params: dict[str, Any],
    *,
    since: dt.date | None,
    policy_hash: str,
) -> DayVersions:
    """Replace the day's versions of ``table`` with what ``sql/<statement>.sql`` yields for the
    day's scope, and record the day in ``marts.snapshot_days``. Runs in the caller's
    transaction; ``audit.reconcile_scope`` must hold the day's scope."""
    listed = ", ".join(_state_columns(con, table))
    keys = ", ".join(table.keys)
    history = table.history
    day_params = {"day": day}
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE undone AS "
        f"SELECT DISTINCT {keys} FROM {history} WHERE valid_from = $day",
        day_params,
    )
    con.execute(f"DELETE FROM {history} WHERE valid_from = $day", day_params)
    con.execute(
        "DELETE FROM marts.snapshot_days WHERE table_name = $table AND as_of = $day",
        {"table": table.view, "day": day},
    )
    alone = con.execute(
        f"SELECT NOT EXISTS (SELECT 1 FROM {history} WHERE valid_from <> $day)", day_params
    ).fetchone()
    if alone and alone[0]:
        # no version before or after the day (a first load): every row is a first version,
        # written straight from the statement (no copy to compare)
        inserted = con.execute(
            f"INSERT INTO {history} ({listed}, present, valid_from, valid_to) "
            f"SELECT {listed}, true, $as_of, $current FROM ({sql(statement)})",
            {**params, "current": CURRENT},
        ).fetchone()
        written = int(inserted[0]) if inserted else 0
        result = DayVersions(recomputed=written, versions=written)
    else:
        result = _write_changes(con, table, day, statement, params, everything=since is None)
    con.execute(
        "INSERT INTO marts.snapshot_days VALUES ($table, $day, $since, $recomputed, $versions, "
        "$policy_hash)",
        {
            "table": table.view,
            "day": day,
            "since": since,
            "recomputed": result.recomputed,
            "versions": result.versions,
            "policy_hash": policy_hash,
        },
    )
    log_write(con, history, day)
    log_write(con, "marts.snapshot_days", day)
    con.execute("DROP TABLE undone")
    return result


def _named(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``params`` that ``query`` names: DuckDB refuses a parameter a statement does not
    use (``reconcile/matches`` reads the day's links, not the day)."""
    named = con.extract_statements(query)[0].named_parameters
    return {name: value for name, value in params.items() if name in named}


def _write_changes(
    con: duckdb.DuckDBPyConnection,
    table: VersionedTable,
    day: dt.date,
    statement: str,
    params: dict[str, Any],
    *,
    everything: bool,
) -> DayVersions:
    """Versions where the day's scope, recomputed, differs from the versions in force the day
    before (new, changed or ended items), then ``valid_to`` of every item whose versions the
    day touched (``undone`` holds the items of the day's versions before they were deleted).
    ``everything``: the day was recomputed from nothing, so every item is in its scope."""
    listed = ", ".join(_state_columns(con, table))
    keys = ", ".join(table.keys)
    joined = " AND ".join(f"t.{key} = k.{key}" for key in table.keys)
    history = table.history
    scope = (
        "true"
        if everything
        else f"{table.scope_column} IN (SELECT item_id FROM audit.reconcile_scope "
        f"WHERE as_of = $day AND side = '{table.scope_side}')"
    )
    query = sql(statement)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT {listed} FROM ({query})",
        _named(con, query, params),
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE previous AS SELECT {listed} FROM {history} "
        f"WHERE valid_from < $day AND valid_to >= $day AND present AND {scope}",
        {"day": day},
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE changed AS "
        f"SELECT *, true AS present FROM (SELECT * FROM fresh EXCEPT SELECT * FROM previous) "
        f"UNION ALL "
        f"SELECT *, false AS present FROM previous AS t "
        f"WHERE NOT EXISTS (SELECT 1 FROM fresh AS k WHERE {joined}); "
        f"DROP TABLE previous"
    )
    con.execute(
        f"INSERT INTO {history} ({listed}, present, valid_from, valid_to) "
        f"SELECT {listed}, present, $day, $current FROM changed",
        {"day": day, "current": CURRENT},
    )
    # the versions whose valid_to moves, by rowid (stable within this transaction): the
    # update then finds them by position instead of joining every version on the keys
    # again (10M orders: the three reconcile tables' updates 1.8-1.9 s -> 1.0 s)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE moved AS SELECT row_id, next_from FROM ("
        f"  SELECT rowid AS row_id, valid_to, coalesce(lead(valid_from) OVER ("
        f"      PARTITION BY {keys} ORDER BY valid_from), $current) AS next_from"
        f"  FROM {history}"
        f"  WHERE ({keys}) IN (SELECT {keys} FROM undone UNION SELECT {keys} FROM changed)"
        f") WHERE valid_to <> next_from",
        {"current": CURRENT},
    )
    con.execute(
        f"UPDATE {history} AS t SET valid_to = k.next_from FROM moved AS k "
        f"WHERE t.rowid = k.row_id; DROP TABLE moved"
    )
    counted = con.execute(
        "SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM changed)"
    ).fetchone()
    assert counted is not None
    con.execute("DROP TABLE fresh; DROP TABLE changed")
    return DayVersions(recomputed=int(counted[0]), versions=int(counted[1]))
