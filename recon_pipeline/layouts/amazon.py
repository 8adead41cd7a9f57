"""Amazon Seller Central settlement report, flat file V2 (layouts.md § 3).

A tab-separated file whose first data row is the settlement summary. The summary is the
file's control record: its ``total-amount`` must equal the sum of every ``amount`` or the
whole file is quarantined, so a settlement is loaded whole or not at all. The item rows go
through the contract; the staging SQL sums them to one line per (settlement, order,
transaction type, posted date).
"""

from __future__ import annotations

from recon_pipeline.contracts.checks import INTEGER
from recon_pipeline.contracts.model import Contract
from recon_pipeline.layouts.base import FileRejected, ParsedFile
from recon_pipeline.layouts.delimited import read_delimited

SUMMARY_FIELDS = (
    "settlement_id",
    "settlement_start_date",
    "settlement_end_date",
    "deposit_date",
    "total_amount",
    "currency",
)


def read_amazon_v2(contract: Contract, data: bytes) -> ParsedFile:
    parsed = read_delimited(contract, data, columnar=False)
    columns = contract.canonical_columns
    if not parsed.rows:
        raise FileRejected("settlement report has no summary row", rows_total=parsed.rows_total)
    summary = dict(zip(columns, parsed.rows[0], strict=True))
    if not summary["total_amount"] or summary["transaction_type"]:
        raise FileRejected(
            "first data row must be the settlement summary (total-amount set, no transaction-type)",
            rows_total=parsed.rows_total,
        )
    if not INTEGER.match(summary["total_amount"]):
        raise FileRejected(
            f"summary total-amount {summary['total_amount']!r} is not an integer",
            rows_total=parsed.rows_total,
        )
    position = columns.index("amount")
    total = 0
    for line_no, row in zip(parsed.line_nos[1:], parsed.rows[1:], strict=True):
        if not INTEGER.match(row[position]):
            raise FileRejected(
                f"control total cannot be checked: amount {row[position]!r} at line {line_no} "
                "is not an integer",
                rows_total=parsed.rows_total,
            )
        total += int(row[position])
    for line_no, _, reason in parsed.malformed:
        raise FileRejected(
            f"control total cannot be checked: line {line_no}: {reason}",
            rows_total=parsed.rows_total,
        )
    if total != int(summary["total_amount"]):
        raise FileRejected(
            f"control total differs: summary total-amount {summary['total_amount']} but the "
            f"amounts sum to {total}",
            rows_total=parsed.rows_total,
        )
    control = {name: summary[name] for name in SUMMARY_FIELDS}
    return ParsedFile(
        line_nos=parsed.line_nos[1:], raws=parsed.raws[1:], rows=parsed.rows[1:], control=control
    )
