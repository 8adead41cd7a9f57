"""Asset checks: the invariants of domain.md, checked on every partition.

The three invariants block: a failing one stops the marts and exports downstream of it, and
makes ``recon run`` exit non-zero. So do the journal's two (debits = credits; the journal ties
out to the receivables): a failing one stops that day's journal file. Each check's SQL
returns the offending rows (none = pass).
The freshness check warns: a held day is a normal day with its dunning postponed, not a
failed run; the gate itself is in the dunning and slip SQL.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg
import pandas as pd

from recon_pipeline.assets.marts import JOURNAL
from recon_pipeline.assets.reconcile import RECEIVABLES, SETTLEMENT_STATUS
from recon_pipeline.assets.staging import FILE_MANIFEST, SOURCE_FRESHNESS, raw_key
from recon_pipeline.contracts import ContractSet
from recon_pipeline.expectations import Suite, validate_days
from recon_pipeline.packaged import sql
from recon_pipeline.partitions import (
    asset_of_table,
    daily_partitions,
    day_partition,
    partition_days,
)
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource, quote

COMPLETENESS = "every_input_row_staged_or_quarantined"
BALANCE = "balance_expected_paid_written_off_outstanding"
CONSERVATION = "every_settlement_line_in_one_status"
FRESHNESS = "every_settlement_source_delivered_for_dunning"
JOURNAL_BALANCED = "journal_debits_equal_credits"
JOURNAL_TIED_OUT = "journal_ties_out_to_the_receivables"
BANK_ACCOUNTS = "every_bank_statement_of_the_shops_accounts"


def _register_raw_counts(con, contracts: ContractSet) -> None:
    """The temp view ``raw_counts (partition_date, path, rows_in_raw)`` over every
    ``raw.<family>``: the completeness SQL counts rows where they landed, not in the manifest.
    A view, so a check over a range of days scans each raw table once per day it asks for,
    and the other checks do not count at all."""
    counts = [
        f"SELECT partition_date, path, count(*) AS rows_in_raw FROM raw.{quote(family)} "
        "GROUP BY partition_date, path"
        for family in contracts.families()
    ] or ["SELECT NULL::DATE, NULL::VARCHAR, 0::BIGINT WHERE false"]
    con.execute(
        "CREATE OR REPLACE TEMP VIEW raw_counts (partition_date, path, rows_in_raw) AS "
        + " UNION ALL ".join(counts)
    )


CHECKED_LINES = {
    # a day reconciled from nothing recomputed every line and wrote no scope rows
    True: "CREATE OR REPLACE TEMP TABLE checked_lines AS "
    "SELECT settlement_line_id, gross_amount FROM staging.settlement_lines_as_of($day)",
    False: "CREATE OR REPLACE TEMP TABLE checked_lines AS "
    "SELECT settlement_line_id, gross_amount "
    "FROM staging.settlement_lines_as_of($day, scoped := true)",
}
"""The lines the day recomputed, as of the day, for the conservation check line by line
(two statements, not a parameter: DuckDB plans the look-up into the scope even for false)."""


def _make_checked_lines(con, day) -> None:
    from_nothing = con.execute(
        "SELECT count(*) > 0 FROM marts.snapshot_days "
        "WHERE table_name = 'marts.settlement_status' AND as_of = $day AND since IS NULL",
        {"day": day},
    ).fetchall()
    con.execute(CHECKED_LINES[bool(from_nothing[0][0])], {"day": day})


def offending_rows(con, statement: str, day, contracts: ContractSet) -> pd.DataFrame:
    """Rows of ``sql/<statement>.sql`` for a day; an empty frame means the invariant holds."""
    _register_raw_counts(con, contracts)
    if statement == "checks/conservation":
        _make_checked_lines(con, day)
    return con.execute(sql(statement), {"day": day}).df()


SUMMED = ("offending_rows", "failed_expectations")
"""Figures a ranged check's result adds up over its days."""


def day_check_results(
    context: dg.AssetCheckExecutionContext,
    results: dict[dt.date, tuple[bool, dict]],
    severity: dg.AssetCheckSeverity,
    failed_word: str = "failed",
) -> dg.AssetCheckResult:
    """The check's result, naming its day.

    A one-day run: the day's verdict and figures, with ``day``. A ranged run (one run over
    many days) gives Dagster one result for the range, so each day's own verdict is logged
    first as an evaluation of that day's partition, and the range's result names the days
    that did not pass (``failed_days``, or ``held_days`` for the freshness gate) inline."""
    days = sorted(results)
    spec = context.check_specs[0]
    if len(days) > 1:
        for day in days:
            passed, metadata = results[day]
            context.op_execution_context.log_event(
                dg.AssetCheckEvaluation(
                    asset_key=spec.asset_key,
                    check_name=spec.name,
                    passed=passed,
                    metadata={"day": day.isoformat(), **metadata},
                    severity=severity,
                    blocking=spec.blocking,
                    partition=day_partition(context, day),
                )
            )
    bad = [day.isoformat() for day in days if not results[day][0]]
    summary: dict = {
        "day": days[0].isoformat() if len(days) == 1 else f"{days[0]} … {days[-1]}",
        f"{failed_word}_days": ", ".join(bad) or "none",
    }
    if len(days) == 1:
        summary |= results[days[0]][1]
    else:
        summary |= {
            key: sum(results[day][1][key] for day in days)
            for key in SUMMED
            if key in results[days[0]][1]
        }
    return dg.AssetCheckResult(
        passed=not bad,
        severity=severity,
        metadata=summary,
        description=(f"{failed_word}: {', '.join(bad)}" if bad else f"passed on {summary['day']}"),
    )


def _run(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
    statement: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    failed_word: str = "failed",
) -> dg.AssetCheckResult:
    results = {}
    with warehouse.connect() as con:
        contracts.ensure_raw_tables(con)
        for day in partition_days(context):
            frame = offending_rows(con, statement, day, contracts.load())
            metadata: dict = {"offending_rows": len(frame)}
            if len(frame):
                metadata["sample"] = dg.MetadataValue.md(frame.head(20).to_markdown(index=False))
            results[day] = (not len(frame), metadata)
    return day_check_results(context, results, severity, failed_word)


@dg.asset_check(
    asset=FILE_MANIFEST,
    name=COMPLETENESS,
    blocking=True,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="Rows counted in each loaded file = rows in its raw table + rows "
    "in quarantine; a quarantined file has its reason in quarantine.",
)
def completeness(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.AssetCheckResult:
    return _run(context, warehouse, contracts, "checks/completeness")


@dg.asset_check(
    asset=RECEIVABLES,
    name=BALANCE,
    blocking=True,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="Σ expected − Σ paid − Σ written off = Σ outstanding, and Σ matched "
    "gross = paid + refunded: per receivable the day recomputed, and in total over all.",
)
def balance(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.AssetCheckResult:
    return _run(context, warehouse, contracts, "checks/balance")


@dg.asset_check(
    asset=SETTLEMENT_STATUS,
    name=CONSERVATION,
    blocking=True,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="Every settlement line the day recomputed has exactly one status and, when "
    "MATCHED, links that add up to its gross; in total, the links add up to the gross of "
    "the MATCHED lines.",
)
def conservation(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.AssetCheckResult:
    return _run(context, warehouse, contracts, "checks/conservation")


@dg.asset_check(
    asset=SOURCE_FRESHNESS,
    name=FRESHNESS,
    blocking=False,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="Every settlement source in use delivered what its calendar expects today; "
    "otherwise today's dunning and slip export are held until the next complete day.",
)
def freshness(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.AssetCheckResult:
    return _run(
        context, warehouse, contracts, "checks/freshness", dg.AssetCheckSeverity.WARN, "held"
    )


@dg.asset_check(
    asset=JOURNAL,
    name=JOURNAL_BALANCED,
    blocking=True,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="Debits = credits on every slip of the day, in the day's total and over every "
    "line booked up to the day; no line with a negative or no amount.",
)
def journal_balanced(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.AssetCheckResult:
    return _run(context, warehouse, contracts, "checks/journal_balance")


@dg.asset_check(
    asset=JOURNAL,
    name=JOURNAL_TIED_OUT,
    blocking=True,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="The journal's balances up to the day equal the subledger as of the day: "
    "売掛金 per method = Σ max(outstanding, 0), 仮受金 (過入金) = Σ max(−outstanding, 0), "
    "仮受金 (不明入金) = the unmatched lines, each provider's 未収入金 = what it still owes. "
    "A day already sent is not judged again (its correction is booked on the next day run).",
)
def journal_tied_out(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.AssetCheckResult:
    return _run(context, warehouse, contracts, "checks/journal_tie_out")


@dg.asset_check(
    asset=raw_key("bank"),
    name=BANK_ACCOUNTS,
    blocking=True,
    pool="duckdb",
    partitions_def=daily_partitions,
    description="Every bank statement of the day is of one of the shop's own accounts (its "
    "shop file's bank_accounts; none listed: not judged). Another shop's statement would "
    "match its transfers to this shop's customers, who may share their numbers and names.",
)
def bank_accounts(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
    policy: PolicyResource,
) -> dg.AssetCheckResult:
    results = {}
    with warehouse.connect() as con:
        contracts.ensure_raw_tables(con)
        for day in partition_days(context):
            frame = con.execute(
                sql("checks/bank_accounts"), {"day": day, "accounts": policy.bank_accounts}
            ).df()
            metadata: dict = {
                "offending_rows": int(frame["lines"].sum()) if len(frame) else 0,
                "accounts": ", ".join(policy.bank_accounts) or "none listed",
            }
            if len(frame):
                metadata["sample"] = dg.MetadataValue.md(frame.head(20).to_markdown(index=False))
            results[day] = (not len(frame), metadata)
    return day_check_results(context, results, dg.AssetCheckSeverity.ERROR)


CHECKS = [completeness, balance, conservation, freshness, journal_balanced, journal_tied_out]
SHOP_CHECKS = [bank_accounts]
"""Checks of a many-shops deployment only: the single shop has no list of accounts."""


def build_expectation_checks(
    suites: tuple[Suite, ...], assets: Sequence[dg.AssetsDefinition]
) -> list[dg.AssetChecksDefinition]:
    """One asset check per Great Expectations suite, on the asset of ``assets`` that writes
    the suite's table; blocking suites fail with ERROR and stop the exports, the others
    warn."""
    return [_expectation_check(suite, asset_of_table(suite.table, assets)) for suite in suites]


def _expectation_check(suite: Suite, asset: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=suite.name,
        blocking=suite.blocking,
        pool="duckdb",
        partitions_def=daily_partitions,
        description=f"Great Expectations: {suite.description}",
    )
    def expectations(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        days = partition_days(context)
        with warehouse.connect() as con:
            # once over the range (GX's cost is per call); only a range that fails is
            # validated again day by day, to say which day failed
            failures = validate_days(con, suite, days)
            by_day = {days[0]: failures} if len(days) == 1 else {day: [] for day in days}
            if failures and len(days) > 1:
                by_day = {day: validate_days(con, suite, [day]) for day in days}
        results = {
            day: (
                not failed,
                {
                    "expectations": len(suite.expectations),
                    "failed_expectations": len(failed),
                    "failures": dg.MetadataValue.md(
                        pd.DataFrame(failed).to_markdown(index=False) if failed else "_none_"
                    ),
                },
            )
            for day, failed in by_day.items()
        }
        severity = dg.AssetCheckSeverity.ERROR if suite.blocking else dg.AssetCheckSeverity.WARN
        return day_check_results(context, results, severity)

    return expectations
