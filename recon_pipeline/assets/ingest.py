"""Ingest: land every file of the day from the configured source, fingerprinted."""

import datetime as dt

import dagster as dg
import pandas as pd

from recon_pipeline.assets.snapshot import previous_day
from recon_pipeline.partitions import SINGLE_RUN, daily_partitions, partition_days
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.sources import InboundSource, UnsafeName, unsafe_name_reason
from recon_pipeline.resources.warehouse import WarehouseResource, clear_partition, fetch_dicts

LANDED_FILES = dg.AssetKey(["audit", "landed_files"])
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


def _land_day(source: InboundSource, con, day: dt.date, sources: list[str]) -> pd.DataFrame:
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
    listed = [(name, remote) for name in sources for remote in source.files(name, day)]
    safe = [remote for _, remote in listed if unsafe_name_reason(remote.name) is None]
    outcomes = dict(zip(safe, source.land_all(safe), strict=True))
    rows = []
    for source_name, remote in listed:
        relative = f"{source_name}/{day.isoformat()}/{remote.name}"
        outcome = outcomes.get(remote) or UnsafeName(unsafe_name_reason(remote.name))
        if isinstance(outcome, UnsafeName):
            sha256, size, status, reason, first = None, remote.size, "REFUSED", str(outcome), None
        else:
            _, sha256, size = outcome
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
    group_name="ingest",
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
    pool="duckdb",
    deps=[previous_day(LANDED_FILES)],
    kinds={"duckdb"},
)
def landed_files(
    context: dg.AssetExecutionContext,
    source: InboundSource,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
) -> dg.MaterializeResult:
    """Every file delivered for the day, copied into the landing copy with its sha256.

    The same bytes delivered again (any folder, any name) are marked DUPLICATE and loaded
    once; unsafe names are REFUSED and never followed. Depends on the previous day because a
    duplicate is judged against everything landed before.
    """
    frames = []
    with warehouse.connect() as con:
        for day in partition_days(context):
            frame = _land_day(source, con, day, sorted(contracts.load().by_source()))
            con.begin()
            clear_partition(con, "audit.landed_files", "partition_date", day)
            con.execute("INSERT INTO audit.landed_files BY NAME SELECT * FROM frame")
            con.commit()
            frames.append(frame)
    shown = ["source", "file_name", "status", "reason"]
    landed = pd.DataFrame(
        [row for frame in frames for row in frame[shown].itertuples(index=False)], columns=shown
    )
    counts = landed["status"].value_counts().to_dict()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(landed),
            "source": source.describe(),
            "landed": counts.get("LANDED", 0),
            "duplicates": counts.get("DUPLICATE", 0),
            "refused": counts.get("REFUSED", 0),
            "files": dg.MetadataValue.md(
                landed.to_markdown(index=False) if len(landed) else "_no files_"
            ),
        }
    )
