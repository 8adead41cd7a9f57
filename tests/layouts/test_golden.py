"""Golden files: the hand-checked samples of every layout, run through the job, give exactly
these staged rows (and, per the samples' README, these outcomes)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

D = dt.date


@pytest.fixture(scope="module")
def con(samples_fortnight):
    """The samples' fortnight, 2026-10-01 to 10-14, as ``recon run`` ran it (once a session,
    conftest; tests/test_cli.py reads the same run)."""
    home, code, _ = samples_fortnight
    assert code == 0
    connection = duckdb.connect(str(home / "recon.duckdb"), read_only=True)
    yield connection
    connection.close()


def lines(con, source: str) -> list[tuple]:
    return con.execute(
        "SELECT settlement_line_id, match_key, gross_amount, fee_amount, paid_date, line_type, "
        "line_no, partition_date FROM staging.settlement_lines WHERE source = $s ORDER BY ALL",
        {"s": source},
    ).fetchall()


def test_card(con):
    assert lines(con, "card") == [
        ("card:txn_0001", "ORD-0000101", 5080, 183, D(2026, 10, 1), "CHARGE", 2, D(2026, 10, 1)),
        ("card:txn_0002", "ORD-0000101", -1980, 0, D(2026, 10, 3), "REFUND", 3, D(2026, 10, 1)),
        ("card:txn_0003", "ORD-0099999", 3000, 108, D(2026, 10, 2), "CHARGE", 4, D(2026, 10, 1)),
    ]


def test_konbini_prelim_and_confirmed_share_one_line_id(con):
    barcode = "91929023123451000000000000102026101500038004"
    line_id = f"konbini:{barcode}:20261005:1932"
    assert lines(con, "konbini") == [
        (
            line_id,
            "1000000000000102",
            3800,
            0,
            D(2026, 10, 5),
            "KONBINI_CONFIRMED",
            2,
            D(2026, 10, 14),
        ),
        (line_id, "1000000000000102", 3800, 0, D(2026, 10, 5), "KONBINI_PRELIM", 2, D(2026, 10, 6)),
    ]


def test_amazon_items_are_summed_to_one_line_per_order_type_and_day(con):
    assert lines(con, "amazon") == [
        (
            "amazon:1234567890:249-1234567-7654321:Order:20260930",
            "249-1234567-7654321",
            5160,
            937,
            D(2026, 9, 30),
            "CHARGE",
            3,
            D(2026, 10, 1),
        ),
        (
            "amazon:1234567890:Subscription Fee:other-transaction:20260930",
            None,
            0,
            4900,
            D(2026, 9, 30),
            "FEE",
            7,
            D(2026, 10, 1),
        ),
    ]


def test_cod_and_bnpl(con):
    assert lines(con, "cod") == [
        (
            "cod:400012345704",
            "400012345704",
            3430,
            330,
            D(2026, 10, 2),
            "PAYMENT",
            2,
            D(2026, 10, 1),
        )
    ]
    assert lines(con, "bnpl") == [
        (
            "bnpl:NP26100100001",
            "ORD-0000106",
            8800,
            264,
            D(2026, 10, 1),
            "CHARGE",
            2,
            D(2026, 10, 1),
        )
    ]


def test_zengin_customer_number_and_halfwidth_kana(con):
    rows = con.execute(
        "SELECT settlement_line_id, match_key, gross_amount, paid_date, payer_name, line_no "
        "FROM staging.settlement_lines WHERE source = 'bank' ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("bank:0005-001-1234567:000001", "0000103", 11700, D(2026, 10, 5), "0000103 ｽｽﾞｷ ｷﾖｳｺ", 2),
        ("bank:0005-001-1234567:000002", None, 5400, D(2026, 10, 5), "ﾔﾏﾓﾄ ｼﾞﾛｳ", 3),
        ("bank:0005-001-1234567:000003", None, 9999, D(2026, 10, 5), "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ", 4),
    ]


def test_shipments_expected_deltas(con):
    rows = con.execute(
        "SELECT event_id, order_id, event_type, expected_delta FROM staging.receivable_events "
        "ORDER BY event_id"
    ).fetchall()
    assert rows == [
        ("EV-20261001-000001", "ORD-0000101", "SHIP", 5080),
        ("EV-20261001-000002", "ORD-0000102", "SHIP", 3800),
        ("EV-20261001-000003", "ORD-0000103", "SHIP", 11700),
        ("EV-20261001-000004", "ORD-0000104", "SHIP", 3430),
        ("EV-20261001-000005", "249-1234567-7654321", "SHIP", 5160),
        ("EV-20261001-000006", "ORD-0000106", "SHIP", 8800),
        ("EV-20261003-000007", "ORD-0000101", "RETURN", -1980),
    ]


def test_dispositions_are_staged(con):
    assert con.execute(
        "SELECT disposition_id, action, decided_at FROM staging.dispositions"
    ).fetchall() == [("D-0001", "IGNORE", D(2026, 10, 7))]


def test_sample_outcomes_as_of_the_14th(con):
    rows = dict(
        con.execute(
            "SELECT receivable_id, status || ' ' || paid_amount FROM marts.receivables "
            "WHERE as_of = '2026-10-14'"
        ).fetchall()
    )
    assert rows["ORD-0000101"] == "PAID 3100"
    assert rows["ORD-0000102"] == "PAID 3800"
    assert rows["ORD-0000104"] == "PAID 3430"
    assert rows["249-1234567-7654321"] == "PAID 5160"
    assert rows["ORD-0000106"] == "PAID 8800"
    fees = dict(
        con.execute("SELECT source, sum(fee_amount) FROM marts.fees GROUP BY source").fetchall()
    )
    assert (fees["card"], fees["amazon"], fees["cod"], fees["bnpl"]) == (291, 5837, 330, 264)
