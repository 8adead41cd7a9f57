"""Payer aliases (rule learned_alias): an operator's MANUAL_MATCH of a transfer without
customer number teaches that its payer name is the customer's, and a later transfer from that
name is matched as if it carried the number; a removed alias no longer does; an alias two
customers claim only suggests. Day by day, each day equal to a reconcile from nothing."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd

from recon_pipeline.resources.warehouse import WarehouseResource
from tests.assets.test_incremental_reconcile import HISTORY_TABLES, load, reconcile, state
from tests.test_rules import DAY, order, transfer

DAY_20 = DAY + dt.timedelta(days=19)
FAMILY = "ﾔﾏﾀﾞ ﾊﾅｺ"  # a family member's account: no customer number typed


def decided(ident: str, action: str, receivable: str | None, line: str, day: dt.date) -> dict:
    return {
        "disposition_id": ident,
        "action": action,
        "receivable_id": receivable,
        "settlement_line_id": line,
        "amount": None,
        "note": None,
        "decided_by": "keiri01",
        "decided_at": day,
        "partition_date": day,
    }


def world(extra_dispositions: list[dict] = ()) -> tuple[list, list, list]:
    events = [
        order("ORD-A", 1234567, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-B", 1234567, "BANK_TRANSFER", 2000, "2026-10-25")
        | {"event_date": DAY_20, "partition_date": DAY_20},
    ]
    lines = [
        transfer("bank:1", None, 1000, payer_name=FAMILY),
        transfer("bank:2", None, 2000, payer_name=FAMILY, paid_date=DAY_20, partition_date=DAY_20),
    ]
    dispositions = [decided("D1", "MANUAL_MATCH", "ORD-A", "bank:1", DAY), *extra_dispositions]
    return events, lines, dispositions


def run(tmp_path, events, lines, dispositions, aliases=()) -> WarehouseResource:
    """Every day from DAY to DAY_20, each compared with the same day from nothing."""
    incremental = load(tmp_path / "incremental.duckdb", events, lines, dispositions)
    with incremental.connect() as con:
        if aliases:
            frame = pd.DataFrame(list(aliases))  # noqa: F841 - read by DuckDB
            con.execute("INSERT INTO staging.payer_aliases BY NAME SELECT * FROM frame")
    shutil.copyfile(tmp_path / "incremental.duckdb", tmp_path / "from_nothing.duckdb")
    from_nothing = WarehouseResource(database=str(tmp_path / "from_nothing.duckdb"))
    day = DAY
    with incremental.connect() as con, from_nothing.connect() as reference:
        while day <= DAY_20:
            reconcile(con, day)
            for table in [*HISTORY_TABLES, "marts.snapshot_days", "audit.reconcile_scope"]:
                reference.execute(f"DELETE FROM {table}")
            reconcile(reference, day)
            assert state(con, day) == state(reference, day), day
            day += dt.timedelta(days=1)
    return incremental


def day_20(warehouse: WarehouseResource) -> tuple[list, tuple]:
    with warehouse.connect() as con:
        links = con.execute(
            "SELECT receivable_id, rule, matched_amount, evidence FROM marts.matches "
            "WHERE as_of = $d AND settlement_line_id = 'bank:2'",
            {"d": DAY_20},
        ).fetchall()
        status = con.execute(
            "SELECT status, reason, evidence FROM marts.settlement_status "
            "WHERE as_of = $d AND settlement_line_id = 'bank:2'",
            {"d": DAY_20},
        ).fetchone()
    return links, status


def test_an_alias_learned_on_day_1_matches_a_payment_on_day_20(tmp_path):
    warehouse = run(tmp_path, *world())
    links, status = day_20(warehouse)
    assert [(r, rule, amount) for r, rule, amount, _ in links] == [("ORD-B", "learned_alias", 2000)]
    evidence = links[0][3]
    assert "ヤマダハナコ is customer 1234567" in evidence and "MANUAL_MATCH D1" in evidence
    assert evidence.endswith("→ bank_exact")
    assert status[0] == "MATCHED"
    with warehouse.connect() as con:
        listed = con.execute(
            "SELECT payer_kana, customer_number, source, source_ref, learned_by, learned_on, "
            "removed_on FROM staging.payer_aliases_as_of($d)",
            {"d": DAY_20},
        ).fetchall()
    assert listed == [("ヤマダハナコ", "1234567", "MANUAL_MATCH", "D1", "keiri01", DAY, None)]
    assert links[0][3].startswith("payer alias alias-")


def test_a_removed_alias_no_longer_matches(tmp_path):
    removal = decided("D2", "REMOVE_ALIAS", None, "bank:1", DAY + dt.timedelta(days=9))
    warehouse = run(tmp_path, *world([removal]))
    links, status = day_20(warehouse)
    assert links == []
    assert status[:2] == ("UNMATCHED", "NO_CUSTOMER_NUMBER")
    with warehouse.connect() as con:
        removed = con.execute(
            "SELECT removed_on, removed_by, removed_by_ref FROM staging.payer_aliases_as_of($d)",
            {"d": DAY_20},
        ).fetchall()
    assert removed == [(DAY + dt.timedelta(days=9), "keiri01", "REMOVE_ALIAS D2")]


def alias_row(row: str, action: str, number: str, day: dt.date) -> dict:
    return {
        "alias_row_id": row,
        "action": action,
        "payer_name": FAMILY,
        "payer_kana": "ヤマダハナコ",
        "customer_number": number,
        "note": None,
        "decided_by": "keiri02",
        "decided_at": day,
        "source": "payer_aliases",
        "path": f"payer_aliases/{day}/aliases.csv",
        "line_no": 2,
        "partition_date": day,
    }


def test_an_alias_two_customers_claim_only_suggests(tmp_path):
    events, lines, dispositions = world()
    events.append(order("ORD-C", 7654321, "BANK_TRANSFER", 2000, "2026-10-25"))
    other = alias_row("R1", "ADD", "7654321", DAY + dt.timedelta(days=4))
    warehouse = run(tmp_path, events, lines, dispositions, [other])
    links, status = day_20(warehouse)
    assert links == []
    assert status[:2] == ("SUGGESTED", "PAYER_ALIAS_SUGGESTION")
    assert "alias of 2 customers (1234567 by alias-" in status[2]
    assert "7654321 by alias-" in status[2]


def test_the_aliases_file_adds_and_removes(tmp_path):
    events, lines, _ = world()
    added = alias_row("R1", "ADD", "1234567", DAY + dt.timedelta(days=2))
    warehouse = run(tmp_path, events, lines, [], [added])
    links, _ = day_20(warehouse)
    assert [(r, rule) for r, rule, *_ in links] == [("ORD-B", "learned_alias")]
    assert "from FILE payer_aliases/" in links[0][3]
    removed = alias_row("R2", "REMOVE", "1234567", DAY + dt.timedelta(days=5))
    warehouse = run(tmp_path, events, lines, [], [added, removed])
    assert day_20(warehouse)[0] == []
