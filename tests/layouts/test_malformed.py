"""Malformed input across every layout: each case is its own file, all land in one day and
go through the real job. Every case must end in quarantine with its file, line and a reason
a person understands, nothing may crash, and every file's rows must add up
(rows_total = rows_loaded + rows_quarantined)."""

from __future__ import annotations

import duckdb
import pytest

from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job

DAY = "2026-10-01"
GOOD_BARCODE_ROW = lz.collection("01", lz.slip_ref(1), 3800, "20261001")


def card_row(n: int, **changes: object) -> list[object]:
    row = dict(zip(lz.CARD_HEADER, lz.charge(f"txn_{n:04d}", f"ORD-{n:07d}", 5000), strict=True))
    return [changes.get(k, v) for k, v in row.items()]


def ship_row(n: int, **changes: object) -> list[object]:
    row = dict(
        zip(
            lz.SHIPMENT_HEADER,
            lz.ship(f"EV-{n:04d}", f"ORD-{n:07d}", DAY, "CARD", 5000),
            strict=True,
        )
    )
    return [changes.get(k, v) for k, v in row.items()]


def konbini_row(n: int, **changes: object) -> list[object]:
    row = dict(
        zip(
            lz.KONBINI_HEADER,
            lz.collection("01", lz.slip_ref(n), 3800, "20261001", time=f"{n % 24:02d}00"),
            strict=True,
        )
    )
    return [changes.get(k, v) for k, v in row.items()]


def cod_row(n: int, **changes: object) -> list[object]:
    row = dict(
        zip(lz.COD_HEADER, [f"4{n:011d}", "2026/10/01", 3430, 330, 3100, "2026/10/12"], strict=True)
    )
    return [changes.get(k, v) for k, v in row.items()]


def bnpl_row(n: int, **changes: object) -> list[object]:
    row = dict(
        zip(
            lz.BNPL_HEADER,
            [f"ORD-{n:07d}", f"NP{n:08d}", "売上", 8800, 264, 8536, "2026/10/31"],
            strict=True,
        )
    )
    return [changes.get(k, v) for k, v in row.items()]


def disposition_row(n: int, **changes: object) -> list[object]:
    row = dict(
        zip(
            lz.DISPOSITION_HEADER,
            [f"D-{n:04d}", "WRITE_OFF", f"ORD-{n:07d}", "", "", "", "keiri01", DAY],
            strict=True,
        )
    )
    return [changes.get(k, v) for k, v in row.items()]


def amazon_items(n: int) -> list[list[object]]:
    order = f"249-{n:07d}-0000001"
    return [
        lz.amazon_item(order, "Order", "ItemPrice", "Principal", 5960),
        lz.amazon_item(order, "Order", "ItemFees", "Commission", -516),
    ]


def zengin(n: int, data: list[bytes], trailer: bytes | None = None, end: bool = True) -> bytes:
    records = [lz.zengin_header(account=f"{n:07d}"), *data]
    records.append(trailer if trailer is not None else lz.zengin_trailer(len(data), 0))
    return lz.zengin_file(records + ([lz.ZENGIN_END] if end else []))


def good_zengin(n: int) -> bytes:
    return lz.zengin_data(1, 11700, "0000103 ｽｽﾞｷ ｷﾖｳｺ")


# (case, source, line of the bad record (0 = whole file), reason fragment, writer)
CASES = [
    (
        "card_net",
        "card",
        3,
        "net must equal gross - fee",
        lambda root, n: lz.card(root, DAY, [card_row(n), card_row(n + 1000, net=1)], f"c{n}.csv"),
    ),
    (
        "card_thousands",
        "card",
        3,
        "gross: '1,200' is not an integer",
        lambda root, n: lz.card(
            root, DAY, [card_row(n), card_row(n + 1000, gross="1,200")], f"c{n}.csv"
        ),
    ),
    (
        "card_fullwidth",
        "card",
        3,
        "gross: '５０００' is not an integer",
        lambda root, n: lz.card(
            root, DAY, [card_row(n), card_row(n + 1000, gross="５０００")], f"c{n}.csv"
        ),
    ),
    (
        "card_currency",
        "card",
        3,
        "currency: 'usd' is not one of jpy",
        lambda root, n: lz.card(
            root, DAY, [card_row(n), card_row(n + 1000, currency="usd")], f"c{n}.csv"
        ),
    ),
    (
        "card_timestamp",
        "card",
        3,
        "created: '2026-10-01 10:00' is not an ISO 8601",
        lambda root, n: lz.card(
            root, DAY, [card_row(n), card_row(n + 1000, created="2026-10-01 10:00")], f"c{n}.csv"
        ),
    ),
    (
        "card_columns",
        "card",
        3,
        "expected 10 fields, found 9",
        lambda root, n: lz.card(root, DAY, [card_row(n), card_row(n + 1000)[:9]], f"c{n}.csv"),
    ),
    (
        "card_category",
        "card",
        3,
        "reporting_category: 'payout' is not one of",
        lambda root, n: lz.card(
            root, DAY, [card_row(n), card_row(n + 1000, reporting_category="payout")], f"c{n}.csv"
        ),
    ),
    (
        "card_header",
        "card",
        0,
        "header lacks required column(s): gross (columns not in the layout: amount)",
        lambda root, n: lz.write(
            root,
            "card",
            DAY,
            f"c{n}.csv",
            lz.csv_text(
                [("amount" if h == "gross" else h) for h in lz.CARD_HEADER], [card_row(n)]
            ).encode(),
        ),
    ),
    (
        "card_empty",
        "card",
        0,
        "file is empty",
        lambda root, n: lz.write(root, "card", DAY, f"c{n}.csv", b""),
    ),
    (
        "card_quote",
        "card",
        0,
        "not valid delimited text",
        lambda root, n: lz.write(
            root, "card", DAY, f"c{n}.csv", (",".join(lz.CARD_HEADER) + '\ntxn_1,"open').encode()
        ),
    ),
    (
        "ship_date",
        "shipments",
        3,
        "event_date: '2026-02-30' is not a date",
        lambda root, n: lz.shipments(
            root, DAY, [ship_row(n), ship_row(n + 1000, event_date="2026-02-30")], f"s{n}.csv"
        ),
    ),
    (
        "ship_event_type",
        "shipments",
        3,
        "event_type: 'SHIPPED' is not one of SHIP",
        lambda root, n: lz.shipments(
            root, DAY, [ship_row(n), ship_row(n + 1000, event_type="SHIPPED")], f"s{n}.csv"
        ),
    ),
    (
        "ship_konbini_ref",
        "shipments",
        3,
        "payment_ref: required when payment_method is KONBINI",
        lambda root, n: lz.shipments(
            root,
            DAY,
            [ship_row(n), ship_row(n + 1000, payment_method="KONBINI", due_date="2026-10-15")],
            f"s{n}.csv",
        ),
    ),
    (
        "ship_negative",
        "shipments",
        3,
        "item_amount: '-5' is below the minimum 0",
        lambda root, n: lz.shipments(
            root, DAY, [ship_row(n), ship_row(n + 1000, item_amount=-5)], f"s{n}.csv"
        ),
    ),
    (
        "ship_decimal",
        "shipments",
        3,
        "item_amount: '1200.5' is not an integer",
        lambda root, n: lz.shipments(
            root, DAY, [ship_row(n), ship_row(n + 1000, item_amount="1200.5")], f"s{n}.csv"
        ),
    ),
    (
        "konbini_check_digit",
        "konbini",
        3,
        "barcode check digit is",
        lambda root, n: lz.konbini_file(
            root,
            DAY,
            [
                konbini_row(n),
                konbini_row(
                    n + 1000,
                    **{
                        "バーコード情報": konbini_row(n + 1000)[3][:-1] + "0"
                        if konbini_row(n + 1000)[3][-1] != "0"
                        else konbini_row(n + 1000)[3][:-1] + "1"
                    },
                ),
            ],
            f"k{n}.csv",
        ),
    ),
    (
        "konbini_amount",
        "konbini",
        3,
        "barcode amount 3800 differs from 金額 3900",
        lambda root, n: lz.konbini_file(
            root, DAY, [konbini_row(n), konbini_row(n + 1000, 金額=3900)], f"k{n}.csv"
        ),
    ),
    (
        "konbini_kind",
        "konbini",
        3,
        "種別: '04' is not one of 01, 02, 03",
        lambda root, n: lz.konbini_file(
            root, DAY, [konbini_row(n), konbini_row(n + 1000, 種別="04")], f"k{n}.csv"
        ),
    ),
    (
        "konbini_bytes",
        "konbini",
        0,
        "does not decode as cp932",
        lambda root, n: lz.write(root, "konbini", DAY, f"k{n}.csv", b"\x82\xff,01\r\n"),
    ),
    (
        "konbini_time",
        "konbini",
        3,
        "収納時刻 must be a time of day",
        lambda root, n: lz.konbini_file(
            root, DAY, [konbini_row(n), konbini_row(n + 1000, 収納時刻="2561")], f"k{n}.csv"
        ),
    ),
    (
        "konbini_date",
        "konbini",
        3,
        "収納日: '20261332' is not a date",
        lambda root, n: lz.konbini_file(
            root, DAY, [konbini_row(n), konbini_row(n + 1000, 収納日="20261332")], f"k{n}.csv"
        ),
    ),
    (
        "cod_net",
        "cod",
        3,
        "入金額 must equal 代引金額 - 決済手数料",
        lambda root, n: lz.cp932_csv(
            root,
            "cod",
            DAY,
            f"d{n}.csv",
            lz.COD_HEADER,
            [cod_row(n), cod_row(n + 1000, 入金額=3000)],
        ),
    ),
    (
        "cod_date",
        "cod",
        3,
        "お届け日: '2026-10-02' is not a date in the form %Y/%m/%d",
        lambda root, n: lz.cp932_csv(
            root,
            "cod",
            DAY,
            f"d{n}.csv",
            lz.COD_HEADER,
            [cod_row(n), cod_row(n + 1000, お届け日="2026-10-02")],
        ),
    ),
    (
        "cod_tracking_control_character",
        "cod",
        3,
        "伝票番号: '4000\\x001234567' contains a control character (ids may hold none)",
        lambda root, n: lz.cp932_csv(
            root,
            "cod",
            DAY,
            f"d{n}.csv",
            lz.COD_HEADER,
            [cod_row(n), cod_row(n + 1000, 伝票番号="4000\x001234567")],
        ),
    ),
    (
        "bnpl_kind",
        "bnpl",
        3,
        "取引区分: '返品' is not one of 売上, 取消",
        lambda root, n: lz.cp932_csv(
            root,
            "bnpl",
            DAY,
            f"b{n}.csv",
            lz.BNPL_HEADER,
            [bnpl_row(n), bnpl_row(n + 1000, 取引区分="返品")],
        ),
    ),
    (
        "bnpl_cancel_sign",
        "bnpl",
        3,
        "a 取消 has a negative 請求金額",
        lambda root, n: lz.cp932_csv(
            root,
            "bnpl",
            DAY,
            f"b{n}.csv",
            lz.BNPL_HEADER,
            [bnpl_row(n), bnpl_row(n + 1000, 取引区分="取消")],
        ),
    ),
    (
        "bnpl_net",
        "bnpl",
        3,
        "入金額 must equal 請求金額 - 決済手数料",
        lambda root, n: lz.cp932_csv(
            root,
            "bnpl",
            DAY,
            f"b{n}.csv",
            lz.BNPL_HEADER,
            [bnpl_row(n), bnpl_row(n + 1000, 入金額=1)],
        ),
    ),
    (
        "amazon_total",
        "amazon",
        0,
        "control total differs: summary total-amount 1",
        lambda root, n: lz.amazon(
            root, DAY, amazon_items(n), f"a{n}.tsv", total=1, settlement=str(n)
        ),
    ),
    (
        "amazon_amount",
        "amazon",
        0,
        "control total cannot be checked: amount '5,960' at line 3",
        lambda root, n: lz.amazon(
            root,
            DAY,
            [lz.amazon_item(f"249-{n:07d}-0000001", "Order", "ItemPrice", "Principal", "5,960")],
            f"a{n}.tsv",
            total=5960,
            settlement=str(n),
        ),
    ),
    (
        "amazon_summary",
        "amazon",
        0,
        "first data row must be the settlement summary",
        lambda root, n: lz.write(
            root,
            "amazon",
            DAY,
            f"a{n}.tsv",
            (
                "\t".join(lz.AMAZON_HEADER)
                + "\n"
                + "\t".join(str(v) for v in amazon_items(n)[0])
                + "\n"
            ).encode(),
        ),
    ),
    (
        "amazon_posted_date",
        "amazon",
        5,
        "posted-date: '2026-09-31' is not a date in the form %Y-%m-%d",
        lambda root, n: lz.amazon(
            root,
            DAY,
            [
                *amazon_items(n),
                lz.amazon_item(
                    f"249-{n:07d}-0000001", "Order", "ItemPrice", "Principal", 0, "2026-09-31"
                ),
            ],
            f"a{n}.tsv",
            settlement=str(n),
        ),
    ),
    (
        "amazon_posted",
        "amazon",
        5,
        "posted-date: '2026/09/30' is not a date",
        lambda root, n: lz.amazon(
            root,
            DAY,
            [
                *amazon_items(n),
                lz.amazon_item(
                    f"249-{n:07d}-0000002",
                    "Order",
                    "ItemPrice",
                    "Principal",
                    100,
                    posted="2026/09/30",
                ),
            ],
            f"a{n}.tsv",
            settlement=str(n),
        ),
    ),
    (
        "zengin_trailer",
        "bank",
        0,
        "trailer 件数 3, data records 1",
        lambda root, n: lz.write(
            root, "bank", DAY, f"z{n}.txt", zengin(n, [good_zengin(n)], lz.zengin_trailer(3, 11700))
        ),
    ),
    (
        "zengin_trailer_sum",
        "bank",
        0,
        "trailer 合計金額 99, data records 11700",
        lambda root, n: lz.write(
            root, "bank", DAY, f"z{n}.txt", zengin(n, [good_zengin(n)], lz.zengin_trailer(1, 99))
        ),
    ),
    (
        "zengin_truncated",
        "bank",
        0,
        "record 2 is 199 bytes, expected 200",
        lambda root, n: lz.write(
            root,
            "bank",
            DAY,
            f"z{n}.txt",
            zengin(n, [good_zengin(n)[:199]], lz.zengin_trailer(1, 11700)),
        ),
    ),
    (
        "zengin_no_end",
        "bank",
        0,
        "file ends without an end record",
        lambda root, n: lz.write(
            root,
            "bank",
            DAY,
            f"z{n}.txt",
            zengin(n, [good_zengin(n)], lz.zengin_trailer(1, 11700), end=False),
        ),
    ),
    (
        "zengin_kind",
        "bank",
        0,
        "record 2: unknown データ区分 '7'",
        lambda root, n: lz.write(
            root,
            "bank",
            DAY,
            f"z{n}.txt",
            zengin(n, [b"7" + good_zengin(n)[1:]], lz.zengin_trailer(0, 0)),
        ),
    ),
    (
        "zengin_date",
        "bank",
        3,
        "account_date: '081399' is not a date in the form reiwa-yymmdd",
        lambda root, n: lz.write(
            root,
            "bank",
            DAY,
            f"z{n}.txt",
            zengin(
                n,
                [good_zengin(n), lz.zengin_data(2, 5400, "ﾔﾏﾓﾄ", date="081399")],
                lz.zengin_trailer(2, 17100),
            ),
        ),
    ),
    (
        "disposition_action",
        "dispositions",
        3,
        "action: 'DELETE' is not one of MANUAL_MATCH",
        lambda root, n: lz.write(
            root,
            "dispositions",
            DAY,
            f"p{n}.csv",
            lz.csv_text(
                lz.DISPOSITION_HEADER,
                [disposition_row(n), disposition_row(n + 1000, action="DELETE")],
            ).encode(),
        ),
    ),
    (
        "disposition_line",
        "dispositions",
        3,
        "settlement_line_id: required when action is",
        lambda root, n: lz.write(
            root,
            "dispositions",
            DAY,
            f"p{n}.csv",
            lz.csv_text(
                lz.DISPOSITION_HEADER,
                [disposition_row(n), disposition_row(n + 1000, action="IGNORE")],
            ).encode(),
        ),
    ),
    (
        "disposition_amount",
        "dispositions",
        3,
        "amount: '0' is below the minimum 1",
        lambda root, n: lz.write(
            root,
            "dispositions",
            DAY,
            f"p{n}.csv",
            lz.csv_text(
                lz.DISPOSITION_HEADER, [disposition_row(n), disposition_row(n + 1000, amount=0)]
            ).encode(),
        ),
    ),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("bad") / "home")})
    paths = {}
    for number, (case, _source, _line, _reason, writer) in enumerate(CASES, start=1):
        path = writer(settings.landing_dir, number)
        paths[case] = str(path.relative_to(settings.landing_dir))
    with memory_instance() as instance:
        result = run_job(settings, instance, DAY)[0]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield paths, con, result
    con.close()


def test_there_are_at_least_thirty_distinct_cases():
    assert len({case for case, *_ in CASES}) == len(CASES) >= 30
    assert len({source for _, source, *_ in CASES}) == 8


@pytest.mark.parametrize(
    ("case", "source", "line", "reason"),
    [case[:4] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_case_is_quarantined_with_file_line_and_reason(loaded, case, source, line, reason):
    paths, con, _ = loaded
    rejected = con.execute(
        "SELECT line_no, reason, raw FROM quarantine.rejected_rows WHERE path = $p",
        {"p": paths[case]},
    ).fetchall()
    assert len(rejected) == 1, rejected
    line_no, text, raw = rejected[0]
    assert line_no == line
    assert reason in text
    manifest = con.execute(
        "SELECT status, rows_total, rows_loaded, rows_quarantined FROM audit.file_manifest "
        "WHERE path = $p",
        {"p": paths[case]},
    ).fetchone()
    if line == 0:
        assert manifest[0] == "QUARANTINED" and manifest[2] == 0
    else:
        assert raw, "a rejected row keeps its raw text"
        status, total, loaded_rows, quarantined = manifest
        assert (status, quarantined) == ("LOADED", 1)
        assert total == loaded_rows + quarantined and loaded_rows >= 1


def test_the_day_runs_and_every_check_passes(loaded):
    _, _, result = loaded
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
