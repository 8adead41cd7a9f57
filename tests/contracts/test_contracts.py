"""Data contracts: the packaged ones load, bad ones are refused with a clear message, and
row validation gives one readable reason per failing row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recon_pipeline.contracts import load_contracts
from recon_pipeline.contracts.checks import STRING
from recon_pipeline.contracts.model import ContractError, load_contract
from recon_pipeline.contracts.validate import REIWA, parse_dates, validate


def contract(layout: str):
    return {c.layout: c for c in load_contracts()}[layout]


def frame(layout: str, rows: list[list[str]]) -> pd.DataFrame:
    data = pd.DataFrame(rows, columns=contract(layout).canonical_columns, dtype=object)
    data["line_no"] = range(2, len(rows) + 2)
    return data


def test_every_packaged_contract_loads_with_its_family_and_target():
    contracts = {c.layout: (c.family, c.target) for c in load_contracts()}
    assert contracts["shipments"] == ("shipments", "receivable_events")
    assert contracts["card"] == ("card", "settlement_lines")
    assert contracts["konbini"] == ("konbini", "settlement_lines")


CARD_OK = [
    "txn_1",
    "2026-10-01T10:00:00+09:00",
    "charge",
    "ORD-1",
    "5000",
    "180",
    "4820",
    "jpy",
    "po_1",
    "2026-10-08",
]


def card_row(**changes: str) -> list[str]:
    columns = contract("card").canonical_columns
    row = dict(zip(columns, CARD_OK, strict=True)) | changes
    return [row[c] for c in columns]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"gross": "1,200"}, "gross: '1,200' is not an integer (digits only)"),
        ({"gross": "５０００"}, "gross: '５０００' is not an integer (digits only)"),
        ({"gross": "5000.0"}, "gross: '5000.0' is not an integer (digits only)"),
        # Arrow's integer cast reads hex and leading zeros; the contract does not
        ({"gross": "0x1F"}, "gross: '0x1F' is not an integer (digits only)"),
        ({"gross": "0" * 18 + "5000"}, f"gross: '{'0' * 18}5000' has more than 18 digits"),
        ({"gross": " 5000"}, "gross: ' 5000' is not an integer (digits only)"),
        ({"net": "1"}, "net must equal gross - fee"),
        ({"currency": "usd"}, "currency: 'usd' is not one of jpy"),
        ({"created": "2026-10-01T10:00:00"}, "is not an ISO 8601 timestamp with a UTC offset"),
        ({"payout_date": "2026-02-30"}, "payout_date: '2026-02-30' is not a date in the form"),
        ({"reporting_category": "payout"}, "is not one of charge, refund"),
        ({"fee": "-1", "net": "5001"}, "fee: '-1' is below the minimum 0"),
        ({"balance_transaction_id": ""}, "balance_transaction_id: required value is missing"),
        ({"order_id": ""}, "order_id: required when reporting_category is charge"),
        ({"reporting_category": "refund"}, "a refund or dispute has a negative gross"),
    ],
)
def test_card_row_problems_have_readable_reasons(changes, reason):
    result = validate(contract("card"), frame("card", [card_row(), card_row(**changes)]))
    assert list(result.rows["balance_transaction_id"]) == ["txn_1"]
    assert list(result.rejected["line_no"]) == [3]
    assert reason in result.rejected["reason"].iloc[0]


def test_bounds_and_row_checks_name_every_failing_cell_of_a_row():
    result = validate(contract("card"), frame("card", [card_row(fee="-1", gross="1,200")]))
    reason = result.rejected["reason"].iloc[0]
    assert "gross: '1,200' is not an integer (digits only)" in reason
    assert "fee: '-1' is below the minimum 0" in reason


def test_rows_kept_after_a_rejection_keep_their_own_values():
    rows = [
        card_row(balance_transaction_id=f"txn_{n}", gross=str(5000 + n), net=str(4820 + n))
        for n in range(5)
    ]
    rows[2] = card_row(balance_transaction_id="txn_2", fee="-1", net="5001")
    result = validate(contract("card"), frame("card", rows))
    assert list(result.rejected["line_no"]) == [4]
    kept = result.rows.set_index("balance_transaction_id")
    assert kept["gross"].to_dict() == {"txn_0": 5000, "txn_1": 5001, "txn_3": 5003, "txn_4": 5004}
    assert kept["line_no"].to_dict() == {"txn_0": 2, "txn_1": 3, "txn_3": 5, "txn_4": 6}


@pytest.mark.parametrize(
    ("fmt", "texts"),
    [
        ("%Y-%m-%d", ["2026-10-08", None, "2026-02-30", "2026-10-08", "2026/10/08", "2026-10-09"]),
        (REIWA, ["081008", "081008", None, "08100", "081301", "071231"]),
    ],
)
def test_distinct_dates_parsed_once_read_as_each_value_alone(fmt, texts):
    values = pd.Series(texts, dtype=STRING)
    one_by_one = [parse_dates(pd.Series([text], dtype=STRING), fmt).iloc[0] for text in texts]
    together = parse_dates(values, fmt)
    assert [None if pd.isna(d) else d for d in together] == [
        None if pd.isna(d) else d for d in one_by_one
    ]
    assert together.notna().sum() == 3


def test_valid_rows_are_typed_without_coercion():
    rows = validate(contract("card"), frame("card", [card_row()])).rows
    assert rows["gross"].tolist() == [5000] and str(rows["gross"].dtype) == "Int64"
    assert str(rows["created"].iloc[0]) == "2026-10-01 10:00:00"


def test_second_row_with_the_same_unique_key_is_rejected_first_kept():
    result = validate(contract("card"), frame("card", [card_row(), card_row(), card_row()]))
    assert len(result.rows) == 1
    assert list(result.rejected["line_no"]) == [3, 4]
    assert result.rejected["reason"].str.startswith("duplicate of line 2").all()


def test_konbini_barcode_reasons_are_specific():
    good = [
        "01",
        "20261005",
        "932",
        "EAN91929023123451000000000000102026101500038004",
        "100000",
        "00000001020",
        "0",
        "3800",
        "010",
        "セブン",
        "1",
        "0",
        "20261005",
    ]
    wrong_amount = [*good[:7], "3900", *good[8:]]
    wrong_field = [*good[:4], "100001", *good[5:]]
    bad_kind = ["04", *good[1:]]
    result = validate(
        contract("konbini"), frame("konbini", [good, wrong_amount, wrong_field, bad_kind])
    )
    assert list(result.rows["barcode"]) == ["91929023123451000000000000102026101500038004"]
    reasons = dict(zip(result.rejected["line_no"], result.rejected["reason"], strict=True))
    assert reasons[3] == "barcode amount 3800 differs from 金額 3900"
    assert "ユーザー使用欄１ 100001 differs" in reasons[4]
    assert "種別: '04' is not one of 01, 02, 03" in reasons[5]


def test_a_contract_with_an_unknown_type_is_refused(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "layout: x\nsource: x\ntarget: settlement_lines\ncolumns:\n  - {name: a, type: money}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContractError, match=r"bad\.yaml: column 'a': type 'money'"):
        load_contract(path)


def test_a_contract_with_an_unknown_row_check_is_refused(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "layout: x\nsource: x\ntarget: settlement_lines\ncolumns:\n  - {name: a}\n"
        "row_checks:\n  - {check: magic, reason: r}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContractError, match="row check 'magic'"):
        load_contract(path)


def test_a_row_check_in_the_pandas_spelling_of_earlier_contracts_reads_as_sql():
    from recon_pipeline.contracts.sql import expression_sql

    assert expression_sql("net == gross - fee") == "net = gross - fee"
    assert (
        expression_sql("not (reporting_category in ['refund', 'dispute']) or gross < 0")
        == "not (reporting_category in ('refund', 'dispute')) or gross < 0"
    )
    assert expression_sql("net = gross - fee") == "net = gross - fee"
