"""Amazon Seller Central settlement report, flat file V2 (layouts.md § 3).

A tab-separated file whose first data row is the settlement summary. The summary is the
file's control record: its ``total-amount`` must equal the sum of every ``amount`` or the
whole file is quarantined, so a settlement is loaded whole or not at all. The item rows go
through the contract; the staging SQL sums them to one line per (settlement, order,
transaction type, posted date).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

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


def read_amazon_v2(contract: Contract, data: bytes | Path, columnar: bool = True) -> ParsedFile:
    """The item rows, with the summary as the file's control record; ``columnar`` as in
    :func:`read_delimited` (both paths give the same records and the same verdicts)."""
    parsed = read_delimited(contract, data, columnar=columnar)
    columns = contract.canonical_columns
    if not parsed.record_count:
        raise FileRejected("settlement report has no summary row", rows_total=parsed.rows_total)
    if parsed.columns is not None:
        summary = {
            name: column[0].as_py() for name, column in zip(columns, parsed.columns, strict=True)
        }
    else:
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
    if parsed.columns is not None:
        amounts = parsed.columns[position][1:]
    else:
        amounts = pa.array([row[position] for row in parsed.rows[1:]], type=pa.string())
    integers = pc.match_substring_regex(amounts, INTEGER.pattern)
    if not pc.all(integers, min_count=0).as_py():
        at = pc.index(integers, False).as_py()
        raise FileRejected(
            f"control total cannot be checked: amount {amounts[at].as_py()!r} at line "
            f"{parsed.line_nos[at + 1]} is not an integer",
            rows_total=parsed.rows_total,
        )
    for line_no, _, reason in parsed.malformed:
        raise FileRejected(
            f"control total cannot be checked: line {line_no}: {reason}",
            rows_total=parsed.rows_total,
        )
    try:
        total = pc.sum(amounts.cast(pa.decimal128(38, 0))).as_py() or 0
    except pa.ArrowInvalid:
        total = sum(int(amount) for amount in amounts.to_pylist())
    if total != int(summary["total_amount"]):
        raise FileRejected(
            f"control total differs: summary total-amount {summary['total_amount']} but the "
            f"amounts sum to {total}",
            rows_total=parsed.rows_total,
        )
    control = {name: summary[name] for name in SUMMARY_FIELDS}
    if parsed.columns is not None:
        return ParsedFile(
            line_nos=parsed.line_nos[1:],
            columns=[column[1:] for column in parsed.columns],
            text=parsed.text,
            text_of=parsed.text_of,
            control=control,
            notes=parsed.notes,
        )
    return ParsedFile(
        line_nos=parsed.line_nos[1:],
        raws=parsed.raws[1:],
        rows=parsed.rows[1:],
        control=control,
        notes=parsed.notes,
    )
