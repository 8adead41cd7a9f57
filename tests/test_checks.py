"""The invariant checks catch a warehouse that does not add up, and a failing one stops the
dunning and export assets downstream of it (they are blocking)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from recon_pipeline.checks import offending_rows
from recon_pipeline.contracts import load_contracts
from recon_pipeline.definitions import DAILY_JOB, build_definitions
from tests.conftest import QUIET, run_job

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
DAY = "2026-10-06"


def _tamper(settings, statement: str) -> None:
    con = duckdb.connect(str(settings.warehouse))
    con.execute(statement)
    con.close()


def test_broken_balance_blocks_dunning_and_exports(settings, instance):
    shutil.copytree(SAMPLES, settings.landing_dir)
    run_job(settings, instance, "2026-10-01", DAY)
    _tamper(
        settings,
        "INSERT INTO marts.matches VALUES "
        f"('{DAY}', 'ORD-GHOST', 'card:txn_ghost', 'key_exact', 999, 0, 1)",
    )
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    downstream = [
        dg.AssetKey(["marts", "receivables"]),
        dg.AssetKey(["marts", "dunning_candidates"]),
        dg.AssetKey(["exports", "slip_requests"]),
    ]
    result = job.execute_in_process(
        partition_key=DAY,
        instance=instance,
        raise_on_error=False,
        asset_selection=downstream,
        run_config=QUIET,
    )
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["balance_expected_paid_written_off_outstanding"]
    assert failed[0].metadata["offending_rows"].value == 1
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey(["marts", "receivables"])}


def test_completeness_names_a_file_that_lost_a_row(settings, instance):
    shutil.copytree(SAMPLES, settings.landing_dir)
    run_job(settings, instance, "2026-10-01")
    with duckdb.connect(str(settings.warehouse)) as con:
        assert offending_rows(
            con, "checks/completeness", dt.date(2026, 10, 1), load_contracts()
        ).empty
        con.execute("DELETE FROM raw.card WHERE line_no = 3")
        offending = offending_rows(
            con, "checks/completeness", dt.date(2026, 10, 1), load_contracts()
        )
    assert offending[["path", "rows_total", "rows_in_raw"]].values.tolist() == [
        ["card/2026-10-01/balance_transactions_20261001.csv", 3, 2]
    ]


def test_conservation_names_a_line_in_two_statuses(settings, instance):
    shutil.copytree(SAMPLES, settings.landing_dir)
    run_job(settings, instance, "2026-10-01")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "INSERT INTO marts.settlement_status SELECT * REPLACE ('UNMATCHED' AS status) "
            "FROM marts.settlement_status WHERE settlement_line_id = 'card:txn_0001'"
        )
        offending = offending_rows(
            con, "checks/conservation", dt.date(2026, 10, 1), load_contracts()
        )
    assert offending["settlement_line_id"].tolist() == ["card:txn_0001"]
