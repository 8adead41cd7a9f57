"""The invariant checks catch a warehouse that does not add up, and a failing one stops the
dunning and export assets downstream of it (they are blocking)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from recon_pipeline.assets.exports import SLIP_REQUESTS
from recon_pipeline.assets.marts import DUNNING_CANDIDATES
from recon_pipeline.assets.reconcile import (
    MATCHES,
    PAYER_ALIASES_AS_OF,
    RECEIVABLES,
    SETTLEMENT_STATUS,
)
from recon_pipeline.checks import offending_rows
from recon_pipeline.contracts import load_contracts
from recon_pipeline.definitions import DAILY_JOB, build_definitions
from recon_pipeline.settings import Settings, load_settings
from tests.conftest import QUIET, SAMPLES, memory_instance, run_job, run_range

DAY = "2026-10-06"


@pytest.fixture(scope="module")
def first_day(tmp_path_factory) -> Path:
    """The samples' first day, 2026-10-01, run once for the module."""
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("first_day") / "home")})
    shutil.copytree(SAMPLES, settings.landing_dir)
    with memory_instance() as instance:
        run_job(settings, instance, "2026-10-01")
    return settings.home


@pytest.fixture
def after_first_day(first_day: Path, settings: Settings) -> Settings:
    """A copy of the first day's home (landing tree, warehouse, exports) for a test to tamper
    with."""
    shutil.copytree(first_day, settings.home, symlinks=True)
    return settings


def _tamper(settings, statement: str) -> None:
    con = duckdb.connect(str(settings.warehouse))
    con.execute(statement)
    con.close()


def test_broken_balance_blocks_dunning_and_exports(after_first_day, instance):
    settings = after_first_day
    run_range(settings, instance, "2026-10-02", DAY)  # after the first day, to DAY
    # a link to no receivable, in the history since the first day: re-running the day keeps
    # it (nothing the day delivered reaches it), and the ledger cannot account for it
    _tamper(
        settings,
        "INSERT INTO marts.matches_history VALUES ('ORD-GHOST', 'card:txn_ghost', 'key_exact', "
        "999, 0, 1, DATE '2026-10-01', DATE '9999-12-31', true, NULL, 0)",
    )
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    reconciled = [
        MATCHES,
        RECEIVABLES,
        SETTLEMENT_STATUS,
        PAYER_ALIASES_AS_OF,
    ]
    downstream = [
        *reconciled,
        DUNNING_CANDIDATES,
        SLIP_REQUESTS,
    ]
    result = job.execute_in_process(
        partition_key=DAY,
        instance=instance,
        raise_on_error=False,
        asset_selection=downstream,
        run_config=QUIET,
    )
    assert not result.success
    failed = {e.check_name: e for e in result.get_asset_check_evaluations() if not e.passed}
    # the ghost link pays no receivable (balance) and names no known line (conservation)
    assert set(failed) == {
        "balance_expected_paid_written_off_outstanding",
        "every_settlement_line_in_one_status",
    }
    assert (
        failed["balance_expected_paid_written_off_outstanding"].metadata["offending_rows"].value
        == 1
    )
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == set(reconciled)


def test_completeness_names_a_file_that_lost_a_row(after_first_day):
    settings = after_first_day
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


def test_conservation_names_a_line_in_two_statuses(after_first_day):
    settings = after_first_day
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "INSERT INTO marts.settlement_status_history SELECT * REPLACE ('UNMATCHED' AS status) "
            "FROM marts.settlement_status_history WHERE settlement_line_id = 'card:txn_0001'"
        )
        offending = offending_rows(
            con, "checks/conservation", dt.date(2026, 10, 1), load_contracts()
        )
    assert offending["settlement_line_id"].tolist() == ["card:txn_0001"]


def test_balance_names_receivables_written_on_the_day_even_when_totals_agree(after_first_day):
    """Item by item, the balance check reads the receivables whose versions (or links) the
    day wrote: two errors that cancel out in the totals are still named."""
    settings = after_first_day
    day = dt.date(2026, 10, 1)
    with duckdb.connect(str(settings.warehouse)) as con:
        first, second = (
            row[0]
            for row in con.execute(
                "SELECT receivable_id FROM marts.receivables_history WHERE valid_from = $day "
                "ORDER BY receivable_id LIMIT 2",
                {"day": day},
            ).fetchall()
        )
        for receivable_id, change in ((first, 1), (second, -1)):
            con.execute(
                "UPDATE marts.receivables_history SET outstanding_amount = outstanding_amount "
                "+ $change WHERE receivable_id = $id AND valid_from = $day",
                {"change": change, "id": receivable_id, "day": day},
            )
        offending = offending_rows(con, "checks/balance", day, load_contracts())
    assert sorted(offending["receivable_id"]) == sorted([first, second])
