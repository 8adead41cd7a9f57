"""Results do not depend on how the work is scheduled: a single-run backfill of a range (one
Dagster run whose assets walk the days in order) gives exactly the tables that running the
days one by one gives, and DuckDB with one thread gives what its default threads give: the
same rows in every staging table, mart and export, and byte-identical export files."""

from __future__ import annotations

import dagster as dg

from recon_pipeline.assets.exports import PUBLISHED_WAREHOUSE
from recon_pipeline.definitions import build_definitions
from recon_pipeline.demo_month import generate_month
from recon_pipeline.publish import UNPUBLISHED
from recon_pipeline.settings import load_settings
from tests.conftest import memory_instance, run_job, run_range, table_fingerprints

SCHEMAS = ("audit", "quarantine", "raw", "staging", "marts", "exports")
SCHEDULING_LOG = "audit.partition_writes"
"""The order of writes: it differs between a range and its days one by one, by design."""


def _published_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key == PUBLISHED_WAREHOUSE
    ]
    return event.materialization.metadata


def test_a_ranged_backfill_equals_the_days_one_by_one(tmp_path):
    """…and the analysts' copy, published after each day from the write log, equals the
    warehouse."""
    summary = generate_month(tmp_path / "landing", days=6)
    first, last = summary.start.isoformat(), summary.end.isoformat()
    homes = {}
    for mode in ("daily", "ranged"):
        settings = load_settings(
            {"RECON_HOME": str(tmp_path / mode), "RECON_LANDING_DIR": str(tmp_path / "landing")}
        )
        with memory_instance() as instance:
            if mode == "daily":
                days = run_job(settings, instance, first, last)
                for result in days[1:]:
                    assert _published_metadata(result)["compared_by_fingerprints"].value == (
                        "none (write log)"
                    )
            else:
                run_range(settings, instance, first, last)
        homes[mode] = settings
    daily, ranged = (table_fingerprints(homes[m].warehouse, SCHEMAS) for m in ("daily", "ranged"))
    assert len(daily) > 20
    assert {t for t in daily if daily[t] != ranged.get(t)} - {SCHEDULING_LOG} == set()
    published = table_fingerprints(homes["daily"].published_warehouse, SCHEMAS)
    assert published == {
        t: f for t, f in daily.items() if not t.startswith("raw.") and t not in UNPUBLISHED
    }
    exports = sorted(
        p.relative_to(homes["daily"].export_dir) for p in homes["daily"].export_dir.rglob("*.csv")
    )
    assert exports
    for relative in exports:
        assert (homes["ranged"].export_dir / relative).read_bytes() == (
            homes["daily"].export_dir / relative
        ).read_bytes(), relative


def test_one_duckdb_thread_gives_the_same_tables_as_the_default(tmp_path):
    summary = generate_month(tmp_path / "landing", days=6)
    first, last = summary.start.isoformat(), summary.end.isoformat()
    prints = []
    for threads in ("1", ""):
        settings = load_settings(
            {
                "RECON_HOME": str(tmp_path / f"threads{threads or 'default'}"),
                "RECON_LANDING_DIR": str(tmp_path / "landing"),
                "RECON_DUCKDB_THREADS": threads,
            }
        )
        with memory_instance() as instance:
            run_range(settings, instance, first, last)
        warehouse = build_definitions(settings).resources["warehouse"]
        with warehouse.connect() as con:
            used = con.execute("SELECT current_setting('threads')").fetchone()[0]
        assert (used == 1) == (threads == "1")
        prints.append(table_fingerprints(settings.warehouse, SCHEMAS))
    assert len(prints[0]) > 20 and prints[0] == prints[1]
