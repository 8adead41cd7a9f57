"""The new-file sensors and the daily schedule, evaluated as the Dagster daemon would: a new
file requests its day's partition once, an unchanged folder requests nothing, a corrected
file requests the day again; the schedule at 06:00 Tokyo asks for the previous day."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import dagster as dg

from recon_pipeline.definitions import build_definitions
from recon_pipeline.partitions import TIMEZONE
from recon_pipeline.resources.sources import LocalSource
from tests import landing as lz


def evaluate(definitions: dg.Definitions, name: str, source: LocalSource, cursor: str | None):
    sensor = definitions.get_sensor_def(name)
    with dg.build_sensor_context(
        cursor=cursor, resources={"source": source}, definitions=definitions
    ) as context:
        return sensor.evaluate_tick(context)


def test_a_sensor_per_source_and_a_schedule_are_defined(settings):
    definitions = build_definitions(settings)
    sensors = {sensor.name for sensor in definitions.sensors}
    assert sensors == {
        f"new_{source}_files"
        for source in (
            "amazon",
            "bank",
            "bnpl",
            "card",
            "cod",
            "dispositions",
            "payer_aliases",
            "konbini",
            "shipments",
        )
    }
    (schedule,) = definitions.schedules
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == TIMEZONE


def test_a_new_file_requests_its_day_once_and_a_changed_file_again(settings, landing):
    definitions = build_definitions(settings)
    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    source = LocalSource(root=str(landing), landed_dir=str(settings.landed_dir))

    empty = evaluate(definitions, "new_card_files", source, None)
    assert empty.run_requests == []

    path = lz.card(landing, today.isoformat(), [lz.charge("txn_1", "ORD-0000001", 1000)])
    first = evaluate(definitions, "new_card_files", source, empty.cursor)
    (request,) = first.run_requests
    assert request.partition_key == today.isoformat()
    assert request.run_key.startswith(f"card:{today.isoformat()}:")

    again = evaluate(definitions, "new_card_files", source, first.cursor)
    assert again.run_requests == []
    other = evaluate(definitions, "new_shipments_files", source, None)
    assert other.run_requests == []

    lz.card(landing, today.isoformat(), [lz.charge("txn_2", "ORD-0000002", 2000)], name=path.name)
    os.utime(path, ns=(1, 1))
    changed = evaluate(definitions, "new_card_files", source, again.cursor)
    (second,) = changed.run_requests
    assert second.partition_key == today.isoformat() and second.run_key != request.run_key


def test_the_schedule_reconciles_the_previous_tokyo_day(settings):
    definitions = build_definitions(settings)
    (schedule,) = definitions.schedules
    at = dt.datetime(2026, 10, 2, 6, 0, tzinfo=ZoneInfo(TIMEZONE))
    with dg.build_schedule_context(
        scheduled_execution_time=at, repository_def=definitions.get_repository_def()
    ) as context:
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-10-01"
    assert request.run_key == "schedule:2026-10-01"
