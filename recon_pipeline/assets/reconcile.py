"""Reconcile: the matching waterfall as of each day, and the receivable ledger it yields.

The three tables are one step, one transaction per day: a day is reconciled whole or not at
all. Each day recomputes only its scope (``recon_pipeline.scope``: what the day's files and
dispositions reach) and stores what changed as versions (``recon_pipeline.versions``); the
tables are views that show every reconciled day in full.
"""

import dataclasses
import datetime as dt

import dagster as dg
import duckdb

from recon_pipeline import rules, versions
from recon_pipeline.assets.snapshot import (
    day_results,
    every_day,
    markdown_preview,
    previous_day,
)
from recon_pipeline.assets.staging import (
    DISPOSITIONS,
    PAYER_ALIASES,
    RECEIVABLE_EVENTS,
    SETTLEMENT_LINES,
)
from recon_pipeline.packaged import sql
from recon_pipeline.partitions import (
    SINGLE_RUN,
    daily_partitions,
    stage_group,
    table_key,
    table_metadata,
)
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource
from recon_pipeline.scope import DayScope, compute_scope
from recon_pipeline.write_log import clear_partition

MATCHES = table_key("reconcile", "marts.matches")
SETTLEMENT_STATUS = table_key("reconcile", "marts.settlement_status")
RECEIVABLES = table_key("reconcile", "marts.receivables")
PAYER_ALIASES_AS_OF = table_key("reconcile", "marts.payer_aliases")
INPUTS = [RECEIVABLE_EVENTS, SETTLEMENT_LINES, DISPOSITIONS, PAYER_ALIASES]
ALIAS_LINES = "alias_lines"
"""The temp table of the day's transfers a payer alias speaks for (sql/reconcile/alias_lines)."""


def _spec(key: dg.AssetKey, deps: list, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        group_name=stage_group("reconcile"),
        deps=[*deps, previous_day(key)],
        kinds={"duckdb"},
        description=description,
        metadata=table_metadata(key),
    )


SPECS = [
    _spec(
        MATCHES,
        INPUTS,
        "Which settlement line pays which receivable as of the day, and by which rule: every "
        "link with the rule that made it, the amount, the difference left and the candidates.",
    ),
    _spec(
        RECEIVABLES,
        [*INPUTS, MATCHES],
        "The receivable ledger (債権) as of the day: expected, paid, outstanding, status, "
        "difference reason, due date and aging bucket of every shipped order.",
    ),
    _spec(
        PAYER_ALIASES_AS_OF,
        [*INPUTS, MATCHES],
        "The payer aliases rule learned_alias knew as of the day: payer kana, customer number, "
        "who decided, when, from which disposition or file line, when removed, and how many "
        "transfers each matched.",
    ),
    _spec(
        SETTLEMENT_STATUS,
        [*INPUTS, MATCHES, RECEIVABLES],
        "Every settlement line known as of the day in exactly one status: MATCHED, UNMATCHED "
        "(不明入金), SUGGESTED, REVERSED (速報取消), IGNORED, FEE, with the reason a line "
        "found no receivable.",
    ),
]
STATEMENTS = (
    (versions.MATCHES, "reconcile/matches"),
    (versions.RECEIVABLES, "reconcile/receivables"),
    (versions.SETTLEMENT_STATUS, "reconcile/settlement_status"),
)


AS_OF_TABLES = {
    "scope_receivables_as_of": "staging.receivables_as_of",
    "scope_lines_as_of": "staging.settlement_lines_as_of",
}
"""The scope's receivables and settlement lines as of the day, made once for the three
statements (each derived them again: 1.6 s of the 1M backlog day's 8 s, three times); the
matching rules read them too."""


def reconcile_day(
    con: duckdb.DuckDBPyConnection, day: dt.date
) -> tuple[DayScope, dict[str, versions.DayVersions]]:
    """One day: its scope, then the links of the matching rules, then the matches, the ledger
    and the line statuses, as versions (in the caller's transaction)."""
    # the transfers a payer alias speaks for: the scope follows them, the rules and the line
    # statuses read them
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ALIAS_LINES} AS {sql('reconcile/alias_lines')}",
        {"as_of": day},
    )
    scope = compute_scope(con, day)
    # from nothing the scope is everything visible, and not written out; a literal, as DuckDB
    # plans the look-up into the scope for a parameter even when it is false
    scoped = "true" if scope.since is not None else "false"
    for name, macro in AS_OF_TABLES.items():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            f"SELECT * FROM {macro}($as_of, scoped := {scoped})",
            {"as_of": day},
        )
    rules.link(con, day)
    written = {
        table.view: versions.write_day(
            con,
            table,
            day,
            statement,
            {"as_of": day},
            since=scope.since,
            policy_hash=scope.policy_hash,
        )
        for table, statement in STATEMENTS
    }
    clear_partition(con, "marts.payer_aliases", "as_of", day)
    con.execute(
        f"INSERT INTO marts.payer_aliases BY NAME {sql('reconcile/payer_aliases')}", {"as_of": day}
    )
    con.execute(
        "; ".join(
            f"DROP TABLE {name}"
            for name in (*AS_OF_TABLES, rules.LINKS, rules.SUGGESTIONS, ALIAS_LINES)
        )
    )
    if scope.since is None:
        scope = dataclasses.replace(
            scope,
            receivables=written[versions.RECEIVABLES.view].recomputed,
            lines=written[versions.SETTLEMENT_STATUS.view].recomputed,
        )
    return scope, written


@dg.multi_asset(
    specs=SPECS,
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
    pool="duckdb",
    name="reconcile",
)
def reconcile(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
):
    """Match, then the ledger, then every line's status, for each day of the window."""
    with warehouse.connect() as con:
        done = every_day(context, con, reconcile_day, policy.write_tables)
        figures = {day: _figures(con, day, *done[day]) for day in done}  # on the same connection
    for day, (scope, _) in done.items():
        context.log.info(
            f"{day}: recomputed {scope.receivables:,} receivables and {scope.lines:,} lines "
            f"(since {scope.since or 'nothing'}, {scope.rounds} rounds)"
        )
    keys = (MATCHES, RECEIVABLES, PAYER_ALIASES_AS_OF, SETTLEMENT_STATUS)
    yield from day_results(context, {key: {d: f[key] for d, f in figures.items()} for key in keys})


def _figures(
    con, day, scope: DayScope, written: dict[str, versions.DayVersions]
) -> dict[dg.AssetKey, dict]:
    """The day's metadata of the three tables. Each table's as-of view is read once, grouped
    into a small temp table the counts, sums and previews come from (eight reads of the
    history's as-of views before: ~0.3 s of a daily day at 1M orders)."""
    common = {
        "since": str(scope.since or "nothing (full recompute)"),
        "scope_receivables": scope.receivables,
        "scope_lines": scope.lines,
    }
    grouped = {
        "day_matches": "SELECT rule, count(*) AS links, sum(matched_amount) AS amount "
        "FROM marts.matches WHERE as_of = $d GROUP BY rule",
        "day_receivables": "SELECT status, count(*) AS receivables, "
        "sum(outstanding_amount) AS outstanding, sum(expected_amount) AS expected, "
        "sum(paid_amount) AS paid, sum(outstanding_amount) FILTER (WHERE outstanding_amount > 0) "
        "AS open FROM marts.receivables WHERE as_of = $d GROUP BY status",
        "day_lines": "SELECT source, status, count(*) AS lines, sum(gross_amount) AS gross "
        "FROM marts.settlement_status WHERE as_of = $d GROUP BY ALL",
    }
    for name, query in grouped.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}", {"d": day})

    def figures(table: versions.VersionedTable, rows: int) -> dict:
        done = written[table.view]
        return {
            **common,
            "dagster/row_count": rows,
            "rows_recomputed": done.recomputed,
            "versions_written": done.versions,
        }

    def one(query: str) -> tuple:
        row = con.execute(query).fetchone()
        return tuple(int(v or 0) for v in row) if row else ()

    (links,) = one("SELECT sum(links) FROM day_matches")
    result = {
        MATCHES: {
            **figures(versions.MATCHES, links),
            "by_rule": markdown_preview(con, "SELECT * FROM day_matches ORDER BY rule", {}),
        }
    }
    receivables, expected, paid, open_amount = one(
        "SELECT sum(receivables), sum(expected), sum(paid), sum(open) FROM day_receivables"
    )
    result[RECEIVABLES] = {
        **figures(versions.RECEIVABLES, receivables),
        "expected_amount": expected,
        "paid_amount": paid,
        "open_amount": open_amount,
        "by_status": markdown_preview(
            con,
            "SELECT status, receivables, outstanding FROM day_receivables ORDER BY status",
            {},
        ),
    }
    aliases = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE removed_on IS NULL OR removed_on > $d) "
        "FROM marts.payer_aliases WHERE as_of = $d",
        {"d": day},
    ).fetchone()
    result[PAYER_ALIASES_AS_OF] = {
        "dagster/row_count": int(aliases[0]) if aliases else 0,
        "in_force": int(aliases[1]) if aliases else 0,
        "aliases": markdown_preview(
            con,
            "SELECT alias_id, payer_kana, customer_number, source, learned_on, removed_on, "
            "transfers_matched FROM marts.payer_aliases WHERE as_of = $d ORDER BY ALL LIMIT 20",
            {"d": day},
        ),
    }
    rows, matched, unmatched, unmatched_amount = one(
        "SELECT sum(lines), sum(lines) FILTER (WHERE status = 'MATCHED'), "
        "sum(lines) FILTER (WHERE status = 'UNMATCHED'), "
        "sum(gross) FILTER (WHERE status = 'UNMATCHED') FROM day_lines"
    )
    result[SETTLEMENT_STATUS] = {
        **figures(versions.SETTLEMENT_STATUS, rows),
        "match_rate": round(matched / (matched + unmatched), 4) if matched + unmatched else 1.0,
        "unmatched_lines": unmatched,
        "unmatched_amount": unmatched_amount,
        "by_status": markdown_preview(con, "SELECT * FROM day_lines ORDER BY ALL", {}),
    }
    con.execute("DROP TABLE day_matches; DROP TABLE day_receivables; DROP TABLE day_lines")
    return result
