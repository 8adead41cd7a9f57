"""Synthetic landing zones at scale for every inbound layout (vectorized, streaming writes).

Time line (day 0 is the *backlog day*):

- ``HISTORY_DAYS`` (100) ship days ``-99 … 0`` hold the ``orders`` of history, ~1 % a day.
  Every file that would have arrived on one of those days lands in the backlog day's folder
  (``<source>/<backlog day>/<name carrying its original date>``), so the whole history is
  one Dagster partition.
- ``days`` daily partitions ``1 … days`` each ship ~1 % of ``orders`` new orders and receive
  the settlements that fall due that day (of new orders and of the last weeks of history).
  Files arriving after the last day are not written (not yet delivered).

Payment methods are mixed CARD 45 %, KONBINI 20 %, MALL 15 %, COD 8 %, BNPL 7 %,
BANK_TRANSFER 5 %. Most orders are paid exactly; some are short, over, double paid,
cancelled (card refund, BNPL 取消), left unpaid; konbini payments come as 速報 then 確報
(some 速報取消), bank transfers come as Zengin records with and without customer number
(some 取消区分 notices); unknown card payments, gateway fee rows, Amazon fee lines and a few
dispositions (IGNORE, WRITE_OFF) are mixed in.

Orders are generated one ship day at a time (numpy/pandas per day, never the whole history
in memory); CSV files are appended to and closed once no later ship day can add to them;
Zengin and Amazon files (control totals) are buffered per file and written when complete,
with the demo month's record writers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from recon_pipeline.contracts import load_contracts
from recon_pipeline.demo_month import (
    CHAINS,
    COMPANY,
    CSV_FORMAT,
    FAMILY,
    FAMILY_HALF,
    FAMILY_KANA,
    GIVEN,
    GIVEN_HALF,
    GIVEN_KANA,
    PLACES,
    SHOP,
    Order,
    _amazon,
    _zengin,
)

HISTORY_DAYS = 100
BACKLOG_DAY = dt.date(2026, 9, 30)
METHODS = np.array(["CARD", "KONBINI", "MALL", "COD", "BNPL", "BANK_TRANSFER"])
METHOD_SHARES = np.array([0.45, 0.20, 0.15, 0.08, 0.07, 0.05])
SETTLEMENT_SOURCES = ("card", "cod", "bnpl", "konbini", "bank")
HEADERS = {c.source: c.header for c in load_contracts()}
WEIGHTS = np.array([3 if i % 2 == 0 else 1 for i in range(43)][::-1], dtype=np.int64)
OWN_SITE_LIMIT = 9_000_000  # ORD-9xxxxxx are the unknown card payments


@dataclass
class Generated:
    """What was written: rows and bytes per source, for the backlog day and the daily days."""

    backlog_day: dt.date
    days: list[dt.date]
    rows: dict[str, dict[str, int]] = field(
        default_factory=lambda: {"backlog": defaultdict(int), "daily": defaultdict(int)}
    )
    files: dict[str, list[Path]] = field(default_factory=lambda: {"backlog": [], "daily": []})
    orders: dict[str, int] = field(default_factory=lambda: {"backlog": 0, "daily": 0})

    def total_rows(self, part: str) -> int:
        return sum(self.rows[part].values())

    def total_bytes(self, part: str) -> int:
        return sum(p.stat().st_size for p in self.files[part])


class Landing:
    """Streams rows into ``<root>/<source>/<folder day>/<name>``, keyed by arrival day."""

    def __init__(self, root: Path, days: int, out: Generated) -> None:
        self.root, self.days, self.out = root, days, out
        self.handles: dict[tuple[str, int, str], IO[str]] = {}
        self.zengin: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)

    def part(self, arrival: int) -> str:
        return "backlog" if arrival <= 0 else "daily"

    def path(self, source: str, arrival: int, name: str) -> Path:
        folder = day_of(max(arrival, 0))
        return self.root / source / folder.isoformat() / name

    def write(self, source: str, arrival: np.ndarray, frame: pd.DataFrame, stem: str) -> None:
        """Append ``frame``'s rows to the file of each row's arrival day."""
        if not len(frame):
            return
        encoding, line_end = CSV_FORMAT[source]
        frame = frame[HEADERS[source]]
        arrival = np.asarray(arrival)
        for value in np.unique(arrival):
            if value > self.days:
                continue
            rows = frame[arrival == value]
            key = (source, int(value), f"{stem}_{day_of(int(value)):%Y%m%d}.csv")
            handle = self.handles.get(key)
            if handle is None:
                path = self.path(*key)
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = path.open("w", encoding=encoding, newline="")
                handle.write(",".join(HEADERS[source]) + line_end)
                self.handles[key] = handle
                self.out.files[self.part(int(value))].append(path)
            rows.to_csv(handle, header=False, index=False, lineterminator=line_end)
            self.out.rows[self.part(int(value))][source] += len(rows)

    def add_transfers(self, arrival: int, transfers: list[tuple[int, int, str, str]]) -> None:
        if arrival <= self.days:
            self.zengin[arrival].extend(transfers)

    def add_raw(self, source: str, arrival: int, name: str, data: bytes, rows: int) -> None:
        if arrival > self.days:
            return
        path = self.path(source, arrival, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.out.files[self.part(arrival)].append(path)
        self.out.rows[self.part(arrival)][source] += rows

    def close_until(self, day: int) -> None:
        """Close every file whose arrival day is ≤ ``day`` (no later ship day adds to it)."""
        for key in [k for k in self.handles if k[1] <= day]:
            self.handles.pop(key).close()
        for arrival in [a for a in self.zengin if a <= day]:
            transfers = self.zengin.pop(arrival)
            when = day_of(arrival)
            self.add_raw(
                "bank",
                arrival,
                f"furikomi_{when:%Y%m%d}.txt",
                _zengin(when, transfers),
                len(transfers),
            )


def day_of(offset: int) -> dt.date:
    return BACKLOG_DAY + dt.timedelta(days=offset)


def _dates(offsets: np.ndarray, fmt: str) -> pd.Series:
    """Day offsets as formatted dates (vectorized through a lookup table)."""
    low = int(offsets.min()) if len(offsets) else 0
    high = int(offsets.max()) if len(offsets) else 0
    table = np.array([f"{day_of(d):{fmt}}" for d in range(low, high + 1)], dtype=object)
    return pd.Series(table[np.asarray(offsets) - low])


def _z(values: np.ndarray | pd.Series, width: int) -> pd.Series:
    return pd.Series(np.asarray(values)).astype(str).str.zfill(width)


def _check_digits(bodies: pd.Series) -> pd.Series:
    if not len(bodies):
        return bodies
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 43) - 48
    total = (digits.astype(np.int64) * WEIGHTS).sum(axis=1)
    return pd.Series(((10 - total % 10) % 10).astype(str), index=bodies.index)


class Generator:
    """One ship day at a time; counters keep ids unique across days."""

    def __init__(self, landing: Landing, orders: int, days: int, seed: int) -> None:
        self.landing, self.orders, self.days, self.seed = landing, orders, days, seed
        self.customers = min(999_999, max(1_000, orders // 5))
        self.own = self.mall = self.event = self.txn = self.ref = self.unknown = 0
        self.mall_window: list[Order] = []
        self.window_index: int | None = None
        self.unknown_lines: dict[int, list[str]] = defaultdict(list)
        self.unpaid_konbini: list[tuple[int, str]] = []

    def per_day(self, ship_day: int) -> int:
        if ship_day <= 0:
            base, extra = divmod(self.orders, HISTORY_DAYS)
            return base + (1 if (ship_day + HISTORY_DAYS - 1) < extra else 0)
        return max(1, round(self.orders / HISTORY_DAYS))

    def run(self) -> None:
        for ship_day in range(1 - HISTORY_DAYS, self.days + 1):
            self.ship_day(ship_day)
            self.landing.close_until(ship_day)
        self._flush_amazon()
        self.landing.close_until(10**6)
        self._dispositions()
        self.landing.close_until(10**6)
        self._empty_deliveries()

    def ship_day(self, t: int) -> None:
        rng = np.random.default_rng([self.seed, t + 10_000])
        n = self.per_day(t)
        self.landing.out.orders[self.landing.part(t)] += n
        method = rng.choice(METHODS, size=n, p=METHOD_SHARES)
        customer = rng.integers(1, self.customers + 1, n)
        is_mall = method == "MALL"
        item = rng.integers(10, 300, n) * 100
        shipping = np.where(is_mall, 0, rng.choice([0, 600], n))
        cod_fee = np.where(method == "COD", 330, 0)
        coupon = rng.choice([0, 0, 0, 300, 500], n)
        points = np.where(is_mall, 0, rng.choice([0, 0, 0, 0, 100], n))
        expected = item + shipping + cod_fee - coupon - points
        own_seq = np.cumsum(~is_mall) + self.own
        mall_seq = np.cumsum(is_mall) + self.mall
        self.own, self.mall = int(own_seq[-1]), int(mall_seq[-1])
        if self.own >= OWN_SITE_LIMIT:
            raise ValueError("too many own-site orders for 7-digit order ids")
        order_id = np.where(
            is_mall,
            "249-" + _z(rng.integers(0, 10**7, n), 7) + "-" + _z(mall_seq, 7),
            "ORD-" + _z(own_seq, 7),
        )
        seq = np.arange(n) + self.event + 1
        self.event += n
        o = pd.DataFrame(
            {
                "order_id": order_id,
                "method": method,
                "customer": customer,
                "item": item,
                "shipping": shipping,
                "cod_fee": cod_fee,
                "coupon": coupon,
                "points": points,
                "expected": expected,
                "seq": seq,
                "u": rng.random(n),
                "u2": rng.random(n),
            }
        )
        o["payment_ref"] = np.select(
            [method == "KONBINI", method == "BANK_TRANSFER"],
            ["1" + _z(seq, 15), _z(customer, 7)],
            "",
        )
        o["tracking"] = np.where(is_mall, "", "4" + _z(seq, 11))
        due = np.select(
            [method == "BNPL", np.isin(method, ["KONBINI", "BANK_TRANSFER"])],
            [t + 30, t + 14],
            -(10**6),
        )
        o["due"] = due
        cancels = self._card(t, o[method == "CARD"], rng)
        cancels += self._bnpl(t, o[method == "BNPL"])
        self._shipments(t, o, cancels)
        self._konbini(t, o[method == "KONBINI"], rng)
        self._cod(t, o[method == "COD"])
        self._bank(t, o[method == "BANK_TRANSFER"], rng)
        self._amazon(t, o[is_mall])

    def _shipments(self, t: int, o: pd.DataFrame, cancels: list[tuple[pd.DataFrame, int]]) -> None:
        frames, arrivals = [self._ship_rows(o, "SHIP", np.full(len(o), t))], [np.full(len(o), t)]
        for rows, when in cancels:
            frames.append(self._ship_rows(rows, "CANCEL", np.full(len(rows), when)))
            arrivals.append(np.full(len(rows), when))
        self.landing.write(
            "shipments", np.concatenate(arrivals), pd.concat(frames, ignore_index=True), "shipments"
        )

    def _ship_rows(self, o: pd.DataFrame, kind: str, when: np.ndarray) -> pd.DataFrame:
        n = len(o)
        seq = np.arange(n) + self.event + 1
        self.event += n
        customer = o["customer"].to_numpy()
        family, given = customer % 10, (customer // 10) % 10
        place = customer % len(PLACES)
        due = o["due"].to_numpy()
        has_due = due > -(10**5)
        due_text = _dates(np.where(has_due, due, 0), "%Y-%m-%d").where(has_due, "")
        return pd.DataFrame(
            {
                "event_id": "EV-" + _z(seq, 10),
                "event_type": kind,
                "order_id": o["order_id"].to_numpy(),
                "event_date": _dates(when, "%Y-%m-%d"),
                "customer_id": "C" + _z(customer, 6),
                "customer_name": pd.Series(np.array(FAMILY)[family]) + " " + np.array(GIVEN)[given],
                "customer_kana": pd.Series(np.array(FAMILY_KANA)[family])
                + " "
                + np.array(GIVEN_KANA)[given],
                "postal_code": np.array([p[0] for p in PLACES])[place],
                "address": np.array([p[1] for p in PLACES])[place],
                "phone": "03-" + _z(customer % 10000, 4) + "-" + _z(seq % 10000, 4),
                "channel": np.where(o["method"].to_numpy() == "MALL", "AMAZON", "OWN_SITE"),
                "payment_method": o["method"].to_numpy(),
                "payment_ref": o["payment_ref"].to_numpy(),
                "tracking_no": o["tracking"].to_numpy(),
                "item_amount": o["item"].to_numpy(),
                "shipping_fee": o["shipping"].to_numpy(),
                "cod_fee": o["cod_fee"].to_numpy(),
                "coupon_discount": o["coupon"].to_numpy(),
                "points_used": o["points"].to_numpy(),
                "due_date": due_text.to_numpy(),
            }
        )

    def _card_rows(
        self,
        ids: pd.Series,
        orders: pd.Series,
        category: str,
        gross: np.ndarray,
        day: int,
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        n = len(ids)
        fee = np.where(category == "charge", np.abs(gross) * 36 // 1000, 0)
        seconds = rng.integers(9 * 3600, 23 * 3600, n)
        clock = _z(seconds // 3600, 2) + ":" + _z(seconds // 60 % 60, 2) + ":" + _z(seconds % 60, 2)
        payout = np.full(n, day + 7)
        return pd.DataFrame(
            {
                "balance_transaction_id": ids.to_numpy(),
                "created": (
                    _dates(np.full(n, day), "%Y-%m-%d") + "T" + clock + "+09:00"
                ).to_numpy(),
                "reporting_category": category,
                "order_id": orders.to_numpy(),
                "gross": gross,
                "fee": fee,
                "net": gross - fee,
                "currency": "jpy",
                "payout_id": ("po_" + _dates(payout, "%Y%m%d")).to_numpy(),
                "payout_date": _dates(payout, "%Y-%m-%d").to_numpy(),
            }
        )

    def _card(self, t: int, o: pd.DataFrame, rng: np.random.Generator) -> list:
        """Charges the same day (file the next day): 94.7 % exact, 1 % short, 0.5 % over,
        0.3 % double, 0.5 % cancelled and refunded, 3 % not settled."""
        u = o["u"].to_numpy()
        expected = o["expected"].to_numpy()
        paid = u >= 0.03
        gross = np.select([u < 0.04, u < 0.045], [expected * 9 // 10, expected + 700], expected)
        txn = "txn_" + _z(o["seq"].to_numpy(), 10)
        frames = [self._card_rows(txn[paid], o["order_id"][paid], "charge", gross[paid], t, rng)]
        double = (u >= 0.045) & (u < 0.048)
        frames.append(
            self._card_rows(
                txn[double] + "b", o["order_id"][double], "charge", gross[double], t, rng
            )
        )
        cancel = (u >= 0.048) & (u < 0.053)
        refunds = self._card_rows(
            txn[cancel] + "r", o["order_id"][cancel], "refund", -expected[cancel], t + 2, rng
        )
        k = max(1, len(o) // 2000)
        unknown = pd.Series([f"txn_unk{self.unknown + i:08d}" for i in range(k)])
        unknown_orders = pd.Series([f"ORD-9{(self.unknown + i) % 10**6:06d}" for i in range(k)])
        self.unknown_lines[t + 1] += ["card:" + x for x in unknown]
        self.unknown += k
        frames.append(
            self._card_rows(
                unknown, unknown_orders, "charge", rng.integers(10, 100, k) * 100, t, rng
            )
        )
        fee_row = self._card_rows(
            pd.Series([f"txn_fee{t + 10_000:08d}"]), pd.Series([""]), "fee", np.array([0]), t, rng
        )
        fee_row[["fee", "net"]] = [250, -250]
        frames.append(fee_row)
        charges = pd.concat(frames, ignore_index=True)
        self.landing.write("card", np.full(len(charges), t + 1), charges, "balance_transactions")
        self.landing.write("card", np.full(len(refunds), t + 3), refunds, "balance_transactions")
        return [(o[cancel], t + 2)]

    def _bnpl(self, t: int, o: pd.DataFrame) -> list:
        """Every sale reported the next day; 3 % cancelled (取消 three days later)."""
        expected = o["expected"].to_numpy()
        fee = expected * 3 // 100
        ids = "NP" + _z(o["seq"].to_numpy(), 10)
        sales = pd.DataFrame(
            {
                "加盟店取引ID": o["order_id"].to_numpy(),
                "決済事業者取引ID": ids.to_numpy(),
                "取引区分": "売上",
                "請求金額": expected,
                "決済手数料": fee,
                "入金額": expected - fee,
                "入金予定日": _dates(np.full(len(o), t + 31), "%Y/%m/%d").to_numpy(),
            }
        )
        self.landing.write("bnpl", np.full(len(o), t + 1), sales, "bnpl_settlement")
        cancel = o["u"].to_numpy() < 0.03
        undo = sales[cancel].assign(
            決済事業者取引ID=lambda f: f["決済事業者取引ID"] + "C",
            取引区分="取消",
            請求金額=lambda f: -f["請求金額"],
            決済手数料=lambda f: -f["決済手数料"],
            入金額=lambda f: -f["入金額"],
            入金予定日=_dates(np.full(int(cancel.sum()), t + 34), "%Y/%m/%d").to_numpy(),
        )
        self.landing.write("bnpl", np.full(len(undo), t + 4), undo, "bnpl_settlement")
        return [(o[cancel], t + 3)]

    def _konbini(self, t: int, o: pd.DataFrame, rng: np.random.Generator) -> None:
        """92 % paid 1–12 days after shipping (1.5 % short): 速報 the next day, 確報 a week
        after; 0.5 % of 速報 cancelled (取消) instead of confirmed; 8 % unpaid (dunned)."""
        u = o["u"].to_numpy()
        self.unpaid_konbini += [(t, x) for x in o["order_id"][u < 0.08]]
        o = o[u >= 0.08]
        u, n = o["u"].to_numpy(), len(o)
        if not n:
            return
        amount = np.where(u < 0.095, o["expected"].to_numpy() * 9 // 10, o["expected"].to_numpy())
        collected = t + rng.integers(1, 13, n)
        ref = o["payment_ref"].reset_index(drop=True)
        bodies = (
            "91"
            + COMPANY
            + SHOP
            + ref
            + "0"
            + _dates(o["due"].to_numpy(), "%y%m%d")
            + "0"
            + _z(amount, 6)
        )
        barcode = bodies + _check_digits(bodies)
        ean = o["u2"].to_numpy() < 0.3
        minutes = rng.integers(6 * 60, 23 * 60, n)
        chain = rng.integers(0, len(CHAINS), n)
        rows = pd.DataFrame(
            {
                "種別": "01",
                "収納日": _dates(collected, "%Y%m%d").to_numpy(),
                "収納時刻": (_z(minutes // 60, 2) + _z(minutes % 60, 2)).to_numpy(),
                "バーコード情報": np.where(ean, "EAN" + barcode, barcode),
                "ユーザー使用欄１": ref.str[:6].to_numpy(),
                "ユーザー使用欄２": (ref.str[6:] + "0").to_numpy(),
                "印紙フラグ": "0",
                "金額": amount,
                "コンビニ本部コード": np.array([c[0] for c in CHAINS])[chain],
                "コンビニ名": np.array([c[1] for c in CHAINS])[chain],
                "コンビニ店舗コード": _z(100000 + minutes, 6).to_numpy(),
                "振込日": "0",
                "データ作成日": _dates(collected, "%Y%m%d").to_numpy(),
            }
        )
        self.landing.write("konbini", collected + 1, rows, "cvs_sokuho")
        voided = (o["u2"].to_numpy() >= 0.3) & (o["u2"].to_numpy() < 0.305)
        self.landing.write(
            "konbini", collected[voided] + 2, rows[voided].assign(種別="03"), "cvs_torikeshi"
        )
        kept = ~voided
        confirmed = rows[kept].assign(
            種別="02",
            振込日=_dates(collected[kept] + 10, "%Y%m%d").to_numpy(),
            データ作成日=_dates(collected[kept] + 8, "%Y%m%d").to_numpy(),
        )
        self.landing.write("konbini", collected[kept] + 8, confirmed, "cvs_kakuho")

    def _cod(self, t: int, o: pd.DataFrame) -> None:
        """Delivered two days after shipping, remitted three days later; 3 % refused."""
        o = o[o["u"].to_numpy() >= 0.03]
        n = len(o)
        collected = o["expected"].to_numpy()
        rows = pd.DataFrame(
            {
                "伝票番号": o["tracking"].to_numpy(),
                "お届け日": _dates(np.full(n, t + 2), "%Y/%m/%d").to_numpy(),
                "代引金額": collected,
                "決済手数料": 330,
                "入金額": collected - 330,
                "入金予定日": _dates(np.full(n, t + 12), "%Y/%m/%d").to_numpy(),
            }
        )
        self.landing.write("cod", np.full(n, t + 5), rows, "cod_remittance")

    def _bank(self, t: int, o: pd.DataFrame, rng: np.random.Generator) -> None:
        """Zengin transfers 2–11 days after shipping: 80 % exact with customer number, 5 %
        name only, 2 % short, 1 % over, 12 % unpaid; 0.2 % cancelled by the bank next day."""
        u = o["u"].to_numpy()
        pay = u >= 0.12
        o, u = o[pay], u[pay]
        if not len(o):
            return
        expected = o["expected"].to_numpy()
        amount = np.select([u < 0.14, u < 0.15], [expected * 9 // 10, expected + 1000], expected)
        customer = o["customer"].to_numpy()
        names = (
            pd.Series(np.array(FAMILY_HALF)[customer % 10])
            + " "
            + np.array(GIVEN_HALF)[(customer // 10) % 10]
        )
        payer = np.where(u < 0.20, names, o["payment_ref"].to_numpy() + " " + names)
        arrival = t + 1 + rng.integers(2, 12, len(o))
        cancel = o["u2"].to_numpy() < 0.002
        for i in range(len(o)):
            self.ref += 1
            self.landing.add_transfers(
                int(arrival[i]), [(self.ref, int(amount[i]), str(payer[i]), "0")]
            )
            if cancel[i]:
                self.landing.add_transfers(
                    int(arrival[i]) + 1, [(self.ref, int(amount[i]), str(payer[i]), "1")]
                )
        if self.ref > 999_999:
            raise ValueError("more Zengin transfers than 6-digit 照会番号 on one account")

    def _amazon(self, t: int, o: pd.DataFrame) -> None:
        """Weekly settlements (posted on the ship day, file two days after the week); 1 %
        of the orders not yet settled."""
        window = (t + HISTORY_DAYS) // 7
        if self.window_index is not None and window != self.window_index:
            self._flush_amazon()
        self.window_index = window
        o = o[o["u"].to_numpy() >= 0.01]
        when = day_of(t)
        self.mall_window += [
            Order(
                number=int(s),
                order_id=i,
                customer=int(c),
                method="MALL",
                shipped=when,
                item=int(a),
                shipping=0,
                cod_fee=0,
                coupon=int(p),
                points=0,
            )
            for s, i, c, a, p in zip(
                o["seq"], o["order_id"], o["customer"], o["item"], o["coupon"], strict=True
            )
        ]

    def _flush_amazon(self) -> None:
        if self.window_index is None or not self.mall_window:
            return
        until = (self.window_index + 1) * 7 - HISTORY_DAYS - 1
        rows = sum(3 + (1 if o.coupon else 0) for o in self.mall_window) + 1
        settlement = f"{7_000_000_000 + self.window_index}"
        self.landing.add_raw(
            "amazon",
            until + 2,
            f"settlement_{settlement}.tsv",
            _amazon(settlement, day_of(until), self.mall_window),
            rows,
        )
        self.mall_window = []

    def _dispositions(self) -> None:
        """Each partition: IGNORE up to 20 unknown card payments that have arrived, WRITE_OFF
        konbini receivables unpaid for more than 60 days (20 on the backlog day, 5 a day)."""
        number = 0
        for part_day in [0, *range(1, self.days + 1)]:
            arrived = [d for d in self.unknown_lines if d <= part_day]
            lines = [x for d in arrived for x in self.unknown_lines.pop(d)][:20]
            limit = 20 if part_day == 0 else 5
            old = [x for x in self.unpaid_konbini if x[0] < part_day - 60][:limit]
            self.unpaid_konbini = [x for x in self.unpaid_konbini if x not in old]
            when = day_of(part_day).isoformat()
            rows = []
            for line in lines:
                number += 1
                rows.append(
                    [f"D-{number:07d}", "IGNORE", "", line, "", "test charge", "keiri01", when]
                )
            for _, order_id in old:
                number += 1
                rows.append(
                    [f"D-{number:07d}", "WRITE_OFF", order_id, "", "", "貸倒承認", "keiri02", when]
                )
            frame = pd.DataFrame(rows, columns=HEADERS["dispositions"])
            self.landing.write("dispositions", np.full(len(frame), part_day), frame, "dispositions")

    def _empty_deliveries(self) -> None:
        """Every settlement source delivers every day (the freshness gate): header-only
        files where a daily day had no rows."""
        for offset in range(0, self.days + 1):
            for source in SETTLEMENT_SOURCES:
                folder = self.landing.root / source / day_of(offset).isoformat()
                if folder.exists() and any(folder.iterdir()):
                    continue
                if source == "bank":
                    self.landing.add_raw(
                        "bank",
                        offset,
                        f"furikomi_{day_of(offset):%Y%m%d}.txt",
                        _zengin(day_of(offset), []),
                        0,
                    )
                else:
                    encoding, line_end = CSV_FORMAT[source]
                    data = (",".join(HEADERS[source]) + line_end).encode(encoding)
                    self.landing.add_raw(
                        source, offset, f"{source}_{day_of(offset):%Y%m%d}.csv", data, 0
                    )


def generate(root: Path, orders: int, days: int, seed: int = 7) -> Generated:
    """Write the landing tree under ``root`` (backlog day + ``days`` daily days)."""
    out = Generated(backlog_day=BACKLOG_DAY, days=[day_of(d) for d in range(1, days + 1)])
    landing = Landing(root, days, out)
    Generator(landing, orders, days, seed).run()
    out.rows = {k: dict(v) for k, v in out.rows.items()}
    return out


if __name__ == "__main__":
    import sys
    import time

    started = time.perf_counter()
    result = generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    print(result.rows, result.orders, f"{time.perf_counter() - started:.1f}s")
