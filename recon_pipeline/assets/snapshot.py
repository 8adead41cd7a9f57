"""The write every mart shares: replace one day's snapshot with one SQL file's result."""

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import dagster as dg
import duckdb

from recon_pipeline.partitions import (
    SINGLE_RUN,
    daily_partitions,
    day_partition,
    partition_days,
    stage_group,
    table_metadata,
)
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
        group_name=stage_group(group),
        partitions_def=daily_partitions,
        backfill_policy=SINGLE_RUN,
        pool="duckdb",
        deps=list(deps),
        kinds={"duckdb", *(kinds or ())},
        metadata=table_metadata(key),
    )


def previous_day(key: dg.AssetKey) -> dg.AssetDep:
    """Depend on the asset's own previous partition (what earlier days issued or landed)."""
    return dg.AssetDep(
        key, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    )


def every_day(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    step: Callable[[duckdb.DuckDBPyConnection, dt.date], T],
    prepare: Prepare | None = None,
) -> dict[dt.date, T]:
    """``step`` for each day of the run's window, in order, one transaction a day.

    ``prepare`` (writing the policy into ``config.*``) runs once for the window, not per day:
    the policy is the same for every day of a run. Returns each day's result, for the
    metadata of each day.
    """
    if prepare:
        con.begin()
        prepare(con)
        con.commit()
    results: dict[dt.date, T] = {}
    for day in partition_days(context):
        con.begin()
        results[day] = step(con, day)
        con.commit()
    assert results
    return results


Metadata = Mapping[str, Any]
Figures = Callable[[duckdb.DuckDBPyConnection, dt.date], Metadata]


def day_results(
    context: dg.AssetExecutionContext, by_key: Mapping[dg.AssetKey, Mapping[dt.date, Metadata]]
) -> Iterator[dg.MaterializeResult]:
    """Each day's own metadata on that day's materialization, whether the run is one day or a
    range.

    A one-day run yields the day's figures as the result. A ranged run (single-run backfill)
    can only give its one result to every day of the range, so that result says only which
    days it covers (no figures: a range's figures on every day were the untruth of issue 26),
    and then each day's figures are logged as that partition's own ``AssetMaterialization``,
    after the result, so they are each day's latest materialization. Cost on the demo month:
    one event per asset and day (measured in docs/ui.md)."""
    days = partition_days(context)
    if len(days) == 1:
        for key, per_day in by_key.items():
            yield dg.MaterializeResult(asset_key=key, metadata=dict(per_day[days[0]]))
        return
    for key in by_key:
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "days": f"{days[0]} … {days[-1]} ({len(days)} days, one run)",
                "figures": "each day's own, on the day's partition",
            },
        )
    for key, per_day in by_key.items():
        for day in days:
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=key,
                    partition=day_partition(context, day),
                    metadata=dict(per_day[day]),
                )
            )


def read_figures(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    figures: Mapping[dg.AssetKey, Figures],
) -> dict[dg.AssetKey, dict[dt.date, Metadata]]:
    """Each day's figures, for :func:`day_results`, read once the window is written, on the
    connection that wrote it (a connection of its own cost ~25 ms CPU an asset: DuckDB opens
    the file and closes it again)."""
    days = partition_days(context)
    return {key: {day: read(con, day) for day in days} for key, read in figures.items()}


def materialize_snapshot(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    table: str,
    statement: str,
    key_column: str = "as_of",
    prepare: Prepare | None = None,
    parameters: Callable[[dt.date], dict] | None = None,
) -> dict[dt.date, int]:
    """For each day of the window: ``BEGIN; DELETE day; INSERT sql/<statement>; COMMIT``.
    Returns each day's row count. The SQL gets the day as ``$as_of`` or ``$partition_date``
    (after ``key_column``), or ``parameters(day)``."""
    parameter = "as_of" if key_column == "as_of" else "partition_date"
    return every_day(
        context,
        con,
        lambda con, day: replace_partition(
            con,
            table,
            key_column,
            day,
            statement,
            parameters(day) if parameters else {parameter: day},
        ),
        prepare,
    )


def markdown_preview(con: duckdb.DuckDBPyConnection, query: str, params: dict) -> dg.MetadataValue:
    frame = con.execute(query, params).df()
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "_no rows_")


DayFigures = Callable[[duckdb.DuckDBPyConnection, dt.date, int], Metadata]
"""A table's figures of one day, from the connection that wrote it and the day's row count."""


def snapshot_run(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    key: dg.AssetKey,
    table: str,
    statement: str,
    figures: DayFigures,
    **write: Any,
) -> Iterator[dg.MaterializeResult]:
    """A snapshot table's run: each day of the window written (:func:`materialize_snapshot`,
    ``write`` passed on), its figures read on the same connection, and each day's own
    results (:func:`day_results`)."""
    with warehouse.connect() as con:
        rows = materialize_snapshot(context, con, table, statement, **write)
        by_key = read_figures(context, con, {key: lambda con, day: figures(con, day, rows[day])})
    yield from day_results(context, by_key)
