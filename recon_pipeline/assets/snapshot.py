"""The write every mart shares: replace one day's snapshot with one SQL file's result."""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

import dagster as dg
import duckdb

from recon_pipeline.partitions import SINGLE_RUN, daily_partitions, partition_days
from recon_pipeline.resources.warehouse import WarehouseResource, replace_partition

Prepare = Callable[[duckdb.DuckDBPyConnection], None]
T = TypeVar("T")


def daily_table(
    key: dg.AssetKey,
    group: str,
    deps: Sequence[dg.AssetKey | dg.AssetDep] = (),
    kinds: set[str] | None = None,
):
    """A warehouse table partitioned by day: every such asset writes through the one DuckDB
    writer (pool ``duckdb``, limited to 1)."""
    return dg.asset(
        key=key,
        group_name=group,
        partitions_def=daily_partitions,
        backfill_policy=SINGLE_RUN,
        pool="duckdb",
        deps=list(deps),
        kinds={"duckdb", *(kinds or ())},
    )


def previous_day(key: dg.AssetKey) -> dg.AssetDep:
    """Depend on the asset's own previous partition (what earlier days issued or landed)."""
    return dg.AssetDep(
        key, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    )


def each_day(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    step: Callable[[duckdb.DuckDBPyConnection, dt.date], T],
    prepare: Prepare | None = None,
) -> tuple[dt.date, T]:
    """``step`` for each day of the run's window, in order, one transaction a day.

    ``prepare`` (writing the policy into ``config.*``) runs once for the window, not per day:
    the policy is the same for every day of a run. Returns the last day and its result, for
    the asset's metadata.
    """
    if prepare:
        con.begin()
        prepare(con)
        con.commit()
    last: tuple[dt.date, T] | None = None
    for day in partition_days(context):
        con.begin()
        last = (day, step(con, day))
        con.commit()
    assert last is not None
    return last


def materialize_snapshot(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    table: str,
    statement: str,
    key_column: str = "as_of",
    prepare: Prepare | None = None,
) -> tuple[int, dt.date]:
    """For each day of the window: ``BEGIN; DELETE day; INSERT sql/<statement>; COMMIT``.
    Returns the row count of the last day and that day."""
    parameter = "as_of" if key_column == "as_of" else "partition_date"
    with warehouse.connect() as con:
        day, rows = each_day(
            context,
            con,
            lambda con, day: replace_partition(
                con, table, key_column, day, statement, {parameter: day}
            ),
            prepare,
        )
    return rows, day


def markdown_preview(con: duckdb.DuckDBPyConnection, query: str, params: dict) -> dg.MetadataValue:
    frame = con.execute(query, params).df()
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "_no rows_")
