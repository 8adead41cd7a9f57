"""Matching rules are parts: one SQL file each in ``sql/reconcile/rules/``, run in the order
of their names (``recon_pipeline.rules``). The rule list is the files' headers in order; a
day holds no link of a rule outside it; the rule table of docs/matching.md names exactly its
rules; and a rule is added by adding a file — shown with a toy rule in a copy of the folder,
day by day as from nothing."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from recon_pipeline import rules
from recon_pipeline.resources.warehouse import WarehouseResource
from recon_pipeline.rules import RuleError, rule_files, rule_names
from tests.assets.test_incremental_reconcile import (
    HISTORY_TABLES,
    load,
    reconcile,
    state,
)

MATCHING_DOC = Path(__file__).resolve().parents[1] / "docs" / "matching.md"
DAY = dt.date(2026, 10, 1)

TOY_RULE = """\
-- rules: toy_fee_short
-- A transfer short of one open receivable of its customer by ¥1-880 (a fee outside the
-- policy's table, say) pays that receivable, before bank_allocation would spread it: a toy,
-- to show that a rule is one file. Only where one transfer and one receivable fit each
-- other. Along the customer number, so the scope needs nothing new.
WITH open_receivables AS (
    SELECT receivable_id, match_key, expected_amount
    FROM scope_receivables_as_of
    WHERE payment_method = 'BANK_TRANSFER' AND expected_amount > 0
        AND receivable_id NOT IN (SELECT receivable_id FROM links)
),
fits AS (
    SELECT l.settlement_line_id, l.gross_amount, r.receivable_id,
        count(*) OVER (PARTITION BY l.settlement_line_id) AS receivables,
        count(*) OVER (PARTITION BY r.receivable_id) AS transfers
    FROM lines_left AS l
    JOIN open_receivables AS r
        ON r.match_key = l.match_key AND r.expected_amount - l.gross_amount BETWEEN 1 AND 880
    WHERE l.payment_method = 'BANK_TRANSFER' AND l.gross_amount > 0
)
SELECT receivable_id, settlement_line_id, 'toy_fee_short' AS rule,
    gross_amount AS matched_amount, 1 AS candidates
FROM fits
WHERE receivables = 1 AND transfers = 1
"""


def order(order_id: str, customer: int, method: str, amount: int, due: str, **fields) -> dict:
    """A SHIP event on DAY; a bank order's key is the customer number, a konbini's its slip."""
    ref = {"BANK_TRANSFER": f"{customer:07d}", "KONBINI": f"S-{order_id}"}.get(method)
    return {
        "event_id": f"{order_id}-SHIP",
        "order_id": order_id,
        "customer_id": f"C{customer}",
        "customer_kana": "ヤマダ タロウ",
        "payment_method": method,
        "payment_ref": ref,
        "tracking_no": None,
        "due_date": dt.date.fromisoformat(due),
        "coupon_discount": 0,
        "points_used": 0,
        "event_type": "SHIP",
        "event_date": DAY,
        "expected_delta": amount,
        "partition_date": DAY,
    } | fields


def line(line_id: str, method: str, key: str | None, amount: int, **fields) -> dict:
    """A settlement line paid and delivered on DAY."""
    return {
        "settlement_line_id": line_id,
        "source": line_id.split(":")[0],
        "payment_method": method,
        "match_key": key,
        "gross_amount": amount,
        "fee_amount": 0,
        "paid_date": DAY,
        "line_type": {"CARD": "CHARGE", "KONBINI": "KONBINI_CONFIRMED"}.get(method, "PAYMENT"),
        "version_rank": 1,
        "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "partition_date": DAY,
    } | fields


def transfer(line_id: str, customer: int | None, amount: int, **fields) -> dict:
    number = f"{customer:07d}" if customer else None
    return line(line_id, "BANK_TRANSFER", number, amount, **fields)


def links(con, day: dt.date = DAY) -> list[tuple]:
    return con.execute(
        "SELECT receivable_id, settlement_line_id, rule, matched_amount FROM marts.matches "
        "WHERE as_of = $d ORDER BY ALL",
        {"d": day},
    ).fetchall()


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the packaged rules, in force for the test (``RECON_RULES_DIR``)."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.rules_dir(), folder)
    monkeypatch.setenv(rules.RULES_DIR_VARIABLE, str(folder))
    return folder


def test_the_rule_list_is_the_rule_files_in_waterfall_order():
    waterfall = rule_files()
    places = [int(rule.path.name[:2]) for rule in waterfall]
    assert places == sorted(set(places))
    assert rule_names() == tuple(dict.fromkeys(n for rule in waterfall for n in rule.names))
    assert len(rule_names()) == len(set(rule_names()))
    for rule in waterfall:
        header = rule.path.read_text(encoding="utf-8").split("\nSELECT")[0].split("\nWITH")[0]
        said = [row for row in header.splitlines() if not re.match(r"-- (rules|scope):", row)]
        assert len(said) >= 2, f"{rule.path.name} says in comments what it does and why"


def test_each_rule_takes_what_the_earlier_ones_left(tmp_path):
    """One case per rule, all on one day: who pays what, and by which rule."""
    events = [
        order("ORD-K1", 1, "CARD", 1000, "2026-10-10"),
        order("ORD-K2", 1, "CARD", 1000, "2026-10-10"),
        order("ORD-B11", 11, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-B12", 11, "BANK_TRANSFER", 2000, "2026-10-12"),
        order("ORD-B21", 12, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-B22", 12, "BANK_TRANSFER", 1500, "2026-10-12"),
        order("ORD-B31", 13, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-B32", 13, "BANK_TRANSFER", 2000, "2026-10-12"),
        order("ORD-B41", 14, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-S42", 14, "KONBINI", 2600, "2026-10-10"),
        order("ORD-B51", 15, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-B61", 16, "BANK_TRANSFER", 3000, "2026-10-10"),
        order("ORD-B71", 17, "BANK_TRANSFER", 10000, "2026-10-10"),
        order("ORD-B72", 17, "BANK_TRANSFER", 3000, "2026-10-12"),
        order("ORD-B81", 18, "BANK_TRANSFER", 1000, "2026-10-10"),
        order("ORD-B82", 18, "BANK_TRANSFER", 2000, "2026-10-11"),
        order("ORD-B83", 18, "BANK_TRANSFER", 4000, "2026-10-12"),
        *(order(f"ORD-B9{n}", 19, "BANK_TRANSFER", n * 1000, "2026-10-10") for n in (1, 2, 3, 4)),
    ]
    lines = [
        line("card:k1", "CARD", "ORD-K1", 1000),  # key_exact
        line("card:k2", "CARD", "ORD-K2", 800),  # key_difference (short)
        transfer("bank:11", 11, 2000),  # bank_exact: B12, not the older B11
        transfer("bank:12", 12, 2500),  # customer_sum: B21 + B22
        transfer("bank:13", 13, 1500),  # bank_allocation: B31 1000, B32 500
        transfer("bank:14a", 14, 1000),  # bank_exact: B41
        line("konbini:s42", "KONBINI", "S-ORD-S42", 2600),  # key_exact: S42
        transfer("bank:14b", 14, 2600),  # cross_channel: S42 paid twice
        transfer("bank:15a", 15, 1000),  # bank_exact: B51
        transfer("bank:15b", 15, 700),  # bank_allocation: overpayment on B51
        transfer("bank:16", None, 3000),  # no number: manual_match below
        transfer("bank:17", 99, 500, payer_name="ｽｽﾞｷ ｲﾁﾛｳ"),  # a number of nobody: no link
        transfer("bank:18", 17, 9560),  # transfer_fee: B71 less the ¥440 fee
        transfer("bank:19", 18, 5000),  # customer_subset: B81 + B83, not oldest first
        transfer("bank:20", 19, 5000),  # B91 + B94 or B92 + B93: a suggestion, no link
    ]
    decided = {"amount": None, "note": None, "decided_by": "test", "decided_at": DAY}
    dispositions = [
        {"disposition_id": "D1", "action": "MANUAL_MATCH", "receivable_id": "ORD-B61"}
        | {"settlement_line_id": "bank:16", "partition_date": DAY}
        | decided,
    ]
    warehouse = load(tmp_path / "w.duckdb", events, lines, dispositions)
    with warehouse.connect() as con:
        reconcile(con, DAY)
        made = links(con)
        suggested = con.execute(
            "SELECT settlement_line_id, status, reason, candidate_subsets "
            "FROM marts.settlement_status WHERE candidate_subsets IS NOT NULL"
        ).fetchall()
    assert made == [
        ("ORD-B12", "bank:11", "bank_exact", 2000),
        ("ORD-B21", "bank:12", "customer_sum", 1000),
        ("ORD-B22", "bank:12", "customer_sum", 1500),
        ("ORD-B31", "bank:13", "bank_allocation", 1000),
        ("ORD-B32", "bank:13", "bank_allocation", 500),
        ("ORD-B41", "bank:14a", "bank_exact", 1000),
        ("ORD-B51", "bank:15a", "bank_exact", 1000),
        ("ORD-B51", "bank:15b", "bank_allocation", 700),
        ("ORD-B61", "bank:16", "manual_match", 3000),
        ("ORD-B71", "bank:18", "transfer_fee", 9560),
        ("ORD-B81", "bank:19", "customer_subset", 1000),
        ("ORD-B83", "bank:19", "customer_subset", 4000),
        ("ORD-K1", "card:k1", "key_exact", 1000),
        ("ORD-K2", "card:k2", "key_difference", 800),
        ("ORD-S42", "bank:14b", "cross_channel", 2600),
        ("ORD-S42", "konbini:s42", "key_exact", 2600),
    ]
    assert {rule for _, _, rule, _ in made} <= set(rule_names())
    assert suggested == [
        (
            "bank:20",
            "SUGGESTED",
            "SUBSET_SUGGESTION",
            [["ORD-B91", "ORD-B94"], ["ORD-B92", "ORD-B93"]],
        )
    ]


def test_the_docs_table_names_exactly_the_rules_in_order():
    section = (
        MATCHING_DOC.read_text(encoding="utf-8").split("## Matching (消込)")[1].split("\n## ")[0]
    )
    rows = [row for row in section.splitlines() if re.match(r"\| `\d\d_", row)]
    files = [re.findall(r"`([^`]+)`", row.split("|")[1])[0] for row in rows]
    named = [name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[2])]
    assert files == [rule.path.name for rule in rule_files()]
    assert tuple(dict.fromkeys(named)) == rule_names()


def test_a_rule_is_one_file(rules_copy, tmp_path):
    """A toy rule dropped into the folder before bank_allocation takes the transfer it fits,
    and bank_allocation, after it, leaves the receivable the toy paid: nothing else is
    edited."""
    events = [
        order("ORD-B1", 1, "BANK_TRANSFER", 5000, "2026-10-10"),
        order("ORD-B2", 1, "BANK_TRANSFER", 3000, "2026-10-12"),
    ]
    lines = [
        transfer("bank:1", 1, 4561),  # ¥439 short of ORD-B1: no fee of the table
        transfer("bank:2", 1, 1000),
    ]
    before = load(tmp_path / "before.duckdb", events, lines, [])
    with before.connect() as con:
        reconcile(con, DAY)
        assert links(con) == [
            ("ORD-B1", "bank:1", "bank_allocation", 4561),
            ("ORD-B1", "bank:2", "bank_allocation", 439),
            ("ORD-B2", "bank:2", "bank_allocation", 561),
        ]

    (rules_copy / "46_toy_fee_short.sql").write_text(TOY_RULE, encoding="utf-8")

    names = rule_names()
    assert names.index("customer_sum") < names.index("toy_fee_short")
    assert names.index("toy_fee_short") < names.index("bank_allocation")
    after = load(tmp_path / "after.duckdb", events, lines, [])
    with after.connect() as con:
        reconcile(con, DAY)
        assert links(con) == [
            ("ORD-B1", "bank:1", "toy_fee_short", 4561),
            ("ORD-B2", "bank:2", "bank_allocation", 1000),
        ]


def test_a_new_rule_reconciles_day_by_day_as_from_nothing(rules_copy, tmp_path):
    """The toy rule's link comes, moves and comes back as the customer's orders change, and
    every day reconciled on the day before equals that day reconciled from nothing: the
    scope reaches what the rule reads without being told about it."""
    (rules_copy / "46_toy_fee_short.sql").write_text(TOY_RULE, encoding="utf-8")
    day = {n: DAY + dt.timedelta(days=n - 1) for n in (1, 2, 3, 4)}
    events = [
        order("ORD-B1", 1, "BANK_TRANSFER", 5000, "2026-10-10"),
        order("ORD-B2", 1, "BANK_TRANSFER", 3000, "2026-10-12"),
        # day 2: a second order that ¥4,561 is short of by ¥1-880: the toy no longer knows
        order("ORD-B3", 1, "BANK_TRANSFER", 4800, "2026-10-14", event_date=day[2])
        | {"partition_date": day[2]},
        # day 3: cancelled, so ORD-B1 is the only fit again
        order("ORD-B3", 1, "BANK_TRANSFER", -4800, "2026-10-14", event_date=day[3])
        | {"event_id": "ORD-B3-CANCEL", "event_type": "CANCEL", "partition_date": day[3]},
        order("ORD-K9", 2, "CARD", 1000, "2026-10-10"),  # another customer, never touched
    ]
    lines = [
        transfer("bank:1", 1, 4561),
        transfer("bank:2", 1, 3000, paid_date=day[4], partition_date=day[4]),
    ]
    incremental = load(tmp_path / "incremental.duckdb", events, lines, [])
    shutil.copyfile(tmp_path / "incremental.duckdb", tmp_path / "from_nothing.duckdb")
    from_nothing = WarehouseResource(database=str(tmp_path / "from_nothing.duckdb"))
    with incremental.connect() as con, from_nothing.connect() as reference:
        for n in (1, 2, 3, 4):
            reconcile(con, day[n])
            for table in [*HISTORY_TABLES, "marts.snapshot_days", "audit.reconcile_scope"]:
                reference.execute(f"DELETE FROM {table}")
            reconcile(reference, day[n])
            assert state(con, day[n]) == state(reference, day[n]), day[n]
        assert [links(con, day[n]) for n in (1, 2, 3, 4)] == [
            [("ORD-B1", "bank:1", "toy_fee_short", 4561)],
            [("ORD-B1", "bank:1", "bank_allocation", 4561)],
            [("ORD-B1", "bank:1", "toy_fee_short", 4561)],
            [("ORD-B1", "bank:1", "toy_fee_short", 4561), ("ORD-B2", "bank:2", "bank_exact", 3000)],
        ]
        scoped = con.execute(
            "SELECT as_of, list(item_id ORDER BY item_id) FROM audit.reconcile_scope "
            "WHERE side = 'RECEIVABLE' GROUP BY as_of ORDER BY as_of"
        ).fetchall()
    assert scoped == [(day[n], ["ORD-B1", "ORD-B2", "ORD-B3"]) for n in (2, 3, 4)]


def test_a_rule_declares_every_rule_name_it_makes(rules_copy, tmp_path):
    (rules_copy / "46_toy.sql").write_text(
        "-- rules: toy\n-- Names its links otherwise: the day fails.\n"
        "SELECT r.receivable_id, l.settlement_line_id, 'not_toy' AS rule, "
        "l.gross_amount AS matched_amount, 1 AS candidates "
        "FROM lines_left AS l JOIN scope_receivables_as_of AS r USING (match_key)",
        encoding="utf-8",
    )
    events = [order("ORD-B1", 1, "BANK_TRANSFER", 5000, "2026-10-10")]
    warehouse = load(tmp_path / "w.duckdb", events, [transfer("bank:1", 1, 4561)], [])
    with warehouse.connect() as con, pytest.raises(RuleError, match="not_toy"):
        reconcile(con, DAY)


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("45-toy.sql", "-- rules: toy\nSELECT 1", "NN_<rule>.sql"),
        ("46_toy.sql", "-- a rule without its names\nSELECT 1", "name its rules"),
        ("46_toy.sql", "-- rules: Toy Rule\nSELECT 1", "not a rule name"),
        ("46_toy.sql", "-- rules: toy\n-- scope: everything\nSELECT 1", "none of keys, links"),
        ("50_toy.sql", "-- rules: toy\nSELECT 1", "same place 50"),
    ],
)
def test_a_rule_file_that_breaks_the_form_is_refused(rules_copy, name, text, reason):
    (rules_copy / name).write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=reason):
        rule_files()


def test_a_changed_fee_table_recomputes_the_matching_from_nothing(tmp_path):
    """The fee table is policy the matching reads: a day under another table builds on no
    earlier day (the scope's policy hash), so a fee-short transfer is read again."""
    events = [order("ORD-B1", 1, "BANK_TRANSFER", 5000, "2026-10-10")]
    warehouse = load(tmp_path / "w.duckdb", events, [transfer("bank:1", 1, 4560)], [])
    day_2 = DAY + dt.timedelta(days=1)
    with warehouse.connect() as con:
        reconcile(con, DAY)
        assert links(con) == [("ORD-B1", "bank:1", "transfer_fee", 4560)]
        con.execute("DELETE FROM config.transfer_fees WHERE fee_amount = 440")
        reconcile(con, day_2)
        assert links(con, day_2) == [("ORD-B1", "bank:1", "bank_allocation", 4560)]
        since = con.execute(
            "SELECT DISTINCT since FROM marts.snapshot_days WHERE as_of = $d", {"d": day_2}
        ).fetchall()
    assert since == [(None,)]
