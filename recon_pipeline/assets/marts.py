"""Marts: what finance operations read — exceptions, aging, fees, whom to dun today."""

import dagster as dg

from recon_pipeline.assets.reconcile import RECEIVABLES, SETTLEMENT_STATUS
from recon_pipeline.assets.snapshot import (
    daily_table,
    markdown_preview,
    materialize_snapshot,
    previous_day,
)
from recon_pipeline.assets.staging import SETTLEMENT_LINES
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource

UNMATCHED_ITEMS = dg.AssetKey(["marts", "unmatched_items"])
AGING = dg.AssetKey(["marts", "aging"])
FEES = dg.AssetKey(["marts", "fees"])
DUNNING_CANDIDATES = dg.AssetKey(["marts", "dunning_candidates"])
WRITE_OFFS = dg.AssetKey(["marts", "write_offs"])
DISPOSITION_OUTCOMES = dg.AssetKey(["marts", "disposition_outcomes"])
AGING_BUCKETS = ("NOT_DUE", "1-30", "31-60", "61-90", "91-180", "181-365", "365+")


@daily_table(UNMATCHED_ITEMS, "marts", deps=[RECEIVABLES, SETTLEMENT_STATUS])
def unmatched_items(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Open exceptions to work on: overdue or wrongly paid receivables, and payments that
    found no receivable (不明入金), with amount, age and reason."""
    rows, day = materialize_snapshot(
        context, warehouse, "marts.unmatched_items", "marts/unmatched_items"
    )
    with warehouse.connect() as con:
        preview = markdown_preview(
            con,
            "SELECT side, reason, count(*) AS items, sum(amount) AS amount "
            "FROM marts.unmatched_items WHERE as_of = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "by_reason": preview})


@daily_table(AGING, "marts", deps=[RECEIVABLES])
def aging(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Outstanding receivables by payment method and aging bucket (original due date)."""
    rows, day = materialize_snapshot(context, warehouse, "marts.aging", "marts/aging")
    with warehouse.connect() as con:
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
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "outstanding_amount": int(frame["outstanding_amount"].sum()) if len(frame) else 0,
            "outstanding_by_bucket": dg.MetadataValue.md(preview),
        }
    )


@daily_table(FEES, "marts", deps=[SETTLEMENT_LINES])
def fees(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Provider fees per source for the day's settlement lines (never counted as shortfall)."""
    rows, day = materialize_snapshot(
        context, warehouse, "marts.fees", "marts/fees", key_column="partition_date"
    )
    with warehouse.connect() as con:
        preview = markdown_preview(
            con,
            "SELECT source, lines, fee_amount FROM marts.fees WHERE partition_date = $d "
            "ORDER BY source",
            {"d": day},
        )
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "fees": preview})


@daily_table(DUNNING_CANDIDATES, "marts", deps=[RECEIVABLES, previous_day(DUNNING_CANDIDATES)])
def dunning_candidates(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> dg.MaterializeResult:
    """Receivables that get a dunning action today (督促): the next policy stage after the
    one last issued. Reads what earlier days issued, so days run in date order."""
    rows, day = materialize_snapshot(
        context,
        warehouse,
        "marts.dunning_candidates",
        "marts/dunning_candidates",
        prepare=policy.write_tables,
    )
    with warehouse.connect() as con:
        preview = markdown_preview(
            con,
            "SELECT stage, action, count(*) AS receivables, sum(outstanding_amount) AS amount "
            "FROM marts.dunning_candidates WHERE as_of = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "by_stage": preview})


@daily_table(WRITE_OFFS, "marts", deps=[RECEIVABLES])
def write_offs(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Receivables written off (貸倒) by an operator's disposition, with who decided it."""
    rows, day = materialize_snapshot(context, warehouse, "marts.write_offs", "marts/write_offs")
    with warehouse.connect() as con:
        total = con.execute(
            "SELECT coalesce(sum(written_off_amount), 0) FROM marts.write_offs WHERE as_of = $d",
            {"d": day},
        ).fetchone()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "written_off_amount": int(total[0] if total else 0)}
    )


@daily_table(DISPOSITION_OUTCOMES, "marts", deps=[RECEIVABLES])
def disposition_outcomes(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every operator disposition in force, APPLIED or REJECTED with the reason (unknown id,
    action on a closed item); a rejected one changes nothing."""
    rows, day = materialize_snapshot(
        context, warehouse, "marts.disposition_outcomes", "marts/disposition_outcomes"
    )
    with warehouse.connect() as con:
        preview = markdown_preview(
            con,
            "SELECT disposition_id, action, status, reason FROM marts.disposition_outcomes "
            "WHERE as_of = $d AND status = 'REJECTED' ORDER BY disposition_id",
            {"d": day},
        )
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "rejected": preview})
