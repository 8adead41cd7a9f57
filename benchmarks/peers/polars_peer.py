"""The key matching in polars (lazy): the same rules as ``pandas_peer``.

UTF-8 files are scanned lazily; CP932 files (COD, BNPL, konbini, Zengin) are decoded in
Python first, as polars reads UTF-8 only.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl

from benchmarks.peers import (
    ZENGIN_AMOUNT,
    ZENGIN_CANCEL,
    ZENGIN_PAYER,
    ZENGIN_REFERENCE,
    files,
    main,
)

TEXT = pl.Utf8


def _cp932(paths: list[Path], **options) -> pl.LazyFrame:
    """CP932 files as one lazy frame of text columns."""
    frames = [
        pl.read_csv(
            io.BytesIO(p.read_bytes().decode("cp932").encode()), infer_schema=False, **options
        )
        for p in paths
    ]
    return pl.concat(frames).lazy()


def receivables(landing: Path, days: list[str]) -> pl.LazyFrame:
    ships = pl.scan_csv(
        files(landing, days, "shipments"),
        schema_overrides={
            "payment_ref": TEXT,
            "tracking_no": TEXT,
            "order_id": TEXT,
            "due_date": TEXT,
        },
    )
    amount = (
        pl.col("item_amount")
        + pl.col("shipping_fee")
        + pl.col("cod_fee")
        - pl.col("coupon_discount")
        - pl.col("points_used")
    )
    ships = ships.with_columns(
        delta=pl.when(pl.col("event_type") == "SHIP").then(amount).otherwise(-amount)
    )
    expected = ships.group_by("order_id").agg(pl.col("delta").sum().alias("expected"))
    method = pl.col("payment_method")
    orders = (
        ships.filter(pl.col("event_type") == "SHIP")
        .unique("order_id", keep="first")
        .join(expected, on="order_id")
        .with_columns(
            key=pl.when(method == "COD")
            .then(pl.col("tracking_no"))
            .when(method.is_in(["KONBINI", "BANK_TRANSFER"]))
            .then(pl.col("payment_ref"))
            .otherwise(pl.col("order_id"))
        )
    )
    return orders.group_by("payment_method", "key").agg(pl.col("expected").sum())


def settlement_lines(landing: Path, days: list[str]) -> pl.LazyFrame:
    """(method, key, gross) of every payment."""
    card = pl.scan_csv(files(landing, days, "card"), schema_overrides={"order_id": TEXT})
    amazon = pl.scan_csv(
        files(landing, days, "amazon"), separator="\t", infer_schema=False, quote_char=None
    )
    cod = _cp932(files(landing, days, "cod"))
    bnpl = _cp932(files(landing, days, "bnpl"))
    kon = _cp932(files(landing, days, "konbini"))
    bank = _cp932(
        files(landing, days, "bank"),
        has_header=False,
        new_columns=["line"],
        separator="\x1f",
        quote_char=None,
    )
    data = bank.filter(pl.col("line").str.slice(0, 1) == "2").with_columns(
        reference=pl.col("line").str.slice(ZENGIN_REFERENCE[0], 6),
        cancel=pl.col("line").str.slice(ZENGIN_CANCEL, 1),
    )
    cancelled = data.filter(pl.col("cancel") == "1").select("reference")
    payer = pl.col("line").str.slice(ZENGIN_PAYER[0], ZENGIN_PAYER[1] - ZENGIN_PAYER[0])
    bank_lines = data.join(cancelled, on="reference", how="anti").select(
        payment_method=pl.lit("BANK_TRANSFER"),
        key=pl.coalesce(
            payer.str.strip_chars().str.extract(r"^([0-9]{7})[ 　]", 1),
            pl.lit("?") + pl.col("reference"),
        ),
        gross=pl.col("line").str.slice(ZENGIN_AMOUNT[0], 10).cast(pl.Int64),
    )
    kon_lines = (
        kon.with_columns(
            barcode=pl.col("バーコード情報").str.strip_prefix("EAN"),
            rank=pl.col("種別").replace_strict({"01": 1, "03": 2, "02": 3}),
            time=pl.col("収納時刻").str.zfill(4),
        )
        .sort("rank")
        .unique(["barcode", "収納日", "time"], keep="last", maintain_order=True)
        .filter(pl.col("種別") != "03")
        .select(
            payment_method=pl.lit("KONBINI"),
            key=pl.col("barcode").str.slice(13, 16),
            gross=pl.col("金額").cast(pl.Int64),
        )
    )
    lines = pl.concat(
        [
            card.filter(pl.col("reporting_category") != "fee").select(
                payment_method=pl.lit("CARD"), key="order_id", gross=pl.col("gross")
            ),
            amazon.filter(
                pl.col("order-id").is_not_null()
                & pl.col("amount-type").is_in(["ItemPrice", "Promotion"])
            ).select(
                payment_method=pl.lit("MALL"), key="order-id", gross=pl.col("amount").cast(pl.Int64)
            ),
            cod.select(
                payment_method=pl.lit("COD"),
                key="伝票番号",
                gross=pl.col("代引金額").cast(pl.Int64),
            ),
            bnpl.select(
                payment_method=pl.lit("BNPL"),
                key="加盟店取引ID",
                gross=pl.col("請求金額").cast(pl.Int64),
            ),
            kon_lines,
            bank_lines,
        ]
    )
    return lines


def match(landing: Path, days: list[str]) -> dict[str, int]:
    expected = receivables(landing, days)
    lines = settlement_lines(landing, days)
    paid = lines.group_by("payment_method", "key").agg(pl.col("gross").sum())
    gross = pl.col("gross").fill_null(0)
    status = (
        expected.join(paid, on=["payment_method", "key"], how="full", coalesce=True)
        .select(
            status=pl.when(pl.col("expected").is_null())
            .then(pl.lit("UNKNOWN_PAYMENT"))
            .when(gross == pl.col("expected"))
            .then(pl.lit("PAID"))
            .when(gross == 0)
            .then(pl.lit("UNPAID"))
            .when(gross < pl.col("expected"))
            .then(pl.lit("SHORT"))
            .otherwise(pl.lit("OVER"))
        )
        .group_by("status")
        .len()
    )
    counted = status.collect().sort("status")
    return {row["status"]: int(row["len"]) for row in counted.iter_rows(named=True)}


if __name__ == "__main__":
    sys.exit(main(match))
