"""The slip-request file built from a frame of requests, without a run: what a collection
agent receives byte for byte (CP932, CRLF, every cell quoted, formulas neutralized,
characters CP932 lacks replaced), and which requests are held back."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from recon_pipeline import konbini
from recon_pipeline.assets.exports import SLIP_COLUMNS, slip_file_cells, with_barcodes
from recon_pipeline.resources.exports import ExportTarget, quoted_csv_bytes

TARGET = ExportTarget(export_dir="unused", company_code="929023", shop_code="12345")


def _requests(*rows: dict) -> pd.DataFrame:
    base = {
        "issue_type": "NEW",
        "form_type": "STANDARD",
        "postal_code": "1500001",
        "address": "東京都渋谷区神宮前1-1",
        "due_date": pd.Timestamp("2026-10-26"),
        "reissue_no": 0,
        "message": None,
    }
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    return frame


def test_the_slip_file_is_quoted_cp932_with_formulas_neutralized_and_gaps_marked():
    requests, unissuable = with_barcodes(
        _requests(
            {
                "request_id": "ORD-2-NEW-0",
                "slip_number": "1000000000000002",
                "name": "=SUM(A1)",
                "amount": 50_000,
                "message": '-say "hi"',
            },
            {
                "request_id": "ORD-1-NEW-0",
                "slip_number": "1000000000000001",
                "name": "髙橋 𠮷子",
                "amount": 3_000,
            },
        ),
        TARGET,
    )
    cells, replaced = slip_file_cells(requests)
    data = quoted_csv_bytes(cells, "cp932", "\r\n")

    assert unissuable == []
    assert replaced == ["ORD-1-NEW-0"]
    lines = data.decode("cp932").split("\r\n")
    assert lines[0] == ",".join(f'"{column}"' for column in SLIP_COLUMNS)
    first = konbini.build(
        company_code="929023",
        shop_code="12345",
        payment_ref="1000000000000001",
        reissue_no=0,
        due_date=dt.date(2026, 10, 26),
        amount=3_000,
    )
    assert lines[1] == (
        '"ORD-1-NEW-0","NEW","STANDARD","1000000000000001","髙橋 〓子","1500001",'
        f'"東京都渋谷区神宮前1-1","3000","20261026","0","{first}",""'
    )
    second = lines[2].split('","')
    assert second[4] == "'=SUM(A1)"
    assert second[11] == '\'-say ""hi"""'
    assert konbini.parse(second[10]).stamp_flag == "1"
    assert lines[3:] == [""]


def test_a_request_no_barcode_can_carry_is_held_back_with_its_reason():
    requests, unissuable = with_barcodes(
        _requests(
            {"request_id": "ORD-1-NEW-0", "slip_number": "1" * 16, "name": "a", "amount": 1_000},
            {"request_id": "ORD-2-NEW-0", "slip_number": "2" * 16, "name": "b", "amount": 10**6},
            {
                "request_id": "ORD-3-NEW-0",
                "slip_number": "3" * 16,
                "name": "c",
                "amount": 1_000,
                "due_date": None,
            },
        ),
        TARGET,
    )

    assert requests["request_id"].tolist() == ["ORD-1-NEW-0"]
    assert konbini.barcode_problem(requests["barcode"].iloc[0]) is None
    assert unissuable == [
        "ORD-2-NEW-0: amount 1000000 does not fit the barcode (max 999999)",
        "ORD-3-NEW-0: no due date for the slip",
    ]
