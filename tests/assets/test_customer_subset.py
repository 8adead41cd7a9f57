"""The combination rule (customer_subset) as a property: random open receivables of one
customer and transfers equal to sums of some of them (or not), through the real SQL. Whatever
the rule links never exceeds the transfer (it is exactly the transfer), it picks a subset
only when it is the one subset that fits, and a transfer that two subsets fit pays nothing
and is listed as a suggestion with every fitting subset."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon_pipeline.resources.warehouse import WarehouseResource
from tests.assets.test_matching_properties import (
    DAY,
    Line,
    Receivable,
    prepare,
    run_sql_on,
    subsets_equal_to,
)

EXAMPLES = int(os.environ.get("RECON_PROPERTY_EXAMPLES", "300")) // 5


@st.composite
def customers(draw):
    receivables = [
        Receivable(
            receivable_id=f"ORD-{n:07d}",
            customer=1,
            method="BANK_TRANSFER",
            amount=draw(st.sampled_from([1000, 1500, 2000, 3000, 4000, 5000])),
            cancelled=0,
            due=DAY - dt.timedelta(days=draw(st.integers(0, 9))),
        )
        for n in range(draw(st.integers(3, 9)))
    ]
    lines = []
    for n in range(draw(st.integers(1, 3))):
        picked = draw(st.lists(st.sampled_from(receivables), min_size=2, max_size=5, unique=True))
        gross = sum(r.amount for r in picked) + draw(st.sampled_from([0, 0, 0, 500, -500]))
        paid = DAY - dt.timedelta(days=draw(st.integers(0, 3)))
        lines.append(Line(f"bank:{n:03d}", "BANK_TRANSFER", "0000001", gross, paid))
    return receivables, lines


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """One warehouse for every example, made (tables, policy, raw tables) once: each example
    replaces the staged rows and what reconcile keeps (run_sql_on), as the matching
    properties' examples do."""
    resource = WarehouseResource(database=str(tmp_path_factory.mktemp("subset") / "w.duckdb"))
    with resource.connect() as con:
        prepare(con)
        yield con


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=customers())
def test_the_combination_rule_pays_only_the_one_subset_that_fits(world, warehouse):
    receivables, lines = world
    _, broken, _ = run_sql_on(receivables, lines, warehouse)
    assert all(frame.empty for frame in broken.values()), broken
    made = warehouse.execute(
        "SELECT settlement_line_id, receivable_id, rule, matched_amount FROM marts.matches"
    ).fetchall()
    suggested = dict(
        warehouse.execute(
            "SELECT settlement_line_id, candidate_subsets FROM marts.settlement_status "
            "WHERE reason = 'SUBSET_SUGGESTION'"
        ).fetchall()
    )
    earlier = {r for _, r, rule, _ in made if rule in ("bank_exact", "customer_sum")}
    open_ = sorted(
        (r for r in receivables if r.receivable_id not in earlier),
        key=lambda r: (r.due, r.receivable_id),
    )
    gross = {x.line_id: x.gross for x in lines}
    by_subset: dict[str, list[tuple[str, int]]] = {}
    for line, receivable, rule, amount in made:
        if rule == "customer_subset":
            by_subset.setdefault(line, []).append((receivable, amount))
    for line, paid in by_subset.items():
        assert sum(amount for _, amount in paid) == gross[line]  # never more than the payment
        fitting = subsets_equal_to(open_, gross[line])
        assert len(fitting) == 1  # never a subset when two fit
        assert {r for r, _ in paid} == {r.receivable_id for r in fitting[0]}
    before_subsets = {x for x, _, rule, _ in made if rule in ("bank_exact", "customer_sum")}
    for line in lines:
        fitting = subsets_equal_to(open_, line.gross)
        if len(fitting) > 1 and line.line_id not in before_subsets:
            assert line.line_id not in {x for x, *_ in made}
            listed = suggested[line.line_id]
            expected = sorted(sorted(r.receivable_id for r in s) for s in fitting)
            assert len(listed) == min(10, len(fitting))
            assert all(sorted(subset) in expected for subset in listed)
    for line in suggested:
        assert line not in {x for x, *_ in made}  # a suggestion allocates nothing
        assert len(subsets_equal_to(open_, gross[line])) > 1
