"""The key matching in plain pandas: read shipments and every settlement file with
``pandas.read_csv``, compute expected per order, sum the gross per key, merge, classify.

Keys: CARD/BNPL/MALL order id, COD tracking number, KONBINI slip number (inside the barcode;
確報 > 取消 > 速報 per payment), BANK_TRANSFER the customer number typed before the payer
name (receivables summed per customer; a Zengin 取消 voids its notice). A key with lines but
no receivable, and a transfer without customer number, is an UNKNOWN_PAYMENT.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.peers import (
    ZENGIN_AMOUNT,
    ZENGIN_CANCEL,
    ZENGIN_PAYER,
    ZENGIN_REFERENCE,
    files,
    main,
)

AMOUNTS = ["item_amount", "shipping_fee", "cod_fee", "coupon_discount", "points_used"]
RANK = {"01": 1, "03": 2, "02": 3}


def _read(paths: list[Path], **options) -> pd.DataFrame:
    frames = [pd.read_csv(p, keep_default_na=False, **options) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def receivables(landing: Path, days: list[str]) -> pd.DataFrame:
    """Expected per key (one receivable per order; bank transfers per customer)."""
    ships = _read(
        files(landing, days, "shipments"),
        encoding="utf-8-sig",
        dtype={"payment_ref": str, "tracking_no": str, "order_id": str},
    )
    amount = (
        ships["item_amount"]
        + ships["shipping_fee"]
        + ships["cod_fee"]
        - ships["coupon_discount"]
        - ships["points_used"]
    )
    ships["delta"] = np.where(ships["event_type"] == "SHIP", amount, -amount)
    expected = ships.groupby("order_id")["delta"].sum()
    orders = ships[ships["event_type"] == "SHIP"].drop_duplicates("order_id").copy()
    orders["expected"] = orders["order_id"].map(expected)
    method = orders["payment_method"]
    orders["key"] = np.select(
        [method == "COD", method.isin(["KONBINI", "BANK_TRANSFER"])],
        [orders["tracking_no"], orders["payment_ref"]],
        orders["order_id"],
    )
    grouped = orders.groupby(["payment_method", "key"], as_index=False)["expected"].sum()
    return grouped


def settlement_lines(landing: Path, days: list[str]) -> pd.DataFrame:
    """Every payment as (payment_method, key, gross)."""
    parts = []
    card = _read(files(landing, days, "card"), dtype={"order_id": str})
    card = card[card["reporting_category"] != "fee"]
    parts.append(
        pd.DataFrame({"payment_method": "CARD", "key": card["order_id"], "gross": card["gross"]})
    )
    amazon = _read(files(landing, days, "amazon"), sep="\t", dtype=str, quoting=3)
    amazon = amazon[
        (amazon["order-id"] != "") & amazon["amount-type"].isin(["ItemPrice", "Promotion"])
    ]
    parts.append(
        pd.DataFrame(
            {
                "payment_method": "MALL",
                "key": amazon["order-id"],
                "gross": amazon["amount"].astype("int64"),
            }
        )
    )
    cod = _read(files(landing, days, "cod"), encoding="cp932", dtype={"伝票番号": str})
    parts.append(
        pd.DataFrame({"payment_method": "COD", "key": cod["伝票番号"], "gross": cod["代引金額"]})
    )
    bnpl = _read(files(landing, days, "bnpl"), encoding="cp932", dtype={"加盟店取引ID": str})
    parts.append(
        pd.DataFrame(
            {"payment_method": "BNPL", "key": bnpl["加盟店取引ID"], "gross": bnpl["請求金額"]}
        )
    )
    kon = _read(files(landing, days, "konbini"), encoding="cp932", dtype=str)
    kon["barcode"] = kon["バーコード情報"].str.removeprefix("EAN")
    kon["rank"] = kon["種別"].map(RANK)
    kon["time"] = kon["収納時刻"].str.zfill(4)
    kon = kon.sort_values("rank").drop_duplicates(["barcode", "収納日", "time"], keep="last")
    kon = kon[kon["種別"] != "03"]
    parts.append(
        pd.DataFrame(
            {
                "payment_method": "KONBINI",
                "key": kon["barcode"].str[13:29],
                "gross": kon["金額"].astype("int64"),
            }
        )
    )
    bank = _read(
        files(landing, days, "bank"),
        encoding="cp932",
        header=None,
        names=["line"],
        sep="\x1f",
        dtype=str,
        quoting=3,
    )
    data = bank["line"][bank["line"].str[0] == "2"]
    reference = data.str[ZENGIN_REFERENCE[0] : ZENGIN_REFERENCE[1]]
    cancelled = set(reference[data.str[ZENGIN_CANCEL] == "1"])
    data, reference = data[~reference.isin(cancelled)], reference[~reference.isin(cancelled)]
    payer = data.str[ZENGIN_PAYER[0] : ZENGIN_PAYER[1]].str.strip()
    number = payer.str.extract(r"^([0-9]{7})[ 　]", expand=False)
    parts.append(
        pd.DataFrame(
            {
                "payment_method": "BANK_TRANSFER",
                "key": number.fillna("?" + reference),
                "gross": data.str[ZENGIN_AMOUNT[0] : ZENGIN_AMOUNT[1]].astype("int64"),
            }
        )
    )
    return pd.concat(parts, ignore_index=True)


def match(landing: Path, days: list[str]) -> dict[str, int]:
    expected = receivables(landing, days)
    lines = settlement_lines(landing, days)
    paid = lines.groupby(["payment_method", "key"], as_index=False)["gross"].sum()
    merged = expected.merge(paid, on=["payment_method", "key"], how="outer")
    gross = merged["gross"].fillna(0)
    status = np.select(
        [
            merged["expected"].isna(),
            gross == merged["expected"],
            gross == 0,
            gross < merged["expected"],
        ],
        ["UNKNOWN_PAYMENT", "PAID", "UNPAID", "SHORT"],
        "OVER",
    )
    counts = pd.Series(status).value_counts()
    return {str(k): int(v) for k, v in counts.sort_index().items()}


if __name__ == "__main__":
    sys.exit(main(match))
