"""What a reconciled day must recompute: the day's scope.

Matching links receivables and settlement lines only through a match key (payment method +
key), a customer (bank transfers are allocated over a customer's receivables, and a leftover
transfer may pay the customer's other orders) or a disposition. Every item the day's news
(events, lines and dispositions that took effect since the last reconciled day) reaches
through those, transitively, is recomputed; the rest cannot have changed and keeps its
versions (``recon_pipeline.versions``). So a day costs what the day delivered and what it
touches, not all history. From nothing — the first day, or a policy whose settlement lags
changed — the scope is everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from recon_pipeline.packaged import sql
from recon_pipeline.resources.warehouse import clear_partition

BEGINNING = dt.date(1, 1, 1)
"""``since`` of a day reconciled from nothing: everything visible is news."""
MAX_ROUNDS = 50


@dataclass(frozen=True)
class DayScope:
    since: dt.date | None
    """The reconciled day this one builds on; None when it is built from nothing."""
    policy_hash: str
    receivables: int
    lines: int
    rounds: int


def policy_hash(con: duckdb.DuckDBPyConnection) -> str:
    """The settlement lags in force (they set provider due dates, which matching reads)."""
    row = con.execute(
        "SELECT md5(coalesce(string_agg(payment_method || '=' || "
        "coalesce(CAST(settlement_lag_days AS VARCHAR), '-'), ',' ORDER BY payment_method), '')) "
        "FROM config.collections"
    ).fetchone()
    assert row is not None
    return str(row[0])


def last_reconciled_day(con: duckdb.DuckDBPyConnection, day: dt.date) -> tuple[dt.date, str] | None:
    """The latest day before ``day`` whose reconcile tables were all written, and its policy."""
    return con.execute(
        "SELECT as_of, any_value(policy_hash) FROM marts.snapshot_days WHERE as_of < $day "
        "GROUP BY as_of HAVING count(DISTINCT table_name) = 3 ORDER BY as_of DESC LIMIT 1",
        {"day": day},
    ).fetchone()


def compute_scope(con: duckdb.DuckDBPyConnection, day: dt.date) -> DayScope:
    """Write the day's scope into ``audit.reconcile_scope`` (in the caller's transaction)."""
    current_policy = policy_hash(con)
    last = last_reconciled_day(con, day)
    since = last[0] if last and last[1] == current_policy else None
    params = {"as_of": day, "since": since or BEGINNING}
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE scope_seeds AS {sql('reconcile/scope/seeds')}", params
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scope_receivables (receivable_id VARCHAR, "
        "customer_id VARCHAR, payment_method VARCHAR, match_key VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scope_lines (settlement_line_id VARCHAR, "
        "payment_method VARCHAR, match_key VARCHAR)"
    )
    at = {"as_of": day}
    rounds = 0
    while True:
        rounds += 1
        added = _insert(con, "scope_receivables", "reconcile/scope/receivables", at)
        added += _insert(con, "scope_lines", "reconcile/scope/lines", at)
        if not added:
            break
        if rounds >= MAX_ROUNDS:
            raise RuntimeError(f"the reconcile scope of {day} did not close in {MAX_ROUNDS} rounds")
    clear_partition(con, "audit.reconcile_scope", "as_of", day)
    con.execute(
        "INSERT INTO audit.reconcile_scope "
        "SELECT DISTINCT $as_of, 'RECEIVABLE', receivable_id FROM scope_receivables "
        "UNION ALL SELECT DISTINCT $as_of, 'SETTLEMENT', settlement_line_id FROM scope_lines",
        at,
    )
    counted = (
        con.execute("SELECT count(DISTINCT receivable_id) FROM scope_receivables").fetchone(),
        con.execute("SELECT count(DISTINCT settlement_line_id) FROM scope_lines").fetchone(),
    )
    for temp in ("scope_seeds", "scope_receivables", "scope_lines"):
        con.execute(f"DROP TABLE {temp}")
    return DayScope(
        since=since,
        policy_hash=current_policy,
        receivables=int(counted[0][0]) if counted[0] else 0,
        lines=int(counted[1][0]) if counted[1] else 0,
        rounds=rounds,
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, statement: str, params: dict) -> int:
    row = con.execute(f"INSERT INTO {table} {sql(statement)}", params).fetchone()
    return int(row[0]) if row else 0
