"""Row-level contract validation, run in DuckDB.

A batch of a layout's records (text columns, ``file_no``, ``line_no``) is one Arrow table;
the contract's checks, its typing and its row checks are one SQL statement over it
(``recon_pipeline.contracts.sql``), uniqueness within a file one window. Only failing rows
come back to Python, to word their reasons; the typed rows stay Arrow columns, which the
loader inserts into ``raw.<family>``. Nothing is coerced silently: an integer is
``-?[0-9]+`` and nothing else. Contract patterns are RE2 syntax (DuckDB's regexes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import duckdb
import pandas as pd
import pyarrow as pa

from recon_pipeline.contracts import sql
from recon_pipeline.contracts.checks import INTEGER, konbini_barcode_reason
from recon_pipeline.contracts.model import Contract
from recon_pipeline.contracts.sql import MAX_INTEGER_DIGITS, REIWA, ident

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
    """A private in-memory DuckDB per thread: validation reads no warehouse table."""
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb.connect(":memory:")
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
    con = _database().cursor()
    try:
        con.register("input", _arrow(contract, frame))
        con.execute(f"CREATE TEMP TABLE checked AS {plan.checked}")
        names = [f.name for f in plan.flags] + [name for name, _ in plan.row_flags]
        texts = [ident("s_" + c.canonical) for c in contract.columns]
        cursor = con.execute(
            f"SELECT file_no, line_no, {', '.join(texts + names)} FROM checked "
            "WHERE failed ORDER BY file_no, line_no"
        )
        header = [d[0] for d in cursor.description]
        key = contract.payment_key
        rejected: list[tuple[int, int, str, str | None]] = []
        for values in cursor.fetchall():
            row = dict(zip(header, values, strict=True))
            reasons = _reasons(contract, plan, row)
            rejected.append(
                (
                    row["file_no"],
                    row["line_no"],
                    "; ".join(reasons),
                    row["s_" + key.column] if key else None,
                )
            )
        within = ", ".join([ident("s_" + name) for name in contract.unique] + ["file_no"])
        numbered = (
            "SELECT *, row_number() OVER w AS repeat_no, min(line_no) OVER w AS first_line "
            f"FROM checked WHERE NOT failed WINDOW w AS (PARTITION BY {within} ORDER BY line_no)"
            if contract.unique
            else "SELECT *, 1 AS repeat_no, line_no AS first_line FROM checked WHERE NOT failed"
        )
        con.execute(f"CREATE TEMP TABLE passed AS {numbered}")
        unique_texts = [ident("s_" + name) for name in contract.unique]
        for values in con.execute(
            f"SELECT file_no, line_no, first_line{''.join(', ' + t for t in unique_texts)} "
            "FROM passed WHERE repeat_no > 1 ORDER BY file_no, line_no"
        ).fetchall():
            file_no, line_no, first_line, *keys = values
            shown_key = ", ".join(
                f"{name}={'<NA>' if value is None else value}"
                for name, value in zip(contract.unique, keys, strict=True)
            )
            rejected.append(
                (
                    file_no,
                    line_no,
                    f"duplicate of line {first_line} in the same file ({shown_key})",
                    None,
                )
            )
        outputs = ", ".join(f"{_output(c)} AS {ident(c.canonical)}" for c in contract.columns)
        table = con.sql(
            f"SELECT file_no, line_no, {outputs}, {_unique_key(contract)} AS unique_key "
            "FROM passed WHERE repeat_no = 1 ORDER BY file_no, line_no"
        ).to_arrow_table()
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
