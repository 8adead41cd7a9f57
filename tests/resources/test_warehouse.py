"""The analysts' published copy: built after every run, readable while the next run writes.
An analyst's open connection neither fails nor blocks a run; it keeps the copy it opened and
sees the new day when it reconnects."""

from __future__ import annotations

import threading

import duckdb

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
