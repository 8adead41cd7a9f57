"""Synthetic landing zones at scale (vectorized), for shipments, card and konbini.

Orders are spread evenly over the days; CARD orders are charged in full the same day,
KONBINI orders are paid by 速報 the next day and 確報 a week later (when inside the range),
and a fixed share stays unpaid, so the marts have open items and dunning has work.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from recon_pipeline.contracts import load_contracts

COMPANY, SHOP = "929023", "12345"
HEADERS = {c.layout: c.header for c in load_contracts()}
WEIGHTS = np.array([3 if i % 2 == 0 else 1 for i in range(43)][::-1], dtype=np.int64)


def _check_digits(bodies: pd.Series) -> pd.Series:
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 43) - 48
    total = (digits.astype(np.int64) * WEIGHTS).sum(axis=1)
    return pd.Series(((10 - total % 10) % 10).astype(str), index=bodies.index)


def _write_csv(frame: pd.DataFrame, path: Path, encoding: str, line_end: str, bom: bool) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(index=False, lineterminator=line_end)
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return len(frame)


def generate(
    root: Path, orders: int, days: int, start: dt.date = dt.date(2026, 10, 1), seed: int = 7
) -> dict[str, int]:
    """Write the landing tree; returns row counts per source."""
    rng = np.random.default_rng(seed)
    numbers = np.arange(1, orders + 1)
    day_index = (numbers - 1) * days // orders
    ship_dates = pd.to_datetime(start) + pd.to_timedelta(day_index, unit="D")
    konbini = rng.random(orders) < 0.35
    amount = rng.integers(10, 300, orders) * 100
    order_id = pd.Series(numbers).map("ORD-{:07d}".format)
    payment_ref = pd.Series(numbers).map("1{:015d}".format)
    due = ship_dates + pd.Timedelta(days=14)
    shipments = pd.DataFrame(
        {
            "event_id": pd.Series(numbers).map("EV-{:09d}".format),
            "event_type": "SHIP",
            "order_id": order_id,
            "event_date": ship_dates.strftime("%Y-%m-%d"),
            "customer_id": pd.Series(numbers % 200_000 + 1).map("C{:06d}".format),
            "customer_name": "山田 太郎",
            "customer_kana": "ヤマダ タロウ",
            "postal_code": "150-0001",
            "address": "東京都渋谷区神宮前1-2-3",
            "phone": "03-1234-5678",
            "channel": "OWN_SITE",
            "payment_method": np.where(konbini, "KONBINI", "CARD"),
            "payment_ref": np.where(konbini, payment_ref, ""),
            "tracking_no": pd.Series(numbers).map("4{:011d}".format),
            "item_amount": amount,
            "shipping_fee": 0,
            "cod_fee": 0,
            "coupon_discount": 0,
            "points_used": 0,
            "due_date": np.where(konbini, due.strftime("%Y-%m-%d"), ""),
        }
    )[HEADERS["shipments"]]
    counts = {"shipments": 0, "card": 0, "konbini": 0}
    paid = rng.random(orders) < 0.9
    card = shipments[~konbini & paid]
    card_frame = pd.DataFrame(
        {
            "balance_transaction_id": "txn_" + card["order_id"].str[4:],
            "created": card["event_date"] + "T12:00:00+09:00",
            "reporting_category": "charge",
            "order_id": card["order_id"],
            "gross": card["item_amount"],
            "fee": card["item_amount"] * 36 // 1000,
            "net": card["item_amount"] - card["item_amount"] * 36 // 1000,
            "currency": "jpy",
            "payout_id": "po_1",
            "payout_date": card["event_date"],
        }
    )[HEADERS["card"]]
    kon = shipments[konbini & paid]
    due_yymmdd = pd.to_datetime(kon["due_date"]).dt.strftime("%y%m%d")
    bodies = (
        "91"
        + COMPANY
        + SHOP
        + kon["payment_ref"]
        + "0"
        + due_yymmdd
        + "0"
        + kon["item_amount"].map("{:06d}".format)
    )
    barcodes = bodies + _check_digits(bodies)
    collected = pd.to_datetime(kon["event_date"]) + pd.Timedelta(days=1)
    konbini_rows = pd.DataFrame(
        {
            "種別": "01",
            "収納日": collected.dt.strftime("%Y%m%d"),
            "収納時刻": "1200",
            "バーコード情報": barcodes,
            "ユーザー使用欄１": kon["payment_ref"].str[:6],
            "ユーザー使用欄２": kon["payment_ref"].str[6:] + "0",
            "印紙フラグ": "0",
            "金額": kon["item_amount"],
            "コンビニ本部コード": "010",
            "コンビニ名": "セブン－イレブン",
            "コンビニ店舗コード": "123456",
            "振込日": "0",
            "データ作成日": collected.dt.strftime("%Y%m%d"),
        }
    )[HEADERS["konbini"]]
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        stamp = day.isoformat()
        counts["shipments"] += _write_csv(
            shipments[shipments["event_date"] == stamp],
            root / "shipments" / stamp / "shipments.csv",
            "utf-8",
            "\n",
            bom=True,
        )
        counts["card"] += _write_csv(
            card_frame[card_frame["created"].str[:10] == stamp],
            root / "card" / stamp / "card.csv",
            "utf-8",
            "\n",
            bom=False,
        )
        arrival = (collected + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d")
        prelim = konbini_rows[arrival == stamp]
        confirm_arrival = (collected + pd.Timedelta(days=8)).dt.strftime("%Y-%m-%d")
        confirmed = konbini_rows[confirm_arrival == stamp].assign(種別="02", 振込日="20261031")
        for name, frame in (("sokuho.csv", prelim), ("kakuho.csv", confirmed)):
            if len(frame):
                counts["konbini"] += _write_csv(
                    frame, root / "konbini" / stamp / name, "cp932", "\r\n", bom=False
                )
    return counts
