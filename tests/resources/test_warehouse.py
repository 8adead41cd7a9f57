"""The analysts' published copy: built after every run, readable while the next run writes.
An analyst's open connection neither fails nor blocks a run; it keeps the copy it opened and
sees the new day when it reconnects."""

from __future__ import annotations

import datetime as dt
import threading

import duckdb
import pytest

from recon_pipeline import publish, versions
from recon_pipeline.publish import UNPUBLISHED, _written_since_published, publish_copy
from recon_pipeline.resources.warehouse import (
    WarehouseResource,
    clear_partition,
    create_tables,
    log_write,
    schema_fingerprint,
)
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


def test_the_first_copy_is_the_warehouse_file_less_what_is_not_published(tmp_path):
    """With no copy yet, the first is a byte copy of the warehouse (no table written anew):
    it holds exactly the published schemas' tables, rows and columns, and no raw rows, work
    tables, other schemas or macros."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)
    con.execute("CREATE TABLE raw.card (partition_date DATE, line VARCHAR)")
    con.execute("INSERT INTO raw.card SELECT DATE '2026-10-01', 'row ' || i FROM range(1000) t(i)")
    con.execute("INSERT INTO audit.reconcile_scope VALUES ('2026-10-01', 'RECEIVABLE', 'ORD-1')")
    con.execute("CREATE TABLE marts.snapshots (as_of DATE, n BIGINT NOT NULL)")
    con.execute("INSERT INTO marts.snapshots SELECT DATE '2026-10-01', i FROM range(50) t(i)")
    log_write(con, "marts.snapshots", dt.date(2026, 10, 1))
    published = tmp_path / "published" / "recon.duckdb"

    publish_copy(con, published, schemas=("audit", "marts"))

    def contents(con, database: str) -> dict[str, tuple]:
        """Rows and column types of every table (a table copied whole, one without a
        partition column, is made by CREATE TABLE AS and loses its NOT NULLs)."""
        names = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE database_name = $db AND schema_name IN ('audit', 'marts', 'raw')",
            {"db": database},
        ).fetchall()
        return {
            name: (
                con.execute(f"SELECT * FROM {database}.{name} ORDER BY ALL").fetchall(),
                [c[:2] for c in con.execute(f"DESCRIBE {database}.{name}").fetchall()],
            )
            for (name,) in names
        }

    expected = contents(con, "warehouse")
    for unpublished in ("raw.card", *UNPUBLISHED):
        del expected[unpublished]
    assert "marts.snapshots" in expected and "audit.partition_writes" in expected
    con.execute("ATTACH $path AS copy (READ_ONLY)", {"path": str(published)})
    assert contents(con, "copy") == expected
    con.execute("DETACH copy")
    with duckdb.connect(str(published), read_only=True) as copy:
        schemas = copy.execute("SELECT schema_name FROM duckdb_schemas() WHERE NOT internal")
        assert {name for (name,) in schemas.fetchall()} == {"audit", "marts"}
        macros = copy.execute(
            "SELECT count(*) FROM duckdb_functions() WHERE NOT internal "
            "AND function_type IN ('macro', 'table_macro')"
        ).fetchone()
        assert macros == (0,)
        assert copy.execute("SELECT count(*) FROM marts.receivables").fetchone() == (0,)
    assert published.resolve().name == "recon.1.duckdb"


def test_a_first_copy_that_fails_part_way_leaves_no_file_behind(tmp_path, monkeypatch):
    """A failure while the byte copy is pruned leaves neither a link nor a half-pruned file
    that the next publish would take for a spare; the next publish starts over."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)
    published = tmp_path / "published" / "recon.duckdb"
    real_quote = publish.quote

    def quote_until_the_disk_fills(name: str) -> str:
        if name == "raw":
            raise RuntimeError("disk full")
        return real_quote(name)

    monkeypatch.setattr(publish, "quote", quote_until_the_disk_fills)
    with pytest.raises(RuntimeError, match="disk full"):
        publish_copy(con, published, schemas=("audit", "marts"))
    assert list(published.parent.iterdir()) == []
    monkeypatch.undo()
    publish_copy(con, published, schemas=("audit", "marts"))
    with duckdb.connect(str(published), read_only=True) as copy:
        schemas = copy.execute("SELECT schema_name FROM duckdb_schemas() WHERE NOT internal")
        assert {name for (name,) in schemas.fetchall()} == {"audit", "marts"}


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
            counts["marts.receivables"].rows
            == con.execute("SELECT count(*) FROM marts.receivables").fetchone()[0]
        )
    assert "raw.card" not in _everything(published)
    assert "marts.old" not in _everything(published)


def test_a_publish_follows_the_write_log(tmp_path):
    """With the write log, a publish rewrites the partitions logged since the last copy (not
    every partition's fingerprint), and still equals a copy made from nothing."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)
    con.execute("CREATE TABLE marts.snapshots (as_of DATE, order_id VARCHAR, open BIGINT)")
    published = tmp_path / "published.duckdb"

    def write_day(day: str, rows: int) -> None:
        con.begin()
        clear_partition(con, "marts.snapshots", "as_of", day)
        con.execute(
            "INSERT INTO marts.snapshots SELECT $day, 'ORD-' || i, i FROM range($n) t(i)",
            {"day": day, "n": rows},
        )
        con.commit()

    write_day("2026-10-01", 3)
    write_day("2026-10-02", 2)
    publish_copy(con, published, schemas=("audit", "marts"))
    assert _written_since_published_now(con, published) == {}

    write_day("2026-10-02", 5)
    write_day("2026-10-03", 1)
    assert _written_since_published_now(con, published) == {
        "marts.snapshots": {dt.date(2026, 10, 2), dt.date(2026, 10, 3)}
    }
    tables = publish_copy(con, published, schemas=("audit", "marts"))
    assert tables["marts.snapshots"] == (3 + 5 + 1, "log", 2)
    publish_copy(con, tmp_path / "fresh.duckdb", schemas=("audit", "marts"))
    assert _everything(published) == _everything(tmp_path / "fresh.duckdb")
    assert _written_since_published_now(con, published) == {}


def test_a_publish_follows_versions_a_day_rewrote(tmp_path, monkeypatch):
    """A day's write replaces its own versions and moves ``valid_to`` of the items' other
    versions (``versions.write_day``); the copy, synced from the write log while it is two
    days behind as a daily run's spare is, equals a copy made from nothing after a new day, a
    re-run that undoes a change (an older version's ``valid_to`` moves back) and a backfill
    of an earlier day."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)
    # the day's links are the test's, not a reconcile statement's
    monkeypatch.setattr(
        versions, "sql", lambda name: "SELECT * FROM day_links WHERE $as_of IS NOT NULL"
    )
    published = tmp_path / "published" / "recon.duckdb"

    def write(day: str, links: list[tuple[str, int]]) -> None:
        con.begin()
        con.execute(
            "CREATE OR REPLACE TEMP TABLE day_links (receivable_id VARCHAR, "
            "settlement_line_id VARCHAR, rule VARCHAR, matched_amount BIGINT, "
            "amount_delta BIGINT, candidates INTEGER, evidence VARCHAR, "
            "fee_deducted_amount BIGINT)"
        )
        for receivable, amount in links:
            con.execute(
                "INSERT INTO day_links VALUES ($r, 'L' || $r, 'order_id', $a, 0, 1, NULL, 0)",
                {"r": receivable, "a": amount},
            )
        day_date = dt.date.fromisoformat(day)
        versions.write_day(
            con,
            versions.MATCHES,
            day_date,
            "links",
            {"as_of": day_date},
            since=None,
            policy_hash="p",
        )
        con.commit()

    def publish_and_compare(step: str) -> None:
        tables = publish_copy(con, published)
        assert tables["marts.matches_history"].by == "log", step
        publish_copy(con, tmp_path / "fresh.duckdb")
        assert _everything(published) == _everything(tmp_path / "fresh.duckdb"), step
        (tmp_path / "fresh.duckdb").unlink()

    write("2026-10-01", [("R1", 100), ("R2", 200)])
    publish_copy(con, published)
    write("2026-10-02", [("R1", 100), ("R2", 150), ("R3", 300)])
    publish_and_compare("a new day")
    write("2026-10-03", [("R1", 90), ("R3", 300)])
    publish_and_compare("a link changed, one ended")
    write("2026-10-02", [("R1", 100), ("R2", 200), ("R3", 300)])
    publish_and_compare("a re-run where R2 did not change")
    assert con.execute(
        "SELECT valid_to FROM marts.matches_history WHERE receivable_id = 'R2' "
        "AND valid_from = '2026-10-01'"
    ).fetchall() == [(dt.date(2026, 10, 3),)]
    write("2026-09-30", [("R1", 80), ("R4", 10)])
    publish_and_compare("a backfill of an earlier day")


def test_a_publish_writes_over_the_copy_before_unless_a_reader_holds_it(tmp_path):
    """The published path is a link to the newest of two copies: a publish writes the day into
    the older copy in place (no byte copy of all history) and switches the link, unless a
    reader still holds that copy open; then the new copy starts from a byte copy and the
    held one lives on, unchanged, until the reader closes it."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)
    con.execute("CREATE TABLE marts.snapshots (as_of DATE, n BIGINT)")
    published = tmp_path / "published" / "recon.duckdb"

    def publish_day(day: int) -> str:
        con.begin()
        clear_partition(con, "marts.snapshots", "as_of", dt.date(2026, 10, day))
        con.execute(
            "INSERT INTO marts.snapshots SELECT $day, i FROM range($n) t(i)",
            {"day": dt.date(2026, 10, day), "n": day},
        )
        con.commit()
        publish_copy(con, published, schemas=("audit", "marts"))
        fresh = tmp_path / f"fresh{day}.duckdb"
        publish_copy(con, fresh, schemas=("audit", "marts"))
        assert _everything(published) == _everything(fresh)
        return published.resolve().name

    def copies() -> list[str]:
        return sorted(p.name for p in published.parent.iterdir() if p.name != published.name)

    assert [publish_day(day) for day in (1, 2, 3)] == [
        "recon.1.duckdb",
        "recon.2.duckdb",
        "recon.1.duckdb",
    ]
    assert copies() == ["recon.1.duckdb", "recon.2.duckdb"]

    reader = duckdb.connect(str(published), read_only=True)
    assert publish_day(4) == "recon.2.duckdb"
    assert publish_day(5) == "recon.3.duckdb"
    assert copies() == ["recon.2.duckdb", "recon.3.duckdb"]
    assert reader.execute("SELECT max(as_of), count(*) FROM marts.snapshots").fetchone() == (
        dt.date(2026, 10, 3),
        1 + 2 + 3,
    )
    reader.close()
    assert publish_day(6) == "recon.2.duckdb"
    assert copies() == ["recon.2.duckdb", "recon.3.duckdb"]


def test_a_failed_publish_leaves_the_last_copy_published(tmp_path, monkeypatch):
    """A publish that fails part way rolls its copy back (write log included): the link keeps
    the last complete copy, and the next publish into that same file is exact."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)
    con.execute("CREATE TABLE marts.snapshots (as_of DATE, n BIGINT)")
    log_write(con, "marts.snapshots", dt.date(2026, 10, 1))
    con.execute("INSERT INTO marts.snapshots VALUES ('2026-10-01', 1)")
    published = tmp_path / "recon.duckdb"
    publish_copy(con, published, schemas=("audit", "marts"))
    publish_copy(con, published, schemas=("audit", "marts"))

    log_write(con, "marts.snapshots", dt.date(2026, 10, 1))
    con.execute("UPDATE marts.snapshots SET n = 100")
    rewrite = publish._rewrite_partitions

    def rewrite_until_the_disk_fills(con, name: str, key: str, keys: list) -> None:
        if name == '"marts"."snapshots"':
            raise RuntimeError("disk full")
        rewrite(con, name, key, keys)

    # the copy's write log is rewritten first (audit sorts before marts), then this fails
    monkeypatch.setattr(publish, "_rewrite_partitions", rewrite_until_the_disk_fills)
    with pytest.raises(RuntimeError, match="disk full"):
        publish_copy(con, published, schemas=("audit", "marts"))
    monkeypatch.undo()
    with duckdb.connect(str(published), read_only=True) as copy:
        assert copy.execute("SELECT n FROM marts.snapshots").fetchall() == [(1,)]

    publish_copy(con, published, schemas=("audit", "marts"))
    publish_copy(con, tmp_path / "fresh.duckdb", schemas=("audit", "marts"))
    assert _everything(published) == _everything(tmp_path / "fresh.duckdb")


def test_a_rebuilt_warehouse_is_published_by_fingerprints(tmp_path):
    """A published copy whose last logged write the warehouse does not have (the warehouse
    was rebuilt) cannot trust the log: the fingerprints decide, and the copy is still exact."""
    published = tmp_path / "published.duckdb"
    for rebuild, rows in enumerate((4, 2)):
        con = duckdb.connect(str(tmp_path / f"warehouse{rebuild}.duckdb"))
        create_tables(con)
        con.execute("CREATE TABLE marts.snapshots (as_of DATE, n BIGINT)")
        for _ in range(rows):
            log_write(con, "marts.snapshots", "2026-10-01")
        con.execute(
            "INSERT INTO marts.snapshots SELECT '2026-10-01', i FROM range($n) t(i)", {"n": rows}
        )
        if rebuild:
            assert _written_since_published_now(con, published) is None
        publish_copy(con, published, schemas=("audit", "marts"))
        with duckdb.connect(str(published), read_only=True) as copy:
            assert copy.execute("SELECT count(*) FROM marts.snapshots").fetchone() == (rows,)


def _written_since_published_now(con, published) -> dict | None:
    database = con.execute("SELECT current_database()").fetchone()[0]
    con.execute("ATTACH $path AS published (READ_ONLY)", {"path": str(published)})
    try:
        return _written_since_published(con, database)
    finally:
        con.execute("DETACH published")


def test_a_warehouse_from_before_versions_gets_the_views(tmp_path):
    """The four tables that held a full copy per day become views over versions: opening an
    old warehouse drops them (their days come back when they are run again)."""
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA marts")
    for table in ("matches", "receivables", "settlement_status", "customer_profile"):
        con.execute(f"CREATE TABLE marts.{table} (as_of DATE, item VARCHAR)")
        con.execute(f"INSERT INTO marts.{table} VALUES ('2026-10-01', 'old')")
    create_tables(con)
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'marts' AND NOT internal "
        "ORDER BY ALL"
    ).fetchall()
    names = {name for (name,) in views}
    assert {"customer_profile", "journal", "matches", "receivables", "settlement_status"} <= names
    assert {"receivables_latest", "settlement_status_latest", "aging_latest"} <= names
    assert con.execute("SELECT count(*) FROM marts.receivables").fetchone() == (0,)


def test_a_warehouse_made_with_these_definitions_is_left_alone(tmp_path):
    """Every asset connects; the DDL, views and macros run only when the warehouse was made
    with other definition files (``audit.schema_fingerprint``), e.g. after an upgrade."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_tables(con)

    def has_view() -> bool:
        return con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'marts' "
            "AND view_name = 'matches'"
        ).fetchone() == (1,)

    con.execute("DROP VIEW marts.matches")
    create_tables(con)
    assert not has_view()
    con.execute("UPDATE audit.schema_fingerprint SET fingerprint = 'made by an older release'")
    create_tables(con)
    assert has_view()
    assert con.execute("SELECT fingerprint FROM audit.schema_fingerprint").fetchone() == (
        schema_fingerprint(),
    )


@pytest.mark.parametrize("stem", ["temp", "main", "system", "memory", "recon"])
def test_a_warehouse_file_of_any_name_opens_and_is_let_go(tmp_path, stem):
    """The warehouse is attached under its file's stem; a stem DuckDB reserves (or the
    process's host database's own) is attached as ``<stem>_db``, and the file is free for
    another process's ``duckdb.connect`` once the last connection closes."""
    path = tmp_path / f"{stem}.duckdb"
    warehouse = WarehouseResource(database=str(path))
    with warehouse.connect() as con, warehouse.connect() as again:
        con.execute("CREATE TABLE config.named AS SELECT 1 AS n")
        assert again.execute("SELECT n FROM config.named").fetchall() == [(1,)]
        assert again.execute("SELECT normalize_kana('ﾔﾏﾀﾞ ﾀﾛｳ')").fetchone()[0]
    with duckdb.connect(str(path)) as other:
        assert other.execute("SELECT n FROM config.named").fetchall() == [(1,)]
