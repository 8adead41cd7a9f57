"""The demo month generator: determinism, landing layout, encodings, barcodes, scenarios.

The demo is what `recon demo`, the README and later end-to-end tests rely on, so these tests
check that its files follow layouts.md and that every planted exception is really there.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pytest

from recon_pipeline import konbini
from recon_pipeline.demo import DemoSummary, generate_month

SCENARIO_KEYS = (
    "card_exact",
    "konbini_exact",
    "short_payment",
    "over_payment",
    "double_payment",
    "coupon_mismatch",
    "refund_due",
    "card_refund",
    "cancelled",
    "card_dispute",
    "card_fee_line",
    "unknown_card_payment",
    "konbini_prelim_then_confirmed",
    "konbini_prelim_only",
    "konbini_prelim_cancelled",
    "konbini_reissued_slip_paid",
    "konbini_unpaid_dunned",
    "bad_card_row",
    "bad_konbini_row",
    "bad_shipment_row",
    "undecodable_file",
    "wrong_header_file",
    "duplicate_delivery",
    "late_file",
)
SHIPMENTS_HEADER = (
    "event_id,event_type,order_id,event_date,customer_id,customer_name,customer_kana,"
    "postal_code,address,phone,channel,payment_method,payment_ref,tracking_no,item_amount,"
    "shipping_fee,cod_fee,coupon_discount,points_used,due_date"
)
CARD_HEADER = (
    "balance_transaction_id,created,reporting_category,order_id,gross,fee,net,currency,"
    "payout_id,payout_date"
)
KONBINI_HEADER = (
    "種別,収納日,収納時刻,バーコード情報,ユーザー使用欄１,ユーザー使用欄２,印紙フラグ,金額,"
    "コンビニ本部コード,コンビニ名,コンビニ店舗コード,振込日,データ作成日"
)
LANDING_PATH = re.compile(r"^(shipments|card|konbini)/(\d{4}-\d{2}-\d{2})/[A-Za-z0-9_.-]+$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    root = tmp_path_factory.mktemp("landing")
    return root, generate_month(root)


def tree_digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def files_of(root: Path, source: str) -> list[Path]:
    return sorted((root / source).rglob("*.csv"))


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def card_rows(root: Path, summary: DemoSummary) -> list[dict[str, str]]:
    wrong_header = set(summary.scenarios["wrong_header_file"])
    rows = []
    for path in files_of(root, "card"):
        if relative(root, path) not in wrong_header:
            rows += list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    return rows


def konbini_rows(root: Path, summary: DemoSummary) -> list[dict[str, str]]:
    undecodable = set(summary.scenarios["undecodable_file"])
    rows = []
    for path in files_of(root, "konbini"):
        if relative(root, path) not in undecodable:
            text = path.read_bytes().decode("cp932")
            rows += list(csv.DictReader(io.StringIO(text, newline="")))
    return rows


def test_same_seed_writes_byte_identical_trees(tmp_path: Path):
    first = generate_month(tmp_path / "a")
    second = generate_month(tmp_path / "b")
    assert first == second
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert len(tree_digest(tmp_path / "a")) == first.files


def test_another_seed_writes_other_data(tmp_path: Path):
    generate_month(tmp_path / "a", days=3, orders_per_day=10)
    generate_month(tmp_path / "b", days=3, orders_per_day=10, seed=7)
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "b")


def test_every_file_lands_in_a_source_and_date_folder_of_the_month(demo):
    root, summary = demo
    assert (summary.start, summary.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    paths = [relative(root, path) for path in root.rglob("*") if path.is_file()]
    assert len(paths) == summary.files
    for path in paths:
        match = LANDING_PATH.match(path)
        assert match, path
        assert summary.start <= dt.date.fromisoformat(match.group(2)) <= summary.end


def test_every_day_has_a_file_of_each_source(demo):
    root, summary = demo
    for offset in range((summary.end - summary.start).days + 1):
        day = (summary.start + dt.timedelta(offset)).isoformat()
        for source in ("shipments", "card", "konbini"):
            assert list((root / source / day).glob("*.csv")), f"{source}/{day}"


def test_shipments_are_utf8_with_bom_and_lf(demo):
    root, _ = demo
    for path in files_of(root, "shipments"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf" + SHIPMENTS_HEADER.encode() + b"\n"), path
        assert b"\r" not in data


def test_card_files_are_utf8_without_bom(demo):
    root, summary = demo
    wrong_header = set(summary.scenarios["wrong_header_file"])
    for path in files_of(root, "card"):
        first_line = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
        assert (first_line == CARD_HEADER) != (relative(root, path) in wrong_header), path


def test_konbini_files_decode_as_cp932_except_the_undecodable_ones(demo):
    root, summary = demo
    undecodable = set(summary.scenarios["undecodable_file"])
    for path in files_of(root, "konbini"):
        data = path.read_bytes()
        assert data.startswith(KONBINI_HEADER.encode("cp932") + b"\r\n"), path
        assert data.count(b"\n") == data.count(b"\r\n"), path
        if relative(root, path) in undecodable:
            with pytest.raises(UnicodeDecodeError):
                data.decode("cp932")
        else:
            data.decode("cp932")


def test_good_konbini_barcodes_are_valid_and_agree_with_their_row(demo):
    root, summary = demo
    bad = set(summary.scenarios["bad_konbini_row"])
    rows = konbini_rows(root, summary)
    assert {row["種別"] for row in rows} == {"01", "02", "03"}
    for row in rows:
        raw = row["バーコード情報"]
        problem = konbini.barcode_problem(raw)
        if raw in bad:
            assert problem is not None and "check digit" in problem
            continue
        assert problem is None, (raw, problem)
        fields = konbini.parse(raw)
        assert fields.amount == int(row["金額"])
        assert (fields.user_field_1, fields.user_field_2) == (
            row["ユーザー使用欄１"],
            row["ユーザー使用欄２"],
        )
        assert fields.stamp_flag == row["印紙フラグ"]
        assert re.fullmatch(r"[0-9]{3,4}", row["収納時刻"])
        assert (row["振込日"] == "0") == (row["種別"] != "02")
    assert all(any(row["バーコード情報"] == raw for row in rows) for raw in bad)


def test_every_scenario_is_planted_at_least_twice(demo):
    _, summary = demo
    assert tuple(summary.scenarios) == SCENARIO_KEYS
    for key in SCENARIO_KEYS:
        assert len(set(summary.scenarios[key])) >= 2, key


def test_card_net_is_gross_minus_fee_except_the_bad_rows(demo):
    root, summary = demo
    bad = set(summary.scenarios["bad_card_row"])
    rows = card_rows(root, summary)
    seen_bad = set()
    for row in rows:
        balanced = int(row["net"]) == int(row["gross"]) - int(row["fee"])
        if row["balance_transaction_id"] in bad:
            seen_bad.add(row["balance_transaction_id"])
            assert not balanced
        else:
            assert balanced, row
        assert row["currency"] == "jpy"
    assert seen_bad == bad


def test_card_scenarios_show_in_the_card_rows(demo):
    root, summary = demo
    rows = card_rows(root, summary)
    categories_by_order: dict[str, list[str]] = {}
    for row in rows:
        categories_by_order.setdefault(row["order_id"], []).append(row["reporting_category"])
    for order_id in summary.scenarios["card_dispute"]:
        assert "dispute" in categories_by_order[order_id]
    for order_id in summary.scenarios["card_refund"] + summary.scenarios["cancelled"]:
        assert "refund" in categories_by_order[order_id]
    fee_lines = [row for row in rows if row["reporting_category"] == "fee"]
    assert {row["balance_transaction_id"] for row in fee_lines} == set(
        summary.scenarios["card_fee_line"]
    )
    assert all(row["order_id"] == "" and row["gross"] == "0" for row in fee_lines)


def test_shipments_know_every_order_but_the_unknown_card_payments(demo):
    root, summary = demo
    order_ids = set()
    for path in files_of(root, "shipments"):
        order_ids |= {row["order_id"] for row in csv.DictReader(path.open(encoding="utf-8-sig"))}
    assert not order_ids & set(summary.scenarios["unknown_card_payment"])
    paid_by_card = {row["order_id"] for row in card_rows(root, summary) if row["order_id"]}
    assert paid_by_card - order_ids == set(summary.scenarios["unknown_card_payment"])


def test_dunned_konbini_orders_are_never_paid(demo):
    root, summary = demo
    refs = {row["バーコード情報"][-31:-15] for row in konbini_rows(root, summary)}
    for order_id in summary.scenarios["konbini_unpaid_dunned"]:
        assert f"1{int(order_id.removeprefix('ORD-')):015d}" not in refs


def test_duplicate_and_late_files_are_what_they_claim(demo):
    root, summary = demo
    digests = tree_digest(root)
    for copy in summary.scenarios["duplicate_delivery"]:
        originals = [p for p, d in digests.items() if d == digests[copy] and p != copy]
        assert originals and all(original < copy for original in originals)
    for late in summary.scenarios["late_file"]:
        arrived = dt.date.fromisoformat(late.split("/")[1])
        rows = list(csv.DictReader((root / late).open(encoding="utf-8")))
        assert rows
        assert all(dt.datetime.fromisoformat(r["created"]).date() < arrived for r in rows)
