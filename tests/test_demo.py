"""`recon demo`'s month: deterministic, every layout and scenario present, and — run through
the real job — each scenario lands where the domain says."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from recon_pipeline import versions
from recon_pipeline.assets.marts import AGING_BUCKETS, profile_day
from recon_pipeline.assets.reconcile import reconcile_day
from recon_pipeline.demo_month import generate_month
from recon_pipeline.resources.warehouse import WarehouseResource
from recon_pipeline.settings import load_settings
from tests import snapshot
from tests.conftest import memory_instance, run_range
from tests.journal_reader import balances, read_lines, slips

SCENARIOS = {
    "card_exact",
    "alias_learned_by_manual_match",
    "alias_matched_later",
    "alias_from_file",
    "alias_removed",
    "bank_transfer_fee_deducted",
    "bank_subset_paid",
    "bank_subset_left_open",
    "bank_subset_suggested",
    "short_payment",
    "over_payment",
    "double_payment",
    "coupon_mismatch",
    "refund_due",
    "card_refund",
    "cancelled",
    "card_dispute",
    "konbini_prelim_then_confirmed",
    "konbini_prelim_cancelled",
    "konbini_reissued_slip_paid",
    "konbini_unpaid_dunned",
    "konbini_prelim_only",
    "bank_transfer_with_customer_number",
    "bank_transfer_name_only",
    "cod_paid",
    "bnpl_paid",
    "bnpl_cancelled",
    "mall_paid",
    "unknown_card_payment",
    "card_fee_line",
    "bad_card_row",
    "late_file",
    "undecodable_file",
    "wrong_header_file",
    "duplicate_delivery",
    "disposition",
    "manual_match_confirmed",
    "written_off",
    "disputed_then_released",
    "overpayment_refunded",
    "rejected_disposition",
    "bank_transfer_cancelled",
    "cross_channel_double_payment",
    "other_channel_order",
    "bank_number_first",
    "bank_number_without_separator",
    "bank_number_after_name",
    "bank_number_full_width",
    "bank_unknown_customer_number",
    "payment_in_quarantine",
    "quarantined_payment_row",
}
SINGLE = {
    "alias_learned_by_manual_match",
    "alias_matched_later",
    "alias_from_file",
    "alias_removed",
    "bank_subset_left_open",
    "bank_unknown_customer_number",
    "payment_in_quarantine",
    "quarantined_payment_row",
    "disposition",
    "late_file",
    "undecodable_file",
    "wrong_header_file",
    "duplicate_delivery",
    "konbini_reissued_slip_paid",
    "konbini_prelim_cancelled",
    "manual_match_confirmed",
    "written_off",
    "disputed_then_released",
    "overpayment_refunded",
    "rejected_disposition",
    "bank_transfer_cancelled",
    "cross_channel_double_payment",
}


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_and_every_layout(tmp_path):
    first = generate_month(tmp_path / "a", orders_per_day=10)
    generate_month(tmp_path / "b", orders_per_day=10)
    tree = _tree(tmp_path / "a")
    assert tree == _tree(tmp_path / "b")
    assert {path.split("/")[0] for path in tree} == {
        "shipments",
        "card",
        "amazon",
        "cod",
        "bnpl",
        "konbini",
        "bank",
        "dispositions",
        "payer_aliases",
    }
    assert first.files == len(tree)


def test_every_scenario_is_in_the_month(demo_month):
    summary, _, _ = demo_month  # the month of 60 orders a day, as `recon demo` writes it
    assert set(summary.scenarios) >= SCENARIOS
    for case in SCENARIOS - SINGLE:
        assert len(summary.scenarios[case]) >= 2, case


@pytest.fixture(scope="module")
def demo_month(tmp_path_factory):
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("demo") / "home")})
    summary = generate_month(settings.landing_dir, orders_per_day=60)
    with memory_instance() as instance:
        # one single-run backfill, as `recon demo` runs it (tests/assets/test_backfill.py
        # shows it gives the tables the days give one by one)
        results = [run_range(settings, instance, str(summary.start), str(summary.end))]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield summary, con, results
    con.close()


@pytest.mark.parametrize(
    ("scenario", "status", "reason"),
    [
        ("card_exact", "PAID", None),
        ("short_payment", "PARTIALLY_PAID", "SHORT_PAYMENT"),
        ("over_payment", "OVERPAID", "OVER_PAYMENT"),
        ("double_payment", "OVERPAID", "DOUBLE_PAYMENT"),
        ("coupon_mismatch", "OVERPAID", "COUPON_MISMATCH"),
        ("refund_due", "OVERPAID", "REFUND_DUE"),
        ("card_refund", "PAID", None),
        ("cancelled", "CANCELLED", None),
        ("card_dispute", "IN_DISPUTE", "SHORT_PAYMENT"),
        ("konbini_prelim_then_confirmed", "PAID", None),
        ("konbini_prelim_only", "PAID", None),
        ("konbini_reissued_slip_paid", "PAID", None),
        ("konbini_prelim_cancelled", "UNPAID", None),
        ("konbini_unpaid_dunned", "UNPAID", None),
        ("cod_paid", "PAID", None),
        ("bnpl_paid", "PAID", None),
        ("bnpl_cancelled", "CANCELLED", None),
        ("mall_paid", "PAID", None),
        ("manual_match_confirmed", "PAID", None),
        ("written_off", "WRITTEN_OFF", None),
        ("disputed_then_released", "UNPAID", None),
        ("overpayment_refunded", "PAID", None),
        ("bank_consolidated_transfer", "PAID", None),
        ("bank_partial_transfer", "PARTIALLY_PAID", "SHORT_PAYMENT"),
        ("bank_transfer_cancelled", "UNPAID", None),
        ("cross_channel_double_payment", "OVERPAID", "DOUBLE_PAYMENT"),
        ("bank_number_without_separator", "PAID", None),
        ("bank_number_after_name", "PAID", None),
        ("bank_number_full_width", "PAID", None),
        ("payment_in_quarantine", "PAID", None),
        ("alias_learned_by_manual_match", "PAID", None),
        ("alias_matched_later", "PAID", None),
        ("alias_from_file", "PAID", None),
        ("alias_removed", "UNPAID", None),
        ("bank_transfer_fee_deducted", "PAID", "TRANSFER_FEE_DEDUCTED"),
        ("bank_subset_paid", "PAID", None),
        ("bank_subset_left_open", "UNPAID", None),
        ("bank_subset_suggested", "UNPAID", None),
    ],
)
def test_scenario_outcomes_at_month_end(demo_month, scenario, status, reason):
    summary, con, _ = demo_month
    rows = con.execute(
        "SELECT receivable_id, status, difference_reason FROM marts.receivables "
        "WHERE as_of = $d AND list_contains($ids, receivable_id)",
        {"d": summary.end, "ids": summary.scenarios[scenario]},
    ).fetchall()
    assert len(rows) == len(set(summary.scenarios[scenario]))
    assert {(s, r) for _, s, r in rows} == {(status, reason)}, rows


def test_dunning_reaches_the_red_reminder_and_slips_go_out_once(demo_month):
    summary, con, _ = demo_month
    stages = dict(
        con.execute(
            "SELECT stage, count(*) FROM marts.dunning_candidates WHERE list_contains($ids, "
            "receivable_id) GROUP BY stage",
            {"ids": summary.scenarios["konbini_unpaid_dunned"]},
        ).fetchall()
    )
    assert (
        stages["REMINDER_1"]
        == stages["REMINDER_2"]
        == len(summary.scenarios["konbini_unpaid_dunned"])
    )
    forms = dict(
        con.execute(
            "SELECT form_type, count(*) FROM exports.slip_requests GROUP BY form_type"
        ).fetchall()
    )
    assert forms["REMINDER"] >= forms["REMINDER_RED"] >= 2 and forms["STANDARD"] > 100
    assert con.execute(
        "SELECT count(*) = count(DISTINCT request_id) FROM exports.slip_requests"
    ).fetchone()[0]


def test_bad_input_is_quarantined_and_every_check_passes(demo_month):
    summary, con, results = demo_month
    statuses = dict(con.execute("SELECT path, status FROM audit.file_manifest").fetchall())
    for path in summary.scenarios["undecodable_file"] + summary.scenarios["wrong_header_file"]:
        assert statuses[path] == "QUARANTINED"
    assert statuses[summary.scenarios["duplicate_delivery"][0]] == "DUPLICATE"
    bad_rows = con.execute(
        "SELECT path, reason FROM quarantine.rejected_rows WHERE line_no > 0"
    ).fetchall()
    assert sorted(p for p, _ in bad_rows) == sorted(
        summary.scenarios["bad_card_row"] + summary.scenarios["quarantined_payment_row"]
    )
    assert {r for p, r in bad_rows if p.startswith("card/")} == {"net must equal gross - fee"}
    [bank_reason] = [r for p, r in bad_rows if p.startswith("bank/")]
    assert bank_reason.startswith("account_date: '081399' is not a date"), bank_reason
    assert all(r.success for r in results)
    blocking = [
        e
        for r in results
        for e in r.get_asset_check_evaluations()
        if e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert blocking and all(e.passed for e in blocking)


def test_other_channels_ids_are_receivables_and_are_dunned_like_any(demo_month):
    """Rakuten, Yahoo!, POS and new-site orders become receivables; the unpaid ones of the
    shop's own methods are dunned."""
    summary, con, _ = demo_month
    ids = summary.scenarios["other_channel_order"]
    found = con.execute(
        "SELECT count(*), count(DISTINCT split_part(receivable_id, '-', 1)) FROM marts.receivables "
        "WHERE as_of = $d AND list_contains($ids, receivable_id)",
        {"d": summary.end, "ids": ids},
    ).fetchone()
    assert found[0] == len(ids) and found[1] >= 3
    dunned = con.execute(
        "SELECT count(*) FROM marts.dunning_candidates WHERE list_contains($ids, receivable_id)",
        {"ids": ids},
    ).fetchone()[0]
    assert dunned > 0


def test_a_payment_in_quarantine_holds_dunning_until_it_is_redelivered(demo_month):
    summary, con, _ = demo_month
    [order] = summary.scenarios["payment_in_quarantine"]
    held = con.execute(
        "SELECT as_of, status FROM marts.dunning_holds WHERE receivable_id = $r ORDER BY 1",
        {"r": order},
    ).fetchall()
    assert [status for _, status in held] == ["HELD", "HELD"]
    assert con.execute(
        "SELECT count(*) FROM marts.dunning_candidates WHERE receivable_id = $r", {"r": order}
    ).fetchone() == (0,)


def test_a_number_of_nobody_falls_to_the_name_suggestion(demo_month):
    summary, con, _ = demo_month
    [order] = summary.scenarios["bank_unknown_customer_number"]
    line = con.execute(
        "SELECT status, reason, evidence FROM marts.settlement_status "
        "WHERE as_of = $d AND receivable_id = $r AND source = 'bank'",
        {"d": summary.end, "r": order},
    ).fetchall()
    assert line == [
        (
            "SUGGESTED",
            "NAME_AMOUNT_SUGGESTION",
            "customer number 9999999 in the payer name belongs to no customer: read as no number",
        )
    ]


def test_dispositions_of_the_month_and_matches_per_rule(demo_month):
    summary, con, _ = demo_month
    outcomes = dict(
        con.execute(
            "SELECT disposition_id, status FROM marts.disposition_outcomes WHERE as_of = $d",
            {"d": summary.end},
        ).fetchall()
    )
    assert outcomes.pop("D-0007") == "REJECTED"
    assert set(outcomes.values()) == {"APPLIED"} and len(outcomes) == 7
    rules = dict(
        con.execute(
            "SELECT rule, count(*) FROM marts.matches WHERE as_of = $d GROUP BY rule",
            {"d": summary.end},
        ).fetchall()
    )
    assert {
        "key_exact",
        "key_difference",
        "bank_exact",
        "customer_sum",
        "bank_allocation",
        "manual_match",
        "learned_alias",
        "transfer_fee",
        "customer_subset",
    } <= set(rules)


def _as_of(con: duckdb.DuckDBPyConnection, day) -> dict[str, list]:
    return {
        table.view: con.execute(
            f"SELECT * FROM {table.view} WHERE as_of = $d ORDER BY ALL", {"d": day}
        ).fetchall()
        for table in versions.VERSIONED_TABLES
    }


def test_every_day_equals_a_recompute_from_nothing(demo_month, tmp_path):
    """The month ran day by day, each day recomputing only what its files reached; every
    day's matches, ledger, line statuses and customer profiles equal a recompute of that day
    from nothing."""
    summary, con, _ = demo_month
    database = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    shutil.copyfile(database, tmp_path / "copy.duckdb")
    days = [
        day
        for (day,) in con.execute(
            "SELECT DISTINCT as_of FROM marts.snapshot_days ORDER BY as_of"
        ).fetchall()
    ]
    assert len(days) == (summary.end - summary.start).days + 1
    recomputed = 0
    with WarehouseResource(database=str(tmp_path / "copy.duckdb")).connect() as work:
        for day in days:
            work.begin()
            for table in versions.VERSIONED_TABLES:
                work.execute(f"DELETE FROM {table.history}")
            work.execute("DELETE FROM marts.snapshot_days")
            scope, _ = reconcile_day(work, day)
            customers, _ = profile_day(work, day)
            work.commit()
            assert scope.since is None and customers.since is None
            assert _as_of(work, day) == _as_of(con, day), day
            recomputed += 1
    incremental = con.execute(
        "SELECT count(*) FROM marts.snapshot_days WHERE since IS NOT NULL"
    ).fetchone()[0]
    assert recomputed == len(days) and incremental >= 4 * (len(days) - 1)


def test_the_journal_is_one_file_a_day_that_balances_and_ties_out_every_day(demo_month):
    """The month's 弥生 files, read back with csv + cp932 only (tests/journal_reader.py): one
    a day, as recorded when sent; every slip balances; and on every day 売掛金 = Σ max(outstanding,
    0) of the receivables, 仮受金 (過入金) = Σ max(−outstanding, 0), so 売掛金 − 仮受金 (過入金)
    = Σ outstanding."""
    summary, con, _ = demo_month
    database = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    folder = Path(database).parent / "exports" / "journal"
    sent = dict(con.execute("SELECT file_name, sha256 FROM exports.journal_files").fetchall())
    days = (summary.end - summary.start).days + 1
    assert len(sent) == days
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()} == sent
    books: Counter = Counter()
    for offset in range(days):
        day = summary.start + dt.timedelta(days=offset)
        lines = read_lines(folder / f"journal_{day:%Y%m%d}.csv")
        for slip in slips(lines):
            assert sum(line.debit_amount for line in slip) == sum(
                line.credit_amount for line in slip
            ), slip
        books.update(balances(lines))
        receivable = sum(value for (account, _), value in books.items() if account == "売掛金")
        overpaid = -books[("仮受金", "過入金")]
        outstanding, positive, negative = con.execute(
            "SELECT sum(outstanding_amount), sum(greatest(outstanding_amount, 0)), "
            "sum(greatest(-outstanding_amount, 0)) FROM marts.receivables WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        assert (receivable, overpaid) == (positive, negative), day
        assert receivable - overpaid == outstanding, day
        assert sum(books.values()) == 0, day
    types = {row[0] for row in con.execute("SELECT entry_type FROM marts.journal").fetchall()}
    assert {"SALE", "RECEIPT", "FEE", "UNKNOWN_PAYMENT", "KONBINI_REMITTANCE"} <= types
    assert {"REFUND", "OVERPAYMENT", "WRITE_OFF", "TRANSFER_FEE"} <= types


def test_the_auto_match_rate_counts_what_no_person_matched(demo_month):
    """Per day and channel: the payments that arrived, those a rule matched; the alias and
    fee cases count as matched without a person, the operator's manual match does not."""
    summary, con, _ = demo_month
    rate = con.execute(
        "SELECT sum(lines), sum(auto_matched_lines) FROM marts.auto_match_rate "
        "WHERE channel = 'ALL'"
    ).fetchone()
    by_channel = con.execute(
        "SELECT sum(lines), sum(auto_matched_lines) FROM marts.auto_match_rate "
        "WHERE channel <> 'ALL'"
    ).fetchone()
    assert rate == by_channel and 0 < rate[1] < rate[0]
    learned = con.execute(
        "SELECT DISTINCT m.rule FROM marts.matches AS m WHERE m.as_of = $d "
        "AND list_contains($ids, m.receivable_id)",
        {
            "d": summary.end,
            "ids": summary.scenarios["alias_matched_later"]
            + summary.scenarios["bank_transfer_fee_deducted"],
        },
    ).fetchall()
    assert sorted(learned) == [("learned_alias",), ("transfer_fee",)]
    manual = con.execute(
        "SELECT count(*) FROM marts.auto_match_rate AS r WHERE r.channel = 'BANK_TRANSFER' "
        "AND r.auto_matched_lines = r.lines AND r.partition_date = $d",
        {"d": summary.start + dt.timedelta(days=1)},
    ).fetchone()
    assert manual == (0,)  # day 2's family transfer waits for a person


COOKBOOK = Path(__file__).resolve().parents[1] / "docs" / "analysts.md"


def cookbook() -> list[tuple[str, str]]:
    """The questions of docs/analysts.md's cookbook and their SQL, in order."""
    text = COOKBOOK.read_text(encoding="utf-8").split("## The cookbook", 1)[1]
    found = re.findall(r"^### (\d+\. .+?)\n\n```sql\n(.+?)```", text, re.S | re.M)
    return [(question, query.strip().rstrip(";")) for question, query in found]


def test_every_cookbook_query_answers_on_the_demo_month(demo_month):
    summary, con, _ = demo_month
    [(path,)] = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    published = Path(path).parent / "published" / "recon.duckdb"
    questions = cookbook()
    assert len(questions) == 10
    answers = {}
    with duckdb.connect(str(published), read_only=True) as analyst:
        for question, query in questions:
            frame = analyst.execute(query).df()
            assert len(frame), f"no answer to {question}"
            answers[int(question.split(".")[0])] = frame
    # what the answers must say of the demo month
    last = answers[1].iloc[0]
    assert (str(last["partition_date"].date()), last["status"]) == (str(summary.end), "OK")
    held = answers[2]
    assert [str(d.date()) for d in held["partition_date"]] == summary.scenarios[
        "freshness_gate_held"
    ]
    assert set(held["status"]) == {"HELD"} and held["why"].str.contains("bank").all()
    aging = answers[3]
    for _, buckets in aging.groupby("payment_method"):
        assert list(buckets["aging_bucket"]) == list(AGING_BUCKETS)
    total = con.execute(
        "SELECT sum(outstanding_amount) FROM marts.receivables "
        "WHERE as_of = $d AND outstanding_amount > 0",
        {"d": summary.end},
    ).fetchone()[0]
    assert aging["outstanding_amount"].sum() == total
    assert (answers[4]["days_past_due"] > 0).all()
    unmatched = answers[5]
    assert unmatched["match_key"].notna().any()
    assert set(summary.scenarios["unknown_card_payment"]) & set(unmatched["settlement_line_id"])
    assert answers[6]["as_of"].nunique() == (summary.end - summary.start).days + 1
    assert {path.split("/")[0] for path in answers[7]["path"]} >= {"card", "konbini"}
    dunned = con.execute(
        "SELECT count(*) FROM marts.dunning_candidates WHERE as_of = $d", {"d": summary.end}
    ).fetchone()[0]
    assert answers[8]["receivables"].sum() == dunned
    assert (answers[9]["days_late"] > 0).all()
    assert set(answers[10]["source"]) >= {"card"}


def test_a_paid_receivable_is_not_past_due(demo_month):
    summary, con, _ = demo_month
    rows = con.execute(
        "SELECT status, min(days_past_due), max(days_past_due) FROM marts.receivables "
        "WHERE as_of = $d AND outstanding_amount <= 0 AND written_off_amount = 0 GROUP BY ALL",
        {"d": summary.end},
    ).fetchall()
    assert rows and all(low == high == 0 for _, low, high in rows), rows
    late = con.execute(
        "SELECT count(*) FROM marts.receivables WHERE as_of = $d AND status = 'PAID' "
        "AND settled_on > due_date",
        {"d": summary.end},
    ).fetchone()[0]
    assert late > 0  # paid late, yet not past due once paid


def test_the_demo_month_equals_its_stored_snapshot(demo_month):
    """Every table of the month (wall-clock columns left out) hashes as the stored snapshot
    taken from the code before validation and the dataset checks moved into DuckDB (issue
    25), and the quarantined rows and reasons are the same. A deliberate change of a result
    rewrites the snapshot (``python -m tests.snapshot write``) in the same commit."""
    _, con, _ = demo_month
    database = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    expected = snapshot.stored()
    assert expected["orders_per_day"] == 60
    taken = snapshot.take(Path(database))
    assert taken["quarantine"] == expected["quarantine"]
    differing = {
        table: (digest, expected["tables"].get(table))
        for table, digest in taken["tables"].items()
        if digest != expected["tables"].get(table)
    }
    assert not differing
    assert set(taken["tables"]) == set(expected["tables"])
