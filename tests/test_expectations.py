"""Great Expectations suites as asset checks: every suite resolves to GX expectations, an
advisory suite warns without stopping the day, a blocking suite catches a double-counted
line."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import great_expectations as gx

from recon_pipeline.expectations import _camel, load_suites, validate_days
from tests import landing as lz
from tests.conftest import run_job


def test_every_suite_names_real_gx_expectations():
    suites = load_suites()
    assert {s.name for s in suites} == {
        "settlement_lines_integrity",
        "settlement_lines_sanity",
        "receivable_events_sanity",
    }
    for suite in suites:
        for kind, kwargs in suite.expectations:
            getattr(gx.expectations, _camel(kind))(**kwargs)


def test_a_suite_reads_only_the_columns_its_expectations_name(tmp_path):
    """GX gets the named columns, not the whole table; a suite that names none still counts
    rows."""
    (tmp_path / "lines.yaml").write_text(
        "table: staging.settlement_lines\nasset: [staging, settlement_lines]\n"
        "expectations:\n"
        "  - expect_compound_columns_to_be_unique: {column_list: [source, settlement_line_id]}\n"
        "  - expect_column_values_to_not_be_null: {column: paid_date}\n"
        "  - expect_column_pair_values_a_to_be_greater_than_b:\n"
        "      {column_A: gross_amount, column_B: fee_amount}\n",
        encoding="utf-8",
    )
    (tmp_path / "volume.yaml").write_text(
        "table: staging.settlement_lines\nasset: [staging, settlement_lines]\n"
        "expectations:\n  - expect_table_row_count_to_be_between: {min_value: 1}\n",
        encoding="utf-8",
    )
    lines, volume = load_suites(tmp_path)
    assert lines.columns() == [
        "fee_amount",
        "gross_amount",
        "paid_date",
        "settlement_line_id",
        "source",
    ]
    assert volume.columns() == ["partition_date"]


def test_a_volume_spike_warns_but_the_day_goes_on(settings, instance):
    lz.card(
        settings.landing_dir,
        "2026-10-01",
        [lz.charge(f"txn_{n}", f"ORD-{n:07d}", 1000) for n in range(5)],
    )
    lz.card(
        settings.landing_dir,
        "2026-10-02",
        [
            lz.charge(f"txn_b{n}", f"ORD-{n:07d}", 1000, created="2026-10-02T09:00:00+09:00")
            for n in range(1200)
        ],
    )
    first, second = run_job(settings, instance, "2026-10-01", "2026-10-02")
    assert first.success and second.success
    sanity = [
        e for e in second.get_asset_check_evaluations() if e.check_name == "settlement_lines_sanity"
    ]
    assert len(sanity) == 1 and not sanity[0].passed
    assert sanity[0].severity == dg.AssetCheckSeverity.WARN
    failures = sanity[0].metadata["failures"].value
    assert "expect_table_row_count_to_be_between" in failures and "1200" in failures

    # a backfill validates its days as one batch; the volume bound still holds day by day
    suite = next(s for s in load_suites() if s.name == "settlement_lines_sanity")
    days = [dt.date(2026, 10, 1), dt.date(2026, 10, 2)]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        failed = validate_days(con, suite, days)
    assert [(f["day"], f["expectation"], f["observed"]) for f in failed] == [
        ("2026-10-02", "expect_table_row_count_to_be_between", 1200)
    ]


def test_a_repeated_line_version_fails_the_blocking_suite(settings, instance):
    lz.card(settings.landing_dir, "2026-10-01", [lz.charge("txn_1", "ORD-0000001", 1000)])
    run_job(settings, instance, "2026-10-01")
    integrity = next(s for s in load_suites() if s.name == "settlement_lines_integrity")
    assert integrity.blocking
    with duckdb.connect(str(settings.warehouse)) as con:
        assert validate_days(con, integrity, [dt.date(2026, 10, 1)]) == []
        con.execute("INSERT INTO staging.settlement_lines SELECT * FROM staging.settlement_lines")
        failed = validate_days(con, integrity, [dt.date(2026, 10, 1)])
    assert [f["expectation"] for f in failed] == ["expect_compound_columns_to_be_unique"]
    assert failed[0]["unexpected_count"] == 2


def test_an_unknown_code_is_named_with_its_count(settings, instance):
    lz.card(
        settings.landing_dir,
        "2026-10-01",
        [lz.charge(f"txn_{n}", f"ORD-{n:07d}", 1000) for n in range(3)],
    )
    run_job(settings, instance, "2026-10-01")
    sanity = next(s for s in load_suites() if s.name == "settlement_lines_sanity")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "UPDATE staging.settlement_lines SET line_type = 'BOGUS' "
            "WHERE settlement_line_id = (SELECT min(settlement_line_id) "
            "FROM staging.settlement_lines)"
        )
        failed = validate_days(con, sanity, [dt.date(2026, 10, 1)])
    assert [
        (f["expectation"], f["column"], f["unexpected_count"], f["examples"]) for f in failed
    ] == [("expect_column_values_to_be_in_set", "line_type", 1, "BOGUS")]


def test_the_suites_run_as_sql_in_duckdb_on_the_callers_connection(tmp_path):
    """GX gets a batch of the warehouse's own connection through its SQL engine: the
    uniqueness, set and range metrics are DuckDB aggregates, and the failures read as
    before (counts and examples)."""
    from recon_pipeline.expectations import Suite
    from recon_pipeline.gx_duckdb import BufferedSqlAlchemyExecutionEngine

    suite = Suite(
        name="probe",
        table="staging.t",
        blocking=True,
        description="",
        expectations=(
            ("expect_column_values_to_be_unique", {"column": "id"}),
            ("expect_column_values_to_be_in_set", {"column": "kind", "value_set": ["A", "B"]}),
            ("expect_column_values_to_be_between", {"column": "amount", "min_value": 0}),
            ("expect_column_values_to_not_be_null", {"column": "kind"}),
        ),
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute(
            "CREATE SCHEMA staging; CREATE TABLE staging.t AS SELECT "
            "CASE WHEN range = 7 THEN '3' ELSE range::VARCHAR END AS id, "
            "CASE WHEN range = 5 THEN 'Z' ELSE 'A' END AS kind, range - 1 AS amount, "
            "DATE '2026-10-01' + (range % 2)::INTEGER AS partition_date FROM range(10)"
        )
        failed = validate_days(con, suite, [dt.date(2026, 10, 1), dt.date(2026, 10, 2)])
        assert {f["expectation"]: (f["unexpected_count"], f["examples"]) for f in failed} == {
            "expect_column_values_to_be_unique": (2, "3, 3"),
            "expect_column_values_to_be_in_set": (1, "Z"),
            "expect_column_values_to_be_between": (1, "-1"),
        }
        # one day (the even rows): the duplicate (rows 3 and 7) and the Z (row 5) are not in it
        even = validate_days(con, suite, [dt.date(2026, 10, 1)])
        assert [f["expectation"] for f in even] == ["expect_column_values_to_be_between"]
    from recon_pipeline.expectations import _datasource

    assert isinstance(_datasource().get_execution_engine(), BufferedSqlAlchemyExecutionEngine)


def test_gx_still_loses_duckdbs_rows_without_the_shim(tmp_path):
    """Why ``gx_duckdb.BufferedSqlAlchemyExecutionEngine`` exists: GX's own
    ``execute_query`` hands back DuckDB's result after its connection closed. When this
    fails, GX fixed it upstream: drop the shim (use ``add_sql``) and this test."""
    from recon_pipeline.gx_duckdb import upstream_loses_rows

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert upstream_loses_rows(con)
