"""Bank transfers (Zengin) against a customer's BANK_TRANSFER receivables: one customer per
rule of layouts.md § bank, plus cancellation and the kana-name suggestion."""

from __future__ import annotations

import duckdb
import pytest

from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job

DAY = "2026-10-01"
PAID_ON = "2026-10-03"


def bank_order(
    event: str,
    order: str,
    customer: int,
    amount: int,
    due: str,
    name: str = "山田 太郎",
    kana: str = "ヤマダ タロウ",
) -> list[object]:
    row = lz.ship(
        event,
        order,
        DAY,
        "BANK_TRANSFER",
        amount,
        customer=f"C{customer:06d}",
        payment_ref=f"{customer:07d}",
        due=due,
        name=name,
    )
    row[6] = kana
    return row


def transfer(reference: int, amount: int, payer: str, cancel: str = "0") -> bytes:
    """A notice booked on 2026-10-02 (和暦 081002), delivered on PAID_ON."""
    return lz.zengin_data(reference, amount, payer, cancel=cancel, date="081002")


@pytest.fixture(scope="module")
def allocated(tmp_path_factory):
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("bank") / "home")})
    lz.shipments(
        settings.landing_dir,
        DAY,
        [
            bank_order("E1", "ORD-0000011", 1, 1000, "2026-10-10"),
            bank_order("E2", "ORD-0000012", 1, 2000, "2026-10-12"),
            bank_order("E3", "ORD-0000013", 1, 3000, "2026-10-15"),
            bank_order("E4", "ORD-0000021", 2, 1000, "2026-10-10"),
            bank_order("E5", "ORD-0000022", 2, 1500, "2026-10-12"),
            bank_order("E6", "ORD-0000031", 3, 1000, "2026-10-10"),
            bank_order("E7", "ORD-0000032", 3, 2000, "2026-10-12"),
            bank_order("E8", "ORD-0000041", 4, 1000, "2026-10-10"),
            bank_order("E9", "ORD-0000042", 4, 2000, "2026-10-12"),
            bank_order("EA", "ORD-0000051", 5, 1000, "2026-10-10"),
            bank_order("EB", "ORD-0000071", 7, 1000, "2026-10-10"),
            bank_order(
                "EC", "ORD-0000081", 8, 4321, "2026-10-10", name="鈴木 京子", kana="スズキ キョウコ"
            ),
            bank_order("ED", "ORD-0000091", 9, 1000, "2026-10-05"),
            # the lowest id listed between two others: a tie on due date is broken by the id
            bank_order(
                "EF", "ORD-0000102", 10, 5555, "2026-10-20", name="田中 花子", kana="タナカ ハナコ"
            ),
            bank_order(
                "EG", "ORD-0000101", 10, 5555, "2026-10-20", name="田中 花子", kana="タナカ ハナコ"
            ),
            bank_order(
                "EH", "ORD-0000103", 10, 5555, "2026-10-20", name="田中 花子", kana="タナカ ハナコ"
            ),
            lz.ship(
                "EE",
                "ORD-0000092",
                DAY,
                "KONBINI",
                2600,
                customer="C000009",
                payment_ref=lz.slip_ref(92),
                due="2026-10-10",
            ),
        ],
    )
    lz.konbini_file(
        settings.landing_dir, "2026-10-02", [lz.collection("01", lz.slip_ref(92), 2600, "20261001")]
    )
    data = [
        transfer(1, 2000, "0000001 ﾔﾏﾀﾞ ﾀﾛｳ"),  # equals B: bank_exact, not FIFO
        transfer(2, 2500, "0000002 ﾔﾏﾀﾞ ﾀﾛｳ"),  # D + E: customer_sum
        transfer(3, 1500, "0000003 ﾔﾏﾀﾞ ﾀﾛｳ"),  # F 1000, G 500: bank_allocation
        transfer(4, 3500, "0000004 ﾔﾏﾀﾞ ﾀﾛｳ"),  # H, I, and 500 over on I (newest)
        transfer(5, 1000, "0000005 ﾔﾏﾀﾞ ﾀﾛｳ"),  # J
        transfer(6, 1000, "0000005 ﾔﾏﾀﾞ ﾀﾛｳ"),  # J again: double payment
        transfer(7, 999, "0000006 ﾔﾏﾀﾞ ﾀﾛｳ"),  # no such customer
        transfer(8, 1000, "0000007 ﾔﾏﾀﾞ ﾀﾛｳ"),  # K, cancelled below
        transfer(8, 1000, "0000007 ﾔﾏﾀﾞ ﾀﾛｳ", cancel="1"),
        transfer(9, 4321, "ｽｽﾞｷ ｷﾖｳｺ"),  # no number: suggestion for L
        transfer(10, 777, "ｽｽﾞｷ ｷﾖｳｺ"),  # no number, no amount fits
        transfer(11, 1000, "0000009 ﾔﾏﾀﾞ ﾀﾛｳ"),  # customer 9's bank order
        transfer(12, 2600, "0000009 ﾔﾏﾀﾞ ﾀﾛｳ"),  # and the konbini order, paid twice
        transfer(13, 5555, "ﾀﾅｶ ﾊﾅｺ"),  # no number: two receivables fit, same due date
    ]
    records = [
        lz.zengin_header(),
        *data,
        lz.zengin_trailer(
            len(data),
            2000
            + 2500
            + 1500
            + 3500
            + 1000
            + 1000
            + 999
            + 1000
            + 1000
            + 4321
            + 777
            + 1000
            + 2600
            + 5555,
            cancels=1,
            cancel_total=1000,
        ),
        lz.ZENGIN_END,
    ]
    lz.write(settings.landing_dir, "bank", PAID_ON, "furikomi.txt", lz.zengin_file(records))
    with memory_instance() as instance:
        run_job(settings, instance, DAY, PAID_ON)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con
    con.close()


def links(con, customer: int) -> list[tuple]:
    return con.execute(
        "SELECT m.receivable_id, m.rule, m.matched_amount FROM marts.matches AS m "
        "JOIN marts.receivables AS r USING (as_of, receivable_id) "
        "WHERE m.as_of = $d AND r.customer_id = $c ORDER BY ALL",
        {"d": PAID_ON, "c": f"C{customer:06d}"},
    ).fetchall()


def status(con, order: str) -> tuple:
    return con.execute(
        "SELECT status, paid_amount, difference_reason FROM marts.receivables "
        "WHERE as_of = $d AND receivable_id = $r",
        {"d": PAID_ON, "r": order},
    ).fetchone()


def line(con, reference: int) -> tuple:
    return con.execute(
        "SELECT status, receivable_id, reason FROM marts.settlement_status "
        "WHERE as_of = $d AND settlement_line_id = $l",
        {"d": PAID_ON, "l": f"bank:0005-001-1234567:{reference:06d}"},
    ).fetchone()


def test_an_amount_equal_to_one_receivable_pays_that_one(allocated):
    assert links(allocated, 1) == [("ORD-0000012", "bank_exact", 2000)]


def test_an_amount_equal_to_all_open_receivables_pays_all(allocated):
    assert links(allocated, 2) == [
        ("ORD-0000021", "customer_sum", 1000),
        ("ORD-0000022", "customer_sum", 1500),
    ]


def test_otherwise_oldest_due_first(allocated):
    assert links(allocated, 3) == [
        ("ORD-0000031", "bank_allocation", 1000),
        ("ORD-0000032", "bank_allocation", 500),
    ]
    assert status(allocated, "ORD-0000032") == ("PARTIALLY_PAID", 500, "SHORT_PAYMENT")


def test_what_is_left_is_an_overpayment_on_the_newest(allocated):
    assert links(allocated, 4) == [
        ("ORD-0000041", "bank_allocation", 1000),
        ("ORD-0000042", "bank_allocation", 2500),
    ]
    assert status(allocated, "ORD-0000042") == ("OVERPAID", 2500, "OVER_PAYMENT")


def test_paying_twice_is_a_double_payment(allocated):
    assert status(allocated, "ORD-0000051") == ("OVERPAID", 2000, "DOUBLE_PAYMENT")


def test_a_customer_number_of_nobody_counts_as_none_and_the_evidence_says_so(allocated):
    """No customer has the number typed: the line is read as one without a number (no name
    and amount fit here, so it stays unmatched), and its evidence says why."""
    assert line(allocated, 7) == ("UNMATCHED", None, "UNKNOWN_CUSTOMER_NUMBER")
    evidence = allocated.execute(
        "SELECT evidence FROM marts.settlement_status WHERE as_of = $d AND settlement_line_id = $l",
        {"d": PAID_ON, "l": "bank:0005-001-1234567:000007"},
    ).fetchone()
    assert evidence == (
        "customer number 0000006 in the payer name belongs to no customer: read as no number",
    )


def test_a_cancelled_notice_is_reversed_and_pays_nothing(allocated):
    assert line(allocated, 8) == ("REVERSED", None, None)
    assert status(allocated, "ORD-0000071") == ("UNPAID", 0, None)


def test_name_and_amount_give_a_suggestion_not_a_match(allocated):
    assert line(allocated, 9) == ("SUGGESTED", "ORD-0000081", "NAME_AMOUNT_SUGGESTION")
    assert status(allocated, "ORD-0000081") == ("UNPAID", 0, None)
    assert line(allocated, 10) == ("UNMATCHED", None, "NO_CUSTOMER_NUMBER")


def test_a_suggestion_between_equal_receivables_names_the_oldest_due_then_lowest_id(allocated):
    assert line(allocated, 13) == ("SUGGESTED", "ORD-0000101", "NAME_AMOUNT_SUGGESTION")


def test_the_same_order_paid_at_the_konbini_and_by_transfer_is_a_double_payment(allocated):
    assert links(allocated, 9) == [
        ("ORD-0000091", "bank_exact", 1000),
        ("ORD-0000092", "cross_channel", 2600),
        ("ORD-0000092", "key_exact", 2600),
    ]
    assert status(allocated, "ORD-0000092") == ("OVERPAID", 5200, "DOUBLE_PAYMENT")
