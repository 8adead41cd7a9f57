"""Dataset expectations: Great Expectations 1.x suites, as data, run as asset checks.

Each ``data_contracts/datasets/<suite>.yaml`` names a staged table, GX expectations with
their arguments, whether a failure blocks (ERROR, stops the exports) or only warns, and an
optional row-count sanity bound against the trailing partitions. GX is called directly
(``dagster-ge`` supports GX < 1 only) with one ephemeral context per process.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
    asset: tuple[str, ...]
    blocking: bool
    description: str
    expectations: tuple[tuple[str, dict[str, Any]], ...]
    row_count: dict[str, int] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """The columns the expectations name: GX on pandas costs per column handed to it
        (a 1M-row day of every column took 18 s, of these four 7 s). ``partition_date``
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
                asset=tuple(spec["asset"]),
                blocking=bool(spec.get("blocking", False)),
                description=spec.get("description", ""),
                expectations=expectations,
                row_count=dict(spec.get("row_count") or {}),
            )
        )
    return tuple(suites)


@cache
def _batch_definition(table: str):
    """One ephemeral GX context per process; one dataframe asset per table."""
    context = _context()
    source = context.data_sources.add_pandas(name=f"warehouse_{table}")
    return source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe("day")


@cache
def _context():
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every value of a pandas batch below this many bytes (a shallow
    # memory_usage, so nearly every batch) for a batch marker nothing here reads: it was
    # two thirds of a 1M-row suite's time. 0 turns the fingerprint off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context


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

    The suite's expectations run once over all the days' rows: GX's cost is mostly per
    call (about 0.1 s of building its metric graph, whatever the rows), so a backfill of a
    month pays it once, not 31 times. The expectations are row and value rules, and ids are
    unique across days by contract, so one batch says what the days one by one would. The
    row-count bound is a property of each day, so it runs per day, alone."""
    import great_expectations as gx

    batch_definition = _batch_definition(suite.table)
    listed = ", ".join(quote(column) for column in sorted({*suite.columns(), "partition_date"}))
    # a relation's Arrow result, not a DB-API result's: DuckDB 2.0 copies the rows once more
    # for the latter (10M orders backlog, 11M lines: 1.1 -> 0.5 s, peak 1.67 -> 0.91 GiB)
    frame = _frame(
        con.sql(
            f"SELECT {listed} FROM {suite.table} WHERE list_contains($days, partition_date)",
            params={"days": days},
        ).to_arrow_table()
    )
    gx_suite = gx.ExpectationSuite(name=f"{suite.name}_{days[0]}_{len(days)}")
    for kind, kwargs in suite.expectations:
        gx_suite.add_expectation(getattr(gx.expectations, _camel(kind))(**kwargs))
    label = str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"
    failed = _failures(batch_definition, gx_suite, frame, label)
    for day in days:
        if bounds := _row_count_bounds(con, suite, day):
            volume = gx.ExpectationSuite(name=f"{suite.name}_{day}_rows")
            volume.add_expectation(
                gx.expectations.ExpectTableRowCountToBeBetween(
                    min_value=bounds[0], max_value=bounds[1]
                )
            )
            on_day = frame.loc[frame["partition_date"] == pd.Timestamp(day), ["partition_date"]]
            failed += _failures(batch_definition, volume, on_day, str(day))
    return failed


SAMPLE = 10_000
"""Rows looked at to tell a code column (a type, a method) from an id column."""


def _frame(table: pa.Table) -> pd.DataFrame:
    """The rows as the pandas frame GX validates, without a Python object per value: text
    columns with few distinct values (codes) as ``category``, other text as Arrow strings,
    dates as ``datetime64``. (DuckDB's ``.df()`` made a Python string of every id, a third
    of a suite's time at 1M rows, and most of its memory.)"""
    columns = {}
    for name in table.column_names:
        values = table[name]
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            if len(pc.unique(values.slice(0, SAMPLE))) <= SAMPLE // 100:
                columns[name] = pd.Series(pc.dictionary_encode(values).to_pandas())
            else:
                columns[name] = pd.Series(pd.arrays.ArrowStringArray(pc.cast(values, pa.string())))
        else:
            columns[name] = values.to_pandas(date_as_object=False)
    return pd.DataFrame(columns)


def _failures(batch_definition, gx_suite, frame: pd.DataFrame, day: str) -> list[dict]:
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(gx_suite)
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
