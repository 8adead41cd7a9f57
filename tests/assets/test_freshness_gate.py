"""The freshness gate: on a day a settlement source in use delivered nothing (or only a file
that was quarantined, or its newest file is older than its allowance), nobody is dunned and
no slip goes out — a missing file is not "nobody paid". The day says so in the UI (a WARN
check) and in ``recon run``; the next complete day issues everything then due."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import pytest

from recon_pipeline import cli
from recon_pipeline.settings import Settings, load_settings
from tests import landing as lz
from tests.conftest import run_range

POLICY_WITH_AMAZON_EVERY_3_DAYS = """
deliveries:
  amazon: {weekdays: [], max_age_days: 2}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The packaged dunning stages (REMINDER_1 at 7 days past due) with an Amazon allowance
    of two days, so staleness shows within a short test."""
    packaged = (
        Path(__file__).resolve().parents[2] / "recon_pipeline" / "policies" / "dunning_policy.yaml"
    ).read_text(encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    body = packaged.split("deliveries:", 1)[0] + POLICY_WITH_AMAZON_EVERY_3_DAYS
    policy.write_text(body + "stages:" + packaged.split("\nstages:", 1)[1], encoding="utf-8")
    return load_settings(
        {"RECON_HOME": str(tmp_path / "home"), "RECON_DUNNING_POLICY": str(policy)}
    )


def days(first: str, last: str) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def write_landing(landing: Path) -> None:
    """A konbini slip due 10-01 stays unpaid (REMINDER_1 due on 10-08, 7 days past due); a
    second konbini order ships on 10-08 (its NEW slip is due that day). Card and konbini
    deliver every day, an empty file when nothing was paid — except konbini on 10-08."""
    lz.shipments(
        landing,
        "2026-10-01",
        [
            lz.ship(
                "E1", "ORD-0000001", "2026-09-25", "KONBINI", 4000,
                payment_ref=lz.slip_ref(1), due="2026-10-01",
            ),
            lz.ship("E2", "ORD-0000002", "2026-10-01", "CARD", 5000),
        ],
    )  # fmt: skip
    lz.shipments(
        landing,
        "2026-10-08",
        [
            lz.ship(
                "E3", "ORD-0000003", "2026-10-08", "KONBINI", 3000,
                payment_ref=lz.slip_ref(3), due="2026-10-22", customer="C000002",
            )
        ],
    )  # fmt: skip
    for day in days("2026-10-01", "2026-10-09"):
        paid = [lz.charge("txn_1", "ORD-0000002", 5000)] if day == "2026-10-02" else []
        lz.card(landing, day, paid)
        if day != "2026-10-08":
            lz.konbini_file(landing, day, [])


def held(con, day: str) -> list[tuple]:
    return con.execute(
        "SELECT source, status FROM audit.source_freshness "
        "WHERE partition_date = $d AND holds_dunning ORDER BY source",
        {"d": day},
    ).fetchall()


def test_a_missing_file_holds_dunning_and_slips_until_the_next_complete_day(
    settings, landing, tmp_path, monkeypatch
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))  # `recon run`'s instance
    write_landing(landing)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.run_days(settings, dt.date(2026, 10, 1), dt.date(2026, 10, 9)) == 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        statuses = dict(
            con.execute(
                "SELECT source, status FROM audit.source_freshness "
                "WHERE partition_date = '2026-10-08'"
            ).fetchall()
        )
        dunned = con.execute(
            "SELECT as_of::VARCHAR, receivable_id, stage FROM marts.dunning_candidates"
        ).fetchall()
        slips = con.execute(
            "SELECT partition_date::VARCHAR, request_id FROM exports.slip_requests ORDER BY ALL"
        ).fetchall()
        held_days = {day: held(con, day) for day in days("2026-10-01", "2026-10-09")}
    assert statuses == {
        "konbini": "MISSING",
        "card": "FRESH",
        "amazon": "NOT_IN_USE",
        "bank": "NOT_IN_USE",
        "bnpl": "NOT_IN_USE",
        "cod": "NOT_IN_USE",
    }
    assert {day: h for day, h in held_days.items() if h} == {"2026-10-08": [("konbini", "MISSING")]}
    assert dunned == [("2026-10-09", "ORD-0000001", "REMINDER_1")]
    assert slips == [
        ("2026-10-01", "ORD-0000001-NEW-0"),
        ("2026-10-09", "ORD-0000001-REISSUE-1"),
        ("2026-10-09", "ORD-0000003-NEW-0"),
    ]
    assert not (settings.export_dir / "slip_requests" / "slip_requests_20261008.csv").exists()
    lines = out.getvalue().splitlines()
    held_line = lines[
        lines.index(next(line for line in lines if line.startswith("2026-10-08"))) + 1
    ]
    assert "held: no dunning or slips today — konbini MISSING" in held_line


def test_the_hold_is_a_warning_check_in_the_ui(settings, landing, run_days):
    write_landing(landing)
    (result,) = run_days("2026-10-01")
    (held_result,) = run_days("2026-10-08", "2026-10-08")
    check_name = "every_settlement_source_delivered_for_dunning"
    assert [
        e.passed for e in result.get_asset_check_evaluations() if e.check_name == check_name
    ] == [True]
    (evaluation,) = [
        e for e in held_result.get_asset_check_evaluations() if e.check_name == check_name
    ]
    assert not evaluation.passed and evaluation.severity.value == "WARN"
    assert held_result.success


def test_a_quarantined_file_is_no_delivery_and_a_stale_source_holds(settings, landing, instance):
    lz.shipments(landing, "2026-10-01", [lz.ship("E2", "ORD-0000002", "2026-10-01", "CARD", 5000)])
    for day in days("2026-10-01", "2026-10-05"):
        lz.card(landing, day, [])
    lz.write(landing, "card", "2026-10-02", "card_2026-10-02.csv", b"\xff\xfe not a csv\n")
    lz.write(landing, "amazon", "2026-10-01", "settlement_1.tsv", amazon_summary_only())
    run_range(settings, instance, "2026-10-01", "2026-10-05")  # one run walking the days
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        by_day = {day: held(con, day) for day in days("2026-10-01", "2026-10-05")}
    assert by_day == {
        "2026-10-01": [],
        "2026-10-02": [("card", "MISSING")],
        "2026-10-03": [],
        "2026-10-04": [("amazon", "STALE")],
        "2026-10-05": [("amazon", "STALE")],
    }


def amazon_summary_only() -> bytes:
    """A settlement report with its summary row and no items (total 0)."""
    summary = ["7000000009", "2026-09-17 00:00:00 UTC", "2026-10-01 00:00:00 UTC"]
    row = [*summary, "2026-10-03 00:00:00 UTC", "0", "JPY"] + [""] * 18
    return ("\t".join(lz.AMAZON_HEADER) + "\n" + "\t".join(row) + "\n").encode()
