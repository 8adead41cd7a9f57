"""Row-level contract validation, run in DuckDB.

A batch of a layout's records (text columns, ``file_no``, ``line_no``) is one Arrow table;
the contract's checks, its typing and its row checks are one SQL statement over it
(``recon_pipeline.contracts.sql``), uniqueness within a file one window. Only failing rows
come back to Python, to word their reasons; the typed rows stay Arrow columns, which the
loader inserts into ``raw.<family>``. Nothing is coerced silently: an integer is
``-?[0-9]+`` and nothing else. Contract patterns are RE2 syntax (DuckDB's regexes).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cache

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon_pipeline.contracts import sql
from recon_pipeline.contracts.checks import INTEGER, konbini_barcode_reason
from recon_pipeline.contracts.model import Contract
from recon_pipeline.contracts.sql import MAX_INTEGER_DIGITS, REIWA, ident
from recon_pipeline.settings import default_memory_limit

__all__ = ["MAX_INTEGER_DIGITS", "REIWA", "Validated", "parse_dates", "shown", "validate"]


@dataclass(frozen=True)
class Validated:
    table: pa.Table
    """Typed rows that passed: ``file_no``, ``line_no``, the canonical columns and
    ``unique_key`` (the contract's unique columns joined by ``|``)."""
    rejected: pd.DataFrame
    """``file_no``, ``line_no``, ``reason`` and ``key_text`` (the contract's payment key
    column as written, missing where it has none) of every row that failed."""

    @property
    def rows(self) -> pd.DataFrame:
        """The typed rows as pandas (integers ``Int64``, text Arrow strings), for tests;
        ``unique_key`` is the loader's."""
        return self.table.drop_columns(["unique_key"]).to_pandas(
            types_mapper={pa.int64(): pd.Int64Dtype(), pa.string(): pd.StringDtype("pyarrow")}.get,
            date_as_object=False,
        )


SHOWN_CHARACTERS = 60
"""How much of a bad value a reason quotes: enough to recognise it, never a whole hostile field."""


def shown(value: object) -> str:
    """``repr`` of a value for a reason, cut to ``SHOWN_CHARACTERS`` (its length said)."""
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[:SHOWN_CHARACTERS]}… ({len(str(value))} characters)"


NOT_AN_INTEGER = "is not an integer (digits only)"
TOO_MANY_DIGITS = f"has more than {MAX_INTEGER_DIGITS} digits"

_local = threading.local()


def _database() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB per thread: validation reads no warehouse table. It keeps
    the warehouse's memory limit (``RECON_DUCKDB_MEMORY_LIMIT``), not DuckDB's 80 %."""
    con = getattr(_local, "con", None)
    if con is None:
        limit = os.environ.get("RECON_DUCKDB_MEMORY_LIMIT") or default_memory_limit()
        con = _local.con = duckdb.connect(":memory:", config={"memory_limit": limit})
        sql.register_functions(con)
    return con


@cache
def _plan(contract: Contract) -> sql.Plan:
    return sql.plan(contract)


def _arrow(contract: Contract, frame: pd.DataFrame | pa.Table) -> pa.Table:
    """The batch as an Arrow table of strings plus ``file_no`` and ``line_no``."""
    if isinstance(frame, pa.Table):
        table = frame
    else:
        columns = {
            name: pa.array(frame[name].astype(object).where(frame[name].notna(), None), pa.string())
            for name in contract.canonical_columns
        }
        columns["line_no"] = pa.array(frame["line_no"].to_numpy(dtype="int64"))
        if "file_no" in frame.columns:
            columns["file_no"] = pa.array(frame["file_no"].to_numpy(dtype="int64"))
        table = pa.table(columns)
    if "file_no" not in table.column_names:
        table = table.append_column("file_no", pa.array([0] * table.num_rows, pa.int64()))
    return table


def _output(column) -> str:
    """A column's value in ``raw.<family>``."""
    if column.type in ("integer", "date", "timestamp"):
        return ident("t_" + column.canonical)
    value = ident("s_" + column.canonical)
    if column.values:
        cases = " ".join(
            f"WHEN {sql.literal(k)} THEN {sql.literal(v)}" for k, v in column.values.items()
        )
        return f"CASE {value} {cases} END"
    return value


def _unique_key(contract: Contract) -> str:
    if not contract.unique:
        return "CAST(NULL AS VARCHAR)"
    by_name = {c.canonical: c for c in contract.columns}
    parts = []
    for name in contract.unique:
        column = by_name[name]
        value = _output(column)
        if column.type == "timestamp":
            value = f"CAST({value} AS DATE)"
        parts.append(f"coalesce(CAST({value} AS VARCHAR), '<NA>')")
    return " || '|' || ".join(parts)


def _reasons(contract: Contract, plan: sql.Plan, row: dict) -> list[str]:
    """The reasons of one failing row, in the contract's order: columns required by others,
    then each column's checks, integers and their bounds, then the row checks."""
    reasons: list[str] = []

    def add(text: str) -> None:
        if text not in reasons:
            reasons.append(text)

    for flag in plan.flags:
        if not row[flag.name]:
            continue
        column = flag.column
        if column is None:
            add(flag.words)
            continue
        raw = row["s_" + column.canonical]
        if flag.kind == "missing":
            add(f"{column.name}: required value is missing")
        elif flag.kind == "integer":
            if not INTEGER.fullmatch(raw):
                add(f"{column.name}: {shown(raw)} {NOT_AN_INTEGER}")
            if len(raw.removeprefix("-")) > MAX_INTEGER_DIGITS:
                add(f"{column.name}: {shown(raw)} {TOO_MANY_DIGITS}")
        elif flag.kind == "below":
            add(f"{column.name}: {shown(raw)} is below the minimum {column.min}")
        elif flag.kind == "above":
            add(f"{column.name}: {shown(raw)} is above the maximum {column.max}")
        else:
            add(f"{column.name}: {shown(raw)} {flag.words}")
    for name, row_check in plan.row_flags:
        if not row[name]:
            continue
        if row_check.check == "konbini_barcode":
            args = row_check.args
            add(
                konbini_barcode_reason(
                    row["s_" + args["barcode"]],
                    row["s_" + args["amount"]],
                    row["s_" + args["user_field_1"]] or pd.NA,
                    row["s_" + args["user_field_2"]] or pd.NA,
                )
            )
        else:
            add(row_check.reason)
    return reasons


def validate(contract: Contract, frame: pd.DataFrame | pa.Table) -> Validated:
    """Split ``frame`` (one text column per canonical name, ``line_no``, optionally
    ``file_no``) by the contract, in DuckDB.

    ``frame`` may hold several files of the layout at once, told apart by ``file_no``: one
    statement per layout and day instead of one per file. Uniqueness is checked within each
    file: a later row with the key of an earlier passing row is rejected as its repeat."""
    plan = _plan(contract)
    names = [f.name for f in plan.flags] + [name for name, _ in plan.row_flags]
    texts = ["s_" + c.canonical for c in contract.columns]
    detail = ", ".join(f"{ident(n)} := {ident(n)}" for n in [*texts, *names])
    outputs = ", ".join(f"{_output(c)} AS {ident('o_' + c.canonical)}" for c in contract.columns)
    keys = ["s_" + name for name in contract.unique]
    con = _database().cursor()
    try:
        con.register("input", _arrow(contract, frame))
        # one pass: the typed rows, and for a failing row what its reasons need (NULL
        # elsewhere); the rows keep the batch's order (files, then lines)
        table = con.sql(
            f"SELECT file_no, line_no, {outputs}, {_unique_key(contract)} AS unique_key, "
            f"{''.join(ident(k) + ', ' for k in keys)}failed, "
            f"CASE WHEN failed THEN struct_pack({detail}) END AS detail FROM ({plan.checked})"
        ).to_arrow_table()
        failed = table["failed"]
        key = contract.payment_key
        rejected: list[tuple[int, int, str, str | None]] = []
        if pc.any(failed).as_py():
            failing = table.filter(failed).select(["file_no", "line_no", "detail"]).to_pylist()
            for item in failing:
                row = item["detail"]
                rejected.append(
                    (
                        item["file_no"],
                        item["line_no"],
                        "; ".join(_reasons(contract, plan, row)),
                        row["s_" + key.column] if key else None,
                    )
                )
            table = table.filter(pc.invert(failed))
        table = table.drop_columns(["failed", "detail"])
        repeats = _repeats(con, contract, table.select([*keys, "file_no", "line_no"]))
        for file_no, line_no, first_line, *values in repeats:
            shown_key = ", ".join(
                f"{name}={'<NA>' if value is None else value}"
                for name, value in zip(contract.unique, values, strict=True)
            )
            rejected.append(
                (
                    file_no,
                    line_no,
                    f"duplicate of line {first_line} in the same file ({shown_key})",
                    None,
                )
            )
        if repeats:
            gone = pa.table(
                {
                    "file_no": pa.array([r[0] for r in repeats], pa.int64()),
                    "line_no": pa.array([r[1] for r in repeats], pa.int64()),
                    "gone": pa.array([True] * len(repeats)),
                }
            )
            table = (
                table.join(gone, ["file_no", "line_no"], join_type="left outer")
                .filter(pc.is_null(pc.field("gone")))
                .sort_by([("file_no", "ascending"), ("line_no", "ascending")])
            )
        table = table.select(
            ["file_no", "line_no", *("o_" + c.canonical for c in contract.columns), "unique_key"]
        ).rename_columns(["file_no", "line_no", *contract.canonical_columns, "unique_key"])
    finally:
        con.close()
    rejected.sort(key=lambda item: (item[0], item[1]))
    return Validated(
        table=table,
        rejected=pd.DataFrame(
            {
                "file_no": pd.Series([r[0] for r in rejected], dtype="int64"),
                "line_no": pd.Series([r[1] for r in rejected], dtype="int64"),
                "reason": pd.Series([r[2] for r in rejected], dtype=object),
                "key_text": pd.Series([r[3] for r in rejected], dtype=object),
            }
        ),
    )


def _repeats(con, contract: Contract, keys: pa.Table) -> list[tuple]:
    """(file_no, line_no, first line, key texts…) of each passing row whose unique key an
    earlier passing row of its file has. A repeat is rare: a count of the distinct keys says
    whether there is one (a hash aggregate; a window numbering every row cost more than the
    checks), and only then are they looked up (missing values equal, as keys)."""
    if not contract.unique or not keys.num_rows:
        return []
    within = ["s_" + name for name in contract.unique] + ["file_no"]
    con.register("passed_keys", keys)
    quoted = [ident(k) for k in within]
    (distinct,) = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(quoted)} FROM passed_keys)"
    ).fetchone()
    if distinct == keys.num_rows:
        return []
    matches = " AND ".join(f"c.{k} IS NOT DISTINCT FROM d.{k}" for k in quoted)
    return con.execute(
        f"WITH d AS (SELECT {', '.join(quoted)}, min(line_no) AS first_line FROM passed_keys "
        f"GROUP BY ALL HAVING count(*) > 1) "
        f"SELECT c.file_no, c.line_no, d.first_line"
        f"{''.join(', c.' + ident('s_' + n) for n in contract.unique)} "
        f"FROM passed_keys AS c JOIN d ON {matches} WHERE c.line_no > d.first_line "
        "ORDER BY c.file_no, c.line_no"
    ).fetchall()


def parse_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Dates in ``fmt`` as the contracts read them (``reiwa-yymmdd``: the 和暦 of Zengin
    files, Reiwa year + 2018), missing where a text is not one."""
    from recon_pipeline.contracts.model import Column

    column = Column(name="d", canonical="d", type="date", format=fmt)
    expression = sql.typed(column, "d")
    con = _database().cursor()
    try:
        con.register(
            "texts",
            pa.table(
                {"d": pa.array(values.astype(object).where(values.notna(), None), pa.string())}
            ),
        )
        dates = con.sql(f"SELECT {expression} AS d FROM texts").to_arrow_table()
    finally:
        con.close()
    return pd.Series(dates["d"].to_pandas(date_as_object=False), index=values.index)
