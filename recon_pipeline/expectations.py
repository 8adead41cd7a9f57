"""Dataset expectations: Great Expectations 1.x suites, as data, run as asset checks.

Each ``data_contracts/datasets/<suite>.yaml`` names a staged table, GX expectations with
their arguments, whether a failure blocks (ERROR, stops the exports) or only warns, and an
optional row-count sanity bound against the trailing partitions. GX is called directly
(``dagster-ge`` supports GX < 1 only) with one ephemeral context per process, and runs each
suite through its SQL engine in DuckDB (``recon_pipeline.gx_duckdb``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from recon_pipeline.packaged import packaged_dir
from recon_pipeline.resources.warehouse import quote

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


COLUMN_ARGUMENTS = ("column", "column_list", "column_A", "column_B")
"""The keyword arguments by which a GX expectation names its columns."""


@dataclass(frozen=True, eq=False)
class Suite:
    name: str
    table: str
    """The warehouse table checked; the check is on the asset that writes it."""
    blocking: bool
    description: str
    expectations: tuple[tuple[str, dict[str, Any]], ...]
    row_count: dict[str, int] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """The columns the expectations name, the only ones the batch's query selects (GX
        reflects the batch's columns and types before it runs a metric). ``partition_date``
        when none is named, so a row count still has rows to count."""
        named = set()
        for _, kwargs in self.expectations:
            for argument in COLUMN_ARGUMENTS:
                value = kwargs.get(argument)
                named.update([value] if isinstance(value, str) else value or [])
        return sorted(named) or ["partition_date"]


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def load_suites(directory: Path | None = None) -> tuple[Suite, ...]:
    directory = directory or packaged_dir("data_contracts") / "datasets"
    suites = []
    for path in sorted(directory.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        expectations = tuple(
            (kind, dict(kwargs or {}))
            for item in spec["expectations"]
            for kind, kwargs in item.items()
        )
        suites.append(
            Suite(
                name=path.stem,
                table=spec["table"],
                blocking=bool(spec.get("blocking", False)),
                description=spec.get("description", ""),
                expectations=expectations,
                row_count=dict(spec.get("row_count") or {}),
            )
        )
    return tuple(suites)


@cache
def _datasource():
    """One ephemeral GX context per process and one SQL datasource on the warehouse: every
    suite runs as SQL in DuckDB (``recon_pipeline.gx_duckdb``), no rows go to pandas."""
    import great_expectations as gx

    from recon_pipeline import gx_duckdb

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context.data_sources.add_duckdb_warehouse(
        name="warehouse", connection_string="duckdb://", kwargs=gx_duckdb.ENGINE_KWARGS
    )


def _days_sql(days: list[dt.date]) -> str:
    """The days as DATE literals (``date.isoformat``: digits and hyphens only)."""
    return ", ".join(f"DATE '{day.isoformat()}'" for day in days)


def _row_count_bounds(con, suite: Suite, day: dt.date) -> tuple[int, int] | None:
    if not suite.row_count:
        return None
    trailing = con.execute(
        f"SELECT count(*) AS n FROM {suite.table} WHERE partition_date < $day "
        "AND partition_date >= $day - CAST($days AS INTEGER) GROUP BY partition_date",
        {"day": day, "days": suite.row_count.get("trailing_partitions", 7)},
    ).fetchall()
    if not trailing:
        return None
    average = sum(n for (n,) in trailing) / len(trailing)
    ratio = suite.row_count.get("max_ratio", 10)
    return 0, int(max(average * ratio, suite.row_count.get("min_rows", 0)))


def validate_days(con: duckdb.DuckDBPyConnection, suite: Suite, days: list[dt.date]) -> list[dict]:
    """Failed expectations of the days' rows (empty: the suite passed).

    GX runs the suite as SQL on ``con``'s database (a query asset over the days' rows of
    the suite's table): uniqueness, sets and ranges are aggregates in DuckDB, and no column
    is read into Python. The expectations run once over all the days' rows: GX's cost is
    mostly per call (building its metric graph), so a backfill of a month pays it once, not
    31 times. The expectations are row and value rules, and ids are unique across days by
    contract, so one batch says what the days one by one would. The row-count bound is a
    property of each day, so it runs per day, alone."""
    import great_expectations as gx

    from recon_pipeline.gx_duckdb import bound

    with bound(con):  # GX tries the connection as the datasource is added
        source = _datasource()  # and a suite needs GX's context: made first
    listed = ", ".join(quote(column) for column in suite.columns())
    gx_suite = gx.ExpectationSuite(name=f"{suite.name}_{days[0]}_{len(days)}")
    for kind, kwargs in suite.expectations:
        gx_suite.add_expectation(getattr(gx.expectations, _camel(kind))(**kwargs))
    label = str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"
    with bound(con):
        failed = _failures(
            f"SELECT {listed} FROM {suite.table} WHERE partition_date IN ({_days_sql(days)})",
            gx_suite,
            label,
            source,
        )
        for day in days:
            if bounds := _row_count_bounds(con, suite, day):
                volume = gx.ExpectationSuite(name=f"{suite.name}_{day}_rows")
                volume.add_expectation(
                    gx.expectations.ExpectTableRowCountToBeBetween(
                        min_value=bounds[0], max_value=bounds[1]
                    )
                )
                failed += _failures(
                    f"SELECT partition_date FROM {suite.table} "
                    f"WHERE partition_date = {_days_sql([day])}",
                    volume,
                    str(day),
                    source,
                )
    return failed


_ASSETS = itertools.count()


def _failures(query: str, gx_suite, day: str, source) -> list[dict]:
    """The suite's failed expectations on the rows of ``query`` (a GX query asset of
    ``source``, added for the call and removed after it)."""
    name = f"batch_{next(_ASSETS)}"
    asset = source.add_query_asset(name=name, query=query)
    try:
        batch = asset.add_batch_definition_whole_table("rows").get_batch()
        result = batch.validate(gx_suite)
    finally:
        source.delete_asset(name)
    failed = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        details = outcome.result or {}
        failed.append(
            {
                "day": day,
                "expectation": config.type,
                "column": config.kwargs.get("column")
                or ",".join(config.kwargs.get("column_list", [])),
                "observed": details.get("observed_value"),
                "unexpected_count": details.get("unexpected_count"),
                "examples": ", ".join(map(str, (details.get("partial_unexpected_list") or [])[:5])),
            }
        )
    return failed
