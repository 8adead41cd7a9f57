"""The ship-hold list: a customer whose receivable reached the blacklisting stage is on the
list (file and table) from that day, every day after, until a RELEASE disposition of that
receivable lifts the hold; the customer profile agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon_pipeline.settings import Settings, load_settings
from tests import landing as lz
from tests.assets.test_collections_marts import FAST_STAGES
from tests.conftest import run_range

HEADER = "customer_id,reason,since,outstanding_amount\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Dunning one stage a day from 1 day past due: stage 4 (blacklist) on the fourth day."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("minimum_amount: 1\n" + FAST_STAGES, encoding="utf-8")
    return load_settings(
        {"RECON_HOME": str(tmp_path / "home"), "RECON_DUNNING_POLICY": str(policy)}
    )


def test_blacklisted_customers_are_held_until_released(settings, landing, instance, warehouse):
    slip = lz.slip_ref(31)
    lz.shipments(
        landing,
        "2026-10-01",
        [
            lz.ship(
                "E1", "ORD-0000031", "2026-09-20", "KONBINI", 20000,
                customer="C000003", payment_ref=slip, due="2026-09-30",
            ),
            lz.ship(
                "E2", "ORD-0000032", "2026-09-25", "KONBINI", 3000,
                customer="C000003", payment_ref=lz.slip_ref(32), due="2026-10-20",
            ),
        ],
    )  # fmt: skip
    lz.write(
        landing,
        "dispositions",
        "2026-10-06",
        "dispositions_20261006.csv",
        lz.csv_text(
            lz.DISPOSITION_HEADER,
            [
                [
                    "D-1",
                    "RELEASE",
                    "ORD-0000031",
                    "",
                    "",
                    "payment plan agreed",
                    "keiri01",
                    "2026-10-06",
                ]
            ],
        ).encode(),
    )
    # one single-run backfill: each asset walks the days in order, and gives the tables and
    # export files the days one by one give (tests/assets/test_backfill.py)
    run_range(settings, instance, "2026-10-01", "2026-10-06")
    files = settings.export_dir / "ship_hold"
    assert (files / "ship_hold_20261003.csv").read_text() == HEADER
    held = HEADER + "C000003,COLLECTION_AGENCY,2026-10-04,23000\n"
    assert (files / "ship_hold_20261004.csv").read_text() == held
    assert (files / "ship_hold_20261005.csv").read_text() == held
    assert (files / "ship_hold_20261006.csv").read_text() == HEADER
    with warehouse() as con:
        table = con.execute(
            "SELECT partition_date::VARCHAR, customer_id, reason, receivable_ids "
            "FROM exports.ship_holds ORDER BY ALL"
        ).fetchall()
        profile = con.execute(
            "SELECT as_of::VARCHAR, blacklisted, max_stage FROM marts.customer_profile "
            "WHERE customer_id = 'C000003' AND as_of >= '2026-10-03' ORDER BY as_of"
        ).fetchall()
        release = con.execute(
            "SELECT status, reason FROM marts.disposition_outcomes "
            "WHERE as_of = '2026-10-06' AND disposition_id = 'D-1'"
        ).fetchone()
    assert table == [
        ("2026-10-04", "C000003", "COLLECTION_AGENCY", "ORD-0000031"),
        ("2026-10-05", "C000003", "COLLECTION_AGENCY", "ORD-0000031"),
    ]
    assert release == ("APPLIED", None)
    assert profile == [
        ("2026-10-03", False, 3),
        ("2026-10-04", True, 4),
        ("2026-10-05", True, 4),
        ("2026-10-06", False, 4),
    ]
