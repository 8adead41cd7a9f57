"""Small, readable landing-zone builders for tests: one call writes one inbound file, in the
bytes of the package's own layout writers (``recon_pipeline.layouts.writers``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from recon_pipeline import konbini
from recon_pipeline.layouts import writers

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
    return writers.delimited(header, rows, line_end=line_end).decode("utf-8")


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


COD_HEADER = ["伝票番号", "お届け日", "代引金額", "決済手数料", "入金額", "入金予定日"]
BNPL_HEADER = [
    "加盟店取引ID",
    "決済事業者取引ID",
    "取引区分",
    "請求金額",
    "決済手数料",
    "入金額",
    "入金予定日",
]
DISPOSITION_HEADER = [
    "disposition_id",
    "action",
    "receivable_id",
    "settlement_line_id",
    "amount",
    "note",
    "decided_by",
    "decided_at",
]
AMAZON_HEADER = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "promotion-id",
]


def cp932_csv(
    root: Path, source: str, day: str, name: str, header: list[str], rows: list[list[object]]
) -> Path:
    return write(root, source, day, name, csv_text(header, rows, "\r\n").encode("cp932"))


def amazon_item(
    order_id: str,
    kind: str,
    amount_type: str,
    description: str,
    amount: int,
    posted: str = "2026-09-30",
    settlement: str = "1234567890",
) -> list[object]:
    row = dict.fromkeys(AMAZON_HEADER, "")
    row |= {
        "settlement-id": settlement,
        "transaction-type": kind,
        "order-id": order_id,
        "marketplace-name": "Amazon.co.jp",
        "amount-type": amount_type,
        "amount-description": description,
        "amount": amount,
        "posted-date": posted,
        "posted-date-time": f"{posted} 12:00:00 UTC",
    }
    return [row[c] for c in AMAZON_HEADER]


def amazon(
    root: Path,
    day: str,
    items: list[list[object]],
    name: str,
    total: int | None = None,
    settlement: str = "1234567890",
) -> Path:
    summary = dict.fromkeys(AMAZON_HEADER, "")
    amounts = sum(
        int(i[AMAZON_HEADER.index("amount")])
        for i in items
        if str(i[AMAZON_HEADER.index("amount")]).lstrip("-").isdigit()
    )
    summary |= {
        "settlement-id": settlement,
        "settlement-start-date": "2026-09-17 07:00:00 UTC",
        "settlement-end-date": "2026-10-01 07:00:00 UTC",
        "deposit-date": "2026-10-03 07:00:00 UTC",
        "total-amount": amounts if total is None else total,
        "currency": "JPY",
    }
    lines = ["\t".join(AMAZON_HEADER), "\t".join(str(summary[c]) for c in AMAZON_HEADER)]
    lines += ["\t".join(str(v) for v in item) for item in items]
    return write(root, "amazon", day, name, ("\n".join(lines) + "\n").encode("utf-8"))


def zengin_header(bank: str = "0005", branch: str = "001", account: str = "1234567") -> bytes:
    return writers.zengin_header("081005", bank=bank, branch=branch, account=account)


def zengin_data(
    reference: int, amount: int, payer: str, *, cancel: str = "0", date: str = "081005"
) -> bytes:
    return writers.zengin_data(reference, amount, payer, on=date, cancel=cancel)


zengin_trailer = writers.zengin_trailer
zengin_file = writers.zengin_file
ZENGIN_END = writers.ZENGIN_END


EMPTY_REPORTS = {
    "card": lambda root, day: card(root, day, [], name=f"card_{day}_nothing_paid.csv"),
    "konbini": lambda root, day: konbini_file(root, day, [], name=f"cvs_{day}_nothing_paid.csv"),
    "cod": lambda root, day: cp932_csv(root, "cod", day, f"cod_{day}.csv", COD_HEADER, []),
    "bnpl": lambda root, day: cp932_csv(root, "bnpl", day, f"bnpl_{day}.csv", BNPL_HEADER, []),
    "bank": lambda root, day: write(
        root,
        "bank",
        day,
        f"furikomi_{day}_nothing_paid.txt",
        zengin_file([zengin_header(), zengin_trailer(0, 0), ZENGIN_END]),
    ),
}


def deliver_daily(root: Path, first: str, last: str, sources: tuple[str, ...]) -> None:
    """Providers deliver every day (the freshness gate expects them): an empty report on each
    day of ``first``…``last`` where a source's folder has no file."""
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        for source in sources:
            folder = root / source / day.isoformat()
            if not folder.is_dir() or not any(folder.iterdir()):
                EMPTY_REPORTS[source](root, day.isoformat())
        day += dt.timedelta(days=1)
