"""Adding a provider layout is adding a contract: a second card gateway — Japanese headers,
its own words for the categories, CP932 — goes live from one YAML file in
RECON_CONTRACTS_DIR, with no code and no SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from recon_pipeline.assets.staging import raw_key
from recon_pipeline.definitions import build_definitions
from recon_pipeline.policy import DEFAULT_POLICY, PolicyError
from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job

GATEWAY = """
layout: card_gmo
source: card_gmo
family: card                 # same raw table and SQL mapping as the first gateway
target: settlement_lines
description: A second card gateway's sales CSV.
reader: csv
encoding: cp932
columns:
  - {name: 取引ID, as: balance_transaction_id, type: text, required: true}
  - {name: 処理日時, as: created, type: timestamp, required: true}
  - name: 処理区分
    as: reporting_category
    type: text
    required: true
    values: {売上: charge, 返品: refund, チャージバック: dispute}
  - {name: オーダーID, as: order_id, type: text, required: true}
  - {name: 金額, as: gross, type: integer, required: true}
  - {name: 手数料, as: fee, type: integer, required: true, min: 0}
  - {name: 入金額, as: net, type: integer, required: true}
  - {name: 通貨, as: currency, type: text, required: true, values: {JPY: jpy}}
  - {name: 入金ID, as: payout_id, type: text}
  - {name: 入金日, as: payout_date, type: date, format: "%Y/%m/%d"}
unique: [balance_transaction_id]
row_checks:
  - check: expression
    reason: 入金額 must equal 金額 - 手数料
    args: {expression: "net == gross - fee"}
"""
HEADER = [
    "取引ID",
    "処理日時",
    "処理区分",
    "オーダーID",
    "金額",
    "手数料",
    "入金額",
    "通貨",
    "入金ID",
    "入金日",
]


def test_a_second_gateway_is_one_contract_file(tmp_path: Path):
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "card_gmo.yaml").write_text(GATEWAY, encoding="utf-8")
    settings = load_settings(
        {"RECON_HOME": str(tmp_path / "home"), "RECON_CONTRACTS_DIR": str(contracts)}
    )
    day = "2026-10-01"
    lz.shipments(
        settings.landing_dir,
        day,
        [
            lz.ship("E1", "ORD-0000001", day, "CARD", 5000),
            lz.ship("E2", "ORD-0000002", day, "CARD", 3000),
        ],
    )
    lz.cp932_csv(
        settings.landing_dir,
        "card_gmo",
        day,
        "uriage.csv",
        HEADER,
        [
            [
                "G-1",
                "2026-10-01T10:00:00+09:00",
                "売上",
                "ORD-0000001",
                5000,
                180,
                4820,
                "JPY",
                "P1",
                "2026/10/10",
            ],
            [
                "G-2",
                "2026-10-01T11:00:00+09:00",
                "売上",
                "ORD-0000002",
                3000,
                108,
                2892,
                "JPY",
                "P1",
                "2026/10/10",
            ],
            [
                "G-3",
                "2026-10-01T12:00:00+09:00",
                "取消",
                "ORD-0000002",
                -3000,
                0,
                -3000,
                "JPY",
                "P1",
                "2026/10/10",
            ],
        ],
    )
    graph = build_definitions(settings).resolve_asset_graph()
    assert "card_gmo" in graph.get(raw_key("card")).description
    with memory_instance() as instance:
        run_job(settings, instance, day)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        staged = con.execute(
            "SELECT settlement_line_id, line_type, gross_amount, fee_amount "
            "FROM staging.settlement_lines ORDER BY 1"
        ).fetchall()
        statuses = dict(
            con.execute("SELECT receivable_id, status FROM marts.receivables").fetchall()
        )
        rejected = con.execute("SELECT line_no, reason FROM quarantine.rejected_rows").fetchall()
    assert staged == [("card_gmo:G-1", "CHARGE", 5000, 180), ("card_gmo:G-2", "CHARGE", 3000, 108)]
    assert statuses == {"ORD-0000001": "PAID", "ORD-0000002": "PAID"}
    assert rejected == [(4, "処理区分: '取消' is not one of 売上, 返品, チャージバック")]


def test_the_freshness_gate_judges_a_gateway_added_by_contract(tmp_path: Path):
    """The gate's sources are the contracts' settlement sources: a policy can give the new
    gateway a calendar, and a day it does not deliver holds dunning like any source."""
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "card_gmo.yaml").write_text(GATEWAY, encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        DEFAULT_POLICY.read_text(encoding="utf-8").replace(
            "deliveries:", "deliveries:\n  card_gmo: {weekdays: [THU], max_age_days: 6}", 1
        ),
        encoding="utf-8",
    )
    settings = load_settings(
        {
            "RECON_HOME": str(tmp_path / "home"),
            "RECON_CONTRACTS_DIR": str(contracts),
            "RECON_DUNNING_POLICY": str(policy),
        }
    )
    lz.cp932_csv(settings.landing_dir, "card_gmo", "2026-10-01", "uriage.csv", HEADER, [])
    for day in ("2026-10-01", "2026-10-02"):  # a Thursday with a file, a Friday without
        lz.shipments(settings.landing_dir, day, [lz.ship(f"E{day}", f"ORD-{day}", day, "CARD", 10)])
    with memory_instance() as instance:
        run_job(settings, instance, "2026-10-01", "2026-10-02")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        judged = con.execute(
            "SELECT partition_date::VARCHAR, status, holds_dunning FROM audit.source_freshness "
            "WHERE source = 'card_gmo' ORDER BY 1"
        ).fetchall()
    assert judged == [("2026-10-01", "FRESH", False), ("2026-10-02", "FRESH", False)]
    strict = policy.read_text(encoding="utf-8").replace("[THU], max_age_days: 6", "[FRI]")
    policy.write_text(strict, encoding="utf-8")
    with memory_instance() as instance:
        run_job(settings, instance, "2026-10-02")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        friday = con.execute(
            "SELECT status, holds_dunning FROM audit.source_freshness "
            "WHERE source = 'card_gmo' AND partition_date = '2026-10-02'"
        ).fetchone()
    assert friday == ("MISSING", True)


def test_a_policy_naming_a_source_no_contract_has_is_refused_on_start(tmp_path: Path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        DEFAULT_POLICY.read_text(encoding="utf-8").replace(
            "deliveries:", "deliveries:\n  card_gmo: {weekdays: [THU]}", 1
        ),
        encoding="utf-8",
    )
    settings = load_settings(
        {"RECON_HOME": str(tmp_path / "home"), "RECON_DUNNING_POLICY": str(policy)}
    )
    with pytest.raises(PolicyError, match=r"unknown settlement sources \['card_gmo'\]"):
        build_definitions(settings)
