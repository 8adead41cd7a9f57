"""Matching that learns (domain.md § Matching that learns), through the daily job: a payer
who deducted the bank's transfer fee is PAID with the fee in the fees mart and the journal,
never dunned for it; a payment for some of a customer's open orders pays exactly those
(customer_subset), and one that two subsets fit pays nothing and lists both."""

from __future__ import annotations

import duckdb
import pytest

from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.assets.test_bank_allocation import bank_order
from tests.conftest import memory_instance, run_job

DAY = "2026-10-01"
PAID_ON = "2026-10-03"
BANK = "bank:0005-001-1234567:"


def line_id(reference: int) -> str:
    return f"{BANK}{reference:06d}"


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("learn") / "home")})
    lz.shipments(
        settings.landing_dir,
        DAY,
        [
            # 7 days past due on PAID_ON: a receivable left short is dunned that day
            bank_order("E1", "ORD-0000011", 1, 10000, "2026-09-26"),
            bank_order("E2", "ORD-0000021", 2, 10000, "2026-09-26"),
            # two of three: ¥5,000 is ORD-31 + ORD-33, not oldest first
            bank_order("E31", "ORD-0000031", 3, 1000, "2026-10-20"),
            bank_order("E32", "ORD-0000032", 3, 2000, "2026-10-21"),
            bank_order("E33", "ORD-0000033", 3, 4000, "2026-10-22"),
            # ¥5,000 is ORD-41 + ORD-44 or ORD-42 + ORD-43
            *(
                bank_order(f"E4{n}", f"ORD-000004{n}", 4, n * 1000, "2026-10-20")
                for n in (1, 2, 3, 4)
            ),
        ],
    )
    data = [
        lz.zengin_data(1, 9560, "0000001 ﾔﾏﾀﾞ ﾀﾛｳ", date="081003"),  # ¥440 fee deducted
        lz.zengin_data(2, 9561, "0000002 ﾔﾏﾀﾞ ﾀﾛｳ", date="081003"),  # ¥439: no fee of the table
        lz.zengin_data(3, 5000, "0000003 ﾔﾏﾀﾞ ﾀﾛｳ", date="081003"),
        lz.zengin_data(4, 5000, "0000004 ﾔﾏﾀﾞ ﾀﾛｳ", date="081003"),
    ]
    records = [
        lz.zengin_header(),
        *data,
        lz.zengin_trailer(len(data), 9560 + 9561 + 5000 + 5000),
        lz.ZENGIN_END,
    ]
    lz.write(settings.landing_dir, "bank", PAID_ON, "furikomi.txt", lz.zengin_file(records))
    lz.deliver_daily(settings.landing_dir, DAY, PAID_ON, ("bank",))
    with memory_instance() as instance:
        run_job(settings, instance, DAY, PAID_ON)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con
    con.close()


def test_a_deducted_transfer_fee_settles_the_receivable(ran):
    rows = ran.execute(
        "SELECT receivable_id, status, difference_reason, paid_amount, fee_deducted_amount, "
        "outstanding_amount FROM marts.receivables WHERE as_of = $d AND customer_id IN "
        "('C000001', 'C000002') ORDER BY receivable_id",
        {"d": PAID_ON},
    ).fetchall()
    assert rows == [
        ("ORD-0000011", "PAID", "TRANSFER_FEE_DEDUCTED", 9560, 440, 0),
        ("ORD-0000021", "PARTIALLY_PAID", "SHORT_PAYMENT", 9561, 0, 439),
    ]
    link = ran.execute(
        "SELECT rule, matched_amount, fee_deducted_amount, evidence FROM marts.matches "
        "WHERE as_of = $d AND receivable_id = 'ORD-0000011'",
        {"d": PAID_ON},
    ).fetchone()
    assert link[:3] == ("transfer_fee", 9560, 440)
    assert "¥440" in link[3]


def test_the_fee_is_in_the_fees_mart_of_the_bank_and_in_the_journal(ran):
    fees = ran.execute(
        "SELECT source, fee_amount, deducted_fee_amount FROM marts.fees "
        "WHERE partition_date = $d AND source = 'bank'",
        {"d": PAID_ON},
    ).fetchall()
    assert fees == [("bank", 440, 440)]
    booked = ran.execute(
        "SELECT debit_account, debit_sub_account, credit_account, debit_amount FROM "
        "marts.journal_lines WHERE entry_type = 'TRANSFER_FEE'"
    ).fetchall()
    assert booked == [("支払手数料", "振込手数料", "売掛金", 440)]


def test_never_dunned_for_the_fee(ran):
    dunned = ran.execute(
        "SELECT receivable_id FROM marts.dunning_candidates WHERE as_of = $d ORDER BY ALL",
        {"d": PAID_ON},
    ).fetchall()
    assert dunned == [("ORD-0000021",)]


def test_a_payment_for_two_of_three_open_receivables_pays_exactly_those_two(ran):
    paid = ran.execute(
        "SELECT receivable_id, settlement_line_id, rule, matched_amount FROM marts.matches "
        "WHERE as_of = $d AND receivable_id LIKE 'ORD-000003%' ORDER BY ALL",
        {"d": PAID_ON},
    ).fetchall()
    assert paid == [
        ("ORD-0000031", line_id(3), "customer_subset", 1000),
        ("ORD-0000033", line_id(3), "customer_subset", 4000),
    ]
    evidence = ran.execute(
        "SELECT DISTINCT evidence FROM marts.matches WHERE as_of = $d AND rule = 'customer_subset'",
        {"d": PAID_ON},
    ).fetchall()
    assert evidence == [
        (
            "the only subset of the customer's open receivables that the transfer equals: "
            "ORD-0000031 + ORD-0000033",
        )
    ]


def test_two_fitting_subsets_are_suggestions_and_nothing_is_allocated(ran):
    assert ran.execute(
        "SELECT count(*) FROM marts.matches WHERE as_of = $d AND settlement_line_id = $l",
        {"d": PAID_ON, "l": line_id(4)},
    ).fetchone() == (0,)
    status = ran.execute(
        "SELECT status, reason, receivable_id, candidate_subsets FROM marts.settlement_status "
        "WHERE as_of = $d AND settlement_line_id = $l",
        {"d": PAID_ON, "l": line_id(4)},
    ).fetchone()
    assert status == (
        "SUGGESTED",
        "SUBSET_SUGGESTION",
        None,
        [["ORD-0000041", "ORD-0000044"], ["ORD-0000042", "ORD-0000043"]],
    )
    open_ = ran.execute(
        "SELECT count(*) FROM marts.receivables WHERE as_of = $d AND customer_id = 'C000004' "
        "AND status = 'UNPAID'",
        {"d": PAID_ON},
    ).fetchone()
    assert open_ == (4,)
