"""Marts: what finance operations read — exceptions, aging, fees, whom to dun today, what
to chase with the providers, how each customer pays — and the journal for the books."""

import base64
import datetime as dt
import io
from collections.abc import Iterator
from typing import NamedTuple

import dagster as dg
import duckdb
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from recon_pipeline import versions
from recon_pipeline.assets.reconcile import MATCHES, RECEIVABLES, SETTLEMENT_STATUS
from recon_pipeline.assets.snapshot import (
    daily_table,
    day_results,
    every_day,
    markdown_preview,
    previous_day,
    read_figures,
    snapshot_run,
)
from recon_pipeline.assets.staging import (
    DISPOSITIONS,
    FILE_MANIFEST,
    RECEIVABLE_EVENTS,
    REJECTED_ROWS,
    SETTLEMENT_LINES,
    SOURCE_FRESHNESS,
    raw_key,
)
from recon_pipeline.freshness import holding_sources
from recon_pipeline.partitions import table_key
from recon_pipeline.resources.accounts import AccountsResource
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource, replace_partition
from recon_pipeline.scope import DayScope, compute_customer_scope, journal_scope

UNMATCHED_ITEMS = table_key("marts", "marts.unmatched_items")
AGING = table_key("marts", "marts.aging")
FEES = table_key("marts", "marts.fees")
AUTO_MATCH_RATE = table_key("marts", "marts.auto_match_rate")
DUNNING_HOLDS = table_key("marts", "marts.dunning_holds")
DUNNING_CANDIDATES = table_key("marts", "marts.dunning_candidates")
WRITE_OFFS = table_key("marts", "marts.write_offs")
DISPOSITION_OUTCOMES = table_key("marts", "marts.disposition_outcomes")
PROVIDER_FOLLOWUPS = table_key("marts", "marts.provider_followups")
CUSTOMER_PROFILE = table_key("marts", "marts.customer_profile")
JOURNAL = table_key("marts", "marts.journal")
AGING_BUCKETS = ("NOT_DUE", "1-30", "31-60", "61-90", "91-180", "181-365", "365+")


@daily_table(UNMATCHED_ITEMS, "marts", deps=[RECEIVABLES, SETTLEMENT_STATUS])
def unmatched_items(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Open exceptions to work on: overdue or wrongly paid receivables, and payments that
    found no receivable (不明入金), with amount, age and reason. A view over the ledger and the
    line statuses (sql/views/marts.unmatched_items.sql): the day's run reads its figures, and
    nothing is stored again that the versions hold."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE day_unmatched AS SELECT side, reason, count(*) AS items, "
            "sum(amount) AS amount FROM marts.unmatched_items WHERE as_of = $d GROUP BY ALL",
            {"d": day},
        )
        totals = con.execute(
            "SELECT coalesce(sum(items), 0), coalesce(sum(items) FILTER (WHERE side = "
            "'RECEIVABLE'), 0), coalesce(sum(amount), 0) FROM day_unmatched"
        ).fetchone()
        rows, receivables, amount = totals or (0, 0, 0)
        result = {
            "dagster/row_count": int(rows),
            "open_receivable_items": int(receivables),
            "open_payment_items": int(rows) - int(receivables),
            "open_amount": int(amount),
            "by_reason": markdown_preview(
                con, "SELECT * FROM day_unmatched ORDER BY side, reason", {}
            ),
        }
        con.execute("DROP TABLE day_unmatched")
        return result

    with warehouse.connect() as con:
        by_key = read_figures(context, con, {UNMATCHED_ITEMS: figures})
    yield from day_results(context, by_key)


@daily_table(AGING, "marts", deps=[RECEIVABLES])
def aging(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Outstanding receivables by payment method and aging bucket (original due date)."""
    yield from snapshot_run(context, warehouse, AGING, "marts.aging", "marts/aging", aging_figures)


def aging_figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
    """The day's aging: total, the pivot by method and bucket, and its chart."""
    frame = con.execute("SELECT * FROM marts.aging WHERE as_of = $d", {"d": day}).df()
    table = frame.pivot_table(
        index="payment_method",
        columns="aging_bucket",
        values="outstanding_amount",
        aggfunc="sum",
        fill_value=0,
    )
    table = table.reindex(columns=[b for b in AGING_BUCKETS if b in table.columns])
    preview = table.to_markdown() if len(table) else "_nothing outstanding_"
    return {
        "dagster/row_count": rows,
        "outstanding_amount": int(frame["outstanding_amount"].sum()) if len(frame) else 0,
        "outstanding_by_bucket": dg.MetadataValue.md(preview),
        "aging_chart": dg.MetadataValue.md(
            f"![aging](data:image/png;base64,{aging_chart_png(table, day)})"
        ),
    }


AXIS_UNITS = ((1, "yen"), (1_000, "thousand yen"), (1_000_000, "million yen"))
"""The aging chart's y-axis unit: the first whose labels stay under 10 million (9 characters)."""


def aging_chart_png(table: pd.DataFrame, day: object) -> str:
    """Outstanding yen per aging bucket, stacked by payment method, as base64 PNG: the UI
    shows it in the materialization's metadata without any file to host.

    ``table`` is the aging pivot (methods × buckets). Drawn on an Agg canvas of its own (no
    pyplot, no global state), small: 6×3 inches at 80 dpi.
    """
    buckets = list(AGING_BUCKETS)  # every bucket, so the charts of two days compare
    figure = Figure(figsize=(6, 3), dpi=80)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottom = [0.0] * len(buckets)
    axes.bar(buckets, bottom, color="none")  # the axis of buckets, even with nothing outstanding
    for method, amounts in table.iterrows():
        values = [float(amounts.get(bucket, 0)) for bucket in buckets]
        axes.bar(buckets, values, width=0.7, bottom=bottom, label=str(method))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if len(table):
        axes.legend(fontsize=7)
    else:
        axes.text(0.5, 0.5, "nothing outstanding", ha="center", transform=axes.transAxes)
        axes.set_yticks([])
    axes.set_title(f"Outstanding by aging bucket as of {day}", fontsize=9)
    # the fixed left margin fits a label of 9 characters: larger totals are shown in
    # thousands or millions of yen rather than clipped
    peak = max(bottom, default=0)
    scale, unit = next(((s, u) for s, u in AXIS_UNITS if peak < s * 1e7), AXIS_UNITS[-1])
    axes.set_ylabel(unit, fontsize=8)
    axes.tick_params(labelsize=7)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / scale:,.0f}"))
    # fixed margins: tight_layout drew the figure once more only to measure (~40 ms a chart)
    figure.subplots_adjust(left=0.17, right=0.975, bottom=0.12, top=0.89)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@daily_table(FEES, "marts", deps=[SETTLEMENT_LINES, MATCHES])
def fees(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Fees per source on the day (never counted as shortfall): provider fees of the day's
    settlement lines, and bank transfer fees payers deducted that the day's matching settled."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        total = con.execute(
            "SELECT coalesce(sum(fee_amount), 0), coalesce(sum(deducted_fee_amount), 0) "
            "FROM marts.fees WHERE partition_date = $d",
            {"d": day},
        ).fetchone()
        return {
            "dagster/row_count": rows,
            "fee_amount": int(total[0]) if total else 0,
            "deducted_fee_amount": int(total[1]) if total else 0,
            "fees": markdown_preview(
                con,
                "SELECT source, lines, fee_amount, deducted_fee_amount FROM marts.fees "
                "WHERE partition_date = $d ORDER BY source",
                {"d": day},
            ),
        }

    yield from snapshot_run(
        context,
        warehouse,
        FEES,
        "marts.fees",
        "marts/fees",
        figures,
        key_column="partition_date",
    )


@daily_table(
    AUTO_MATCH_RATE, "marts", deps=[SETTLEMENT_LINES, MATCHES, RECEIVABLES, SETTLEMENT_STATUS]
)
def auto_match_rate(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """The auto-match rate (自動消込率): of the payments that arrived on the day, the share of
    lines and of yen a rule matched without a person, per channel and in total — the figure
    that rises as the matching learns (aliases, deducted fees, combinations)."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        total = con.execute(
            "SELECT lines, auto_matched_lines, line_rate, amount_rate, settled_line_rate "
            "FROM marts.auto_match_rate WHERE partition_date = $d AND channel = 'ALL'",
            {"d": day},
        ).fetchone()
        lines, automatic, line_rate, amount_rate, settled_rate = total or (0, 0, None, None, None)
        return {
            "dagster/row_count": rows,
            "payments": int(lines),
            "auto_matched": int(automatic),
            "auto_match_rate_lines": float(line_rate) if line_rate is not None else 1.0,
            "auto_match_rate_yen": float(amount_rate) if amount_rate is not None else 1.0,
            "auto_settled_rate": float(settled_rate) if settled_rate is not None else 1.0,
            "by_channel": markdown_preview(
                con,
                "SELECT channel, lines, auto_matched_lines, amount, auto_matched_amount, "
                "line_rate, amount_rate, auto_settled_lines, settled_line_rate "
                "FROM marts.auto_match_rate WHERE partition_date = $d ORDER BY channel",
                {"d": day},
            ),
        }

    yield from snapshot_run(
        context,
        warehouse,
        AUTO_MATCH_RATE,
        "marts.auto_match_rate",
        "marts/auto_match_rate",
        figures,
        key_column="partition_date",
    )


@daily_table(
    DUNNING_HOLDS, "marts", deps=[RECEIVABLES, REJECTED_ROWS, SETTLEMENT_LINES, FILE_MANIFEST]
)
def dunning_holds(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> Iterator[dg.MaterializeResult]:
    """Receivables not dunned today because a payment that may be theirs is in quarantine
    (exclusion reason PAYMENT_IN_QUARANTINE): a quarantined row that names them (customer
    number, slip number, tracking number, order id), or a settlement file quarantined whole.
    Never dun on doubt: the hold lasts until the provider re-delivers the row or file, or for
    the policy's ``quarantine_hold_days``; the day it ends it is listed as EXPIRED."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        held = con.execute(
            "SELECT count(DISTINCT receivable_id) FILTER (WHERE status = 'HELD'), "
            "count(DISTINCT receivable_id) FILTER (WHERE status = 'EXPIRED') "
            "FROM marts.dunning_holds WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        preview = markdown_preview(
            con,
            "SELECT status, receivable_id, outstanding_amount, path, line_no, quarantine_reason "
            "FROM marts.dunning_holds WHERE as_of = $d ORDER BY status, receivable_id, path, "
            "line_no LIMIT 20",
            {"d": day},
        )
        return {
            "dagster/row_count": rows,
            "receivables_held": int(held[0]) if held else 0,
            "holds_expired_today": int(held[1]) if held else 0,
            "holds": preview,
        }

    yield from snapshot_run(
        context,
        warehouse,
        DUNNING_HOLDS,
        "marts.dunning_holds",
        "marts/dunning_holds",
        figures,
        prepare=policy.write_tables,
    )


@daily_table(
    DUNNING_CANDIDATES,
    "marts",
    deps=[
        RECEIVABLES,
        RECEIVABLE_EVENTS,
        SOURCE_FRESHNESS,
        DUNNING_HOLDS,
        previous_day(DUNNING_CANDIDATES),
    ],
)
def dunning_candidates(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> Iterator[dg.MaterializeResult]:
    """Receivables that get a dunning action today (督促): the next policy stage after the
    one last issued. Reads what earlier days issued, so days run in date order. Nobody is
    dunned on a day the freshness gate holds; the next complete day issues what is due."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        preview = markdown_preview(
            con,
            "SELECT stage, action, count(*) AS receivables, sum(outstanding_amount) AS amount "
            "FROM marts.dunning_candidates WHERE as_of = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
        held = holding_sources(con, day)
        waiting = con.execute(
            "SELECT count(DISTINCT receivable_id) FROM marts.dunning_holds "
            "WHERE as_of = $d AND status = 'HELD'",
            {"d": day},
        ).fetchone()
        return {
            "dagster/row_count": rows,
            "dunning_held": bool(held),
            "by_stage": preview,
            "held_by_missing_sources": ", ".join(held) or "none",
            "held_payment_in_quarantine": int(waiting[0]) if waiting else 0,
        }

    yield from snapshot_run(
        context,
        warehouse,
        DUNNING_CANDIDATES,
        "marts.dunning_candidates",
        "marts/dunning_candidates",
        figures,
        prepare=policy.write_tables,
    )


@daily_table(WRITE_OFFS, "marts", deps=[RECEIVABLES, DISPOSITIONS])
def write_offs(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Receivables written off (貸倒) by an operator's disposition, with who decided it."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        total = con.execute(
            "SELECT coalesce(sum(written_off_amount), 0) FROM marts.write_offs WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        preview = markdown_preview(
            con,
            "SELECT payment_method, count(*) AS receivables, "
            "sum(written_off_amount) AS written_off_amount FROM marts.write_offs "
            "WHERE as_of = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
        return {
            "dagster/row_count": rows,
            "written_off_amount": int(total[0] if total else 0),
            "by_method": preview,
        }

    yield from snapshot_run(
        context,
        warehouse,
        WRITE_OFFS,
        "marts.write_offs",
        "marts/write_offs",
        figures,
    )


@daily_table(
    DISPOSITION_OUTCOMES,
    "marts",
    deps=[RECEIVABLES, SETTLEMENT_LINES, DISPOSITIONS, DUNNING_CANDIDATES],
)
def disposition_outcomes(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> Iterator[dg.MaterializeResult]:
    """Every operator disposition in force, APPLIED or REJECTED with the reason (unknown id,
    action on a closed item); a rejected one changes nothing."""

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        return {
            "dagster/row_count": rows,
            "rejected": markdown_preview(
                con,
                "SELECT disposition_id, action, status, reason FROM marts.disposition_outcomes "
                "WHERE as_of = $d AND status = 'REJECTED' ORDER BY disposition_id",
                {"d": day},
            ),
        }

    yield from snapshot_run(
        context,
        warehouse,
        DISPOSITION_OUTCOMES,
        "marts.disposition_outcomes",
        "marts/disposition_outcomes",
        figures,
        prepare=policy.write_tables,  # a RELEASE ends a blacklisting stage of the policy
    )


@daily_table(PROVIDER_FOLLOWUPS, "marts", deps=[RECEIVABLES])
def provider_followups(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> Iterator[dg.MaterializeResult]:
    """Receivables a provider collects (the methods the policy does not dun: CARD, MALL, COD,
    BNPL by default) still open after their expected settlement date (shipped + the method's
    settlement lag, or the shipment data's due date for BNPL): finance asks the provider, the
    customer is never dunned for them.

    Kept with their ``status``: a card chargeback (``IN_DISPUTE``) is worked with the card
    provider, so it is a follow-up too (``followup_reason`` CHARGEBACK); filter on status
    to leave disputes out. Partly settled ones are SHORT_SETTLED, the rest NOT_SETTLED.
    """

    def figures(con: duckdb.DuckDBPyConnection, day: dt.date, rows: int) -> dict:
        total = con.execute(
            "SELECT coalesce(sum(outstanding_amount), 0) FROM marts.provider_followups "
            "WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        preview = markdown_preview(
            con,
            "SELECT payment_method, followup_reason, count(*) AS receivables, "
            "sum(outstanding_amount) AS outstanding, max(days_past_due) AS max_days_past_due "
            "FROM marts.provider_followups WHERE as_of = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
        return {
            "dagster/row_count": rows,
            "outstanding_amount": int(total[0] if total else 0),
            "by_method": preview,
        }

    yield from snapshot_run(
        context,
        warehouse,
        PROVIDER_FOLLOWUPS,
        "marts.provider_followups",
        "marts/provider_followups",
        figures,
        prepare=policy.write_tables,
    )


def profile_day(
    con: duckdb.DuckDBPyConnection, day: dt.date
) -> tuple[DayScope, versions.DayVersions]:
    """The customers the day reaches, recomputed and stored as versions (in the caller's
    transaction)."""
    scope = compute_customer_scope(con, day)
    written = versions.write_day(
        con,
        versions.CUSTOMER_PROFILE,
        day,
        "marts/customer_profile",
        {"as_of": day},
        since=scope.since,
        policy_hash=scope.policy_hash,
    )
    return scope, written


@daily_table(
    CUSTOMER_PROFILE,
    "marts",
    deps=[RECEIVABLES, MATCHES, DISPOSITIONS, DUNNING_CANDIDATES, previous_day(CUSTOMER_PROFILE)],
)
def customer_profile(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> Iterator[dg.MaterializeResult]:
    """How each customer orders and pays, as of the day (CRM). One row per customer with at
    least one order that is not CANCELLED.

    - ``orders``: receivables except CANCELLED; ``billed_amount`` Σ expected,
      ``outstanding_amount`` Σ max(outstanding, 0).
    - A receivable is judged for punctuality once due (due_date <= day); one due today and
      still unpaid is judged from tomorrow. On time = fully paid (outstanding <= 0, nothing
      written off) by the due date, where the payment date is the day the matched lines
      (``settled_on`` of ``marts.receivables``) first added up to the
      expected amount. ``on_time_rate`` = on time / judged; NULL when nothing is judged.
    - ``avg_days_late``: mean lateness of the late ones: settled day − due date when paid
      late; days past due so far when still open or written off. 0 when all judged ones
      were on time, NULL when nothing is judged.
    - ``times_dunned``: rows of ``marts.dunning_candidates`` up to the day; ``max_stage`` the
      highest stage_no (0 = never); ``blacklisted``: in ``marts.blacklistings_as_of``, not
      released (a stage with ``blacklist: true`` in the policy in force, COLLECTION_AGENCY by
      default, was issued on or before the day, and no later RELEASE of it lifted it).
    - R/F/M 1..5 by fixed thresholds (SQL ``thresholds``): recency days since the last order
      ≤30/60/90/180 → 5/4/3/2; orders ≥10/6/3/2 → 5/4/3/2; billed yen
      ≥100,000/50,000/20,000/5,000 → 5/4/3/2; else 1. Then payment behaviour: blacklisted
      → all 1; on-time rate < 0.5 or dunned to stage ≥ 2 → F and M capped at 2
      (``score_penalty`` says which).

    Kept as versions, like the reconcile tables: a day recomputes the customers a change
    reaches (``audit.reconcile_scope``, side CUSTOMER: a receivable or link of theirs changed,
    one fell due, they were dunned, a disposition of theirs took effect); the view computes
    what grows with the day (lateness of open receivables, days since the last order, scores).
    """
    with warehouse.connect() as con:
        done = every_day(context, con, profile_day, policy.write_tables)
        by_key = read_figures(
            context,
            con,
            {CUSTOMER_PROFILE: lambda con, day: _profile_figures(con, day, *done[day])},
        )
    yield from day_results(context, by_key)


def _profile_figures(
    con: duckdb.DuckDBPyConnection, day: dt.date, scope: DayScope, written: versions.DayVersions
) -> dict:
    # the versions in force, not the view: these figures need none of the scores it
    # computes for every customer (1.2 s of a daily day at 10M orders)
    figures = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE blacklisted), "
        "count(*) FILTER (WHERE paid_late_orders + open_late_orders > 0), "
        "coalesce(sum(on_time_orders) / nullif(sum(due_orders), 0), 1.0) "
        "FROM marts.customer_profile_history "
        "WHERE valid_from <= $d AND $d < valid_to AND present",
        {"d": day},
    ).fetchone()
    preview = markdown_preview(
        con,
        "SELECT customer_id, orders, outstanding_amount, on_time_rate, avg_days_late, "
        "max_stage, blacklisted, r_score, f_score, m_score FROM marts.customer_profile "
        "WHERE as_of = $d AND (late_orders > 0 OR blacklisted) "
        "ORDER BY outstanding_amount DESC, customer_id LIMIT 10",
        {"d": day},
    )
    rows, blacklisted, late_payers, on_time = figures or (0, 0, 0, 1.0)
    return {
        "dagster/row_count": int(rows),
        "since": str(scope.since or "nothing (full recompute)"),
        "customers_recomputed": scope.customers,
        "versions_written": written.versions,
        "blacklisted_customers": int(blacklisted),
        "late_paying_customers": int(late_payers),
        "on_time_rate": round(float(on_time), 4),
        "worst_payers": preview,
    }


class JournalDay(NamedTuple):
    kept_in: str | None
    """The file a day already sent went out in (its lines kept as they are), else None."""
    compared: str
    """What the day compared with what was booked (``JournalScope.describe``)."""


def journal_day(con: duckdb.DuckDBPyConnection, day: dt.date, accounts: list[dict]) -> JournalDay:
    """Book the day's journal (in the caller's transaction), unless its file was sent."""
    sent = con.execute(
        "SELECT any_value(file_name) FROM marts.journal_lines "
        "WHERE partition_date = $d AND sent_at IS NOT NULL",
        {"d": day},
    ).fetchone()
    if sent and sent[0]:
        return JournalDay(str(sent[0]), f"kept as sent in {sent[0]}")
    scope = journal_scope(con, day)
    replace_partition(
        con,
        "marts.journal_lines",
        "partition_date",
        day,
        "marts/journal",
        {"as_of": day, "accounts": accounts} | scope.parameters(),
    )
    return JournalDay(None, scope.describe())


@daily_table(
    JOURNAL,
    "marts",
    deps=[
        RECEIVABLE_EVENTS,
        SETTLEMENT_LINES,
        DISPOSITIONS,
        raw_key("konbini"),
        RECEIVABLES,
        MATCHES,
        SETTLEMENT_STATUS,
        previous_day(JOURNAL),
    ],
)
def journal(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    accounts: AccountsResource,
    contracts: ContractsResource,
) -> Iterator[dg.MaterializeResult]:
    """The journal for the accounting system (仕訳連携), in double entry: sales (売掛金 /
    売上高, cancels and returns booked back), receipts (未収入金 per provider, or 普通預金,
    / 売掛金), provider fees (支払手数料), unknown payments and overpayments (仮受金),
    refunds paid back, write-offs (貸倒損失) and the konbini agent's remittances; the
    accounts from the accounts file (``RECON_ACCOUNTS``).

    Booked per entry (a shipment event, a match link, a line's fee, a receivable's refund,
    overpayment or write-off): each day books the difference between what the marts say as
    of the day and what earlier days booked, as a reversal of what was booked (取消, naming
    its slip) and the new amount. A day whose file was sent keeps its lines; a correction to
    it is booked on the next day run. ``marts.journal`` is one row per account (debit or
    credit), ``marts.journal_lines`` one per slip line (a row of the 弥生 file).
    """

    def read(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict:
        figures = con.execute(
            "SELECT count(*), count(DISTINCT slip_no), coalesce(sum(debit_amount), 0), "
            "count(*) FILTER (WHERE correction = 'REVERSAL') FROM marts.journal_lines "
            "WHERE partition_date = $d",
            {"d": day},
        ).fetchone()
        receivable = con.execute(
            "SELECT coalesce(sum(debit) - sum(credit), 0) FROM marts.journal "
            "WHERE journal_date <= $d AND role = 'receivable'",
            {"d": day},
        ).fetchone()
        preview = markdown_preview(
            con,
            "SELECT entry_type, correction, count(*) AS lines, sum(debit_amount) AS amount "
            "FROM marts.journal_lines WHERE partition_date = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
        lines, slips, amount, reversals = figures or (0, 0, 0, 0)
        return {
            "dagster/row_count": int(lines),
            "slips": int(slips),
            "debit_amount": int(amount),
            "reversals": int(reversals),
            "receivable_balance": int(receivable[0]) if receivable else 0,
            "kept_as_sent": booked[day].kept_in or "none",
            "compared": booked[day].compared,
            "by_entry_type": preview,
        }

    mapping = accounts.load().parameter()
    with warehouse.connect() as con:
        contracts.ensure_raw_tables(con)  # the konbini 確報's 振込日 is read from raw.konbini
        booked = every_day(context, con, lambda con, day: journal_day(con, day, mapping))
        by_key = read_figures(context, con, {JOURNAL: read})
    kept = [f"{day}: {done.kept_in}" for day, done in booked.items() if done.kept_in]
    if kept:
        context.log.info(
            "journal kept as sent (a correction is booked on the next day run): " + ", ".join(kept)
        )
    yield from day_results(context, by_key)
