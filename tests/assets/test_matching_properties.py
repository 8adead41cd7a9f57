"""Property tests of the matching waterfall: random receivables and payments (splits,
duplicates, refunds, cancels, consolidated bank transfers) run through the real SQL on a
real DuckDB, and must (1) keep the invariants the pipeline checks itself and (2) agree with
a small, obviously sequential Python reference of the rules in layouts.md § bank (and the
cross-channel rule: a leftover transfer equal to another order of the customer)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import defaultdict
from dataclasses import dataclass

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon_pipeline.assets.reconcile import reconcile_day
from recon_pipeline.checks import offending_rows
from recon_pipeline.contracts import load_contracts
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource

DAY = dt.date(2026, 10, 20)
AMOUNTS = [500, 1000, 1500, 2000, 3000]
TRANSFER_FEES = (110, 165, 220, 330, 440, 550, 660, 770, 880)
EXAMPLES = int(os.environ.get("RECON_PROPERTY_EXAMPLES", "300"))
CONTRACTS = load_contracts()


@dataclass(frozen=True)
class Receivable:
    receivable_id: str
    customer: int
    method: str
    amount: int
    cancelled: int
    due: dt.date

    @property
    def expected(self) -> int:
        return self.amount - self.cancelled


@dataclass(frozen=True)
class Line:
    line_id: str
    method: str
    key: str | None
    gross: int
    paid: dt.date


@st.composite
def worlds(draw):
    receivables = []
    for number in range(draw(st.integers(1, 7))):
        amount = draw(st.sampled_from(AMOUNTS))
        cancelled = draw(st.sampled_from([0, 0, 0, amount // 2, amount]))
        receivables.append(
            Receivable(
                receivable_id=f"ORD-{number:07d}",
                customer=draw(st.integers(1, 3)),
                method=draw(st.sampled_from(["BANK_TRANSFER", "BANK_TRANSFER", "CARD"])),
                amount=amount,
                cancelled=cancelled,
                due=DAY - dt.timedelta(days=draw(st.integers(0, 9))),
            )
        )
    lines = []
    for number in range(draw(st.integers(0, 8))):
        paid = DAY - dt.timedelta(days=draw(st.integers(0, 5)))
        if draw(st.booleans()):
            customer = draw(st.integers(1, 4))
            gross = draw(st.sampled_from([*AMOUNTS, 2500, 3500, 4500, 6000]))
            lines.append(
                Line(f"bank:{number:03d}", "BANK_TRANSFER", f"{customer:07d}", gross, paid)
            )
        else:
            order = draw(st.integers(0, 8))
            gross = draw(st.sampled_from([*AMOUNTS, -500, -1000]))
            lines.append(Line(f"card:{number:03d}", "CARD", f"ORD-{order:07d}", gross, paid))
    return receivables, lines


def subsets_equal_to(open_: list[Receivable], amount: int) -> list[tuple[Receivable, ...]]:
    """The proper subsets of 2-5 of at most 12 open receivables that sum to ``amount``."""
    if not 3 <= len(open_) <= 12:
        return []
    return [
        chosen
        for size in range(2, min(5, len(open_) - 1) + 1)
        for chosen in itertools.combinations(open_, size)
        if sum(r.expected for r in chosen) == amount
    ]


def reference(receivables: list[Receivable], lines: list[Line]) -> dict[tuple[str, str], int]:
    """The rules, one customer and one step at a time."""
    links: dict[tuple[str, str], int] = defaultdict(int)
    cards = {r.receivable_id for r in receivables if r.method == "CARD"}
    for line in lines:
        if line.method == "CARD" and line.key in cards:
            links[(line.line_id, line.key)] += line.gross
    for customer in {int(line.key) for line in lines if line.method == "BANK_TRANSFER"}:
        paid = sorted(
            (
                x
                for x in lines
                if x.method == "BANK_TRANSFER" and int(x.key) == customer and x.gross > 0
            ),
            key=lambda x: (x.paid, x.line_id),
        )
        every = sorted(
            (r for r in receivables if r.method == "BANK_TRANSFER" and r.customer == customer),
            key=lambda r: (r.due, r.receivable_id),
        )
        open_ = [r for r in every if r.expected > 0]
        taken_lines, taken = set(), set()
        for amount in sorted({x.gross for x in paid}):
            same = [r for r in open_ if r.expected == amount]
            for line, receivable in zip([x for x in paid if x.gross == amount], same, strict=False):
                links[(line.line_id, receivable.receivable_id)] += amount
                taken_lines.add(line.line_id)
                taken.add(receivable.receivable_id)
        rest = [x for x in paid if x.line_id not in taken_lines]
        remaining = [r for r in open_ if r.receivable_id not in taken]
        total = sum(r.expected for r in remaining)
        summed = next((x for x in rest if len(remaining) > 1 and x.gross == total), None)
        leftover = []
        if not summed and remaining:
            # customer_subset: each transfer against the same open receivables; one fitting
            # subset pays it unless an earlier transfer's one subset has a receivable of it;
            # several: a suggestion, the line pays nothing
            claimed: set[str] = set()
            subset_lines, subset_taken = set(), set()
            for line in rest:
                fitting = subsets_equal_to(remaining, line.gross)
                if len(fitting) > 1:
                    subset_lines.add(line.line_id)
                elif len(fitting) == 1:
                    ids = {r.receivable_id for r in fitting[0]}
                    if not ids & claimed:
                        for receivable in fitting[0]:
                            links[(line.line_id, receivable.receivable_id)] += receivable.expected
                        subset_lines.add(line.line_id)
                        subset_taken |= ids
                    claimed |= ids
            rest = [x for x in rest if x.line_id not in subset_lines]
            remaining = [r for r in remaining if r.receivable_id not in subset_taken]
            # transfer_fee: short of one open receivable by a fee of the table (the oldest it
            # fits; a receivable two transfers fit goes to the earliest)
            fee_taken, fee_lines = set(), set()
            for line in rest:
                fits = [r for r in remaining if r.expected - line.gross in TRANSFER_FEES]
                if fits and fits[0].receivable_id not in fee_taken:
                    links[(line.line_id, fits[0].receivable_id)] += line.gross
                    fee_taken.add(fits[0].receivable_id)
                    fee_lines.add(line.line_id)
            rest = [x for x in rest if x.line_id not in fee_lines]
            remaining = [r for r in remaining if r.receivable_id not in fee_taken]
        if summed:
            for receivable in remaining:
                links[(summed.line_id, receivable.receivable_id)] += receivable.expected
            leftover = [x for x in rest if x is not summed]
        elif remaining:
            balances = [[r, r.expected] for r in remaining]
            for line in rest:
                left = line.gross
                for slot in balances:
                    take = min(left, slot[1])
                    if take > 0:
                        links[(line.line_id, slot[0].receivable_id)] += take
                        slot[1] -= take
                        left -= take
                if left > 0:
                    links[(line.line_id, remaining[-1].receivable_id)] += left
        else:
            leftover = rest
        if not every:
            continue
        others = sorted(
            (
                r
                for r in receivables
                if r.method != "BANK_TRANSFER" and r.customer == customer and r.expected > 0
            ),
            key=lambda r: (r.due, r.receivable_id),
        )
        for line in leftover:
            same = [r for r in others if r.expected == line.gross]
            earlier = [x for x in leftover if x.gross == line.gross]
            rank = earlier.index(line)
            target = same[rank] if rank < len(same) else every[-1]
            links[(line.line_id, target.receivable_id)] += line.gross
    return {
        key: amount for key, amount in links.items() if amount != 0 or key[0].startswith("card")
    }


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The policy and the raw tables a reconcile reads besides the staged rows."""
    PolicyResource().write_tables(con)
    ContractsResource().ensure_raw_tables(con)


def run_sql_on(
    receivables: list[Receivable], lines: list[Line], con: duckdb.DuckDBPyConnection
) -> tuple:
    """The world staged on ``con`` (the rows of the example before deleted) and reconciled."""
    events = []
    for r in receivables:
        for kind, delta in (("SHIP", r.amount), ("CANCEL", -r.cancelled)):
            if kind == "CANCEL" and not r.cancelled:
                continue
            events.append(
                {
                    "event_id": f"{r.receivable_id}-{kind}",
                    "event_type": kind,
                    "order_id": r.receivable_id,
                    "customer_id": f"C{r.customer:06d}",
                    "customer_kana": "ヤマダ タロウ",
                    "payment_method": r.method,
                    "payment_ref": f"{r.customer:07d}" if r.method == "BANK_TRANSFER" else None,
                    "event_date": DAY - dt.timedelta(days=20),
                    "due_date": r.due,
                    "coupon_discount": 0,
                    "points_used": 0,
                    "expected_delta": delta,
                    "source": "shipments",
                    "path": "p",
                    "line_no": len(events) + 2,
                    "partition_date": DAY,
                }
            )
    staged = [
        {
            "settlement_line_id": x.line_id,
            "source": x.line_id.split(":")[0],
            "payment_method": x.method,
            "match_key": x.key,
            "gross_amount": x.gross,
            "fee_amount": 0,
            "paid_date": x.paid,
            "line_type": "PAYMENT"
            if x.method == "BANK_TRANSFER"
            else ("CHARGE" if x.gross > 0 else "REFUND"),
            "version_rank": 1,
            "payer_name": None,
            "path": "p",
            "line_no": n + 2,
            "partition_date": DAY,
        }
        for n, x in enumerate(lines)
    ]
    for table in (
        "staging.receivable_events",
        "staging.settlement_lines",
        "marts.matches_history",
        "marts.settlement_status_history",
        "marts.receivables_history",
        "marts.snapshot_days",
    ):
        con.execute(f"DELETE FROM {table}")
    event_frame = pd.DataFrame(events)  # noqa: F841
    line_frame = pd.DataFrame(  # noqa: F841
        staged,
        columns=[
            "settlement_line_id",
            "source",
            "payment_method",
            "match_key",
            "gross_amount",
            "fee_amount",
            "paid_date",
            "line_type",
            "version_rank",
            "payer_name",
            "path",
            "line_no",
            "partition_date",
        ],
    )
    con.execute("INSERT INTO staging.receivable_events BY NAME SELECT * FROM event_frame")
    if staged:
        con.execute("INSERT INTO staging.settlement_lines BY NAME SELECT * FROM line_frame")
    reconcile_day(con, DAY)
    links = {
        (line, receivable): amount
        for line, receivable, amount in con.execute(
            "SELECT settlement_line_id, receivable_id, sum(matched_amount) FROM marts.matches "
            "GROUP BY ALL"
        ).fetchall()
    }
    broken = {
        name: offending_rows(con, f"checks/{name}", DAY, CONTRACTS)
        for name in ("balance", "conservation")
    }
    statuses = con.execute(
        "SELECT count(*), count(DISTINCT settlement_line_id) FROM marts.settlement_status"
    ).fetchone()
    return links, broken, statuses


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """One warehouse for every example, made (tables, policy, raw tables) once: each example
    replaces the staged rows and what reconcile keeps, as before, on the same connection."""
    resource = WarehouseResource(database=str(tmp_path_factory.mktemp("match") / "w.duckdb"))
    with resource.connect() as con:
        prepare(con)
        yield con


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_matching_keeps_the_invariants_and_agrees_with_the_reference(world, warehouse):
    receivables, lines = world
    links, broken, (statuses, distinct) = run_sql_on(receivables, lines, warehouse)
    assert all(frame.empty for frame in broken.values()), broken
    assert statuses == distinct == len(lines)
    assert links == reference(receivables, lines)
