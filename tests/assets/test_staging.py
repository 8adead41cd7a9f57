"""Staging validates a layout's files together: of several small days at once, or of a big
day in batches; every verdict still names its own file and line, and uniqueness reaches
across files, batches and days."""

from __future__ import annotations

import pytest

from recon_pipeline import loading
from tests.conftest import run_range
from tests.landing import card, charge


@pytest.mark.parametrize(
    ("group_bytes", "batch_rows", "passes"),
    [
        (loading.GROUP_BYTES, loading.BATCH_ROWS, [8]),
        (0, loading.BATCH_ROWS, [6, 2]),
        (0, 1, [4, 2, 2]),
    ],
    ids=["days together", "day by day", "file by file"],
)
def test_each_file_keeps_its_own_lines_reasons_and_counts(
    settings, instance, landing, warehouse, monkeypatch, group_bytes, batch_rows, passes
):
    monkeypatch.setattr(loading, "GROUP_BYTES", group_bytes)
    monkeypatch.setattr(loading, "BATCH_ROWS", batch_rows)
    validate = loading.validate
    records_per_pass: list[int] = []

    def counted(contract, frame):
        records_per_pass.append(len(frame))
        return validate(contract, frame)

    monkeypatch.setattr(loading, "validate", counted)
    card(
        landing,
        "2026-10-01",
        [
            charge("txn_1", "ORD-0000001", 1000),
            charge("txn_2", "ORD-0000002", 2000),
            charge("txn_2", "ORD-0000002", 2000),
            charge("txn_big", "ORD-0000003", 10**19),
        ],
        name="a.csv",
    )
    card(
        landing,
        "2026-10-01",
        [charge("txn_1", "ORD-0000001", 1000), charge("txn_3", "ORD-0000004", 3000)],
        name="b.csv",
    )
    card(
        landing,
        "2026-10-02",
        [charge("txn_3", "ORD-0000004", 3000), charge("txn_4", "ORD-0000005", 4000)],
        name="c.csv",
    )
    # one ranged run: both days are read together unless GROUP_BYTES keeps them apart
    run_range(settings, instance, "2026-10-01", "2026-10-02")
    assert records_per_pass == passes
    with warehouse() as con:
        rejected = con.execute(
            "SELECT path, line_no, reason FROM quarantine.rejected_rows ORDER BY path, line_no"
        ).fetchall()
        manifest = con.execute(
            "SELECT path, rows_total, rows_loaded, rows_quarantined FROM audit.file_manifest "
            "ORDER BY path"
        ).fetchall()
        loaded = con.execute(
            "SELECT path, line_no, balance_transaction_id, gross FROM raw.card "
            "ORDER BY path, line_no"
        ).fetchall()
    assert rejected == [
        (
            "card/2026-10-01/a.csv",
            4,
            "duplicate of line 3 in the same file (balance_transaction_id=txn_2)",
        ),
        (
            "card/2026-10-01/a.csv",
            5,
            "gross: '10000000000000000000' has more than 18 digits; "
            "net: '9640000000000000000' has more than 18 digits",
        ),
        (
            "card/2026-10-01/b.csv",
            2,
            "already loaded from card/2026-10-01/a.csv line 2 "
            "(balance_transaction_id must be unique)",
        ),
        (
            "card/2026-10-02/c.csv",
            2,
            "already loaded from card/2026-10-01/b.csv line 3 "
            "(balance_transaction_id must be unique)",
        ),
    ]
    assert manifest == [
        ("card/2026-10-01/a.csv", 4, 2, 2),
        ("card/2026-10-01/b.csv", 2, 1, 1),
        ("card/2026-10-02/c.csv", 2, 1, 1),
    ]
    assert loaded == [
        ("card/2026-10-01/a.csv", 2, "txn_1", 1000),
        ("card/2026-10-01/a.csv", 3, "txn_2", 2000),
        ("card/2026-10-01/b.csv", 3, "txn_3", 3000),
        ("card/2026-10-02/c.csv", 3, "txn_4", 4000),
    ]
