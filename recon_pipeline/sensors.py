"""Sensors and the schedule: what starts a day's run without anybody typing ``recon run``.

A sensor per inbound source (``new_card_files`` …) lists the last few days' folders of the
configured source (local, S3 or SFTP, through the ``source`` resource) and requests the
day's partition when a file is new or changed. Its cursor remembers ``name → version`` (S3
etag, or mtime and size) per day; the ``run_key`` is built from the new files' keys and
versions, so the same delivery never starts two runs, while a corrected file does. The
schedule reconciles the previous Tokyo day at 06:00, whatever the sensors did: a day whose
files all came early is still closed, and a re-run of it changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

import dagster as dg

from recon_pipeline.partitions import TIMEZONE
from recon_pipeline.resources.sources import InboundSource

LOOKBACK_DAYS = 3
SENSOR_INTERVAL_SECONDS = 300
SCHEDULE_CRON = "0 6 * * *"


def sensor_name(source: str) -> str:
    return f"new_{source}_files"


def _today_in_tokyo() -> dt.date:
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


def new_file_requests(
    source: InboundSource, source_name: str, cursor: str | None, today: dt.date
) -> tuple[list[dg.RunRequest], str]:
    """The run requests for files not seen before, and the cursor to store."""
    seen: dict[str, dict[str, str]] = json.loads(cursor) if cursor else {}
    days = [today - dt.timedelta(days=back) for back in range(LOOKBACK_DAYS - 1, -1, -1)]
    requests, kept = [], {}
    for day in days:
        known = seen.get(day.isoformat(), {})
        current = {remote.name: remote.version for remote in source.files(source_name, day)}
        changed = sorted(
            f"{source_name}/{day.isoformat()}/{name}@{version}"
            for name, version in current.items()
            if known.get(name) != version
        )
        if changed:
            digest = hashlib.sha256("\n".join(changed).encode()).hexdigest()[:16]
            requests.append(
                dg.RunRequest(
                    run_key=f"{source_name}:{day.isoformat()}:{digest}",
                    partition_key=day.isoformat(),
                    tags={"recon/trigger": sensor_name(source_name), "recon/files": len(changed)},
                )
            )
        if current:
            kept[day.isoformat()] = current
    return requests, json.dumps(kept, sort_keys=True)


def build_file_sensor(
    source_name: str, job: dg.UnresolvedAssetJobDefinition
) -> dg.SensorDefinition:
    @dg.sensor(
        name=sensor_name(source_name),
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Requests the day's run when a new or changed `{source_name}` file "
        f"appears in the last {LOOKBACK_DAYS} days' folders of the configured source.",
    )
    def file_sensor(context: dg.SensorEvaluationContext, source: InboundSource):
        requests, cursor = new_file_requests(source, source_name, context.cursor, _today_in_tokyo())
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return file_sensor


def build_daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_reconciliation_schedule",
        job=job,
        cron_schedule=SCHEDULE_CRON,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="06:00 Asia/Tokyo: reconcile the previous day.",
    )
    def daily_schedule(context: dg.ScheduleEvaluationContext):
        scheduled = context.scheduled_execution_time.astimezone(ZoneInfo(TIMEZONE))
        day = (scheduled - dt.timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=f"schedule:{day}", partition_key=day)

    return daily_schedule
