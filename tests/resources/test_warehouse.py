"""The analysts' published copy: built after every run, readable while the next run writes.
An analyst's open connection neither fails nor blocks a run; it keeps the copy it opened and
sees the new day when it reconnects."""

from __future__ import annotations

import threading

import duckdb

from recon_pipeline.resources.warehouse import publish_copy
from tests import landing as lz


def test_an_analyst_reading_the_published_copy_never_breaks_a_run(settings, landing, run_days):
    lz.shipments(landing, "2026-10-01", [lz.ship("E1", "ORD-0000001", "2026-10-01", "CARD", 5000)])
    lz.card(landing, "2026-10-02", [lz.charge("txn_1", "ORD-0000001", 5000)])
    run_days("2026-10-01")
    published = settings.published_warehouse
    analyst = duckdb.connect(str(published), read_only=True)
    opened = analyst.execute("SELECT max(as_of) FROM marts.receivables").fetchone()
    assert opened[0].isoformat() == "2026-10-01"

    failures: list[BaseException] = []
    reads = 0
    stop = threading.Event()

    def keep_reading() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                with duckdb.connect(str(published), read_only=True) as con:
                    con.execute("SELECT count(*) FROM marts.receivables").fetchone()
                reads += 1
            except duckdb.Error as error:
                failures.append(error)

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        run_days("2026-10-02")
    finally:
        stop.set()
        reader.join()
    assert failures == [] and reads > 0

    still = analyst.execute("SELECT max(as_of), count(*) FROM marts.receivables").fetchone()
    assert still[0].isoformat() == "2026-10-01"
    analyst.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        status = fresh.execute(
            "SELECT status FROM marts.receivables "
            "WHERE as_of = '2026-10-02' AND order_id = 'ORD-0000001'"
        ).fetchone()
        tables = fresh.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()
    schemas = {schema for (schema,) in tables}
    assert status == ("PAID",)
    assert "raw" not in schemas and {"marts", "exports", "audit", "quarantine"} <= schemas


def _everything(path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        return {
            name: [
                con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall(),
                con.execute(f"DESCRIBE {name}").fetchall(),
            ]
            for (name,) in tables
        }


def test_a_publish_rewrites_what_changed_and_equals_a_full_copy(tmp_path):
    """Each publish starts from the last copy and rewrites the partitions whose rows differ;
    after every kind of change it holds exactly what a copy made from nothing holds."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for schema in ("marts", "config", "raw"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE marts.receivables (as_of DATE, order_id VARCHAR, open BIGINT)")
    con.execute("CREATE TABLE marts.old (partition_date DATE, n BIGINT)")
    con.execute("CREATE TABLE config.collections (name VARCHAR, value BIGINT)")
    con.execute("CREATE TABLE raw.card (partition_date DATE, line VARCHAR)")
    con.execute(
        "INSERT INTO marts.receivables SELECT DATE '2026-10-01' + (i % 3)::INT, "
        "'ORD-' || i, i * 100 FROM range(30) t(i)"
    )
    con.execute("INSERT INTO marts.old VALUES ('2026-10-01', 1)")
    con.execute("INSERT INTO config.collections VALUES ('minimum', 500)")
    con.execute("INSERT INTO raw.card VALUES ('2026-10-01', 'never published')")
    published = tmp_path / "published" / "recon.duckdb"
    changes = [
        "INSERT INTO marts.receivables VALUES ('2026-10-04', 'ORD-99', 1)",
        "UPDATE marts.receivables SET open = open + 1 WHERE order_id = 'ORD-4'",
        "DELETE FROM marts.receivables WHERE as_of = '2026-10-03'",
        "UPDATE config.collections SET value = 1000",
        "DROP TABLE marts.old",
        "ALTER TABLE marts.receivables ADD COLUMN stage VARCHAR DEFAULT 'NONE'",
    ]
    publish_copy(con, published, schemas=("marts", "config"))
    for change in changes:
        con.execute(change)
        counts = publish_copy(con, published, schemas=("marts", "config"))
        publish_copy(con, tmp_path / "fresh.duckdb", schemas=("marts", "config"))
        assert _everything(published) == _everything(tmp_path / "fresh.duckdb"), change
        (tmp_path / "fresh.duckdb").unlink()
        assert (
            counts["marts.receivables"]
            == con.execute("SELECT count(*) FROM marts.receivables").fetchone()[0]
        )
    assert "raw.card" not in _everything(published)
    assert "marts.old" not in _everything(published)
