"""The one partitioning of the pipeline: a day in Asia/Tokyo, the day files arrived."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from recon_pipeline.settings import first_day_from_environment

TIMEZONE = "Asia/Tokyo"
FIRST_DAY = first_day_from_environment().isoformat()
"""``RECON_FIRST_DAY``: the first day of data; the partitions start there."""

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=FIRST_DAY, timezone=TIMEZONE, end_offset=1
)
STAGES = ("ingest", "staging", "reconcile", "marts", "exports")
"""The stages in data-flow order."""


def stage_group(stage: str) -> str:
    """The asset group of a stage, numbered so that the UI (which sorts groups by name) lists
    them in flow order: ``1_ingest`` … ``5_exports``."""
    return f"{STAGES.index(stage) + 1}_{stage}"


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


def today() -> dt.date:
    """Today in Asia/Tokyo: the last day a run may process (the partitions end there)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()
