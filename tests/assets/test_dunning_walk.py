"""Receivables walked through every dunning stage of the packaged policy over two simulated
months (one single-run backfill from 2026-08-01 to 2026-10-06): re-issued slips with new due
dates, re-issue numbers and barcodes, a payment between stages, a dispute and its release, a
write-off, letters instead of slips for a bank transfer, the hand-over to the agency and the
ship-hold list, the write-off candidate a year past due, and a pending return that holds
dunning until it takes effect."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from recon_pipeline import konbini
from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_range

FIRST, LAST = "2026-08-01", "2026-10-06"
D = dt.date.fromisoformat


def slip_order(number: int, due: str, shipped: str = "2026-07-20") -> list[object]:
    return lz.ship(
        f"E{number}", f"ORD-0000{number}", shipped, "KONBINI", 8000,
        customer=f"C000{number}", payment_ref=lz.slip_ref(number), due=due,
    )  # fmt: skip


def disposition(landing: Path, day: str, ident: str, action: str, receivable: str) -> None:
    row = [ident, action, receivable, "", "", "", "keiri01", day]
    lz.write(
        landing,
        "dispositions",
        day,
        f"dispositions_{ident}.csv",
        lz.csv_text(lz.DISPOSITION_HEADER, [row]).encode(),
    )


def write_landing(landing: Path) -> None:
    lz.shipments(
        landing,
        FIRST,
        [
            slip_order(101, "2026-08-01"),  # walks to COLLECTION_AGENCY
            slip_order(102, "2026-08-01"),  # paid after REMINDER_1 with the re-issued slip
            slip_order(103, "2026-08-01"),  # disputed 08-05, released 08-20
            slip_order(104, "2026-08-01"),  # written off 08-25
            lz.ship(
                "E105", "ORD-0000105", "2026-07-20", "BANK_TRANSFER", 6000,
                customer="C000105", payment_ref="0000105", due="2026-08-01",
            ),  # letters, no slips
            slip_order(106, "2025-08-01", shipped="2025-07-20"),  # a year past due
            slip_order(107, "2026-08-01"),  # a return of 3,000 announced, dated 08-12
            lz.ship(
                "E107R", "ORD-0000107", "2026-08-12", "KONBINI", 3000, event_type="RETURN",
                customer="C000107", payment_ref=lz.slip_ref(107), due="2026-08-01",
            ),
        ],
    )  # fmt: skip
    reissued = konbini.build(
        company_code=lz.COMPANY,
        shop_code=lz.SHOP,
        payment_ref=lz.slip_ref(102),
        reissue_no=1,
        due_date=D("2026-08-22"),
        amount=8000,
    )
    day = D(FIRST)
    while day <= D(LAST):
        rows = []
        if day == D("2026-08-13"):
            rows = [lz.collection("01", lz.slip_ref(102), 8000, "20260812", barcode=reissued)]
        if day == D("2026-08-20"):
            rows = [lz.collection("02", lz.slip_ref(102), 8000, "20260812", barcode=reissued)]
        lz.konbini_file(landing, day.isoformat(), rows)
        day += dt.timedelta(days=1)
    disposition(landing, "2026-08-05", "D-1", "DISPUTE", "ORD-0000103")
    disposition(landing, "2026-08-20", "D-2", "RELEASE", "ORD-0000103")
    disposition(landing, "2026-08-25", "D-3", "WRITE_OFF", "ORD-0000104")


@pytest.fixture(scope="module")
def walked(tmp_path_factory):

    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("walk") / "home")})
    write_landing(settings.landing_dir)
    with memory_instance() as instance:
        run_range(settings, instance, FIRST, LAST)
    return settings


def query(settings, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_stage_in_order_with_its_interval(walked):
    actions = {}
    for receivable, as_of, stage, action, form, reissue, new_due in query(
        walked,
        "SELECT receivable_id, as_of, stage, action, form_type, reissue_no, new_due_date "
        "FROM marts.dunning_candidates ORDER BY receivable_id, as_of",
    ):
        actions.setdefault(receivable, []).append((as_of, stage, action, form, reissue, new_due))
    assert actions["ORD-0000101"] == [
        (D("2026-08-08"), "REMINDER_1", "REISSUE_SLIP", "REMINDER", 1, D("2026-08-22")),
        (D("2026-08-22"), "REMINDER_2", "REISSUE_SLIP", "REMINDER_RED", 2, D("2026-09-01")),
        (D("2026-09-05"), "FINAL_NOTICE", "FINAL_NOTICE", None, None, None),
        (D("2026-10-05"), "COLLECTION_AGENCY", "COLLECTION_AGENCY", None, None, None),
    ]
    # paid on 08-12 with the slip of REMINDER_1 (速報 on 08-13): out of dunning at once
    assert [a[1] for a in actions["ORD-0000102"]] == ["REMINDER_1"]
    # in dispute from 08-05 to 08-20: REMINDER_1 waits for the release
    assert [(a[0], a[1]) for a in actions["ORD-0000103"]] == [
        (D("2026-08-20"), "REMINDER_1"),
        (D("2026-09-03"), "REMINDER_2"),
        (D("2026-09-17"), "FINAL_NOTICE"),
    ]
    # written off on 08-25, after REMINDER_2 of 08-22
    assert [a[1] for a in actions["ORD-0000104"]] == ["REMINDER_1", "REMINDER_2"]
    assert [(a[0], a[2]) for a in actions["ORD-0000105"]] == [
        (D("2026-08-08"), "LETTER"),
        (D("2026-08-22"), "LETTER"),
        (D("2026-09-05"), "FINAL_NOTICE"),
        (D("2026-10-05"), "COLLECTION_AGENCY"),
    ]
    # the return pending until 08-12 holds REMINDER_1, which then asks for what is left
    assert [(a[0], a[1]) for a in actions["ORD-0000107"]] == [
        (D("2026-08-12"), "REMINDER_1"),
        (D("2026-08-26"), "REMINDER_2"),
        (D("2026-09-09"), "FINAL_NOTICE"),
    ]
    assert [(a[0], a[1]) for a in actions["ORD-0000106"]] == [
        (D("2026-08-01"), "REMINDER_1"),
        (D("2026-08-15"), "REMINDER_2"),
        (D("2026-08-29"), "FINAL_NOTICE"),
        (D("2026-09-28"), "COLLECTION_AGENCY"),
        (D("2026-09-29"), "WRITE_OFF_CANDIDATE"),
    ]


def test_reissued_slips_carry_new_due_dates_reissue_numbers_and_barcodes(walked):
    sent = {
        request: (day, reissue, due, amount, barcode, form, file_name)
        for request, day, reissue, due, amount, barcode, form, file_name in query(
            walked,
            "SELECT request_id, partition_date, reissue_no, due_date, amount, barcode, "
            "form_type, file_name FROM exports.slip_requests",
        )
    }
    assert "ORD-0000105-NEW-0" not in sent, "bank transfers get letters, not slips"
    assert sent["ORD-0000107-REISSUE-1"][:4] == (D("2026-08-12"), 1, D("2026-08-26"), 5000)
    assert sorted(r for r in sent if r.startswith("ORD-0000101")) == [
        "ORD-0000101-NEW-0",
        "ORD-0000101-REISSUE-1",
        "ORD-0000101-REISSUE-2",
    ]
    for request, due, reissue in (
        ("ORD-0000101-NEW-0", "2026-08-01", 0),
        ("ORD-0000101-REISSUE-1", "2026-08-22", 1),
        ("ORD-0000101-REISSUE-2", "2026-09-01", 2),
    ):
        barcode = konbini.parse(sent[request][4])
        assert konbini.barcode_problem(sent[request][4]) is None
        assert (barcode.payment_ref, barcode.reissue_no, barcode.due_date, barcode.amount) == (
            lz.slip_ref(101),
            reissue,
            D(due),
            8000,
        )
        assert sent[request][1] == reissue and sent[request][2] == D(due)
    file = walked.export_dir / "slip_requests" / "slip_requests_20260822.csv"
    rows = list(csv.DictReader(io.StringIO(file.read_bytes().decode("cp932"))))
    red = next(r for r in rows if r["request_id"] == "ORD-0000101-REISSUE-2")
    assert red["form_type"] == "REMINDER_RED" and red["due_date"] == "20260901"
    assert red["barcode"] == sent["ORD-0000101-REISSUE-2"][4]
    assert red["message"] == "【再督促】至急お支払いください。"
    assert {r["request_id"] for r in rows} == {
        "ORD-0000101-REISSUE-2",
        "ORD-0000104-REISSUE-2",
    }


def test_the_agency_hand_over_blacklists_and_write_offs_are_listed(walked):
    holds = query(
        walked,
        "SELECT partition_date, customer_id, since FROM exports.ship_holds "
        "WHERE partition_date IN ('2026-09-28', '2026-10-06') ORDER BY ALL",
    )
    assert holds == [
        (D("2026-09-28"), "C000106", D("2026-09-28")),
        (D("2026-10-06"), "C000101", D("2026-10-05")),
        (D("2026-10-06"), "C000105", D("2026-10-05")),
        (D("2026-10-06"), "C000106", D("2026-09-28")),
    ]
    assert query(
        walked,
        "SELECT receivable_id, written_off_amount FROM marts.write_offs WHERE as_of = '2026-10-06'",
    ) == [("ORD-0000104", 8000)]
    statuses = dict(
        query(
            walked,
            "SELECT receivable_id, status FROM marts.receivables WHERE as_of = '2026-10-06'",
        )
    )
    assert statuses["ORD-0000102"] == "PAID" and statuses["ORD-0000104"] == "WRITTEN_OFF"
