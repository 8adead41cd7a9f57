"""A realistic demo month for every inbound layout, with every exception the pipeline handles.

Deterministic (seeded): the same call writes the same bytes. Files land in
``<landing>/<source>/<YYYY-MM-DD>/<name>`` exactly as providers deliver them (CP932 where
they use it, Zengin fixed-length records, Amazon's TSV). ``DemoSummary.scenarios`` names the
orders or ids that show each case, so the README and the tests can point at them.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from recon_pipeline import konbini
from recon_pipeline.contracts import load_contracts
from recon_pipeline.layouts import writers
from recon_pipeline.settings import DEMO_AGENT_COMPANY_CODE, DEMO_AGENT_SHOP_CODE

START = dt.date(2026, 10, 1)
COMPANY, SHOP = DEMO_AGENT_COMPANY_CODE, DEMO_AGENT_SHOP_CODE
FAMILY = ["山田", "佐藤", "鈴木", "髙橋", "田中", "伊藤", "渡辺", "山﨑", "小林", "加藤"]
"""髙 and 﨑 are IBM extensions of CP932: real names carry them into slips and files."""
FAMILY_KANA = [
    "ヤマダ",
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマザキ",
    "コバヤシ",
    "カトウ",
]
FAMILY_HALF = ["ﾔﾏﾀﾞ", "ｻﾄｳ", "ｽｽﾞｷ", "ﾀｶﾊｼ", "ﾀﾅｶ", "ｲﾄｳ", "ﾜﾀﾅﾍﾞ", "ﾔﾏｻﾞｷ", "ｺﾊﾞﾔｼ", "ｶﾄｳ"]
GIVEN = ["太郎", "花子", "京子", "一郎", "美咲", "健", "由美", "翔", "直子", "大輔"]
GIVEN_KANA = [
    "タロウ",
    "ハナコ",
    "キョウコ",
    "イチロウ",
    "ミサキ",
    "ケン",
    "ユミ",
    "ショウ",
    "ナオコ",
    "ダイスケ",
]
GIVEN_HALF = ["ﾀﾛｳ", "ﾊﾅｺ", "ｷﾖｳｺ", "ｲﾁﾛｳ", "ﾐｻｷ", "ｹﾝ", "ﾕﾐ", "ｼﾖｳ", "ﾅｵｺ", "ﾀﾞｲｽｹ"]
PLACES = [
    ("150-0001", "東京都渋谷区神宮前1-2-3"),
    ("530-0001", "大阪府大阪市北区梅田2-4-9"),
    ("460-0008", "愛知県名古屋市中区栄3-1-1"),
    ("812-0011", "福岡県福岡市博多区博多駅前1-1"),
    ("060-0001", "北海道札幌市中央区北一条西2"),
]
CHAINS = [
    ("010", "セブン－イレブン"),
    ("020", "ローソン"),
    ("030", "ファミリーマート"),
    ("080", "ミニストップ"),
    ("820", "PayPay"),
]
METHODS = (
    ["CARD"] * 45
    + ["KONBINI"] * 30
    + ["BANK_TRANSFER"] * 8
    + ["COD"] * 7
    + ["BNPL"] * 5
    + ["MALL"] * 5
)
CARD_CASES = [
    "short_payment",
    "over_payment",
    "double_payment",
    "coupon_mismatch",
    "refund_due",
    "card_refund",
    "cancelled",
    "card_dispute",
    "overpayment_refunded",
]
KONBINI_CASES = ["konbini_prelim_cancelled", "konbini_reissued_slip_paid", "short_payment"]


def _order_id(method: str, number: int, day: dt.date, rng: random.Random) -> tuple[str, str]:
    """The order id and sales channel: Amazon's for the mall, and besides the own site's
    ``ORD-nnnnnnn`` the ids other channels really issue (Rakuten, Yahoo!, a shop's POS, next
    year's new site): ids are opaque, none of them may be refused."""
    if method == "MALL":
        return f"249-{rng.randrange(10**7):07d}-{number:07d}", "AMAZON"
    if number % 11 == 3:
        return f"338127-{day:%Y%m%d}-{number:010d}", "RAKUTEN"
    if number % 13 == 5:
        return f"recon-shop-{number:08d}", "YAHOO"
    if number % 17 == 7:
        return f"POS/0012/{day:%Y%m%d}/{number % 1000:03d}", "POS"
    if number % 19 == 9:
        return f"N27-{number:x}", "NEW_SITE"
    return f"ORD-{number:07d}", "OWN_SITE"


@dataclass(frozen=True)
class DemoSummary:
    start: dt.date
    end: dt.date
    files: int
    scenarios: dict[str, list[str]]


@dataclass
class Order:
    number: int
    order_id: str
    customer: int
    method: str
    shipped: dt.date
    item: int
    shipping: int
    cod_fee: int
    coupon: int
    points: int
    payment_ref: str = ""
    due: dt.date | None = None
    channel: str = "OWN_SITE"
    events: list[tuple[str, dt.date, int]] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.item + self.shipping + self.cod_fee - self.coupon - self.points

    @property
    def tracking(self) -> str:
        return f"4{self.number:011d}"


CSV_FORMAT = {
    "shipments": ("utf-8-sig", "\n"),
    "card": ("utf-8", "\n"),
    "dispositions": ("utf-8", "\n"),
    "payer_aliases": ("utf-8", "\n"),
    "konbini": ("cp932", "\r\n"),
    "cod": ("cp932", "\r\n"),
    "bnpl": ("cp932", "\r\n"),
}
"""Encoding and line end of each CSV layout, as the providers write them."""


class Landing:
    """Collects rows per file and writes each file in its provider's encoding."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: dict[tuple[str, dt.date, str], list[list[object]]] = defaultdict(list)
        self.raw: dict[tuple[str, dt.date, str], bytes] = {}
        self.headers = {c.source: c.header for c in load_contracts()}

    def add(self, source: str, day: dt.date, name: str, row: list[object]) -> None:
        self.rows[(source, day, name)].append(row)

    def write(self) -> int:
        for (source, day, name), rows in sorted(self.rows.items(), key=lambda i: str(i[0])):
            encoding, line_end = CSV_FORMAT[source]
            data = writers.delimited(
                self.headers[source], rows, encoding=encoding, line_end=line_end
            )
            self._put(source, day, name, data)
        for (source, day, name), data in sorted(self.raw.items(), key=lambda i: str(i[0])):
            self._put(source, day, name, data)
        return len(self.rows) + len(self.raw)

    def _put(self, source: str, day: dt.date, name: str, data: bytes) -> None:
        path = self.root / source / day.isoformat() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _ship_row(order: Order, kind: str, day: dt.date, amount: int, event_no: int) -> list[object]:
    family, given = order.customer % 10, (order.customer // 10) % 10
    postal, address = PLACES[order.customer % len(PLACES)]
    is_ship = kind == "SHIP"
    return [
        f"EV-{day:%Y%m%d}-{event_no:06d}",
        kind,
        order.order_id,
        day.isoformat(),
        f"C{order.customer:06d}",
        f"{FAMILY[family]} {GIVEN[given]}",
        f"{FAMILY_KANA[family]} {GIVEN_KANA[given]}",
        postal,
        address,
        f"03-{order.customer:04d}-{order.number % 10000:04d}",
        order.channel,
        order.method,
        order.payment_ref,
        "" if order.method == "MALL" else order.tracking,
        order.item if is_ship else amount,
        order.shipping if is_ship else 0,
        order.cod_fee if is_ship else 0,
        order.coupon if is_ship else 0,
        order.points if is_ship else 0,
        order.due.isoformat() if order.due else "",
    ]


def _card(txn: str, order_id: str, category: str, gross: int, at: dt.datetime) -> list[object]:
    fee = abs(gross) * 36 // 1000 if category == "charge" else 0
    payout = at.date() + dt.timedelta(days=7)
    return [
        txn,
        at.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
        category,
        order_id,
        gross,
        fee,
        gross - fee,
        "jpy",
        f"po_{payout:%Y%m%d}",
        payout.isoformat(),
    ]


def _konbini_row(
    kind: str,
    order: Order,
    amount: int,
    collected: dt.date,
    minute: int,
    reissue: int = 0,
    due: dt.date | None = None,
    ean: bool = False,
    chain: int = 0,
) -> list[object]:
    code = konbini.build(
        company_code=COMPANY,
        shop_code=SHOP,
        payment_ref=order.payment_ref,
        reissue_no=reissue,
        due_date=due or order.due,
        amount=amount,
    )
    parsed = konbini.parse(code)
    confirmed = collected + dt.timedelta(days=10)
    created = collected if kind != "02" else collected + dt.timedelta(days=8)
    chain_code, chain_name = CHAINS[chain % len(CHAINS)]
    return [
        kind,
        f"{collected:%Y%m%d}",
        str(900 + minute),
        ("EAN" if ean else "") + code,
        parsed.user_field_1,
        parsed.user_field_2,
        parsed.stamp_flag,
        amount,
        chain_code,
        chain_name,
        f"{100000 + minute:06d}",
        "0" if kind == "01" else f"{confirmed:%Y%m%d}",
        f"{created:%Y%m%d}",
    ]


Transfer = tuple[int, int, str, str] | tuple[int, int, str, str, str]
"""(照会番号, amount, payer name, 取消区分) and, for a broken notice, its account date as
written."""


def _zengin(day: dt.date, transfers: list[Transfer]) -> bytes:
    """A Zengin notice file of the shop's account. Many banks write a space, not 0, for a
    normal notice: on even days this bank does."""
    stamp = _wareki(day - dt.timedelta(days=1))
    normal = " " if day.day % 2 == 0 else "0"
    data = [
        writers.zengin_data(
            reference,
            amount,
            payer,
            on=written[0] if written else stamp,
            cancel=normal if cancel == "0" else cancel,
        )
        for reference, amount, payer, cancel, *written in transfers
    ]
    total = sum(transfer[1] for transfer in transfers)
    cancels = [transfer[1] for transfer in transfers if transfer[3] == "1"]
    header = writers.zengin_header(stamp, bank_name="ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｴｲ", account_name="ｶ)ﾚｺﾝｼﾖｳｼﾞ")
    trailer = writers.zengin_trailer(len(data), total, len(cancels), sum(cancels))
    return writers.zengin_file([header, *data, trailer, writers.ZENGIN_END])


def _wareki(value: dt.date) -> str:
    """和暦 YYMMDD (Reiwa year = Western year - 2018)."""
    return f"{value.year - 2018:02d}{value:%m%d}"


def _amazon(settlement: str, posted_until: dt.date, orders: list[Order]) -> bytes:
    header = load_contracts().by_source()["amazon"].header
    items = []

    def item(
        order_id: str,
        kind: str,
        amount_type: str,
        description: str,
        amount: int,
        posted: dt.date,
        promotion: str = "",
    ) -> None:
        row = dict.fromkeys(header, "")
        row |= {
            "settlement-id": settlement,
            "transaction-type": kind,
            "order-id": order_id,
            "marketplace-name": "Amazon.co.jp",
            "amount-type": amount_type,
            "amount-description": description,
            "amount": str(amount),
            "fulfillment-id": "AFN" if order_id else "",
            "posted-date": posted.isoformat(),
            "posted-date-time": f"{posted.isoformat()} 12:00:00 UTC",
            "promotion-id": promotion,
        }
        items.append(row)

    for order in orders:
        item(order.order_id, "Order", "ItemPrice", "Principal", order.item, order.shipped)
        if order.coupon:
            item(
                order.order_id,
                "Order",
                "Promotion",
                "Principal",
                -order.coupon,
                order.shipped,
                "PROMO-DEMO",
            )
        item(
            order.order_id,
            "Order",
            "ItemFees",
            "Commission",
            -(order.item * 8 // 100),
            order.shipped,
        )
        item(order.order_id, "Order", "ItemFees", "FBAPerUnitFulfillmentFee", -421, order.shipped)
    item("", "other-transaction", "other-transaction", "Subscription Fee", -4900, posted_until)
    summary = dict.fromkeys(header, "")
    start = posted_until - dt.timedelta(days=14)
    summary |= {
        "settlement-id": settlement,
        "settlement-start-date": f"{start.isoformat()} 07:00:00 UTC",
        "settlement-end-date": f"{posted_until.isoformat()} 07:00:00 UTC",
        "deposit-date": f"{(posted_until + dt.timedelta(days=2)).isoformat()} 07:00:00 UTC",
        "total-amount": str(sum(int(r["amount"]) for r in items)),
        "currency": "JPY",
    }
    lines = ["\t".join(header)] + ["\t".join(r[c] for c in header) for r in [summary, *items]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def generate_month(
    landing_dir: Path,
    *,
    start: dt.date = START,
    days: int = 31,
    orders_per_day: int = 60,
    seed: int = 20261001,
) -> DemoSummary:
    """Write the demo landing zone (replacing the demo's own folders) and say what is in it."""
    rng = random.Random(seed)
    for source in {c.source for c in load_contracts()}:
        shutil.rmtree(landing_dir / source, ignore_errors=True)
    land = Landing(landing_dir)
    end = start + dt.timedelta(days=days - 1)
    scenarios: dict[str, list[str]] = defaultdict(list)
    orders: list[Order] = []
    event_no = 0
    number = 0
    card_case = konbini_case = 0
    mall_orders: list[Order] = []

    def note(case: str, *items: str) -> None:
        scenarios[case].extend(items)

    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        for _ in range(orders_per_day):
            number += 1
            method = rng.choice(METHODS)
            customer = rng.randrange(1, 401)
            item = rng.randrange(10, 300) * 100
            coupon = rng.choice([0, 0, 0, 300, 500])
            points = rng.choice([0, 0, 0, 0, 100]) if method != "MALL" else 0
            order_id, channel = _order_id(method, number, day, rng)
            if channel != "OWN_SITE" and method != "MALL":
                note("other_channel_order", order_id)
            order = Order(
                number=number,
                order_id=order_id,
                channel=channel,
                customer=customer,
                method=method,
                shipped=day,
                item=item,
                shipping=rng.choice([0, 600]) if method != "MALL" else 0,
                cod_fee=330 if method == "COD" else 0,
                coupon=coupon,
                points=points,
            )
            if method == "KONBINI":
                order.payment_ref = f"1{number:015d}"
                late = offset < 3 and number % 4 == 0
                order.due = day + dt.timedelta(days=7 if late else 14)
            elif method == "BANK_TRANSFER":
                order.payment_ref = f"{customer:07d}"
                order.due = day + dt.timedelta(days=14)
            elif method == "BNPL":
                order.due = day + dt.timedelta(days=30)
            orders.append(order)
            event_no += 1
            land.add(
                "shipments",
                day,
                f"shipments_{day:%Y%m%d}.csv",
                _ship_row(order, "SHIP", day, 0, event_no),
            )
            at = dt.datetime.combine(day, dt.time(10)) + dt.timedelta(minutes=number % 600)

            def ship_event(kind: str, when: dt.date, amount: int, order: Order = order) -> None:
                nonlocal event_no
                event_no += 1
                if when <= end:
                    land.add(
                        "shipments",
                        when,
                        f"shipments_{when:%Y%m%d}.csv",
                        _ship_row(order, kind, when, amount, event_no),
                    )

            if method == "CARD":
                case = CARD_CASES[card_case // 2] if card_case < 2 * len(CARD_CASES) else "exact"
                card_case += 1
                gross = order.expected
                txn = f"txn_{number:07d}"
                name = f"balance_transactions_{day:%Y%m%d}.csv"
                if case == "short_payment":
                    gross -= 500
                elif case in ("over_payment", "overpayment_refunded"):
                    gross += 700
                elif case == "coupon_mismatch" and order.coupon + order.points == 0:
                    order.coupon = 500
                    gross = order.expected + 500
                    land.rows[("shipments", day, f"shipments_{day:%Y%m%d}.csv")][-1][17] = 500
                elif case == "coupon_mismatch":
                    gross = order.expected + order.coupon + order.points
                land.add("card", day, name, _card(txn, order.order_id, "charge", gross, at))
                later = day + dt.timedelta(days=2)
                if case == "double_payment":
                    land.add(
                        "card",
                        day,
                        name,
                        _card(
                            txn + "b", order.order_id, "charge", gross, at + dt.timedelta(minutes=3)
                        ),
                    )
                elif case == "refund_due":
                    ship_event("RETURN", later, order.item // 2)
                elif case in ("card_refund", "cancelled"):
                    amount = order.item // 2 if case == "card_refund" else order.item
                    kind = "RETURN" if case == "card_refund" else "CANCEL"
                    if case == "cancelled":
                        amount = order.expected
                    ship_event(kind, later, amount)
                    if later <= end:
                        back = order.item // 2 if case == "card_refund" else order.expected
                        land.add(
                            "card",
                            later,
                            f"balance_transactions_{later:%Y%m%d}.csv",
                            _card(
                                txn + "r",
                                order.order_id,
                                "refund",
                                -back,
                                dt.datetime.combine(later, dt.time(15)),
                            ),
                        )
                elif case == "card_dispute" and later <= end:
                    land.add(
                        "card",
                        later,
                        f"balance_transactions_{later:%Y%m%d}.csv",
                        _card(
                            txn + "d",
                            order.order_id,
                            "dispute",
                            -gross,
                            dt.datetime.combine(later, dt.time(16)),
                        ),
                    )
                note(case if case != "exact" else "card_exact", order.order_id)
            elif method == "KONBINI":
                late = order.due and order.due - day == dt.timedelta(days=7)
                if late:
                    note("konbini_unpaid_dunned", order.order_id)
                    continue
                case = (
                    KONBINI_CASES[konbini_case // 2]
                    if konbini_case < 2 * len(KONBINI_CASES)
                    else "konbini_exact"
                )
                konbini_case += 1
                if rng.random() < 0.1 and case == "konbini_exact":
                    note("konbini_unpaid", order.order_id)
                    continue
                collected = day + dt.timedelta(days=rng.randrange(1, 12))
                amount = order.expected - (300 if case == "short_payment" else 0)
                reissue = 1 if case == "konbini_reissued_slip_paid" else 0
                due = order.due + dt.timedelta(days=14) if reissue else order.due
                row = _konbini_row(
                    "01",
                    order,
                    amount,
                    collected,
                    number % 60,
                    reissue,
                    due,
                    ean=number % 2 == 0,
                    chain=number,
                )
                prelim_day = collected + dt.timedelta(days=1)
                if prelim_day > end:
                    continue
                land.add("konbini", prelim_day, f"cvs_sokuho_{prelim_day:%Y%m%d}.csv", row)
                if case == "konbini_prelim_cancelled":
                    cancel_day = prelim_day + dt.timedelta(days=1)
                    if cancel_day <= end:
                        land.add(
                            "konbini",
                            cancel_day,
                            f"cvs_torikeshi_{cancel_day:%Y%m%d}.csv",
                            ["03", *row[1:11], "0", row[12]],
                        )
                    note(case, order.order_id)
                    continue
                confirm_day = prelim_day + dt.timedelta(days=7)
                if confirm_day <= end:
                    land.add(
                        "konbini",
                        confirm_day,
                        f"cvs_kakuho_{confirm_day:%Y%m%d}.csv",
                        [
                            "02",
                            *row[1:11],
                            f"{confirm_day + dt.timedelta(days=3):%Y%m%d}",
                            f"{confirm_day:%Y%m%d}",
                        ],
                    )
                    note(
                        case if case != "konbini_exact" else "konbini_prelim_then_confirmed",
                        order.order_id,
                    )
                else:
                    note("konbini_prelim_only", order.order_id)
            elif method == "COD":
                delivered = day + dt.timedelta(days=2)
                remit = delivered + dt.timedelta(days=3)
                if remit <= end:
                    fee = 330
                    land.add(
                        "cod",
                        remit,
                        f"cod_remittance_{remit:%Y%m%d}.csv",
                        [
                            order.tracking,
                            f"{delivered:%Y/%m/%d}",
                            order.expected,
                            fee,
                            order.expected - fee,
                            f"{remit + dt.timedelta(days=7):%Y/%m/%d}",
                        ],
                    )
                    note("cod_paid", order.order_id)
            elif method == "BNPL":
                report = day + dt.timedelta(days=1)
                if report > end:
                    note("bnpl_not_yet_reported", order.order_id)
                    continue
                fee = order.expected * 3 // 100
                land.add(
                    "bnpl",
                    report,
                    f"bnpl_settlement_{report:%Y%m%d}.csv",
                    [
                        order.order_id,
                        f"NP{number:09d}",
                        "売上",
                        order.expected,
                        fee,
                        order.expected - fee,
                        f"{report + dt.timedelta(days=30):%Y/%m/%d}",
                    ],
                )
                if number % 7 == 0 and report + dt.timedelta(days=3) <= end:
                    cancel = report + dt.timedelta(days=3)
                    ship_event("CANCEL", cancel - dt.timedelta(days=1), order.expected)
                    land.add(
                        "bnpl",
                        cancel,
                        f"bnpl_settlement_{cancel:%Y%m%d}.csv",
                        [
                            order.order_id,
                            f"NP{number:09d}C",
                            "取消",
                            -order.expected,
                            -fee,
                            -order.expected + fee,
                            f"{cancel + dt.timedelta(days=30):%Y/%m/%d}",
                        ],
                    )
                    note("bnpl_cancelled", order.order_id)
                else:
                    note("bnpl_paid", order.order_id)
            elif method == "MALL":
                mall_orders.append(order)
            elif method == "BANK_TRANSFER":
                note("bank_transfer_open", order.order_id)

    paid_konbini = set(scenarios["konbini_prelim_then_confirmed"])
    name_only = _bank_transfers(land, orders, start, end, rng, note, paid_konbini)
    scenarios["konbini_prelim_then_confirmed"] = [
        o for o in scenarios["konbini_prelim_then_confirmed"] if o in paid_konbini
    ]
    for settled_until, settlement in (
        (start + dt.timedelta(days=13), "7000000001"),
        (start + dt.timedelta(days=27), "7000000002"),
    ):
        batch = [
            o
            for o in mall_orders
            if settled_until - dt.timedelta(days=14) < o.shipped <= settled_until
        ]
        deposit = settled_until + dt.timedelta(days=2)
        if batch and deposit <= end:
            land.raw[("amazon", deposit, f"settlement_{settlement}.tsv")] = _amazon(
                settlement, settled_until, batch
            )
            scenarios["mall_paid"] += [o.order_id for o in batch]
    _exceptions(land, start, end, note)
    _dispositions(land, start, end, scenarios, name_only, {o.order_id: o.number for o in orders})
    _daily_deliveries(land, start + dt.timedelta(days=19), end, note)
    files = land.write()
    _duplicate_delivery(landing_dir, start, note)
    return DemoSummary(start=start, end=end, files=files + 1, scenarios=dict(scenarios))


DAILY_SOURCES = ("card", "cod", "bnpl", "konbini", "bank")


def _daily_deliveries(land: Landing, late_day: dt.date, end: dt.date, note) -> None:
    """Providers deliver every day from their first file on, an empty file when nothing was
    paid (the freshness gate expects them), except once: the bank notice of ``late_day``
    arrives a day late, so that day's dunning and slips are held and the next day catches
    up."""
    files = {(source, day) for source, day, _ in [*land.rows, *land.raw]}
    for source in DAILY_SOURCES:
        first = min((day for s, day in files if s == source), default=None)
        day = first
        while first is not None and day <= end:
            if (source, day) not in files and not (source == "bank" and day == late_day):
                if source == "bank":
                    land.raw[("bank", day, f"furikomi_{day:%Y%m%d}.txt")] = _zengin(day, [])
                else:
                    land.rows[(source, day, f"{source}_{day:%Y%m%d}_nothing_paid.csv")] = []
            day += dt.timedelta(days=1)
    for key in [k for k in land.raw if k[0] == "bank" and k[1] == late_day]:
        land.raw[("bank", late_day + dt.timedelta(days=1), f"late_{key[2]}")] = land.raw.pop(key)
    note("freshness_gate_held", late_day.isoformat())


def _bank_transfers(
    land: Landing,
    orders: list[Order],
    start: dt.date,
    end: dt.date,
    rng: random.Random,
    note,
    paid_konbini: set[str],
) -> list[tuple[str, str, dt.date]]:
    """Zengin files per day; returns the (line id, order, day) of transfers without number."""
    by_day: dict = defaultdict(list)
    name_only = []
    reference = 0
    unpaid: dict[int, list[Order]] = defaultdict(list)
    for order in (o for o in orders if o.method == "BANK_TRANSFER"):
        paid = order.shipped + dt.timedelta(days=rng.randrange(2, 12))
        if paid > end or rng.random() < 0.15:
            unpaid[order.customer].append(order)
            continue
        reference += 1
        family, given = order.customer % 10, (order.customer // 10) % 10
        name = f"{FAMILY_HALF[family]} {GIVEN_HALF[given]}"
        if reference % 5:
            spelling = PAYER_SPELLINGS[(reference // 5) % len(PAYER_SPELLINGS)]
            payer = spelling.format(
                number=order.payment_ref, wide=order.payment_ref.translate(WIDE), name=name
            )
            note(SPELLING_CASES[spelling], order.order_id)
        else:
            payer = name
            name_only.append((f"bank:0005-001-1234567:{reference:06d}", order.order_id, paid))
        by_day[paid].append((reference, order.expected, payer, "0"))
        note(
            "bank_transfer_with_customer_number" if reference % 5 else "bank_transfer_name_only",
            order.order_id,
        )
    payday = end - dt.timedelta(days=1)
    several = [o for o in unpaid.values() if len(o) > 1]
    single = [o for o in unpaid.values() if len(o) == 1 and o[0].expected > 2000]
    extra = []
    if several:
        extra.append(
            ("bank_consolidated_transfer", several[0], sum(o.expected for o in several[0]))
        )
    if single:
        extra.append(("bank_partial_transfer", single[0], single[0][0].expected - 1000))
    for case, group, amount in extra:
        reference += 1
        by_day[payday].append((reference, amount, f"{group[0].payment_ref} ﾏﾄﾒﾃ ﾌﾘｺﾐ", "0"))
        note(case, *[o.order_id for o in group])
    taken = {o.customer for _, group, _ in extra for o in group}
    reference = _doubtful_transfers(land, unpaid, by_day, reference, end, note, taken)
    _mistaken_and_double_transfers(
        orders, unpaid, by_day, reference, end, note, taken, paid_konbini
    )
    reference = _learning_cases(land, by_day, reference, start, end, note)
    for day, transfers in by_day.items():
        land.raw[("bank", day, f"furikomi_{day:%Y%m%d}.txt")] = _zengin(day, transfers)
    return name_only


LEARNING_CUSTOMERS = 901
"""Customers of the matching-that-learns cases: beyond the month's random 1-400."""


def _learning_cases(
    land: Landing,
    by_day: dict,
    reference: int,
    start: dt.date,
    end: dt.date,
    note,
) -> int:
    """Matching that learns, one customer per case, their own orders and transfers: a
    family member's name an operator matches by hand (day 3) and that pays the next order
    by itself (learned_alias); a payer alias from the payer_aliases file, then removed; two
    customers who take the bank's fee off (transfer_fee); a transfer for two of three open
    orders (customer_subset) and one that two subsets fit (a suggestion). Returns the last
    transfer reference."""
    # after every reference the other bank cases took (_mistaken_and_double_transfers keeps
    # its own count)
    reference = max((t[0] for ts in by_day.values() for t in ts), default=reference)
    number = 950000
    day = {n: start + dt.timedelta(days=n - 1) for n in range(1, 32)}

    def ship(customer: int, shipped: int, amount: int) -> Order:
        nonlocal number
        number += 1
        order = Order(
            number=number,
            order_id=f"ORD-{number:07d}",
            customer=customer,
            method="BANK_TRANSFER",
            shipped=day[shipped],
            item=amount,
            shipping=0,
            cod_fee=0,
            coupon=0,
            points=0,
            payment_ref=f"{customer:07d}",
            due=day[shipped] + dt.timedelta(days=14),
        )
        land.add(
            "shipments",
            order.shipped,
            f"shipments_{order.shipped:%Y%m%d}.csv",
            _ship_row(order, "SHIP", order.shipped, 0, number),
        )
        return order

    def pay(on: int, amount: int, payer: str) -> str:
        nonlocal reference
        reference += 1
        by_day[day[on]].append((reference, amount, payer, "0"))
        return f"bank:0005-001-1234567:{reference:06d}"

    if end < day[31]:
        return reference
    alias, family = LEARNING_CUSTOMERS, "ｷﾀｶﾞﾜ ｼｽﾞｴ"  # a family member's account
    first, later = ship(alias, 1, 12340), ship(alias, 15, 8760)
    line = pay(2, 12340, family)
    land.add(
        "dispositions",
        day[3],
        f"dispositions_{day[3]:%Y%m%d}.csv",
        [
            "D-0008",
            "MANUAL_MATCH",
            first.order_id,
            line,
            "",
            "家族名義の振込",
            "keiri02",
            day[3].isoformat(),
        ],
    )
    pay(20, 8760, family)
    note("alias_learned_by_manual_match", first.order_id)
    note("alias_matched_later", later.order_id)
    listed, payer = LEARNING_CUSTOMERS + 1, "ﾐﾅﾐﾔﾏ ｹﾝｼﾞ"  # the customer's accounting office
    for row, action, on in (("PA-0001", "ADD", 5), ("PA-0002", "REMOVE", 22)):
        land.add(
            "payer_aliases",
            day[on],
            f"payer_aliases_{day[on]:%Y%m%d}.csv",
            [row, action, payer, f"{listed:07d}", "経理代行", "keiri02", day[on].isoformat()],
        )
    kept, dropped = ship(listed, 8, 5500), ship(listed, 18, 4400)
    pay(12, 5500, payer)
    pay(25, 4400, payer)
    note("alias_from_file", kept.order_id)
    note("alias_removed", dropped.order_id)
    for customer, amount, fee in (
        (LEARNING_CUSTOMERS + 2, 15000, 440),
        (LEARNING_CUSTOMERS + 3, 22000, 330),
    ):
        order = ship(customer, 4, amount)
        pay(9, amount - fee, f"{customer:07d} ﾃｽｳﾘﾖｳ ｻｼﾋｷ")
        note("bank_transfer_fee_deducted", order.order_id)
    subset = [ship(LEARNING_CUSTOMERS + 4, 6, amount) for amount in (3000, 4500, 7200)]
    pay(11, 3000 + 7200, f"{LEARNING_CUSTOMERS + 4:07d} ﾆｹﾝﾌﾞﾝ")
    note("bank_subset_paid", subset[0].order_id, subset[2].order_id)
    note("bank_subset_left_open", subset[1].order_id)
    doubtful = [ship(LEARNING_CUSTOMERS + 5, 6, amount) for amount in (2000, 3000, 4000, 5000)]
    pay(11, 7000, f"{LEARNING_CUSTOMERS + 5:07d} ﾆｹﾝﾌﾞﾝ")
    note("bank_subset_suggested", *(o.order_id for o in doubtful))
    return reference


PAYER_SPELLINGS = ("{number} {name}", "{number}{name}", "{name} {number}", "{wide} {name}")
"""How payers type their customer number: as asked, without the space, after the name, in
full-width digits (staging.payer_customer_number reads them all)."""
SPELLING_CASES = dict(
    zip(
        PAYER_SPELLINGS,
        (
            "bank_number_first",
            "bank_number_without_separator",
            "bank_number_after_name",
            "bank_number_full_width",
        ),
        strict=True,
    )
)
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
NOBODYS_NUMBER = "9999999"


def _doubtful_transfers(
    land: Landing,
    unpaid: dict[int, list[Order]],
    by_day: dict[dt.date, list[Transfer]],
    reference: int,
    end: dt.date,
    note,
    taken: set[int],
) -> int:
    """Two transfers a reader could get wrong. One carries a number that belongs to nobody
    before a customer's name, with the amount of their open order: the number counts as none
    and the name suggests the order. One is a payment whose notice the bank writes with an
    impossible date: the row is quarantined on the day its order would be dunned, the order
    waits (PAYMENT_IN_QUARANTINE), and the corrected notice two days later pays it."""
    open_orders = [
        group[0] for customer, group in unpaid.items() if customer not in taken and len(group) == 1
    ]
    unknown = next((o for o in open_orders if o.shipped + dt.timedelta(days=3) <= end), None)
    if unknown is not None:
        taken.add(unknown.customer)
        reference += 1
        family, given = unknown.customer % 10, (unknown.customer // 10) % 10
        by_day[unknown.shipped + dt.timedelta(days=3)].append(
            (
                reference,
                unknown.expected,
                f"{NOBODYS_NUMBER} {FAMILY_HALF[family]} {GIVEN_HALF[given]}",
                "0",
            )
        )
        note("bank_unknown_customer_number", unknown.order_id)
    held = next(
        (
            o
            for o in open_orders
            if o.customer not in taken and o.due and o.due + dt.timedelta(days=9) <= end
        ),
        None,
    )
    if held is not None and held.due is not None:
        taken.add(held.customer)
        reference += 1
        quarantined_on = held.due + dt.timedelta(days=7)
        transfer = (reference, held.expected, f"{held.payment_ref} ｿｳｷﾝ", "0")
        by_day[quarantined_on].append((*transfer, "081399"))
        corrected_on = quarantined_on + dt.timedelta(days=2)
        name = f"furikomi_{quarantined_on:%Y%m%d}_corrected.txt"
        land.raw[("bank", corrected_on, name)] = _zengin(corrected_on, [transfer])
        note("payment_in_quarantine", held.order_id)
        note(
            "quarantined_payment_row", f"bank/{quarantined_on}/furikomi_{quarantined_on:%Y%m%d}.txt"
        )
    return reference


def _mistaken_and_double_transfers(
    orders: list[Order],
    unpaid: dict[int, list[Order]],
    by_day: dict,
    reference: int,
    end: dt.date,
    note,
    taken: set[int],
    paid_konbini: set[str],
) -> None:
    """A transfer the bank cancels (取消区分 1) the next day, and a konbini order its customer
    also pays by bank transfer (cross-channel double payment)."""
    day = end - dt.timedelta(days=6)
    target = next(
        (
            o
            for customer, group in unpaid.items()
            if customer not in taken
            for o in group
            if o.shipped < day
        ),
        None,
    )
    if target is None:
        return
    reference += 1
    for offset, flag in ((0, "0"), (1, "1")):
        by_day[day + dt.timedelta(days=offset)].append(
            (reference, target.expected, f"{target.payment_ref} ｿｳｷﾝ ﾐｽ", flag)
        )
    note("bank_transfer_cancelled", target.order_id)
    numbers = {o.customer: o.payment_ref for o in orders if o.method == "BANK_TRANSFER"}
    konbini = next(
        (
            o
            for o in orders
            if o.order_id in paid_konbini
            and o.customer in numbers
            and o.customer not in unpaid
            and o.shipped < day - dt.timedelta(days=14)
        ),
        None,
    )
    if konbini is None:
        return
    paid_konbini.discard(konbini.order_id)
    reference += 1
    by_day[day].append((reference, konbini.expected, f"{numbers[konbini.customer]} ﾀﾞﾌﾞﾙ", "0"))
    note("cross_channel_double_payment", konbini.order_id)


def _dispositions(
    land: Landing,
    start: dt.date,
    end: dt.date,
    scenarios: dict[str, list[str]],
    name_only: list[tuple[str, str, dt.date]],
    numbers: dict[str, int],
) -> None:
    """Operators' decisions of the month: one of every action, and one that must be rejected."""

    def decide(
        ident: str,
        action: str,
        day: dt.date,
        receivable: str = "",
        line: str = "",
        note_text: str = "",
    ) -> None:
        land.add(
            "dispositions",
            day,
            f"dispositions_{day:%Y%m%d}.csv",
            [ident, action, receivable, line, "", note_text, "keiri02", day.isoformat()],
        )

    confirmable = next((n for n in name_only if n[2] + dt.timedelta(days=2) <= end), None)
    if confirmable:
        line, order, paid = confirmable
        decide(
            "D-0002", "MANUAL_MATCH", paid + dt.timedelta(days=2), order, line, "振込依頼人名で確認"
        )
        scenarios["manual_match_confirmed"] = [order]
    unpaid = scenarios.pop("konbini_unpaid")
    decide("D-0003", "WRITE_OFF", end - dt.timedelta(days=2), unpaid[0], note_text="貸倒承認")
    scenarios["written_off"] = [unpaid[0]]
    decide(
        "D-0004", "DISPUTE", start + dt.timedelta(days=12), unpaid[1], note_text="商品未着の申出"
    )
    decide("D-0005", "RELEASE", start + dt.timedelta(days=20), unpaid[1], note_text="配達確認済")
    scenarios["disputed_then_released"] = [unpaid[1]]
    scenarios["konbini_unpaid"] = unpaid[2:]
    refunded, *others = scenarios["overpayment_refunded"]
    scenarios["overpayment_refunded"] = [refunded]
    scenarios["over_payment"] += others
    decide(
        "D-0006",
        "REFUNDED",
        start + dt.timedelta(days=10),
        line=f"card:txn_{numbers[refunded]:07d}",
        note_text="差額返金",
    )
    decide(
        "D-0007", "WRITE_OFF", start + dt.timedelta(days=15), "ORD-0999999", note_text="番号誤り"
    )
    scenarios["rejected_disposition"] = ["D-0007"]


def _exceptions(land: Landing, start: dt.date, end: dt.date, note) -> None:
    """Unknown payments, fee lines, a late file, bad rows and bad files, a disposition."""
    for n, day in enumerate((start + dt.timedelta(days=4), start + dt.timedelta(days=18))):
        name = f"balance_transactions_{day:%Y%m%d}.csv"
        at = dt.datetime.combine(day, dt.time(9))
        land.add("card", day, name, _card(f"txn_unknown{n}", f"ORD-99{n:05d}", "charge", 3000, at))
        note("unknown_card_payment", f"card:txn_unknown{n}")
        land.add(
            "card",
            day,
            name,
            [
                f"txn_fee{n}",
                at.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
                "fee",
                "",
                0,
                250,
                -250,
                "jpy",
                "po_fee",
                day.isoformat(),
            ],
        )
        note("card_fee_line", f"card:txn_fee{n}")
        land.add(
            "card",
            day,
            name,
            [
                f"txn_bad{n}",
                at.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
                "charge",
                "ORD-0000001",
                1000,
                36,
                900,
                "jpy",
                "po",
                "",
            ],
        )
        note("bad_card_row", f"card/{day}/{name}")
    late_day = start + dt.timedelta(days=9)
    arrival = late_day + dt.timedelta(days=3)
    at = dt.datetime.combine(late_day, dt.time(23))
    for n in range(2):
        land.add(
            "card",
            arrival,
            f"balance_transactions_late_{late_day:%Y%m%d}.csv",
            _card(f"txn_late{n}", f"ORD-98{n:05d}", "charge", 1200, at),
        )
    note("late_file", f"card/{arrival}/balance_transactions_late_{late_day:%Y%m%d}.csv")
    bad_day = start + dt.timedelta(days=6)
    land.raw[("konbini", bad_day, "cvs_sokuho_broken.csv")] = b"\x8e\xed\x95\xca\x82\xff\r\n01"
    note("undecodable_file", f"konbini/{bad_day}/cvs_sokuho_broken.csv")
    header = ",".join("amount" if h == "gross" else h for h in land.headers["card"])
    land.raw[("card", bad_day, "balance_transactions_v2.csv")] = (header + "\n").encode()
    note("wrong_header_file", f"card/{bad_day}/balance_transactions_v2.csv")
    decided = start + dt.timedelta(days=7)
    land.add(
        "dispositions",
        decided,
        f"dispositions_{decided:%Y%m%d}.csv",
        [
            "D-0001",
            "IGNORE",
            "",
            "card:txn_unknown0",
            "",
            "test charge by the gateway",
            "keiri01",
            decided.isoformat(),
        ],
    )
    note("disposition", "D-0001")


def _duplicate_delivery(landing_dir: Path, start: dt.date, note) -> None:
    first = start + dt.timedelta(days=1)
    again = start + dt.timedelta(days=5)
    source = landing_dir / "card" / first.isoformat() / f"balance_transactions_{first:%Y%m%d}.csv"
    target = landing_dir / "card" / again.isoformat() / "resend_of_earlier_file.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    note("duplicate_delivery", f"card/{again}/resend_of_earlier_file.csv")
