"""Operators' dispositions (顛末管理), each action applied from its day on, and the invalid
ones rejected with a reason instead of applied."""

from __future__ import annotations

import duckdb
import pytest

from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job

DAY = "2026-10-01"


def disposition(day: str, landing, rows: list[list[object]]) -> None:
    lz.write(
        landing,
        "dispositions",
        day,
        f"dispositions_{day}.csv",
        lz.csv_text(lz.DISPOSITION_HEADER, rows).encode(),
    )


def d(
    ident: str,
    action: str,
    receivable: str = "",
    line: str = "",
    amount: object = "",
    day: str = DAY,
) -> list[object]:
    return [ident, action, receivable, line, amount, "", "keiri01", day]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("disp") / "home")})
    root = settings.landing_dir
    bank = lz.ship(
        "E3",
        "ORD-0000003",
        DAY,
        "BANK_TRANSFER",
        4321,
        customer="C000003",
        payment_ref="0000003",
        due="2026-10-15",
        name="鈴木 京子",
    )
    bank[6] = "スズキ キョウコ"
    lz.shipments(
        root,
        DAY,
        [
            lz.ship(
                "E1",
                "ORD-0000001",
                DAY,
                "KONBINI",
                3000,
                payment_ref=lz.slip_ref(1),
                due="2026-10-10",
            ),
            lz.ship(
                "E2",
                "ORD-0000002",
                DAY,
                "KONBINI",
                3000,
                payment_ref=lz.slip_ref(2),
                due="2026-10-10",
            ),
            bank,
            lz.ship("E4", "ORD-0000004", DAY, "CARD", 5000),
        ],
    )
    lz.card(
        root,
        DAY,
        [
            lz.charge("txn_over", "ORD-0000004", 6000),
            lz.charge("txn_x", "ORD-0999998", 1200),
            lz.charge("txn_y", "ORD-0999999", 800),
        ],
    )
    records = [
        lz.zengin_header(),
        lz.zengin_data(1, 4321, "ｽｽﾞｷ ｷﾖｳｺ", date="081001"),
        lz.zengin_trailer(1, 4321),
        lz.ZENGIN_END,
    ]
    lz.write(root, "bank", "2026-10-02", "furikomi.txt", lz.zengin_file(records))
    line = "bank:0005-001-1234567:000001"
    disposition("2026-10-02", root, [d("D-01", "DISPUTE", "ORD-0000002", day="2026-10-02")])
    disposition(
        "2026-10-03",
        root,
        [
            d("D-02", "WRITE_OFF", "ORD-0000001", day="2026-10-03"),
            d("D-03", "MANUAL_MATCH", "ORD-0000003", line, day="2026-10-03"),
            d("D-04", "REFUNDED", "", "card:txn_over", day="2026-10-03"),
            d("D-05", "REFUNDED", "", "card:txn_x", 1200, day="2026-10-03"),
            d("D-06", "IGNORE", "", "card:txn_y", day="2026-10-03"),
            d("D-07", "WRITE_OFF", "ORD-0000404", day="2026-10-03"),
            d("D-08", "MANUAL_MATCH", "ORD-0000004", line, day="2026-10-03"),
            d("D-09", "RELEASE", "ORD-0000001", day="2026-10-03"),
        ],
    )
    disposition(
        "2026-10-04",
        root,
        [
            d("D-10", "RELEASE", "ORD-0000002", day="2026-10-04"),
            d("D-11", "WRITE_OFF", "ORD-0000004", day="2026-10-04"),
        ],
    )
    with memory_instance() as instance:
        results = run_job(settings, instance, DAY, "2026-10-04")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con, results
    con.close()


def receivable(con, order: str, day: str) -> tuple:
    return con.execute(
        "SELECT status, paid_amount, refunded_amount, written_off_amount, outstanding_amount "
        "FROM marts.receivables WHERE as_of = $d AND receivable_id = $r",
        {"d": day, "r": order},
    ).fetchone()


def line_status(con, line: str, day: str) -> tuple:
    return con.execute(
        "SELECT status, receivable_id, reason FROM marts.settlement_status "
        "WHERE as_of = $d AND settlement_line_id = $l",
        {"d": day, "l": line},
    ).fetchone()


def test_write_off_closes_the_receivable_and_lists_it(ran):
    con, _ = ran
    assert receivable(con, "ORD-0000001", "2026-10-02")[0] == "UNPAID"
    assert receivable(con, "ORD-0000001", "2026-10-03") == ("WRITTEN_OFF", 0, 0, 3000, 0)
    assert con.execute(
        "SELECT receivable_id, written_off_amount, disposition_id "
        "FROM marts.write_offs WHERE as_of = '2026-10-03'"
    ).fetchall() == [("ORD-0000001", 3000, "D-02")]


def test_dispute_until_release(ran):
    con, _ = ran
    assert [
        receivable(con, "ORD-0000002", day)[0]
        for day in ("2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04")
    ] == ["UNPAID", "IN_DISPUTE", "IN_DISPUTE", "UNPAID"]


def test_manual_match_confirms_a_suggestion(ran):
    con, _ = ran
    line = "bank:0005-001-1234567:000001"
    assert line_status(con, line, "2026-10-02") == (
        "SUGGESTED",
        "ORD-0000003",
        "NAME_AMOUNT_SUGGESTION",
    )
    assert receivable(con, "ORD-0000003", "2026-10-02")[0] == "UNPAID"
    assert line_status(con, line, "2026-10-03") == ("MATCHED", "ORD-0000003", None)
    assert receivable(con, "ORD-0000003", "2026-10-03")[:2] == ("PAID", 4321)
    assert con.execute(
        "SELECT rule FROM marts.matches WHERE as_of = '2026-10-03' AND settlement_line_id = $l",
        {"l": line},
    ).fetchall() == [("manual_match",)]


def test_refunds_and_ignored_lines(ran):
    con, _ = ran
    assert receivable(con, "ORD-0000004", "2026-10-02")[0] == "OVERPAID"
    assert receivable(con, "ORD-0000004", "2026-10-03") == ("PAID", 5000, 1000, 0, 0)
    assert line_status(con, "card:txn_x", "2026-10-03") == ("IGNORED", None, "REFUNDED")
    assert line_status(con, "card:txn_y", "2026-10-03") == ("IGNORED", None, "IGNORE")


def test_invalid_dispositions_are_rejected_with_a_reason(ran):
    con, results = ran
    outcomes = dict(
        con.execute(
            "SELECT disposition_id, coalesce(reason, status) FROM marts.disposition_outcomes "
            "WHERE as_of = '2026-10-04'"
        ).fetchall()
    )
    assert outcomes == {
        "D-01": "APPLIED",
        "D-02": "APPLIED",
        "D-03": "APPLIED",
        "D-04": "APPLIED",
        "D-05": "APPLIED",
        "D-06": "APPLIED",
        "D-09": "no dispute or ship hold to release",
        "D-07": "unknown receivable_id ORD-0000404",
        "D-08": "the line was already matched by disposition D-03",
        "D-10": "APPLIED",
        "D-11": "nothing open to write off",
    }
    assert all(r.success for r in results)
