"""The ``recon`` command: a thin shell over the Definitions (the same job the UI runs)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from recon_pipeline.settings import Settings, load_settings

if TYPE_CHECKING:
    import dagster as dg

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from error


_SQLITE_PRAGMA = "PRAGMA synchronous=NORMAL"


def _set_sqlite_pragma(connection, _record) -> None:
    if type(connection).__module__.startswith("sqlite3"):
        cursor = connection.cursor()
        cursor.execute(_SQLITE_PRAGMA)
        cursor.close()


def _sqlite_commits_without_fsync_each() -> None:
    """Dagster's SQLite storage (WAL journal) commits every event with a full fsync; with
    ``synchronous=NORMAL`` a WAL commit syncs at checkpoints instead. A killed process loses
    nothing committed (the WAL is the file); a power cut may lose the last commits, never the
    database. 27 → 13 ms an event here, and a ranged run logs one per asset and day (issue 26).
    For this process only: ``dagster dev`` keeps Dagster's own setting."""
    import sqlalchemy
    from sqlalchemy.engine import Engine

    if not sqlalchemy.event.contains(Engine, "connect", _set_sqlite_pragma):
        sqlalchemy.event.listen(Engine, "connect", _set_sqlite_pragma)


def prepare_instance(settings: Settings):
    """A persistent Dagster instance under ``$RECON_HOME/dagster`` (``make ui`` reads it)."""
    import dagster as dg

    _sqlite_commits_without_fsync_each()

    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(Path(__file__).with_name("dagster.yaml"), config)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def read_only(database: Path, attempts: int = 60, pause: float = 0.5):
    """A read-only connection; while another process writes the file (DuckDB lets nobody
    else open it then), try again for up to ``attempts × pause`` seconds."""
    import duckdb

    for attempt in range(attempts):
        try:
            return duckdb.connect(str(database), read_only=True)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or attempt == attempts - 1:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def day_summary(
    settings: Settings, day: dt.date, started: dt.datetime | None = None
) -> tuple[dict[str, int], list[str]]:
    """The day's figures for ``recon run``, and the sources that held its dunning; slip
    requests sent before ``started`` (UTC) went out on an earlier run."""
    from recon_pipeline import packaged
    from recon_pipeline.freshness import holding_sources

    started = started or dt.datetime(1970, 1, 1)
    con = read_only(settings.warehouse)
    try:
        row = con.execute(
            packaged.sql("cli/day_summary"), {"day": day, "started": started}
        ).fetchone()
        names = [d[0] for d in con.description]
        held = holding_sources(con, day)
    finally:
        con.close()
    figures = {name: int(value or 0) for name, value in zip(names, row or (), strict=True)}
    return figures, held


def failure_reason(result) -> str:
    failed_checks = [
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    ]
    if failed_checks:
        return "blocking check failed (" + ", ".join(failed_checks) + "); exports held"
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            message = (error.message if error else "").strip().splitlines()
            return f"step {event.step_key} failed: {message[0] if message else 'unknown error'}"
    return "run failed"


COLUMNS = (
    ("day", 10),
    ("files in", 8),
    ("rows in", 7),
    ("rows quarantined", 16),
    ("dunning issued", 14),
    ("slips sent", 10),
    ("lines matched", 13),
    ("exceptions open", 15),
)
"""``recon run``'s columns: the day's own figures, then totals as of the day."""
DAY_FIGURES = ("files_in", "rows_in", "rows_quarantined", "dunning_issued", "slips_sent")
TOTALS = ("lines_matched", "exceptions_open")


def run_header() -> str:
    day_width = sum(width + 2 for _, width in COLUMNS[1:6]) - 2
    total_width = sum(width + 2 for _, width in COLUMNS[6:]) - 2
    over = f"{'':<10}  {'the day':-^{day_width}}  {'to date, as of the day':-^{total_width}}"
    names = "  ".join(
        f"{name:<{width}}" if name == "day" else f"{name:>{width}}" for name, width in COLUMNS
    )
    return f"{over}\n{names}"


def _print_day(settings: Settings, day: dt.date, out, started: dt.datetime | None = None) -> None:
    s, held = day_summary(settings, day, started)
    corrections = _corrections(settings, day)
    values = [str(day), *(s[name] for name in DAY_FIGURES), *(s[name] for name in TOTALS)]
    print(
        "  ".join(
            f"{value:<{width}}" if n == 0 else f"{value:>{width}}"
            for n, (value, (_, width)) in enumerate(zip(values, COLUMNS, strict=True))
        ),
        file=out,
    )
    if s["slips_sent_before"] and not s["slips_sent"]:
        print(
            f"{'':<10}  re-run: nothing re-sent ({s['slips_sent_before']} slip request(s) went "
            "out on an earlier run; exports.slip_requests)",
            file=out,
        )
    if s["files_quarantined"] or s["rows_quarantined"]:
        print(
            f"{'':<10}  quarantined: {s['files_quarantined']} file(s), "
            f"{s['rows_quarantined']} row(s) — see quarantine.rejected_rows",
            file=out,
        )
    if held:
        print(
            f"{'':<10}  held: no dunning or slips today — {', '.join(held)} "
            "(the next complete day issues what is due)",
            file=out,
        )
    if s["dunning_held_for_quarantine"] or s["quarantine_holds_expired"]:
        print(
            f"{'':<10}  not dunned: {s['dunning_held_for_quarantine']} receivable(s) whose "
            f"payment may be in quarantine (PAYMENT_IN_QUARANTINE); "
            f"{s['quarantine_holds_expired']} hold(s) expired today — see marts.dunning_holds",
            file=out,
        )
    for line in corrections:
        print(f"{'':<10}  sent slip out of date: {line}", file=out)


def _corrections(settings: Settings, day: dt.date) -> list[str]:
    """The day's sent slips a corrected delivery made wrong (``exports.slip_corrections``)."""
    con = read_only(settings.warehouse)
    try:
        rows = con.execute(
            "SELECT receivable_id, sent_request_id, sent_amount, current_amount, sent_due_date, "
            "current_due_date, correction_request_id FROM exports.slip_corrections "
            "WHERE partition_date = $d ORDER BY receivable_id",
            {"d": day},
        ).fetchall()
    finally:
        con.close()
    return [
        f"{receivable} — {sent} says {sent_amount:,} yen due {sent_due}, the receivable now "
        f"{amount:,} yen due {due}; "
        + (f"re-sent as {correction}" if correction else "listed, not re-sent")
        for receivable, sent, sent_amount, amount, sent_due, due, correction in rows
    ]


def _print_skips(settings: Settings, first: dt.date, last: dt.date, out) -> None:
    """What the landing tree holds that no day of the range read, once for the run."""
    con = read_only(settings.warehouse)
    try:
        rows = con.execute(
            "SELECT DISTINCT path, reason FROM audit.landing_skips "
            "WHERE partition_date BETWEEN $first AND $last ORDER BY path",
            {"first": first, "last": last},
        ).fetchall()
    finally:
        con.close()
    for path, reason in rows:
        print(f"not read: {path} — {reason} (audit.landing_skips)", file=out)


@contextmanager
def _one_planned_event_per_asset() -> Iterator[None]:
    """Have Dagster plan a ranged run with one event per asset instead of one per asset and day.

    On SQLite instance storage every event is its own commit (~10 ms); the demo month planned
    ~900 of them before its first step. The price, in Dagster's words: the range's days are
    not shown in progress while the run goes, and a day of a failed range is not marked
    failed. ``run_days`` reruns a failed range day by day (planned per day), which marks the
    failing day; the days materialized show as materialized either way.
    """
    name = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
    before = os.environ.get(name)
    os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def run_days(
    settings: Settings,
    first: dt.date,
    last: dt.date,
    out=None,
    *,
    single_run: bool = True,
    definitions: dg.Definitions | None = None,
) -> int:
    """Materialize every asset for each day in order; stop at the first failing day.

    A range goes as one single-run backfill (each asset walks the days in order: one Dagster
    start-up instead of one per day, the same tables). If that run fails, the days are run
    one by one from the first, so the output names the first failing day and everything
    before it is complete; later days are not reported.
    """
    out = out or sys.stdout
    from recon_pipeline.definitions import build_definitions
    from recon_pipeline.partitions import FIRST_DAY, today
    from recon_pipeline.runs import RunLock, Stopped, prepare_to_run

    if last < first:
        print(f"recon: --to {last} is before --from {first}", file=sys.stderr)
        return 2
    if last > (now := today()):
        print(
            f"recon: {last} is after today ({now}, Asia/Tokyo): a day is run once it has "
            "begun; nothing was run",
            file=sys.stderr,
        )
        return 2
    first_day = max(settings.first_day, dt.date.fromisoformat(FIRST_DAY))
    if first < first_day:
        print(
            f"recon: {first} is before the first day of data {first_day} "
            "(RECON_FIRST_DAY); nothing was run",
            file=sys.stderr,
        )
        return 2
    try:
        definitions = definitions or build_definitions(settings)
    except ValueError as error:
        print(f"recon: {error}", file=sys.stderr)
        return 2
    lock = RunLock(settings.warehouse)

    def say(line: str) -> None:
        print(f"recon: {line}", file=sys.stderr, flush=True)

    try:
        lock.acquire(lambda what: say(f"waiting: {what} (Ctrl-C to stop)"))
        try:
            instance = prepare_instance(settings)
            prepare_to_run(instance, say)
            return _run_locked(settings, definitions, instance, first, last, out, single_run)
        finally:
            lock.release()
    except Stopped as signal_name:
        say(f"stopped by {signal_name} while waiting; nothing was run")
        return 130 if str(signal_name) == "SIGINT" else 143


def _run_locked(
    settings: Settings,
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    first: dt.date,
    last: dt.date,
    out: IO[str],
    single_run: bool,
) -> int:
    """:func:`run_days` once this process is the warehouse's one writer. A shop's run is
    one shop's days: its partition keys are ``<day>|<shop>`` and it is tagged with the shop."""
    from recon_pipeline.definitions import DAILY_JOB
    from recon_pipeline.runs import process_tags
    from recon_pipeline.shops import SHOP_TAG

    job = definitions.resolve_job_def(DAILY_JOB)
    shop = settings.shop

    def key(day: dt.date) -> str:
        return f"{day}|{shop}" if shop else day.isoformat()

    shop_tags = {SHOP_TAG: shop} if shop else {}
    if shop and not instance.has_dynamic_partition("shops", shop):
        instance.add_dynamic_partitions("shops", [shop])
    print(run_header(), file=out, flush=True)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ui = settings.ui_url.rstrip("/")
    if single_run and len(days) > 1:
        with _one_planned_event_per_asset():
            ranged = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config=QUIET_LOGS,
                tags={
                    "dagster/asset_partition_range_start": key(first),
                    "dagster/asset_partition_range_end": key(last),
                    **shop_tags,
                    **process_tags(),
                },
            )
        if ranged.success:
            for day in days:
                _print_day(settings, day, out, started)
            _print_skips(settings, first, last, out)
            print(
                f"run {ranged.run_id} ({first} … {last}, one run): {ui}/runs/{ranged.run_id}",
                file=out,
            )
            return 0
        print(
            f"{'':<10}  the range failed as one run ({failure_reason(ranged)}); "
            "running the days one by one",
            file=out,
        )
    for day in days:
        result = job.execute_in_process(
            partition_key=key(day),
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_LOGS,
            tags={**shop_tags, **process_tags()},
        )
        if not result.success:
            reason = failure_reason(result)
            record_failed_day(settings, day, result.run_id, reason)
            print(f"{day}  FAILED", file=out)
            print(f"{'':<10}  run {result.run_id}: {ui}/runs/{result.run_id}", file=out)
            print(f"recon: {day}: {reason}", file=sys.stderr)
            _print_skips(settings, first, day, out)
            return 1
        _print_day(settings, day, out, started)
        print(f"{'':<10}  run {result.run_id}: {ui}/runs/{result.run_id}", file=out)
    _print_skips(settings, first, last, out)
    return 0


def run_shops(
    settings: Settings,
    names: list[str] | None,
    first: dt.date,
    last: dt.date,
    out=None,
    *,
    single_run: bool = True,
) -> int:
    """``recon run --shop NAME`` / ``--all-shops`` (``names`` None): one run per shop, never
    one run across shops (a run writes one shop's warehouse; Dagster's backfills across
    several values of a dimension are split or cut short upstream). A shop whose file is
    broken or whose days fail is reported with one line and the next shop still runs; the
    exit code is 1 if any shop failed."""
    from recon_pipeline.definitions import build_definitions
    from recon_pipeline.shops import check_shop_files, shop_files, shops_dir

    out = out or sys.stdout
    files = shop_files(settings)
    if not files:
        print(
            f"recon: no shops configured (no <name>.yaml in {shops_dir(settings)}); "
            "add one with `recon shops add NAME --config shop.yaml`",
            file=sys.stderr,
        )
        return 2
    unknown = [name for name in names or () if name not in files]
    if unknown:
        print(
            f"recon: no shop {unknown[0]!r} in {shops_dir(settings)} (shops: {', '.join(files)})",
            file=sys.stderr,
        )
        return 2
    try:
        definitions = build_definitions(settings)
    except ValueError as error:
        print(f"recon: {error}", file=sys.stderr)
        return 2
    failed = []
    for name in names or list(files):
        print(f"\nshop {name}", file=out, flush=True)
        try:
            shop = check_shop_files(settings, name)
        except ValueError as error:
            print(f"recon: shop {name}: {error}", file=sys.stderr, flush=True)
            print("  not run: its shop file is broken", file=out)
            failed.append(name)
            continue
        code = run_days(shop, first, last, out, single_run=single_run, definitions=definitions)
        if code:
            failed.append(name)
    if failed:
        print(
            f"recon: {len(failed)} shop(s) failed: {', '.join(failed)}; the others ran",
            file=sys.stderr,
        )
        return 1
    return 0


def shops_add(settings: Settings, name: str, config: Path, out=None) -> int:
    """``recon shops add``: validate, copy into the shops folder, add the shop's partition."""
    from recon_pipeline.shops import add_shop, check_shop_files

    out = out or sys.stdout
    try:
        target = add_shop(settings, name, config, prepare_instance(settings))
        check_shop_files(settings, name)
    except ValueError as error:
        print(f"recon: {error}", file=sys.stderr)
        return 2
    print(f"shop {name}: {target}", file=out)
    return 0


def shops_list(settings: Settings, out=None) -> int:
    """``recon shops list``: each shop's source, warehouse and last day run (a broken file
    is listed with its one line, not skipped)."""
    from recon_pipeline.shops import load_shop, shop_files, shops_dir

    out = out or sys.stdout
    files = shop_files(settings)
    if not files:
        print(f"no shops in {shops_dir(settings)}", file=out)
        return 0
    rows = [("shop", "source", "warehouse", "last day run")]
    for name in files:
        try:
            shop = load_shop(settings, name)
        except ValueError as error:
            rows.append((name, "BROKEN", str(error), ""))
            continue
        where = {
            "local": str(shop.landing_dir),
            "s3": f"s3://{shop.s3_bucket}/{shop.s3_prefix}",
            "sftp": f"sftp://{shop.sftp_host}:{shop.sftp_port}/{shop.sftp_root}",
        }[shop.source]
        rows.append((name, where, str(shop.warehouse), _last_run(shop)))
    widths = [max(len(row[n]) for row in rows) for n in range(3)]
    for row in rows:
        print(
            "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)) + f"  {row[3]}",
            file=out,
        )
    return 0


def _last_run(shop: Settings) -> str:
    """The shop's last day run and its status, from its analysts' copy; ``–`` before any."""
    database = _analysts_copy(shop)
    if not database.exists():
        return "–"
    con = read_only(database)
    try:
        if not _has_runs(con):
            return "–"
        found = con.execute(
            "SELECT partition_date, status FROM audit.runs ORDER BY partition_date DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return f"{found[0]} {found[1]}" if found else "–"


def record_failed_day(settings: Settings, day: dt.date, run_id: str, reason: str) -> None:
    """The day's row of the run calendar (``audit.runs``): FAILED, by which run and why (the
    assets of a failed day never reach the calendar's own asset)."""
    from recon_pipeline.definitions import make_resources
    from recon_pipeline.limits import clip
    from recon_pipeline.write_log import clear_partition

    warehouse = make_resources(settings)["warehouse"]
    with warehouse.connect() as con:
        con.begin()
        clear_partition(con, "audit.runs", "partition_date", day)
        con.execute(
            "INSERT INTO audit.runs (partition_date, status, run_id, failure, recorded_at) "
            "VALUES ($day, 'FAILED', $run_id, $why, now()::TIMESTAMP)",
            {"day": day, "run_id": run_id, "why": clip(reason)},
        )
        con.commit()


def _analysts_copy(settings: Settings) -> Path:
    """The published copy (a run never holds it), or the warehouse before anything was
    published."""
    published = settings.published_warehouse
    return published if published.exists() else settings.warehouse


def _open_for_reading(settings: Settings, as_of: dt.date | None):
    """A read-only connection to the analysts' copy and the day to report (``as_of``, or the
    last day run that did not fail); None, with one line on stderr, when there is none."""
    database = _analysts_copy(settings)
    if not database.exists():
        print(
            f"recon: no warehouse at {settings.warehouse}; run `recon run` first", file=sys.stderr
        )
        return None
    con = read_only(database)
    day = as_of or _last_day_run(con)
    if day is None:
        con.close()
        print("recon: the marts are empty; run `recon run` first", file=sys.stderr)
        return None
    return con, day


def status(settings: Settings, as_of: dt.date | None, out=None) -> int:
    """Headline figures from the published copy (what analysts read: a run never holds it,
    so this never waits for or breaks on a run), or the warehouse before anything was
    published."""
    from recon_pipeline import packaged

    out = out or sys.stdout
    opened = _open_for_reading(settings, as_of)
    if opened is None:
        return 1
    con, as_of = opened
    try:
        print(f"as of {as_of}", file=out)
        _print_health(con, settings, out)
        for title, statement in (
            ("receivables by status", "cli/status_receivables"),
            ("settlement lines by status", "cli/status_settlements"),
            ("open exceptions", "cli/status_unmatched"),
            ("aging (outstanding yen)", "cli/status_aging"),
            ("settlement sources today (freshness gate)", "cli/status_freshness"),
            ("dunning today", "cli/status_dunning"),
            ("provider follow-ups", "cli/status_followups"),
            ("customers", "cli/status_customers"),
            ("quarantine and exports to date", "cli/status_audit"),
        ):
            frame = con.execute(packaged.sql(statement), {"as_of": as_of}).df()
            print(f"\n{title}", file=out)
            print(frame.to_string(index=False) if len(frame) else "  (none)", file=out)
    finally:
        con.close()
    return 0


def _has_runs(con) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' AND table_name = 'runs'"
    ).fetchone()
    return bool(found and found[0])


def _last_day_run(con) -> dt.date | None:
    """The last day run that did not fail (the run calendar), else the marts' last day."""
    if _has_runs(con):
        found = con.execute(
            "SELECT max(partition_date) FROM audit.runs WHERE status <> 'FAILED'"
        ).fetchone()
        if found and found[0]:
            return found[0]
    found = con.execute("SELECT max(as_of) FROM marts.receivables").fetchone()
    return found[0] if found else None


def _print_health(con, settings: Settings, out) -> None:
    """Pipeline health from the run calendar: the last day run, and the days not OK."""
    if not _has_runs(con):
        return
    print("\npipeline health (audit.runs)", file=out)
    last = con.execute(
        "SELECT partition_date, status, run_id, coalesce(held_by, failure, '') "
        "FROM audit.runs ORDER BY partition_date DESC LIMIT 1"
    ).fetchone()
    if last is None:
        print("  no day run yet", file=out)
        return
    day, state, run_id, why = last
    ui = settings.ui_url.rstrip("/")
    print(f"  last day run: {day} {state}{f' ({why})' if why else ''}, run {run_id}", file=out)
    print(f"  {ui}/runs/{run_id}", file=out)
    for label, wanted in (("failed days", "FAILED"), ("held days", "HELD")):
        rows = con.execute(
            "SELECT partition_date, coalesce(held_by, failure, '') FROM audit.runs "
            "WHERE status = $s AND partition_date > $day - INTERVAL 31 DAY "
            "ORDER BY partition_date",
            {"s": wanted, "day": day},
        ).fetchall()
        listed = "; ".join(f"{d} ({why})" if why else str(d) for d, why in rows)
        print(f"  {label} (31 days up to it): {listed or 'none'}", file=out)


def aliases(settings: Settings, as_of: dt.date | None, every: bool, out=None) -> int:
    """The payer aliases (rule learned_alias) as of a day, from the published copy as
    ``status`` reads it: who decided each, when, from which disposition or file line, and
    how many transfers it matched."""
    from recon_pipeline import packaged

    out = out or sys.stdout
    opened = _open_for_reading(settings, as_of)
    if opened is None:
        return 1
    con, as_of = opened
    try:
        frame = con.execute(packaged.sql("cli/aliases"), {"as_of": as_of, "all": every}).df()
        print(f"payer aliases as of {as_of}{' (removed ones too)' if every else ''}", file=out)
        print(frame.to_string(index=False) if len(frame) else "  (none)", file=out)
    finally:
        con.close()
    return 0


def auto_match_report(settings: Settings, first: dt.date, last: dt.date, out=None) -> None:
    """The auto-match rate of the payments that arrived from ``first`` to ``last``."""
    from recon_pipeline import packaged

    out = out or sys.stdout
    con = read_only(_analysts_copy(settings))
    try:
        frame = con.execute(
            packaged.sql("cli/auto_match_rate"), {"first": first, "last": last}
        ).df()
    finally:
        con.close()
    print(f"\nauto-match rate (payments matched without a person), {first} … {last}", file=out)
    print(frame.to_string(index=False) if len(frame) else "  (no payments)", file=out)


def demo(settings: Settings, out=None) -> int:
    from recon_pipeline.demo_month import generate_month

    out = out or sys.stdout
    summary = generate_month(settings.landing_dir)
    print(
        f"demo landing zone: {settings.landing_dir} ({summary.files} files, "
        f"{summary.start} … {summary.end})",
        file=out,
    )
    code = run_days(settings, summary.start, summary.end, out=out)
    if code == 0:
        status(settings, summary.end, out=out)
        auto_match_report(settings, summary.start, summary.end, out=out)
        print(
            f"\nwarehouse: {settings.warehouse}\nexports:   {settings.export_dir}\n"
            f"analysts:  {settings.published_warehouse} (open it read-only)\n"
            "open the UI with `make ui` (http://127.0.0.1:3000)",
            file=out,
        )
    return code


def main(argv: Sequence[str] | None = None) -> int:
    import dagster as dg

    # single-run backfill policies are beta in Dagster 1.13 (see README), partitioned asset
    # checks (each check result names its day) a preview; the warnings would repeat for every
    # asset and check on every command
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    parser = argparse.ArgumentParser(prog="recon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo",
        help="write a demo month (2026-10-01 … 2026-10-31) into RECON_LANDING_DIR and run it",
        description="Write the demo month into RECON_LANDING_DIR (default "
        "$RECON_HOME/landing, RECON_HOME default ./.recon), run every day of it as one run, "
        "then print `recon status` as of its last day.",
    )
    run = commands.add_parser(
        "run",
        help="materialize every asset for each day in a range",
        description="Run the daily_reconciliation job for every day from --from to --to "
        "(both included), in date order, and print the day's figures and the totals as of "
        "the day. Stops at the first failing day (exit 1). With shops configured, name the "
        "shop (--shop) or run every shop (--all-shops): one run per shop.",
    )
    which = run.add_mutually_exclusive_group()
    which.add_argument("--shop", help="the shop whose days to run (shops configured)")
    which.add_argument(
        "--all-shops",
        action="store_true",
        help="every configured shop, one run each; a broken shop fails alone (exit 1)",
    )
    run.add_argument(
        "--from", dest="first", type=_date, required=True, help="first day, YYYY-MM-DD (required)"
    )
    run.add_argument(
        "--to",
        dest="last",
        type=_date,
        help="last day, YYYY-MM-DD, included (default: the --from day, i.e. one day)",
    )
    run.add_argument(
        "--day-by-day",
        action="store_true",
        help="one Dagster run per day (default: one run over the whole range; the same "
        "tables and the same per-day metadata either way)",
    )
    show = commands.add_parser(
        "status",
        help="pipeline health and headline figures of the marts as of a day",
        description="Read the published copy (RECON_PUBLISHED_WAREHOUSE; the warehouse "
        "before anything was published): pipeline health from audit.runs, then the marts.",
    )
    show.add_argument(
        "--as-of",
        dest="as_of",
        type=_date,
        help="the day, YYYY-MM-DD (default: the last day run that did not fail)",
    )
    listed = commands.add_parser(
        "aliases", help="payer aliases (rule learned_alias): who, when, from what, and use"
    )
    listed.add_argument(
        "--as-of",
        dest="as_of",
        type=_date,
        help="the day, YYYY-MM-DD (default: the last day run that did not fail)",
    )
    listed.add_argument("--all", dest="every", action="store_true", help="removed ones too")
    for reader in (show, listed):
        reader.add_argument("--shop", help="the shop's copy (shops configured)")
    shops = commands.add_parser(
        "shops", help="the shops of a many-shops deployment (docs/scale-out.md)"
    )
    shop_commands = shops.add_subparsers(dest="shops_command", required=True)
    add = shop_commands.add_parser(
        "add", help="validate a shop file, copy it into the shops folder, add its partition"
    )
    add.add_argument("name", help="the shop's name: lower-case letters, digits, _ and -")
    add.add_argument("--config", type=Path, required=True, help="the shop's YAML file")
    shop_commands.add_parser("list", help="each shop's source, warehouse and last day run")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ValueError as error:
        print(f"recon: {error}", file=sys.stderr)
        return 2
    from recon_pipeline.migrations import WarehouseTooNew, check_warehouse_file

    try:
        check_warehouse_file(settings.warehouse)
    except WarehouseTooNew as error:
        print(f"recon: {error}", file=sys.stderr)
        return 1
    if args.command == "demo":
        from recon_pipeline.shops import shops_configured, shops_dir

        if shops_configured(settings):
            print(
                f"recon: demo is the single shop's, and shops are configured in "
                f"{shops_dir(settings)}: use another RECON_HOME",
                file=sys.stderr,
            )
            return 2
        return demo(settings)
    if args.command == "shops":
        if args.shops_command == "add":
            return shops_add(settings, args.name, args.config)
        return shops_list(settings)
    if args.command == "run":
        from recon_pipeline.shops import shops_configured

        last = args.last or args.first
        if args.shop or args.all_shops:
            names = [args.shop] if args.shop else None
            return run_shops(settings, names, args.first, last, single_run=not args.day_by_day)
        if shops_configured(settings):
            print(
                "recon: shops are configured: name one with --shop NAME, or --all-shops",
                file=sys.stderr,
            )
            return 2
        return run_days(settings, args.first, last, single_run=not args.day_by_day)
    if args.command in ("status", "aliases") and args.shop:
        from recon_pipeline.shops import load_shop

        try:
            settings = load_shop(settings, args.shop)
        except ValueError as error:
            print(f"recon: {error}", file=sys.stderr)
            return 2
    if args.command == "aliases":
        return aliases(settings, args.as_of, args.every)
    return status(settings, args.as_of)


if __name__ == "__main__":
    sys.exit(main())
