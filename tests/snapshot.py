"""The demo month's warehouse as a stored snapshot: a sha256 per table (marts, staging, raw,
exports, audit, quarantine) and the quarantined rows in full, so that a change of engine
(issue 25: validation and dataset checks moved into DuckDB) can be held to byte-identical
marts and the same quarantine rows and reasons.

Write it from the code you trust (``python -m tests.snapshot write``, about a minute);
``tests/test_demo.py::test_the_demo_month_equals_its_stored_snapshot`` compares.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb

SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "snapshots" / "demo_month.json"
ORDERS_PER_DAY = 60
SCHEMAS = ("raw", "staging", "marts", "exports", "quarantine", "audit")
WALL_CLOCK = {
    "loaded_at",
    "landed_at",
    "pushed_at",
    "written_at",
    "applied_at",
    "sent_at",
    "recorded_at",
    "run_id",
}
"""Columns that say when (or as which Dagster run) a run happened, not what it computed."""
LEFT_OUT = {"audit.schema_migrations", "audit.partition_writes", "audit.outbound_pushes"}
"""Bookkeeping of the run itself (which migrations, which writes and pushes when)."""
VIEWS_ONCE_TABLES = ("marts.unmatched_items",)
"""Views that were tables when the snapshot was first taken (migration 0005): hashed as the
tables were, so the snapshot holds the change to the rows they had."""


def take(warehouse: Path) -> dict:
    """sha256 of every table's rows (wall-clock columns left out, rows in a stable order) and
    the quarantined rows themselves."""
    tables: dict[str, str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        listed = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE list_contains($schemas, schema_name) "
            "UNION SELECT schema_name, view_name FROM duckdb_views() "
            "WHERE list_contains($views, schema_name || '.' || view_name) ORDER BY ALL",
            {"schemas": list(SCHEMAS), "views": list(VIEWS_ONCE_TABLES)},
        ).fetchall()
        for schema, table in listed:
            if f"{schema}.{table}" in LEFT_OUT:
                continue
            columns = [
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() "
                    "WHERE schema_name = $s AND table_name = $t ORDER BY column_index",
                    {"s": schema, "t": table},
                ).fetchall()
                if name not in WALL_CLOCK
            ]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {names} FROM "{schema}"."{table}" ORDER BY ALL').fetchall()
            tables[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        quarantine = [
            dict(
                zip(
                    (
                        "partition_date",
                        "source",
                        "layout",
                        "path",
                        "line_no",
                        "reason",
                        "payment_key",
                        "payment_key_kind",
                        "raw",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in con.execute(
                "SELECT CAST(partition_date AS VARCHAR), source, layout, path, line_no, reason, "
                "payment_key, payment_key_kind, raw FROM quarantine.rejected_rows ORDER BY ALL"
            ).fetchall()
        ]
    return {"orders_per_day": ORDERS_PER_DAY, "tables": tables, "quarantine": quarantine}


def stored() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def write(warehouse: Path) -> None:
    SNAPSHOT.write_text(
        json.dumps(take(warehouse), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def _run_demo(home: Path) -> Path:

    from recon_pipeline.demo_month import generate_month
    from recon_pipeline.settings import load_settings
    from tests.conftest import memory_instance, run_range

    settings = load_settings({"RECON_HOME": str(home)})
    summary = generate_month(settings.landing_dir, orders_per_day=ORDERS_PER_DAY)
    with memory_instance() as instance:
        run_range(settings, instance, str(summary.start), str(summary.end))
    return settings.warehouse


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["write"]:
        sys.exit("usage: python -m tests.snapshot write")
    with tempfile.TemporaryDirectory() as scratch:
        write(_run_demo(Path(scratch) / "home"))
    print(f"wrote {SNAPSHOT}")
