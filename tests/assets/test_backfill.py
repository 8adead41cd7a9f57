"""Results do not depend on how the work is scheduled. One demo landing zone (six days, the
bank's notice of one day delivered a day late: that day is held) is run three ways — day by
day, as a single-run backfill of the range (one Dagster run whose assets walk the days in
order), and that backfill again with one DuckDB thread — and
- the range gives exactly the tables the days one by one give, one DuckDB thread what the
  default threads give: the same rows in every staging table, mart and export, and
  byte-identical export files; the analysts' copy published after each day equals the
  warehouse;
- each day's materialization carries that day's own figures, and each check result names its
  day, whether the range runs as one Dagster run or day by day (issue 26): the instance's
  events are read back and every day's metadata is compared with the warehouse.

The three runs are shared by every test of the module: each test only reads them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import NamedTuple

import dagster as dg
import duckdb
import pytest

from recon_pipeline.assets.exports import (
    JOURNAL_FILES,
    PUBLISHED_WAREHOUSE,
    RUNS,
    SHIP_HOLDS,
    SLIP_REQUESTS,
)
from recon_pipeline.assets.ingest import LANDED_FILES
from recon_pipeline.assets.marts import (
    AGING,
    CUSTOMER_PROFILE,
    DISPOSITION_OUTCOMES,
    DUNNING_CANDIDATES,
    DUNNING_HOLDS,
    FEES,
    JOURNAL,
    PROVIDER_FOLLOWUPS,
    UNMATCHED_ITEMS,
    WRITE_OFFS,
)
from recon_pipeline.assets.reconcile import MATCHES, RECEIVABLES, SETTLEMENT_STATUS
from recon_pipeline.assets.staging import (
    DISPOSITIONS,
    FILE_MANIFEST,
    RECEIVABLE_EVENTS,
    REJECTED_ROWS,
    SETTLEMENT_LINES,
    SOURCE_FRESHNESS,
)
from recon_pipeline.checks import FRESHNESS
from recon_pipeline.definitions import DAILY_JOB, build_definitions
from recon_pipeline.demo_month import generate_month
from recon_pipeline.freshness import holding_sources
from recon_pipeline.publish import UNPUBLISHED
from recon_pipeline.settings import Settings, load_settings
from tests.conftest import memory_instance, run_job, run_range, table_fingerprints

DAYS = 6
HELD = 4
"""The offset of the day whose bank notice arrives a day late: its dunning is held."""

SCHEMAS = ("audit", "quarantine", "raw", "staging", "marts", "exports")
SCHEDULING_LOG = "audit.partition_writes"
"""The order of writes: it differs between a range and its days one by one, by design."""

ROW_COUNTS = {
    LANDED_FILES: "SELECT count(*) FROM audit.landed_files WHERE partition_date = $d",
    FILE_MANIFEST: "SELECT count(*) FROM audit.file_manifest WHERE partition_date = $d",
    REJECTED_ROWS: "SELECT count(*) FROM quarantine.rejected_rows WHERE partition_date = $d",
    RECEIVABLE_EVENTS: "SELECT count(*) FROM staging.receivable_events WHERE partition_date = $d",
    SETTLEMENT_LINES: "SELECT count(*) FROM staging.settlement_lines WHERE partition_date = $d",
    DISPOSITIONS: "SELECT count(*) FROM staging.dispositions WHERE partition_date = $d",
    SOURCE_FRESHNESS: "SELECT count(*) FROM audit.source_freshness WHERE partition_date = $d",
    MATCHES: "SELECT count(*) FROM marts.matches WHERE as_of = $d",
    RECEIVABLES: "SELECT count(*) FROM marts.receivables WHERE as_of = $d",
    SETTLEMENT_STATUS: "SELECT count(*) FROM marts.settlement_status WHERE as_of = $d",
    UNMATCHED_ITEMS: "SELECT count(*) FROM marts.unmatched_items WHERE as_of = $d",
    AGING: "SELECT count(*) FROM marts.aging WHERE as_of = $d",
    FEES: "SELECT count(*) FROM marts.fees WHERE partition_date = $d",
    DUNNING_HOLDS: "SELECT count(*) FROM marts.dunning_holds WHERE as_of = $d",
    DUNNING_CANDIDATES: "SELECT count(*) FROM marts.dunning_candidates WHERE as_of = $d",
    WRITE_OFFS: "SELECT count(*) FROM marts.write_offs WHERE as_of = $d",
    DISPOSITION_OUTCOMES: "SELECT count(*) FROM marts.disposition_outcomes WHERE as_of = $d",
    PROVIDER_FOLLOWUPS: "SELECT count(*) FROM marts.provider_followups WHERE as_of = $d",
    CUSTOMER_PROFILE: "SELECT count(*) FROM marts.customer_profile WHERE as_of = $d",
    JOURNAL: "SELECT count(*) FROM marts.journal_lines WHERE partition_date = $d",
    SLIP_REQUESTS: "SELECT count(*) FROM exports.slip_requests WHERE partition_date = $d",
    SHIP_HOLDS: "SELECT count(*) FROM exports.ship_holds WHERE partition_date = $d",
    JOURNAL_FILES: "SELECT count(*) FROM marts.journal_lines WHERE partition_date = $d",
    RUNS: "SELECT count(*) FROM audit.runs WHERE partition_date = $d",
}
"""``dagster/row_count`` of each asset's day, as the warehouse has it after a first run."""

FIGURES = {
    FILE_MANIFEST: {
        "files_in": "SELECT count(*) FROM audit.file_manifest WHERE partition_date = $d",
        "files_quarantined": "SELECT count(*) FROM audit.file_manifest "
        "WHERE partition_date = $d AND status = 'QUARANTINED'",
        "rows_quarantined": "SELECT coalesce(sum(rows_quarantined), 0) FROM audit.file_manifest "
        "WHERE partition_date = $d",
        "rows_total": "SELECT coalesce(sum(rows_total), 0) FROM audit.file_manifest "
        "WHERE partition_date = $d",
    },
    RECEIVABLES: {
        "open_amount": "SELECT coalesce(sum(outstanding_amount), 0) FROM marts.receivables "
        "WHERE as_of = $d AND outstanding_amount > 0",
        "paid_amount": "SELECT coalesce(sum(paid_amount), 0) FROM marts.receivables "
        "WHERE as_of = $d",
    },
    SETTLEMENT_STATUS: {
        "unmatched_lines": "SELECT count(*) FROM marts.settlement_status "
        "WHERE as_of = $d AND status = 'UNMATCHED'",
        "unmatched_amount": "SELECT coalesce(sum(gross_amount), 0) FROM marts.settlement_status "
        "WHERE as_of = $d AND status = 'UNMATCHED'",
    },
    AGING: {
        "outstanding_amount": "SELECT coalesce(sum(outstanding_amount), 0) FROM marts.aging "
        "WHERE as_of = $d",
    },
    UNMATCHED_ITEMS: {
        "open_amount": "SELECT coalesce(sum(amount), 0) FROM marts.unmatched_items "
        "WHERE as_of = $d",
    },
    SLIP_REQUESTS: {
        "new_requests": "SELECT count(*) FROM exports.slip_requests WHERE partition_date = $d",
    },
    RUNS: {
        "files_in": "SELECT count(*) FROM audit.file_manifest WHERE partition_date = $d",
        "rows_quarantined": "SELECT count(*) FROM quarantine.rejected_rows "
        "WHERE partition_date = $d AND line_no > 0",
        "exceptions_open": "SELECT count(*) FROM marts.unmatched_items WHERE as_of = $d",
        "dunning_issued": "SELECT count(*) FROM marts.dunning_candidates WHERE as_of = $d",
        "slips_exported": "SELECT count(*) FROM exports.slip_requests WHERE partition_date = $d",
    },
}
"""Further figures of a day and the SQL that gives them."""


def _landing(root: Path) -> Path:
    """Six demo days, with the bank notice of one day delivered the next day."""
    landing = root / "landing"
    summary = generate_month(landing, days=DAYS)
    held = summary.start + dt.timedelta(days=HELD)
    later = landing / "bank" / (held + dt.timedelta(days=1)).isoformat()
    later.mkdir(parents=True, exist_ok=True)
    late = list((landing / "bank" / held.isoformat()).iterdir())
    assert late, "the demo's bank delivers every day"
    for path in late:
        shutil.move(path, later / f"late_{path.name}")
    return landing


class Run(NamedTuple):
    settings: Settings
    latest: dict
    """Every asset's latest materialization metadata of every day: {key: {day: metadata}}."""
    checks: list
    """Every asset check evaluation of every run."""
    published: list
    """How the analysts' copy was published after each day but the first (day by day only)."""


def _published_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key == PUBLISHED_WAREHOUSE
    ]
    return event.materialization.metadata


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("backfill")
    landing = _landing(root)
    start = dt.date(2026, 10, 1)
    days = [start + dt.timedelta(days=n) for n in range(DAYS)]
    first, last = days[0].isoformat(), days[-1].isoformat()
    found = {}
    for mode, threads in (("day_by_day", ""), ("ranged", ""), ("ranged_one_thread", "1")):
        settings = load_settings(
            {
                "RECON_HOME": str(root / mode),
                "RECON_LANDING_DIR": str(landing),
                "RECON_DUCKDB_THREADS": threads,
            }
        )
        with memory_instance() as instance:
            published = []
            if mode == "day_by_day":
                results = run_job(settings, instance, first, last)
                published = [
                    _published_metadata(r)["compared_by_fingerprints"].value for r in results[1:]
                ]
            else:
                run_range(settings, instance, first, last)
            found[mode] = Run(
                settings, _latest_metadata(settings, instance), _checks(instance), published
            )
    return {"days": days, **found}


def test_a_ranged_backfill_equals_the_days_one_by_one(runs):
    """…and the analysts' copy, published after each day from the write log, equals the
    warehouse."""
    homes = {mode: runs[mode].settings for mode in ("day_by_day", "ranged")}
    assert runs["day_by_day"].published == ["none (write log)"] * (DAYS - 1)
    daily, ranged = (
        table_fingerprints(homes[m].warehouse, SCHEMAS) for m in ("day_by_day", "ranged")
    )
    assert len(daily) > 20
    assert {t for t in daily if daily[t] != ranged.get(t)} - {SCHEDULING_LOG} == set()
    published = table_fingerprints(homes["day_by_day"].published_warehouse, SCHEMAS)
    assert published == {
        t: f for t, f in daily.items() if not t.startswith("raw.") and t not in UNPUBLISHED
    }
    exports = sorted(
        p.relative_to(homes["day_by_day"].export_dir)
        for p in homes["day_by_day"].export_dir.rglob("*.csv")
    )
    assert exports
    for relative in exports:
        assert (homes["ranged"].export_dir / relative).read_bytes() == (
            homes["day_by_day"].export_dir / relative
        ).read_bytes(), relative


def _asset_keys(settings: Settings) -> list[dg.AssetKey]:
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    return sorted(job.asset_layer.executable_asset_keys, key=lambda k: k.to_user_string())


def _latest_metadata(settings: Settings, instance: dg.DagsterInstance) -> dict:
    """Every asset's latest materialization of every day: {key: {day: metadata}}."""
    latest = {}
    for key in _asset_keys(settings):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key), limit=1000, ascending=True
        ).records
        per_day = {}
        for record in records:
            materialization = record.asset_materialization
            per_day[materialization.partition] = {
                name: value.value for name, value in materialization.metadata.items()
            }
        latest[key] = per_day
    return latest


def _checks(instance: dg.DagsterInstance) -> list:
    """Every asset check evaluation of every run."""
    evaluations = []
    for run in instance.get_runs():
        for entry in instance.all_logs(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ):
            evaluations.append(entry.dagster_event.event_specific_data)
    return evaluations


def _value(con: duckdb.DuckDBPyConnection, query: str, day: dt.date) -> int:
    return int(con.execute(query, {"d": day}).fetchone()[0])


@pytest.mark.parametrize("mode", ["ranged", "day_by_day"])
def test_every_day_carries_its_own_figures(runs, mode):
    settings, latest = runs[mode].settings, runs[mode].latest
    days = runs["days"]
    keys = [key for key in _asset_keys(settings) if key != PUBLISHED_WAREHOUSE]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for key in keys:
            assert set(latest[key]) >= {d.isoformat() for d in days}, key
        for key, query in ROW_COUNTS.items():
            for day in days:
                metadata = latest[key][day.isoformat()]
                assert metadata["dagster/row_count"] == _value(con, query, day), (key, day)
        for key in (k for k in keys if k.path[0] == "raw"):
            for day in days:
                counted = _value(
                    con, f"SELECT count(*) FROM raw.{key.path[1]} WHERE partition_date = $d", day
                )
                assert latest[key][day.isoformat()]["dagster/row_count"] == counted, (key, day)
        for key, figures in FIGURES.items():
            for name, query in figures.items():
                for day in days:
                    assert latest[key][day.isoformat()][name] == _value(con, query, day), (
                        key,
                        name,
                        day,
                    )
        held_day = days[HELD]
        for day in days:
            held = ", ".join(holding_sources(con, day)) or "none"
            assert latest[DUNNING_CANDIDATES][day.isoformat()]["held_by_missing_sources"] == held
            assert latest[SOURCE_FRESHNESS][day.isoformat()]["holding_sources"] == held
            assert latest[SLIP_REQUESTS][day.isoformat()]["held_by_missing_sources"] == held
            assert (held != "none") == (day == held_day), day
            status = "HELD" if day == held_day else "OK"
            assert latest[RUNS][day.isoformat()]["status"] == status
            assert latest[RUNS][day.isoformat()]["held_by"] == held
    finally:
        con.close()
    # the figures move from day to day: no flat line of one day's (or the range's) figures
    assert len({latest[RECEIVABLES][d.isoformat()]["dagster/row_count"] for d in days}) > 1
    assert latest[DUNNING_CANDIDATES][days[HELD].isoformat()]["dagster/row_count"] == 0


def test_a_range_and_its_days_give_the_same_figures(runs):
    days = runs["days"]
    ranged, daily = runs["ranged"].latest, runs["day_by_day"].latest

    def numbers(metadata: dict) -> dict:
        return {
            name: value
            for name, value in metadata.items()
            if isinstance(value, int | float) and name not in VARYING
        }

    for key, per_day in daily.items():
        if key == PUBLISHED_WAREHOUSE:
            continue
        for day in days:
            assert numbers(ranged[key][day.isoformat()]) == numbers(per_day[day.isoformat()]), (
                key,
                day,
            )


VARYING = {
    "scope_receivables",
    "scope_lines",
    "rows_recomputed",
    "versions_written",
    "customers_recomputed",
}
"""Figures of the work a day did, which a range does differently by design (a range reuses
what its earlier days computed)."""


@pytest.mark.parametrize("mode", ["ranged", "day_by_day"])
def test_every_check_result_names_its_day(runs, mode):
    days = {d.isoformat() for d in runs["days"]}
    evaluations = runs[mode].checks
    by_check: dict = {}
    for evaluation in evaluations:
        if evaluation.partition is not None:
            by_check.setdefault(evaluation.check_name, {})[evaluation.partition] = evaluation
    assert by_check, "no check result names a day"
    for name, per_day in by_check.items():
        assert set(per_day) == days, name
        for day, evaluation in per_day.items():
            assert evaluation.metadata["day"].value == day, (name, day)
    held = runs["days"][HELD].isoformat()
    freshness = by_check[FRESHNESS]
    assert [day for day, e in sorted(freshness.items()) if not e.passed] == [held]


def test_one_duckdb_thread_gives_the_same_tables_as_the_default(runs):
    prints = []
    for mode, threads in (("ranged_one_thread", "1"), ("ranged", "")):
        settings = runs[mode].settings
        warehouse = build_definitions(settings).resources["warehouse"]
        with warehouse.connect() as con:
            used = con.execute("SELECT current_setting('threads')").fetchone()[0]
        assert (used == 1) == (threads == "1")
        prints.append(table_fingerprints(settings.warehouse, SCHEMAS))
    assert len(prints[0]) > 20 and prints[0] == prints[1]
