"""Exactly once, whatever is re-run: a provider re-delivers a day's shipments file after the
month ran — with a row first delivered on a later day (moved), or with a corrected amount —
and the day is run again. No request id is ever sent twice; a sent slip whose amount the
correction changed is listed and re-sent as a correction, once."""

from __future__ import annotations

import codecs
from pathlib import Path

from tests.faults.conftest import FIRST, LAST, Home, copy_home


def shipments(home: Home, day: str) -> Path:
    return next((home.landing / "shipments" / day).glob("*.csv"))


def lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").splitlines()


def write_lines(path: Path, rows: list[str]) -> None:
    path.write_bytes(codecs.BOM_UTF8 + ("\n".join(rows) + "\n").encode("utf-8"))


def repeated_request_ids(home: Home) -> list[tuple]:
    return home.query(
        "SELECT request_id, count(*) FROM exports.slip_requests GROUP BY 1 HAVING count(*) > 1"
    )


def test_a_row_moved_into_an_earlier_days_redelivery_is_not_sent_again(clean_run, tmp_path):
    home = copy_home(clean_run, tmp_path / "moved")  # the small month run once
    later = lines(shipments(home, "2026-10-03"))
    header = later[0].split(",")
    moved = next(
        row
        for row in later[1:]
        if row.split(",")[header.index("payment_method")] == "KONBINI"
        and row.split(",")[header.index("event_type")] == "SHIP"
    )
    order = moved.split(",")[header.index("order_id")]
    assert home.query(
        "SELECT partition_date::VARCHAR FROM exports.slip_requests WHERE request_id = $r",
        {"r": f"{order}-NEW-0"},
    ) == [("2026-10-03",)]
    earlier = shipments(home, "2026-10-02")
    write_lines(earlier, [*lines(earlier), moved])
    sent_before = home.export_files()

    again = home.recon("run", "--from", "2026-10-02")

    assert again.returncode == 0, again.stderr
    assert repeated_request_ids(home) == []
    assert home.query(
        "SELECT count(*) FROM exports.slip_requests WHERE request_id = $r",
        {"r": f"{order}-NEW-0"},
    ) == [(1,)]
    assert home.export_files() == sent_before


def test_a_corrected_amount_is_listed_and_resent_once_as_a_correction(clean_run, tmp_path):
    home = copy_home(clean_run, tmp_path / "corrected")  # the small month run once
    path = shipments(home, FIRST)
    rows = lines(path)
    header = rows[0].split(",")
    open_unpaid = {
        receivable
        for (receivable,) in home.query(
            "SELECT receivable_id FROM marts.receivables WHERE as_of = $d "
            "AND payment_method = 'KONBINI' AND paid_amount = 0 AND outstanding_amount > 0",
            {"d": LAST},
        )
    }
    at = next(
        n
        for n, row in enumerate(rows[1:], start=1)
        if row.split(",")[header.index("order_id")] in open_unpaid
        and row.split(",")[header.index("event_type")] == "SHIP"
    )
    fields = rows[at].split(",")
    order = fields[header.index("order_id")]
    fields[header.index("item_amount")] = str(int(fields[header.index("item_amount")]) + 1000)
    rows[at] = ",".join(fields)
    write_lines(path, rows)
    [(sent_amount,)] = home.query(
        "SELECT amount FROM exports.slip_requests WHERE request_id = $r", {"r": f"{order}-NEW-0"}
    )

    again = home.recon("run", "--from", FIRST, "--to", LAST)

    assert again.returncode == 0, again.stderr
    assert f"sent slip out of date: {order}" in again.stdout
    assert f"re-sent as {order}-CORRECTION-1" in again.stdout
    assert home.query(
        "SELECT partition_date::VARCHAR, sent_request_id, sent_amount, current_amount, "
        "correction_request_id FROM exports.slip_corrections"
    ) == [(FIRST, f"{order}-NEW-0", sent_amount, sent_amount + 1000, f"{order}-CORRECTION-1")]
    assert home.query(
        "SELECT request_id, amount FROM exports.slip_requests WHERE receivable_id = $o "
        "AND request_id LIKE '%CORRECTION%'",
        {"o": order},
    ) == [(f"{order}-CORRECTION-1", sent_amount + 1000)]
    assert repeated_request_ids(home) == []
    slip_file = home.exports / "slip_requests" / "slip_requests_20261001.csv"
    assert f"{order}-CORRECTION-1".encode() in slip_file.read_bytes()

    tables, files = home.tables(), home.export_files()
    once_more = home.recon("run", "--from", FIRST)
    assert once_more.returncode == 0, once_more.stderr
    assert home.tables() == tables
    assert home.export_files() == files
