"""Ingest: land every file of the day from the configured source, fingerprinted."""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from recon_pipeline.assets.snapshot import day_results, previous_day
from recon_pipeline.contracts import Contract
from recon_pipeline.limits import preview
from recon_pipeline.partitions import (
    SINGLE_RUN,
    daily_partitions,
    partition_days,
    stage_group,
    table_key,
    table_metadata,
    today,
)
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.sources import (
    InboundSource,
    Landed,
    Refused,
    UnsafeName,
    unsafe_name_reason,
)
from recon_pipeline.resources.warehouse import WarehouseResource, clear_partition, fetch_dicts

LANDED_FILES = table_key("ingest", "audit.landed_files")
LANDED_COLUMNS = [
    "partition_date",
    "source",
    "file_name",
    "path",
    "sha256",
    "bytes",
    "status",
    "reason",
    "duplicate_of",
    "landed_at",
]


LINE_READERS = ("csv", "amazon_v2")
"""Readers that read a file line by line: their files are held to ``max_line_bytes``.
(Zengin records are 200 bytes with or without line ends: a file may be one long line.)"""


def _line_refusal(landed: Landed, contract: Contract | None, max_line_bytes: int) -> Refused | None:
    """A line-based file with a line over the limit is refused before anything reads it."""
    if contract is None or contract.reader not in LINE_READERS:
        return None
    if landed.longest_line <= max_line_bytes:
        return None
    return Refused(
        f"line {landed.longest_line_no} is {landed.longest_line:,} bytes, over the limit of "
        f"{max_line_bytes:,} (RECON_MAX_LINE_BYTES); the file is not read"
    )


def _land_day(
    source: InboundSource,
    con,
    day: dt.date,
    contracts: dict[str, Contract],
) -> pd.DataFrame:
    known = {
        row["sha256"]: row["path"]
        for row in fetch_dicts(
            con,
            "SELECT sha256, arg_min(path, partition_date) AS path FROM audit.landed_files "
            "WHERE partition_date < $day AND status = 'LANDED' GROUP BY sha256",
            {"day": day},
        )
    }
    previously = {
        (row["source"], row["file_name"]): row["landed_at"]
        for row in fetch_dicts(
            con,
            "SELECT source, file_name, landed_at FROM audit.landed_files "
            "WHERE partition_date = $day",
            {"day": day},
        )
    }
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    listed = [(name, remote) for name in sorted(contracts) for remote in source.files(name, day)]
    safe = [remote for _, remote in listed if unsafe_name_reason(remote.name) is None]
    outcomes = dict(zip(safe, source.land_all(safe), strict=True))
    rows = []
    for source_name, remote in listed:
        relative = f"{source_name}/{day.isoformat()}/{remote.name}"
        outcome = outcomes.get(remote) or UnsafeName(unsafe_name_reason(remote.name))
        if isinstance(outcome, Landed):
            outcome = (
                _line_refusal(outcome, contracts.get(source_name), source.max_line_bytes) or outcome
            )
        if isinstance(outcome, Refused):
            sha256, size, status, reason, first = None, remote.size, "REFUSED", str(outcome), None
        else:
            _, sha256, size, _, _ = outcome
            first = known.get(sha256)
            status = "DUPLICATE" if first else "LANDED"
            reason = f"same bytes as {first}" if first else None
            known.setdefault(sha256, relative)
        at = previously.get((source_name, remote.name), now)
        rows.append(
            [day, source_name, remote.name, relative, sha256, size, status, reason, first, at]
        )
    return pd.DataFrame(rows, columns=LANDED_COLUMNS)


@dg.asset(
    key=LANDED_FILES,
    group_name=stage_group("ingest"),
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
    pool="duckdb",
    deps=[previous_day(LANDED_FILES)],
    kinds={"duckdb"},
    metadata=table_metadata(LANDED_FILES),
)
def landed_files(
    context: dg.AssetExecutionContext,
    source: InboundSource,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> Iterator[dg.MaterializeResult]:
    """Every file delivered for the day, copied into the landing copy with its sha256.

    The same bytes delivered again (any folder, any name) are marked DUPLICATE and loaded
    once; unsafe names, links, files over the size limit and line-based files with a line
    over the line limit are REFUSED and never read. Entries of the tree that no day reads (a
    folder that is no day, a future day, a link …) are recorded in ``audit.landing_skips``.
    Depends on the previous day because a duplicate is judged against everything landed
    before.
    """
    frames = {}
    by_source = contracts.load().by_source()
    skipped = source.skipped(sorted(by_source), today())
    for entry in skipped:
        context.log.warning(f"not read: {entry.path}: {entry.reason}")
    skips = pd.DataFrame(  # noqa: F841 - read by DuckDB's scan
        [(entry.path, entry.reason) for entry in skipped], columns=["path", "reason"]
    )
    with warehouse.connect() as con:
        for day in partition_days(context):
            frame = _land_day(source, con, day, by_source)
            con.begin()
            clear_partition(con, "audit.landed_files", "partition_date", day)
            con.execute("INSERT INTO audit.landed_files BY NAME SELECT * FROM frame")
            clear_partition(con, "audit.landing_skips", "partition_date", day)
            con.execute(
                "INSERT INTO audit.landing_skips SELECT $day, path, reason FROM skips", {"day": day}
            )
            con.commit()
            frames[day] = frame
    not_read = dg.MetadataValue.md(
        preview(pd.DataFrame([vars(e) for e in skipped], columns=["path", "reason"]))
    )
    shown = ["source", "file_name", "status", "reason"]

    def figures(frame: pd.DataFrame) -> dict:
        counts = frame["status"].value_counts().to_dict()
        return {
            "dagster/row_count": len(frame),
            "source": source.describe(),
            "landed": counts.get("LANDED", 0),
            "duplicates": counts.get("DUPLICATE", 0),
            "refused": counts.get("REFUSED", 0),
            "not_read": len(skipped),
            "files": dg.MetadataValue.md(preview(frame[shown])),
            "not_read_entries": not_read,
        }

    yield from day_results(
        context, {LANDED_FILES: {day: figures(frame) for day, frame in frames.items()}}
    )
