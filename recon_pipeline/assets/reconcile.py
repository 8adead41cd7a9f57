"""Reconcile: the matching waterfall as of each day, and the receivable ledger it yields."""

import dagster as dg

from recon_pipeline.assets.snapshot import daily_table, markdown_preview, materialize_snapshot
from recon_pipeline.assets.staging import RECEIVABLE_EVENTS, SETTLEMENT_LINES
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource

MATCHES = dg.AssetKey(["marts", "matches"])
SETTLEMENT_STATUS = dg.AssetKey(["marts", "settlement_status"])
RECEIVABLES = dg.AssetKey(["marts", "receivables"])


@daily_table(MATCHES, "reconcile", deps=[RECEIVABLE_EVENTS, SETTLEMENT_LINES])
def matches(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> dg.MaterializeResult:
    """Which settlement line pays which receivable as of the day, and by which rule: every
    link with the rule that made it, the amount, the difference left and the candidates."""
    rows, day = materialize_snapshot(
        context, warehouse, "marts.matches", "reconcile/matches", prepare=policy.write_tables
    )
    with warehouse.connect() as con:
        preview = markdown_preview(
            con,
            "SELECT rule, count(*) AS links, sum(matched_amount) AS amount FROM marts.matches "
            "WHERE as_of = $d GROUP BY rule ORDER BY rule",
            {"d": day},
        )
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "by_rule": preview})


@daily_table(SETTLEMENT_STATUS, "reconcile", deps=[MATCHES])
def settlement_status(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every settlement line known as of the day in exactly one status: MATCHED, UNMATCHED
    (不明入金), REVERSED (速報取消), FEE, with the reason a line found no receivable."""
    rows, day = materialize_snapshot(
        context, warehouse, "marts.settlement_status", "reconcile/settlement_status"
    )
    with warehouse.connect() as con:
        figures = con.execute(
            "SELECT count(*) FILTER (WHERE status = 'MATCHED'), "
            "count(*) FILTER (WHERE status = 'UNMATCHED'), "
            "coalesce(sum(gross_amount) FILTER (WHERE status = 'UNMATCHED'), 0) "
            "FROM marts.settlement_status WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        preview = markdown_preview(
            con,
            "SELECT source, status, count(*) AS lines, sum(gross_amount) AS gross "
            "FROM marts.settlement_status WHERE as_of = $d GROUP BY ALL ORDER BY ALL",
            {"d": day},
        )
    matched, unmatched, unmatched_amount = figures or (0, 0, 0)
    lines = matched + unmatched
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "match_rate": round(matched / lines, 4) if lines else 1.0,
            "unmatched_lines": unmatched,
            "unmatched_amount": int(unmatched_amount),
            "by_status": preview,
        }
    )


@daily_table(RECEIVABLES, "reconcile", deps=[MATCHES, SETTLEMENT_STATUS])
def receivables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The receivable ledger (債権) as of the day: expected, paid, outstanding, status,
    difference reason, due date and aging bucket of every shipped order."""
    rows, day = materialize_snapshot(
        context, warehouse, "marts.receivables", "reconcile/receivables"
    )
    with warehouse.connect() as con:
        totals = con.execute(
            "SELECT sum(expected_amount), sum(paid_amount), sum(outstanding_amount) "
            "FILTER (WHERE outstanding_amount > 0) FROM marts.receivables WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        preview = markdown_preview(
            con,
            "SELECT status, count(*) AS receivables, sum(outstanding_amount) AS outstanding "
            "FROM marts.receivables WHERE as_of = $d GROUP BY status ORDER BY status",
            {"d": day},
        )
    expected, paid, open_amount = (int(v or 0) for v in (totals or (0, 0, 0)))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "expected_amount": expected,
            "paid_amount": paid,
            "open_amount": open_amount,
            "by_status": preview,
        }
    )
