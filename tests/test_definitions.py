"""The Definitions load, lay assets out by stage, put every writer in the duckdb pool and make
the invariant checks blocking."""

from __future__ import annotations

import os

import pytest

from recon_pipeline.assets.exports import SLIP_REQUESTS
from recon_pipeline.assets.ingest import LANDED_FILES
from recon_pipeline.assets.marts import DUNNING_CANDIDATES, JOURNAL
from recon_pipeline.definitions import DAILY_JOB, build_definitions
from recon_pipeline.partitions import stage_group
from recon_pipeline.settings import load_settings, machine_memory

STAGES = {
    "ingest": {"audit.landed_files"},
    "staging": {
        "audit.file_manifest",
        "quarantine.rejected_rows",
        "raw.card",
        "raw.konbini",
        "raw.shipments",
        "staging.receivable_events",
        "staging.settlement_lines",
        "audit.source_freshness",
    },
    "reconcile": {
        "marts.matches",
        "marts.settlement_status",
        "marts.receivables",
        "marts.payer_aliases",
    },
    "marts": {
        "marts.unmatched_items",
        "marts.aging",
        "marts.fees",
        "marts.auto_match_rate",
        "marts.dunning_candidates",
        "marts.provider_followups",
        "marts.customer_profile",
        "marts.journal",
    },
    "exports": {
        "exports.slip_requests",
        "exports.ship_holds",
        "exports.journal_files",
        "audit.runs",
    },
}
"""The warehouse tables each stage writes (its assets' ``dagster/table_name``)."""


def test_assets_are_grouped_by_stage_and_partitioned_daily(settings):
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        # the key's folder is its group: the UI's asset list and graph agree
        assert key.path[0] == node.group_name, key
        groups.setdefault(node.group_name, set()).add(node.metadata.get("dagster/table_name"))
        assert node.partitions_def is not None
        assert node.partitions_def.timezone == "Asia/Tokyo"
    for stage, tables in STAGES.items():
        assert tables <= groups[stage_group(stage)], stage
    # the UI sorts groups by name: they read in flow order
    assert sorted(groups) == [stage_group(stage) for stage in STAGES]


def test_every_asset_writes_through_the_single_duckdb_pool(settings):
    defs = build_definitions(settings)
    job = defs.resolve_job_def(DAILY_JOB)
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert len(pools) > 10 and set(pools.values()) == {"duckdb"}


def test_invariant_checks_block_and_advisory_suites_warn(settings):
    defs = build_definitions(settings)
    checks = {
        spec.name: spec.blocking
        for checks_def in defs.asset_checks
        for spec in checks_def.check_specs
    }
    assert checks == {
        "every_input_row_staged_or_quarantined": True,
        "balance_expected_paid_written_off_outstanding": True,
        "every_settlement_line_in_one_status": True,
        "every_settlement_source_delivered_for_dunning": False,
        "journal_debits_equal_credits": True,
        "journal_ties_out_to_the_receivables": True,
        "settlement_lines_integrity": True,
        "settlement_lines_sanity": False,
        "receivable_events_sanity": False,
    }


def test_self_dependent_assets_read_the_previous_day(settings):
    graph = build_definitions(settings).resolve_asset_graph()
    for asset_key in (DUNNING_CANDIDATES, JOURNAL, SLIP_REQUESTS, LANDED_FILES):
        assert asset_key in graph.get(asset_key).parent_keys


def test_duckdb_threads_and_memory_limit_come_from_the_settings(tmp_path):
    settings = load_settings(
        {
            "RECON_HOME": str(tmp_path),
            "RECON_DUCKDB_THREADS": "1",
            "RECON_DUCKDB_MEMORY_LIMIT": "512MB",
        }
    )
    warehouse = build_definitions(settings).resources["warehouse"]
    with warehouse.connect() as con:
        threads, limit = con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit')"
        ).fetchone()
    assert (threads, limit) == (1, "488.2 MiB")


def test_duckdb_gets_half_the_memory_unless_told(tmp_path):
    warehouse = build_definitions(load_settings({"RECON_HOME": str(tmp_path)})).resources[
        "warehouse"
    ]
    with warehouse.connect() as con:
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    number, unit = limit.split()
    in_bytes = float(number) * {"MiB": 2**20, "GiB": 2**30}[unit]
    assert in_bytes == pytest.approx(machine_memory() / 2, rel=0.01)


def test_a_container_limit_below_the_machine_is_the_memory(tmp_path):
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    unlimited, limited = tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes"
    unlimited.write_text("max\n")
    assert machine_memory((unlimited, tmp_path / "missing")) == physical
    limited.write_text(f"{2**30}\n")
    assert machine_memory((unlimited, limited)) == 2**30
