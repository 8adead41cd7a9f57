"""What a reconciled day must recompute: the day's scope.

Matching links receivables and settlement lines only through a match key (payment method +
key), a customer (bank transfers are allocated over a customer's receivables, and a leftover
transfer may pay the customer's other orders) or a disposition. Every item the day's news
(events, lines and dispositions that took effect since the last reconciled day) reaches
through those, transitively, is recomputed; the rest cannot have changed and keeps its
versions (``recon_pipeline.versions``). So a day costs what the day delivered and what it
touches, not all history. From nothing — the first day, or a policy whose settlement lags
changed — the scope is everything. A transfer a payer alias speaks for (``alias_lines``, made
by the reconcile step first) is followed along its customer's number like a typed one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from recon_pipeline.packaged import sql
from recon_pipeline.rules import rules_across_keys
from recon_pipeline.versions import CUSTOMER_PROFILE, RECONCILE_TABLES, VersionedTable
from recon_pipeline.write_log import log_write

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
    customers: int = 0


def policy_hash(con: duckdb.DuckDBPyConnection) -> str:
    """The settlement lags (they set provider due dates) and the transfer fees (a fee-short
    transfer settles its receivable) in force: the policy matching reads."""
    row = con.execute(
        "SELECT md5(coalesce(string_agg(payment_method || '=' || "
        "coalesce(CAST(settlement_lag_days AS VARCHAR), '-'), ',' ORDER BY payment_method), '') "
        "|| coalesce((SELECT ';fees=' || string_agg(CAST(fee_amount AS VARCHAR), ',' "
        "ORDER BY fee_amount) FROM config.transfer_fees), '')) "
        "FROM config.collections"
    ).fetchone()
    assert row is not None
    return str(row[0])


def dunning_policy_hash(con: duckdb.DuckDBPyConnection) -> str:
    """The dunning stages in force (which stage blacklists decides who is on the list)."""
    row = con.execute(
        "SELECT md5(coalesce(string_agg(CAST(s AS VARCHAR), '|' ORDER BY CAST(s AS VARCHAR)), "
        "'')) FROM config.dunning_stages AS s"
    ).fetchone()
    assert row is not None
    return str(row[0])


def last_written_day(
    con: duckdb.DuckDBPyConnection, day: dt.date, tables: tuple[VersionedTable, ...]
) -> tuple[dt.date, str] | None:
    """The latest day before ``day`` on which every one of ``tables`` was written, and the
    policy it was written under."""
    return con.execute(
        "SELECT as_of, any_value(policy_hash) FROM marts.snapshot_days WHERE as_of < $day "
        "AND list_contains($tables, table_name) GROUP BY as_of "
        "HAVING count(DISTINCT table_name) = len($tables) ORDER BY as_of DESC LIMIT 1",
        {"day": day, "tables": [table.view for table in tables]},
    ).fetchone()


def clear_scope(con: duckdb.DuckDBPyConnection, day: dt.date, sides: list[str]) -> None:
    """Delete the day's scope rows of ``sides``."""
    con.execute(
        "DELETE FROM audit.reconcile_scope WHERE as_of = $day AND list_contains($sides, side)",
        {"day": day, "sides": sides},
    )
    log_write(con, "audit.reconcile_scope", day)


def replace_scope(
    con: duckdb.DuckDBPyConnection, day: dt.date, sides: list[str], query: str, params: dict
) -> None:
    """Replace the day's scope rows of ``sides`` with ``query``'s (as_of, side, item_id)."""
    clear_scope(con, day, sides)
    con.execute(f"INSERT INTO audit.reconcile_scope {query}", params)


def compute_scope(con: duckdb.DuckDBPyConnection, day: dt.date) -> DayScope:
    """Write the day's scope into ``audit.reconcile_scope`` (in the caller's transaction).

    A day reconciled from nothing recomputes everything visible and writes no scope rows
    (its ``since`` is None, in ``marts.snapshot_days`` too): readers of the scope take all
    items for such a day. Writing every id out cost 7 s for 20M items at 10M orders, and
    every reader then had to look each item up in it."""
    current_policy = policy_hash(con)
    last = last_written_day(con, day, RECONCILE_TABLES)
    since = last[0] if last and last[1] == current_policy else None
    if since is None:
        clear_scope(con, day, ["RECEIVABLE", "SETTLEMENT"])
        return DayScope(since=None, policy_hash=current_policy, receivables=0, lines=0, rounds=0)
    seeds = sql("reconcile/scope/seeds")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE scope_seeds AS {seeds}", {"as_of": day, "since": since}
    )
    rounds = _close(con, day)
    counted = con.execute(
        "SELECT count(*) FILTER (WHERE side = 'RECEIVABLE'), "
        "count(*) FILTER (WHERE side = 'SETTLEMENT') "
        "FROM audit.reconcile_scope WHERE as_of = $day",
        {"day": day},
    ).fetchone()
    assert counted is not None
    return DayScope(
        since=since,
        policy_hash=current_policy,
        receivables=int(counted[0]),
        lines=int(counted[1]),
        rounds=rounds,
    )


def _close(con: duckdb.DuckDBPyConnection, day: dt.date) -> int:
    """Grow the seeds (``scope_seeds``) to every item they reach, in rounds until a round adds
    nothing, and write them as the day's scope; returns the rounds.

    A round follows only what the last steps added (``scope_new_receivables``,
    ``scope_new_lines``): what the earlier members reach was found when they were new. Each
    round still scans the events and the lines, but against a handful of keys after the
    first, so the rounds that add a few items and the last one, which adds none, cost a
    third of the first (10M orders: 9.7 s for three rounds before)."""
    # the links of the day before that join a line and a receivable across keys (the
    # rules with "-- scope: links", recon_pipeline.rules): the scope follows them
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scope_cross_links AS "
        "SELECT receivable_id, settlement_line_id FROM marts.matches_history "
        "WHERE list_contains($rules, rule) AND valid_from < $as_of AND valid_to >= $as_of "
        "AND present",
        {"as_of": day, "rules": list(rules_across_keys())},
    )
    for prefix in ("scope", "scope_new"):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {prefix}_receivables (receivable_id VARCHAR, "
            f"customer_id VARCHAR, payment_method VARCHAR, match_key VARCHAR); "
            f"CREATE OR REPLACE TEMP TABLE {prefix}_lines (settlement_line_id VARCHAR, "
            f"payment_method VARCHAR, match_key VARCHAR)"
        )
    con.execute("CREATE OR REPLACE TEMP TABLE scope_round_seeds AS SELECT * FROM scope_seeds")
    at = {"as_of": day}
    # the seed lines first, so that the first round already reaches their receivables
    # a transfer a payer alias speaks for carries its customer's number (alias_lines)
    con.execute(
        "INSERT INTO scope_new_lines SELECT DISTINCT s.settlement_line_id, s.payment_method, "
        "coalesce(a.customer_number, s.match_key) FROM staging.settlement_lines AS s "
        "LEFT JOIN alias_lines AS a USING (settlement_line_id) WHERE s.partition_date <= $as_of "
        "AND s.paid_date <= $as_of "
        "AND s.settlement_line_id IN (SELECT item_id FROM scope_seeds WHERE side = 'SETTLEMENT')",
        at,
    )
    con.execute("INSERT INTO scope_lines SELECT * FROM scope_new_lines")
    rounds = 0
    while True:
        rounds += 1
        added = _add(con, "receivables", at)
        con.execute("DELETE FROM scope_round_seeds")
        added += _add(con, "lines", at)
        if not added:
            break
        if rounds >= MAX_ROUNDS:
            raise RuntimeError(f"the reconcile scope of {day} did not close in {MAX_ROUNDS} rounds")
    replace_scope(
        con,
        day,
        ["RECEIVABLE", "SETTLEMENT"],
        "SELECT DISTINCT $as_of, 'RECEIVABLE', receivable_id FROM scope_receivables "
        "UNION ALL SELECT DISTINCT $as_of, 'SETTLEMENT', settlement_line_id FROM scope_lines",
        at,
    )
    con.execute(
        "DROP TABLE scope_seeds; DROP TABLE scope_round_seeds; DROP TABLE scope_cross_links"
        + "".join(
            f"; DROP TABLE {prefix}_{side}"
            for prefix in ("scope", "scope_new")
            for side in ("receivables", "lines")
        )
    )
    return rounds


def _add(con: duckdb.DuckDBPyConnection, side: str, params: dict) -> int:
    """One step of a round: the ``side`` items (``receivables`` or ``lines``) that what the
    last steps added reaches become ``scope_new_<side>`` and join ``scope_<side>``."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE scope_found AS {sql(f'reconcile/scope/{side}')}", params
    )
    con.execute(f"DROP TABLE scope_new_{side}; ALTER TABLE scope_found RENAME TO scope_new_{side}")
    row = con.execute(f"INSERT INTO scope_{side} SELECT * FROM scope_new_{side}").fetchone()
    return int(row[0]) if row else 0


def compute_customer_scope(con: duckdb.DuckDBPyConnection, day: dt.date) -> DayScope:
    """Write the customers whose profile the day recomputes (side CUSTOMER): those a change
    since the last profiled day reaches (``sql/marts/customer_profile_scope.sql``); all of
    them from nothing or under changed dunning stages."""
    current_policy = dunning_policy_hash(con)
    last = last_written_day(con, day, (CUSTOMER_PROFILE,))
    since = last[0] if last and last[1] == current_policy else None
    replace_scope(
        con,
        day,
        ["CUSTOMER"],
        f"SELECT $as_of, 'CUSTOMER', item_id FROM ({sql('marts/customer_profile_scope')})",
        {"as_of": day, "since": since or BEGINNING},
    )
    counted = con.execute(
        "SELECT count(*) FROM audit.reconcile_scope WHERE as_of = $day AND side = 'CUSTOMER'",
        {"day": day},
    ).fetchone()
    return DayScope(
        since=since,
        policy_hash=current_policy,
        receivables=0,
        lines=0,
        rounds=1,
        customers=int(counted[0]) if counted else 0,
    )


@dataclass(frozen=True)
class JournalScope:
    """What a day's journal compares with what was booked (``sql/marts/journal.sql``)."""

    everything: bool
    """Every key: nothing booked before, a day reconciled from nothing, or an earlier day
    booked again after the last one."""
    since: dt.date
    """The last day booked: konbini collections whose 振込日 came after it are in scope."""
    days: tuple[dt.date, ...]
    """The reconciled days whose scope (``audit.reconcile_scope``) holds what changed."""
    why: str = ""
    """Why every key (shown with the day's figures)."""

    def describe(self) -> str:
        if self.everything:
            return f"every key ({self.why})"
        days = ", ".join(day.isoformat() for day in self.days) or "none"
        return f"the keys reconciled since {self.since.isoformat()} (scope of: {days})"

    def parameters(self) -> dict:
        return {"everything": self.everything, "since": self.since, "scope_days": list(self.days)}


def _everything(why: str) -> JournalScope:
    return JournalScope(everything=True, since=BEGINNING, days=(), why=why)


_JOURNAL_BOOKINGS = """
SELECT w.partition_key AS day, w.write_id
FROM audit.partition_writes AS w
WHERE w.table_name = 'marts.journal_lines' AND w.partition_key < $day
    -- not the mark a sent file leaves on its lines (exports.journal_files, one write before)
    AND NOT EXISTS (
        SELECT 1 FROM audit.partition_writes AS f
        WHERE f.table_name = 'exports.journal_files' AND f.partition_key = w.partition_key
            AND f.write_id = w.write_id - 1
    )
"""


def journal_scope(con: duckdb.DuckDBPyConnection, day: dt.date) -> JournalScope:
    """What can have changed since the journal was last booked, read from the write log.

    When the last day before ``day`` (J) was booked, every key's booked amount was its amount
    as of J. Since then only the items of a reconciled day after J, or of a day up to J
    reconciled again after J was booked, can have changed; and konbini collections whose
    振込日 came after J. Anything else the write log cannot vouch for (nothing booked, a day
    reconciled from nothing, an earlier day booked again after J) compares every key."""
    basis = con.execute(
        f"SELECT arg_max(day, write_id), max(write_id), max(day) FROM ({_JOURNAL_BOOKINGS})",
        {"day": day},
    ).fetchone()
    if basis is None or basis[1] is None:
        return _everything("nothing booked before")
    booked_on, booked_at, latest_day = basis
    if latest_day != booked_on:  # the last booking was not of the latest day booked
        return _everything(f"{booked_on} was booked again after a later day")
    rows = con.execute(
        "SELECT as_of, bool_or(since IS NULL) FROM marts.snapshot_days "
        "WHERE list_contains($tables, table_name) AND as_of <= $day AND (as_of > $booked_on "
        "OR as_of IN (SELECT partition_key FROM audit.partition_writes "
        "WHERE list_contains($histories, table_name) AND write_id > $booked_at)) "
        "GROUP BY as_of ORDER BY as_of",
        {
            "day": day,
            "booked_on": booked_on,
            "booked_at": booked_at,
            "tables": [table.view for table in RECONCILE_TABLES],
            "histories": [table.history for table in RECONCILE_TABLES],
        },
    ).fetchall()
    anew = [d.isoformat() for d, from_nothing in rows if from_nothing]
    if anew:
        return _everything(f"reconciled from nothing: {', '.join(anew)}")
    return JournalScope(everything=False, since=booked_on, days=tuple(d for d, _ in rows))
