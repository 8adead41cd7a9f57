"""Settings that are per shop: the collection agent's codes come from the environment, are
checked on start, and are what every slip's barcode carries."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from recon_pipeline import konbini
from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job

DAY = "2026-10-01"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECON_AGENT_COMPANY_CODE", "92902"),
        ("RECON_AGENT_COMPANY_CODE", "92902A"),
        ("RECON_AGENT_SHOP_CODE", "123456"),
        ("RECON_AGENT_SHOP_CODE", "１２３４５"),
    ],
)
def test_a_code_that_cannot_stand_in_a_barcode_is_refused_on_start(tmp_path, name, value):
    with pytest.raises(ValueError, match=f"{name} must be"):
        load_settings({"RECON_HOME": str(tmp_path), name: value})
    run = subprocess.run(
        [sys.executable, "-m", "recon_pipeline.cli", "run", "--from", DAY],
        env=os.environ | {"RECON_HOME": str(tmp_path / "home"), name: value},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and f"{name} must be" in run.stderr


def test_the_slips_carry_the_shops_own_codes(tmp_path):
    settings = load_settings(
        {
            "RECON_HOME": str(tmp_path / "home"),
            "RECON_AGENT_COMPANY_CODE": "123456",
            "RECON_AGENT_SHOP_CODE": "54321",
        }
    )
    lz.shipments(
        settings.landing_dir,
        DAY,
        [
            lz.ship(
                "E1", "ORD-1", DAY, "KONBINI", 3000, payment_ref=lz.slip_ref(1), due="2026-10-15"
            )
        ],
    )
    with memory_instance() as instance:
        run_job(settings, instance, DAY)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(barcode,)] = con.execute("SELECT barcode FROM exports.slip_requests").fetchall()
    parsed = konbini.parse(barcode)
    assert barcode.startswith("91123456" + "54321") and parsed.payment_ref == lz.slip_ref(1)


@pytest.mark.parametrize("value", ["2026-13-01", "20261001", "2026/10/01", "yesterday"])
def test_a_first_day_that_is_no_date_is_refused_on_start(tmp_path, value):
    with pytest.raises(ValueError, match="RECON_FIRST_DAY must be the first day of data"):
        load_settings({"RECON_HOME": str(tmp_path), "RECON_FIRST_DAY": value})
    env = {**os.environ, "RECON_HOME": str(tmp_path), "RECON_FIRST_DAY": value}
    done = subprocess.run(
        [sys.executable, "-m", "recon_pipeline.cli", "run", "--from", DAY],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"recon: RECON_FIRST_DAY must be the first day of data as YYYY-MM-DD, not {value!r}"
    ]


def test_the_partitions_start_on_the_first_day_of_data(tmp_path):
    """The UI's partition bar is about the days there are (not 1,000 empty ones before)."""
    env = {**os.environ, "RECON_HOME": str(tmp_path), "RECON_FIRST_DAY": "2026-10-01"}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from recon_pipeline.definitions import daily_reconciliation as job; "
            "print(job.partitions_def.get_first_partition_key())",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.strip() == "2026-10-01", shown.stderr[-2000:]
    early = subprocess.run(
        [sys.executable, "-m", "recon_pipeline.cli", "run", "--from", "2026-09-30"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert early.returncode == 2
    assert early.stderr.strip() == (
        "recon: 2026-09-30 is before the first day of data 2026-10-01 (RECON_FIRST_DAY); "
        "nothing was run"
    )
