"""Small, readable landing-zone builders for tests: one call writes one inbound file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from recon_pipeline import konbini

SHIPMENT_HEADER = [
    "event_id",
    "event_type",
    "order_id",
    "event_date",
    "customer_id",
    "customer_name",
    "customer_kana",
    "postal_code",
    "address",
    "phone",
    "channel",
    "payment_method",
    "payment_ref",
    "tracking_no",
    "item_amount",
    "shipping_fee",
    "cod_fee",
    "coupon_discount",
    "points_used",
    "due_date",
]
CARD_HEADER = [
    "balance_transaction_id",
    "created",
    "reporting_category",
    "order_id",
    "gross",
    "fee",
    "net",
    "currency",
    "payout_id",
    "payout_date",
]
KONBINI_HEADER = [
    "種別",
    "収納日",
    "収納時刻",
    "バーコード情報",
    "ユーザー使用欄１",
    "ユーザー使用欄２",
    "印紙フラグ",
    "金額",
    "コンビニ本部コード",
    "コンビニ名",
    "コンビニ店舗コード",
    "振込日",
    "データ作成日",
]
COMPANY, SHOP = "929023", "12345"


def write(root: Path, source: str, day: str, name: str, data: bytes) -> Path:
    path = root / source / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def csv_text(header: list[str], rows: list[list[object]], line_end: str = "\n") -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    return buffer.getvalue()


def ship(
    event_id: str,
    order_id: str,
    day: str,
    method: str,
    amount: int,
    *,
    event_type: str = "SHIP",
    customer: str = "C000001",
    payment_ref: str = "",
    due: str = "",
    coupon: int = 0,
    points: int = 0,
    name: str = "山田 太郎",
    tracking: str = "400000000001",
) -> list[object]:
    """One shipments row; ``amount`` is the item amount (no shipping, no COD fee)."""
    return [
        event_id,
        event_type,
        order_id,
        day,
        customer,
        name,
        "ヤマダ タロウ",
        "150-0001",
        "東京都渋谷区神宮前1-2-3",
        "03-1234-5678",
        "OWN_SITE",
        method,
        payment_ref,
        tracking,
        amount,
        0,
        0,
        coupon,
        points,
        due,
    ]


def shipments(root: Path, day: str, rows: list[list[object]], name: str | None = None) -> Path:
    data = "\ufeff" + csv_text(SHIPMENT_HEADER, rows)
    return write(root, "shipments", day, name or f"shipments_{day}.csv", data.encode("utf-8"))


def charge(
    txn: str,
    order_id: str,
    gross: int,
    *,
    category: str = "charge",
    created: str = "2026-10-01T10:00:00+09:00",
    fee: int | None = None,
    net: int | None = None,
) -> list[object]:
    fee = (abs(gross) * 36 // 1000 if category == "charge" else 0) if fee is None else fee
    return [
        txn,
        created,
        category,
        order_id,
        gross,
        fee,
        gross - fee if net is None else net,
        "jpy",
        "po_1",
        "2026-10-08",
    ]


def card(root: Path, day: str, rows: list[list[object]], name: str | None = None) -> Path:
    return write(
        root, "card", day, name or f"card_{day}.csv", csv_text(CARD_HEADER, rows).encode("utf-8")
    )


def slip_ref(order_number: int) -> str:
    return f"1{order_number:015d}"


def collection(
    kind: str,
    payment_ref: str,
    amount: int,
    collected: str,
    *,
    reissue_no: int = 0,
    due: dt.date = dt.date(2026, 10, 15),
    time: str = "1932",
    barcode: str | None = None,
) -> list[object]:
    """One konbini record (01 速報, 02 確報, 03 速報取消) paid with the slip of ``payment_ref``."""
    code = barcode or konbini.build(
        company_code=COMPANY,
        shop_code=SHOP,
        payment_ref=payment_ref,
        reissue_no=reissue_no,
        due_date=due,
        amount=amount,
    )
    parsed = konbini.parse(code)
    transfer = "0" if kind == "01" else "20261020"
    return [
        kind,
        collected,
        time,
        code,
        parsed.user_field_1,
        parsed.user_field_2,
        parsed.stamp_flag,
        amount,
        "010",
        "セブン－イレブン",
        "123456",
        transfer,
        collected,
    ]


def konbini_file(root: Path, day: str, rows: list[list[object]], name: str | None = None) -> Path:
    data = csv_text(KONBINI_HEADER, rows, line_end="\r\n").encode("cp932")
    return write(root, "konbini", day, name or f"cvs_{day}.csv", data)
