"""The Amazon settlement report: the summary row is the control record, checked against the
item amounts; the columnar and the line-by-line reader give the same records and verdicts."""

from __future__ import annotations

import pytest

from recon_pipeline.contracts import load_contracts
from recon_pipeline.layouts import FileRejected
from recon_pipeline.layouts.amazon import read_amazon_v2
from tests import landing as lz

AMAZON = {c.layout: c for c in load_contracts()}["amazon"]
ITEMS = [
    lz.amazon_item("249-0000001-0000001", "Order", "ItemPrice", "Principal", 5960),
    lz.amazon_item("249-0000001-0000001", "Order", "ItemFees", "Commission", -516),
    lz.amazon_item("249-0000002-0000001", "Refund", "ItemPrice", "Principal", -1200),
]


def report(tmp_path, items, total=None) -> bytes:
    return lz.amazon(tmp_path, "2026-09-30", items, "report.tsv", total=total).read_bytes()


def outcome(contract, data: bytes, columnar: bool):
    try:
        parsed = read_amazon_v2(contract, data, columnar=columnar)
    except FileRejected as rejected:
        return "rejected", str(rejected)
    columns = contract.canonical_columns
    records = [[parsed.raw(n) for n in parsed.line_nos]]
    if parsed.columns is not None:
        records.append([c.to_pylist() for c in parsed.columns])
    else:
        records.append([[row[i] for row in parsed.rows] for i in range(len(columns))])
    return parsed.line_nos, records, parsed.control, len(columns)


@pytest.mark.parametrize(
    ("items", "total", "verdict"),
    [
        (ITEMS, None, None),
        (ITEMS, 1, "control total differs: summary total-amount 1 but the amounts sum to 4244"),
        (
            [
                *ITEMS,
                lz.amazon_item("249-0000003-0000001", "Order", "ItemPrice", "Principal", "5,960"),
            ],
            4244,
            "control total cannot be checked: amount '5,960' at line 6 is not an integer",
        ),
        ([], 0, None),
    ],
)
def test_both_readers_agree_on_records_and_verdicts(tmp_path, items, total, verdict):
    data = report(tmp_path, items, total)
    columnar, by_line = (outcome(AMAZON, data, columnar) for columnar in (True, False))
    assert columnar == by_line
    if verdict:
        assert columnar == ("rejected", verdict)
    else:
        line_nos, _, control, _ = columnar
        assert line_nos == list(range(3, 3 + len(items)))
        assert control["total_amount"] == str(
            sum(int(i[lz.AMAZON_HEADER.index("amount")]) for i in items)
        )


def test_the_columnar_reader_is_the_one_used_for_a_plain_report(tmp_path):
    parsed = read_amazon_v2(AMAZON, report(tmp_path, ITEMS))
    assert parsed.columns is not None and parsed.record_count == len(ITEMS)
