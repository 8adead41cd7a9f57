"""The one partitioning of the pipeline: a day in Asia/Tokyo, the day files arrived."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import dagster as dg

from recon_pipeline.settings import first_day_from_environment

TIMEZONE = "Asia/Tokyo"
FIRST_DAY = first_day_from_environment().isoformat()
"""``RECON_FIRST_DAY``: the first day of data; the partitions start there."""

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=FIRST_DAY, timezone=TIMEZONE, end_offset=1
)
SHOPS = dg.DynamicPartitionsDefinition(name="shops")
"""The shops of a deployment, as data: ``recon shops add`` adds one (recon_pipeline/shops.py)."""
shop_day_partitions = dg.MultiPartitionsDefinition({"day": daily_partitions, "shop": SHOPS})
"""With shops configured, every asset is partitioned by shop × day; a run is one shop's days."""
STAGES = ("ingest", "staging", "reconcile", "marts", "exports")
"""The stages in data-flow order."""


def stage_group(stage: str) -> str:
    """The asset group of a stage, numbered so that the UI (which sorts groups by name) lists
    them in flow order: ``1_ingest`` … ``5_exports``."""
    return f"{STAGES.index(stage) + 1}_{stage}"


_TABLES: dict[dg.AssetKey, str] = {}
"""Each key's warehouse table (``schema.table``), as :func:`table_key` made it: read only by
:func:`table_metadata` on the same key, right after. Who writes a table is asked of the built
assets (:func:`asset_of_table`), so no answer depends on which modules were imported."""


def table_key(stage: str, table: str, name: str | None = None) -> dg.AssetKey:
    """The key of the asset of ``stage`` that writes ``table`` (``schema.table``).

    The key's prefix is the stage's group (``3_reconcile/matches`` writes ``marts.matches``),
    so the UI's key folders and groups agree and both read in flow order; where the rows are
    is the asset's ``dagster/table_name`` (:func:`table_metadata`)."""
    key = dg.AssetKey([stage_group(stage), name or table.split(".")[1]])
    _TABLES[key] = table
    return key


def asset_of_table(table: str, assets: Iterable[dg.AssetsDefinition]) -> dg.AssetKey:
    """The asset among ``assets`` that writes ``table`` (``schema.table``, its
    ``dagster/table_name``): a dataset suite names its table, not its asset."""
    keys = [
        key
        for asset in assets
        for key, spec_metadata in asset.metadata_by_key.items()
        if spec_metadata.get("dagster/table_name") == table
    ]
    if len(keys) != 1:
        raise KeyError(f"no asset writes {table!r}" if not keys else f"{table!r}: {keys}")
    return keys[0]


def table_metadata(key: dg.AssetKey) -> dict[str, str]:
    """The definition metadata naming the asset's warehouse table (the UI shows it)."""
    return {"dagster/table_name": _TABLES[key]} if key in _TABLES else {}


SINGLE_RUN = dg.BackfillPolicy.single_run()
"""Every asset walks the days of its partition window in order, so a backfill of a range is
one run (one Dagster start-up, each step once) and gives the tables the days give one by
one."""


def partition_days(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[dt.date]:
    """The days of the run's partition window, in order (one, or many in a ranged backfill)."""
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + dt.timedelta(days=offset) for offset in range((end - first).days)]


def partition_shop(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> str | None:
    """The run's shop (the ``shop`` dimension of its partitions), None without shops."""
    keys = context.partition_keys
    if not keys or "|" not in keys[0]:
        return None
    shops = {str(key).split("|")[1] for key in keys}  # "<day>|<shop>": dimensions by name
    if len(shops) != 1:
        raise ValueError(f"a run is one shop's days, not {len(shops)} shops: {sorted(shops)}")
    return shops.pop()


def day_partition(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, day: dt.date
) -> str:
    """The partition key of ``day`` in the run's partitioning: the day, or the day of the
    run's shop (for each day's own materialization or check result in a ranged run)."""
    shop = partition_shop(context)
    if shop is None:
        return day.isoformat()
    return dg.MultiPartitionKey({"day": day.isoformat(), "shop": shop})


def today() -> dt.date:
    """Today in Asia/Tokyo: the last day a run may process (the partitions end there)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()
