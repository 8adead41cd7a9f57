"""Exports: files other systems consume, each request sent exactly once."""

import base64
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon_pipeline import konbini
from recon_pipeline.assets.marts import DUNNING_CANDIDATES, JOURNAL
from recon_pipeline.assets.reconcile import RECEIVABLES
from recon_pipeline.assets.snapshot import (
    daily_table,
    day_results,
    previous_day,
    snapshot_run,
)
from recon_pipeline.assets.staging import (
    DISPOSITIONS,
    RECEIVABLE_EVENTS,
    SOURCE_FRESHNESS,
)
from recon_pipeline.freshness import holding_sources
from recon_pipeline.limits import PREVIEW_ROWS
from recon_pipeline.packaged import sql
from recon_pipeline.partitions import partition_days, stage_group, table_key
from recon_pipeline.publish import publish_copy
from recon_pipeline.resources.exports import (
    ExportTarget,
    cp932_safe,
    csv_bytes,
    neutralize_column,
    quoted_csv_bytes,
    replace_atomically,
    temporary_path,
    without_controls,
    write_atomically,
)
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.sources import InboundSource
from recon_pipeline.resources.warehouse import (
    WarehouseResource,
    clear_partition,
    log_write,
    replace_partition,
)

SLIP_REQUESTS = table_key("exports", "exports.slip_requests")
CORRECTION_COLUMNS = [
    "partition_date",
    "receivable_id",
    "sent_request_id",
    "sent_amount",
    "current_amount",
    "sent_due_date",
    "current_due_date",
    "correction_request_id",
]
SHIP_HOLDS = table_key("exports", "exports.ship_holds")
JOURNAL_FILES = table_key("exports", "exports.journal_files")
JOURNAL_KIND = "journal"
"""The journal files' folder under ``RECON_EXPORT_DIR`` and under ``outbound/``."""
SHIP_HOLD_COLUMNS = ["customer_id", "reason", "since", "outstanding_amount"]
SLIP_COLUMNS = [
    "request_id",
    "issue_type",
    "form_type",
    "slip_number",
    "name",
    "postal_code",
    "address",
    "amount",
    "due_date",
    "reissue_no",
    "barcode",
    "message",
]
TEXT_FIELDS = ("name", "postal_code", "address", "message")


def slip_file_name(day: dt.date) -> str:
    return f"slip_requests_{day:%Y%m%d}.csv"


def ship_hold_file_name(day: dt.date) -> str:
    return f"ship_hold_{day:%Y%m%d}.csv"


def journal_file_name(day: dt.date) -> str:
    return f"journal_{day:%Y%m%d}.csv"


def journal_file_bytes(lines: pa.Array) -> bytes:
    """Rows of a 弥生 import file (``sql/exports/journal_file.sql`` makes each row's text,
    CRLF included) as CP932; a character CP932 lacks (an id in another script) becomes 〓.

    A batch's rows are one run of UTF-8 in the Arrow buffer: decoded and encoded whole, with
    no Python string per row (2.8M rows on a 1M-order backlog day)."""
    if not len(lines):
        return b""
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    text = str(memoryview(lines.buffers()[2])[first:last], "utf-8")
    try:
        return text.encode("cp932")
    except UnicodeEncodeError:
        return "".join(cp932_safe(line)[0] for line in lines.to_pylist()).encode("cp932")


JOURNAL_BATCH = 100_000
"""Rows encoded at a time: a first run over a long history books a line per order and
payment, and the file's rows never all sit in Python at once."""


def journal_file(con: duckdb.DuckDBPyConnection, day: dt.date, out: BinaryIO) -> tuple[str, int]:
    """Write the day's journal file to ``out`` batch by batch; returns its sha256 and row
    count (no rows: the day has no entries). A backlog day's file is ~0.5 GB at 1M orders:
    it is never held whole in memory. ``con`` must have no unfinished result."""
    # a relation streams its batches under DuckDB's memory limit; an executed result's reader
    # held ~0.5 GiB more at the peak of a 1M-order backlog day (RSS 1.64 -> 1.16 GiB, 1GB limit)
    reader = con.sql(sql("exports/journal_file"), params={"partition_date": day}).to_arrow_reader(
        JOURNAL_BATCH
    )
    digest, rows = hashlib.sha256(), 0
    for batch in reader:
        data = journal_file_bytes(batch.column("line"))
        digest.update(data)
        out.write(data)
        rows += batch.num_rows
    return digest.hexdigest(), rows


def deliver(
    con: duckdb.DuckDBPyConnection,
    source: InboundSource,
    exporter: ExportTarget,
    kind: str,
    day: dt.date,
    file_name: str,
    data: bytes,
) -> tuple[bool, str | None]:
    """Write the file atomically into the export dir, then push it to the source's
    ``outbound/<kind>/`` once per content: a re-run whose bytes were already pushed pushes
    nothing, so the receiver never sees a second copy. Returns (written, pushed to)."""
    path = exporter.path_for(kind, file_name)
    written = write_atomically(path, data)
    sha256 = hashlib.sha256(data).hexdigest()
    return written, push_once(con, source, kind, day, path, sha256, len(data))


def push_once(
    con: duckdb.DuckDBPyConnection,
    source: InboundSource,
    kind: str,
    day: dt.date,
    path: Path,
    sha256: str,
    size: int,
) -> str | None:
    """Push a written export file to ``outbound/<kind>/`` unless these bytes were pushed
    already; returns where it went (None: no remote target)."""
    file_name = path.name
    pushed = con.execute(
        "SELECT target FROM audit.outbound_pushes WHERE kind = $kind AND file_name = $name "
        "AND sha256 = $sha256",
        {"kind": kind, "name": file_name, "sha256": sha256},
    ).fetchone()
    if pushed:
        return pushed[0]
    target = source.push(path, f"outbound/{kind}/{file_name}")
    if target:
        con.execute(
            "INSERT INTO audit.outbound_pushes VALUES ($day, $kind, $name, $sha256, $bytes, "
            "$target, now()::TIMESTAMP)",
            {
                "day": day,
                "kind": kind,
                "name": file_name,
                "sha256": sha256,
                "bytes": size,
                "target": target,
            },
        )
        log_write(con, "audit.outbound_pushes", day)
    return target


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _texts(column: pd.Series) -> pa.Array:
    """A column as the file's text (dates as YYYYMMDD), missing values empty."""
    if column.name == "due_date":
        days = pd.to_datetime(column).dt
        column = (days.year * 10_000 + days.month * 100 + days.day).astype("Int64")
    return pc.fill_null(pc.cast(pa.array(column, from_pandas=True), pa.string()), "")


def slip_file_cells(requests: pd.DataFrame) -> tuple[pa.Table, list[str]]:
    """The slip file's cells, and the request ids whose text needed replacements (〓 for what
    CP932 cannot encode; a space for a line break or tab; a control character such as NUL
    removed).

    Column by column as Arrow operations (a backlog day sends hundreds of thousands of
    requests; cell by cell in Python cost 9 µs a request)."""
    ordered = requests.sort_values("request_id")
    touched = np.zeros(len(ordered), dtype=bool)
    cells = {}
    for column in SLIP_COLUMNS:
        raw = _texts(ordered[column])
        texts = without_controls(raw)
        touched |= pc.not_equal(raw, texts).to_numpy(zero_copy_only=False)
        values = texts.to_pylist() if column in TEXT_FIELDS else []
        if values and not _encodes("".join(values), "cp932"):
            safe = [cp932_safe(text) for text in values]
            texts = pa.array([text for text, _ in safe], pa.string())
            touched |= np.array([changed for _, changed in safe], dtype=bool)
        cells[column] = neutralize_column(texts)
    replaced = ordered["request_id"][touched].tolist()
    return pa.table(cells), replaced


def with_barcodes(due: pd.DataFrame, target: ExportTarget) -> tuple[pd.DataFrame, list[str]]:
    """Barcode per request; a request ``konbini.build_column`` refuses (an amount no barcode
    can carry, no due date) is held back, with the reason."""
    barcodes, problems = konbini.build_column(
        company_code=target.company_code,
        shop_code=target.shop_code,
        payment_refs=due["slip_number"],
        reissue_nos=due["reissue_no"],
        due_dates=due["due_date"],
        amounts=due["amount"],
    )
    refused = problems.notna()
    unissuable = [
        f"{request_id}: {problem}"
        for request_id, problem in zip(due["request_id"][refused], problems[refused], strict=True)
    ]
    due = due.assign(barcode=barcodes)
    return (due[~refused] if unissuable else due), unissuable


def corrections_due(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    due_today: list[str],
    reissue: bool,
    held: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sent slips a corrected delivery made wrong, as listed in ``exports.slip_corrections``
    (the day's earlier listing kept: a re-run lists nothing new), and the corrected slips to
    send (none when the policy says list only, or the freshness gate holds the day)."""
    listed = con.execute(
        "SELECT * FROM exports.slip_corrections WHERE partition_date = $d", {"d": day}
    ).df()
    found = con.execute(
        sql("exports/slip_corrections"), {"as_of": day, "due_today": due_today}
    ).df()
    found = found[~found["receivable_id"].isin(listed["receivable_id"])]
    send = reissue and not held
    requests = pd.DataFrame(
        {
            "request_id": found["correction_request_id"],
            "receivable_id": found["receivable_id"],
            "issue_type": "REISSUE",
            "form_type": found["form_type"],
            "slip_number": found["slip_number"],
            "name": found["name"],
            "postal_code": found["postal_code"],
            "address": found["address"],
            "amount": found["current_amount"],
            "due_date": found["correction_due_date"],
            "reissue_no": found["reissue_no"],
            "message": found["message"],
        }
    )
    new_listing = found.assign(
        correction_request_id=found["correction_request_id"] if send else None
    )[CORRECTION_COLUMNS]
    parts = [frame for frame in (listed[CORRECTION_COLUMNS], new_listing) if len(frame)]
    listing = pd.concat(parts, ignore_index=True) if parts else new_listing
    return listing, (requests if send else requests.iloc[0:0])


@daily_table(
    SLIP_REQUESTS,
    "exports",
    deps=[
        RECEIVABLES,
        RECEIVABLE_EVENTS,
        DUNNING_CANDIDATES,
        SOURCE_FRESHNESS,
        previous_day(SLIP_REQUESTS),
    ],
    kinds={"csv"},
)
def slip_requests(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    exporter: ExportTarget,
    source: InboundSource,
    policy: PolicyResource,
) -> Iterator[dg.MaterializeResult]:
    """Payment-slip issuance requests (払込票発行依頼データ) sent to the collection agent:
    a NEW slip per new konbini receivable, a REISSUE per dunning re-issue. Every request
    ever sent is recorded with its file; a re-run rewrites the same file, sends nothing new.
    Held on a day the freshness gate holds (a settlement source missing or stale); the next
    complete day sends what is then due. The file is then pushed to
    ``outbound/slip_requests/`` on S3 or SFTP when configured.

    A request id once sent is never sent again, whichever day is re-run. A sent slip whose
    receivable a corrected file changed (amount, due date) is listed in
    ``exports.slip_corrections`` and, as the policy's ``reissue_corrected_slips`` says,
    re-sent as ``<receivable>-CORRECTION-<n>``."""
    reissue = policy.load().reissue_corrected_slips
    by_day = {}
    with warehouse.connect() as con:
        for day in partition_days(context):
            by_day[day] = _slip_day(context, con, day, exporter, source, reissue)
    yield from day_results(context, {SLIP_REQUESTS: by_day})


def _slip_day(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    exporter: ExportTarget,
    source: InboundSource,
    reissue: bool,
) -> dict:
    """Send one day's slip requests; returns the day's metadata."""
    due = con.execute(sql("exports/slip_requests"), {"as_of": day}).df()
    sent_today = con.execute(
        "SELECT * FROM exports.slip_requests WHERE partition_date = $d", {"d": day}
    ).df()
    due = due[~due["request_id"].isin(sent_today["request_id"])]
    held = holding_sources(con, day)
    listing, corrected = corrections_due(
        con, day, sorted(set(due["receivable_id"])), reissue, bool(held)
    )
    if len(corrected):
        due = pd.concat([due, corrected], ignore_index=True)
    due, unissuable = with_barcodes(due, exporter)
    file_name = slip_file_name(day)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fresh = due.assign(partition_date=day, file_name=file_name, sent_at=now)
    sent = {*sent_today["request_id"], *fresh["request_id"]}
    listing["correction_request_id"] = listing["correction_request_id"].where(
        listing["correction_request_id"].isin(sent), None
    )
    corrections = [
        f"{row.receivable_id}: sent {row.sent_request_id} for {row.sent_amount:,} yen "
        f"due {row.sent_due_date:%Y-%m-%d}, now {row.current_amount:,} yen due "
        f"{row.current_due_date:%Y-%m-%d}"
        + (f" → {row.correction_request_id}" if row.correction_request_id else "")
        for row in listing.itertuples(index=False)
    ]
    if len(fresh) or len(listing):
        # one transaction: a correction listed as sent is in exports.slip_requests
        con.begin()
        con.execute("INSERT INTO exports.slip_requests BY NAME SELECT * FROM fresh")
        log_write(con, "exports.slip_requests", day)
        clear_partition(con, "exports.slip_corrections", "partition_date", day)
        con.execute("INSERT INTO exports.slip_corrections BY NAME SELECT * FROM listing")
        con.commit()
    parts = [frame for frame in (sent_today, fresh) if len(frame)]
    everything = pd.concat(parts, ignore_index=True) if parts else fresh
    written, replaced, target = False, [], None
    if not everything.empty:
        cells, replaced = slip_file_cells(everything)
        data = quoted_csv_bytes(cells, "cp932", "\r\n")
        written, target = deliver(con, source, exporter, "slip_requests", day, file_name, data)
    for problem in unissuable:
        context.log.warning(f"slip request not issuable: {problem}")
    for correction in corrections:
        context.log.warning(f"sent slip out of date: {correction}")
    return {
        "dagster/row_count": len(fresh),
        "new_requests": len(fresh),
        "requests_in_file": len(everything),
        "file": file_name if not everything.empty else "none",
        "file_written": bool(written),
        "pushed_to": target or "not pushed (no remote target)",
        "unissuable": dg.MetadataValue.md("\n".join(f"- {p}" for p in unissuable) or "_none_"),
        "rows_with_replaced_characters": ", ".join(replaced) or "none",
        "held_by_missing_sources": ", ".join(held) or "none",
        "sent_slips_corrected": len(corrections),
        "corrections": dg.MetadataValue.md(
            "\n".join(f"- {c}" for c in corrections[:PREVIEW_ROWS]) or "_none_"
        ),
    }


@daily_table(
    SHIP_HOLDS, "exports", deps=[RECEIVABLES, DISPOSITIONS, DUNNING_CANDIDATES], kinds={"csv"}
)
def ship_holds(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    exporter: ExportTarget,
    source: InboundSource,
    policy: PolicyResource,
) -> Iterator[dg.MaterializeResult]:
    """The ship-hold list for the order system: every blacklisted customer as of the day
    (dunning reached a blacklisting stage, by default COLLECTION_AGENCY), with since when and
    what they owe. New orders for them should not ship on deferred payment. Written every
    day, even when empty, because the list is the whole truth, not a delta."""
    by_day = {}
    with warehouse.connect() as con:
        con.begin()
        policy.write_tables(con)  # which stage blacklists is the policy's
        con.commit()
        for day in partition_days(context):
            file_name = ship_hold_file_name(day)
            con.begin()
            replace_partition(
                con,
                "exports.ship_holds",
                "partition_date",
                day,
                "exports/ship_holds",
                {"as_of": day, "file_name": file_name},
            )
            con.commit()
            holds = con.execute(
                "SELECT * FROM exports.ship_holds WHERE partition_date = $d ORDER BY customer_id",
                {"d": day},
            ).df()
            cells = [
                [row.customer_id, row.reason, f"{row.since:%Y-%m-%d}", str(row.outstanding_amount)]
                for row in holds.itertuples(index=False)
            ]
            data = csv_bytes(SHIP_HOLD_COLUMNS, cells, "utf-8", "\n")
            _, target = deliver(con, source, exporter, "ship_hold", day, file_name, data)
            preview = holds[["customer_id", "reason", "since", "outstanding_amount"]].head(20)
            by_day[day] = {
                "dagster/row_count": len(holds),
                "outstanding_amount": int(holds["outstanding_amount"].sum()) if len(holds) else 0,
                "pushed_to": target or "not pushed (no remote target)",
                "customers": dg.MetadataValue.md(
                    preview.to_markdown(index=False) if len(holds) else "_nobody on hold_"
                ),
            }
    yield from day_results(context, {SHIP_HOLDS: by_day})


@daily_table(JOURNAL_FILES, "exports", deps=[JOURNAL], kinds={"csv"})
def journal_files(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    exporter: ExportTarget,
    source: InboundSource,
) -> Iterator[dg.MaterializeResult]:
    """The journal for the accounting system, one file a day with entries
    (``journal/journal_YYYYMMDD.csv``): 弥生会計's import format (CP932, CRLF, 25 columns, a
    row per slip line), which freee and マネーフォワード import too. Sent once: the first
    write records the file and marks the day's lines as sent, so a re-run writes the same
    bytes and pushes nothing, and a later correction to the day is booked on the next day
    run, never into this file. Pushed to ``outbound/journal/`` on S3 or SFTP when
    configured. Not written when a blocking journal check fails."""
    by_day = {}
    with warehouse.connect() as con:
        for day in partition_days(context):
            files, new_files, pushed, refused = [], [], [], []
            lines_sent = 0
            by_day[day] = {
                "dagster/row_count": 0,
                "files": "none (no entries)",
                "files_sent_now": "none",
                "pushed_to": "not pushed (no remote target)",
                "not_rewritten": "none",
            }
            # fetched to the end: journal_file streams a relation, which DuckDB refuses to
            # start while a result of this connection is unfinished (fetchone leaves one)
            entries = con.execute(
                "SELECT count(*) FROM marts.journal_lines WHERE partition_date = $d", {"d": day}
            ).fetchall()[0]
            if not entries[0]:
                continue  # a day without entries gets no file
            file_name = journal_file_name(day)
            path = exporter.path_for(JOURNAL_KIND, file_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = temporary_path(path)
            with temporary.open("wb") as out:
                sha256, rows = journal_file(con, day, out)
                size = out.tell()
            sent = con.execute(
                "SELECT sha256 FROM exports.journal_files WHERE partition_date = $d",
                {"d": day},
            ).fetchone()
            if sent and sent[0] != sha256:
                temporary.unlink()
                refused.append(f"{file_name}: its lines no longer give the bytes sent")
                continue
            if not sent:
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                con.begin()
                con.execute(
                    "INSERT INTO exports.journal_files SELECT $d, $name, $sha256, $bytes, "
                    "count(DISTINCT slip_no), count(*), sum(debit_amount), sum(credit_amount), "
                    "$now FROM marts.journal_lines WHERE partition_date = $d",
                    {"d": day, "name": file_name, "sha256": sha256, "bytes": size, "now": now},
                )
                con.execute(
                    "UPDATE marts.journal_lines SET file_name = $name, sent_at = $now "
                    "WHERE partition_date = $d",
                    {"d": day, "name": file_name, "now": now},
                )
                # in this order: the journal tells this mark from a booking by the
                # journal_files write just before it (recon_pipeline.scope.journal_scope)
                log_write(con, "exports.journal_files", day)
                log_write(con, "marts.journal_lines", day)
                con.commit()
                new_files.append(file_name)
                lines_sent += rows
            files.append(file_name)
            replace_atomically(temporary, path, sha256)
            target = push_once(con, source, JOURNAL_KIND, day, path, sha256, size)
            if target:
                pushed.append(target)
            for problem in refused:
                context.log.error(f"journal file not rewritten: {problem}")
            by_day[day] = {
                "dagster/row_count": lines_sent,
                "files": ", ".join(files) or "none (no entries)",
                "files_sent_now": ", ".join(new_files) or "none",
                "pushed_to": ", ".join(pushed) or "not pushed (no remote target)",
                "not_rewritten": ", ".join(refused) or "none",
            }
    yield from day_results(context, {JOURNAL_FILES: by_day})


PUBLISHED_WAREHOUSE = dg.AssetKey([stage_group("exports"), "published_warehouse"])


def build_published_warehouse(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The analysts' read-only copy, downstream of every other asset so it is built last."""

    @daily_table(PUBLISHED_WAREHOUSE, "exports", deps=upstream)
    def published_warehouse(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        """A copy of the warehouse (all but the raw file rows) for analysts, published after
        each run: they connect to it read-only and never hold the file the run writes. An
        open connection keeps the copy it opened; reconnecting shows the newest day."""
        target = Path(warehouse.published_database)
        with warehouse.connect() as con:
            tables = publish_copy(con, target)
        day = partition_days(context)[-1]
        by_fingerprints = sorted(name for name, t in tables.items() if t.by == "fingerprints")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(target)),
                "copy": target.resolve().name,
                "as_of": day.isoformat(),
                "tables": len(tables),
                "dagster/row_count": sum(t.rows for t in tables.values()),
                "partitions_rewritten": sum(t.partitions_rewritten for t in tables.values()),
                "compared_by_fingerprints": ", ".join(by_fingerprints) or "none (write log)",
                "connect": dg.MetadataValue.md(f"`duckdb.connect('{target}', read_only=True)`"),
            }
        )

    return published_warehouse


RUNS = table_key("exports", "audit.runs")
CALENDAR_DAYS = 14
"""How many days up to the day the first screen's table and chart show."""
STATUS_COLOURS = {"OK": "#2e7d32", "HELD": "#ef6c00", "FAILED": "#c62828"}
CALENDAR_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("day", "string"),
        dg.TableColumn("status", "string", description="OK / HELD / FAILED"),
        dg.TableColumn("files_in", "int"),
        dg.TableColumn("rows_quarantined", "int"),
        dg.TableColumn("exceptions_open", "int"),
        dg.TableColumn("dunning_issued", "int"),
        dg.TableColumn("slips_exported", "int"),
        dg.TableColumn("why", "string", description="the sources that held it, or the failure"),
    ]
)
"""The first screen's table: a metadata table, which the UI shows inline (markdown sits
behind a link)."""


def build_runs(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The run calendar, downstream of every table it sums up (and of the exports, so a day is
    OK only once its files went out)."""

    @daily_table(RUNS, "exports", deps=upstream)
    def runs(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        """Start here: the run calendar (``audit.runs``) — per day run, OK / HELD / FAILED, the
        run that ran it, files in, rows quarantined, exceptions open, dunning issued, slips
        exported. Each day's materialization shows the last two weeks as a table and a chart:
        the morning's questions on one screen. ``recon`` records a FAILED day (its run id and
        why) when a run fails."""
        yield from snapshot_run(
            context,
            warehouse,
            RUNS,
            "audit.runs",
            "audit/runs",
            lambda con, day, rows: {"dagster/row_count": rows, **calendar_figures(con, day)},
            key_column="partition_date",
            parameters=lambda day: {"day": day, "run_id": context.run_id},
        )

    return runs


def calendar_figures(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict:
    """The day's row of the calendar as figures, and the two weeks up to it."""
    frame = con.execute(
        "SELECT partition_date AS day, status, coalesce(files_in, 0) AS files_in, "
        "coalesce(rows_quarantined, 0) AS rows_quarantined, "
        "coalesce(exceptions_open, 0) AS exceptions_open, "
        "coalesce(dunning_issued, 0) AS dunning_issued, "
        "coalesce(slips_exported, 0) AS slips_exported, coalesce(held_by, failure, '') AS why "
        "FROM audit.runs WHERE partition_date BETWEEN $first AND $day ORDER BY day DESC",
        {"first": day - dt.timedelta(days=CALENDAR_DAYS - 1), "day": day},
    ).df()
    today = frame[frame["day"].dt.date == day].iloc[0]
    shown = frame.assign(day=frame["day"].dt.strftime("%Y-%m-%d"))
    return {
        "days": dg.MetadataValue.table(
            records=[
                dg.TableRecord({k: (v if isinstance(v, str) else int(v)) for k, v in row.items()})
                for row in shown.to_dict("records")
            ],
            schema=CALENDAR_SCHEMA,
        ),
        "status": str(today["status"]),
        "held_by": str(today["why"]) or "none",
        "files_in": int(today["files_in"]),
        "rows_quarantined": int(today["rows_quarantined"]),
        "exceptions_open": int(today["exceptions_open"]),
        "dunning_issued": int(today["dunning_issued"]),
        "slips_exported": int(today["slips_exported"]),
        "days_chart": dg.MetadataValue.md(
            f"![days](data:image/png;base64,{calendar_chart_png(frame, day)})"
        ),
    }


def calendar_chart_png(frame: pd.DataFrame, day: dt.date) -> str:
    """Exceptions open, dunning issued and slips exported per day, each day's bar coloured by
    its status (green OK, orange HELD, red FAILED), as base64 PNG (Agg canvas, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    ordered = frame.sort_values("day")
    labels = [f"{d:%m-%d}" for d in ordered["day"]]
    positions = list(range(len(ordered)))
    figure = Figure(figsize=(7, 3), dpi=80)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = [STATUS_COLOURS.get(s, "grey") for s in ordered["status"]]
    axes.bar(positions, ordered["exceptions_open"], color=colours, width=0.7)
    axes.plot(positions, ordered["dunning_issued"], marker="o", color="#1565c0")
    axes.plot(positions, ordered["slips_exported"], marker="s", color="#6a1b9a")
    axes.set_xticks(positions, labels, fontsize=7, rotation=45)
    axes.tick_params(labelsize=7)
    axes.set_title(f"Days up to {day}: exceptions open (bars), dunning, slips", fontsize=9)
    handles = [Patch(color=c, label=s) for s, c in STATUS_COLOURS.items()]
    handles += axes.get_lines()
    labels_ = [*STATUS_COLOURS, "dunning issued", "slips exported"]
    axes.legend(handles, labels_, fontsize=6, ncol=5, loc="upper left")
    # fixed margins: tight_layout drew the figure once more only to measure (~40 ms a chart)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.18, top=0.89)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
