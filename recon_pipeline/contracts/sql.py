"""A contract's checks as DuckDB SQL: every column check, the typing (``TRY_CAST`` and
``TRY_STRPTIME``, so a failing cell yields NULL and a reason instead of an error) and every
row check run in one statement over a batch's text columns, which DuckDB scans where they
lie (an Arrow table), with the physical line number kept.

Only the rows that fail come back to Python, to word their reasons as a person reads them
(``validate.shown`` quotes the value); the passing rows stay Arrow columns from DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recon_pipeline.contracts.model import Column, Contract, RowCheck

ID_CONTROL = r"[\x00-\x1f\x7f]"
TEXT_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""NUL and the other C0 controls mean a broken or hostile file, never a payer's text, and would
travel into exports; a text field may keep tab and line breaks (an address typed on two
lines), an id none."""
BLANK = "^[ \u3000]+$"
INTEGER_SQL = "-?[0-9]+"
MAX_INTEGER_DIGITS = 18
"""BIGINT holds every 18-digit number; a longer one is not an amount this pipeline takes."""
REIWA = "reiwa-yymmdd"
REIWA_OFFSET = 2018
TOKYO = "Asia/Tokyo"
HAS_OFFSET = r"(?:[+-][0-9]{2}:?[0-9]{2}|Z)$"


def literal(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text(column: Column) -> str:
    """The column's text as validated: the prefix stripped, an empty field missing."""
    value = f"input.{ident(column.canonical)}"
    if column.strip_prefix:
        prefix = literal(column.strip_prefix)
        value = (
            f"CASE WHEN starts_with({value}, {prefix}) "
            f"THEN substr({value}, {len(column.strip_prefix) + 1}) ELSE {value} END"
        )
    return f"nullif({value}, '')"


def typed(column: Column, value: str) -> str | None:
    """The typed value of a column's text (NULL where it is not one), or None for text."""
    if column.type == "integer":
        return (
            f"CASE WHEN regexp_full_match({value}, '{INTEGER_SQL}') AND "
            f"length({value}) - CAST(starts_with({value}, '-') AS INTEGER) <= "
            f"{MAX_INTEGER_DIGITS} THEN CAST({value} AS BIGINT) END"
        )
    if column.type == "date" and column.format == REIWA:
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{6}}') THEN CAST(try_strptime("
            f"CAST(CAST(substr({value}, 1, 2) AS INTEGER) + {REIWA_OFFSET} AS VARCHAR) "
            f"|| substr({value}, 3), '%Y%m%d') AS DATE) END"
        )
    if column.type == "date":
        return f"CAST(try_strptime({value}, {literal(column.format or '')}) AS DATE)"
    if column.type == "timestamp":
        return (
            f"CASE WHEN regexp_matches({value}, {literal(HAS_OFFSET)}) THEN "
            f"timezone('{TOKYO}', TRY_CAST({value} AS TIMESTAMPTZ)) END"
        )
    return None


@dataclass(frozen=True)
class Flag:
    """One check of the contract: ``fails`` is true on a row that breaks it; ``column`` the
    column whose value a reason quotes (None: the reason is ``words`` alone)."""

    name: str
    fails: str
    column: Column | None
    words: str
    kind: str = "check"


def _column_flags(column: Column, value: str, number: int) -> list[Flag]:
    """The checks of one column in the order a reason lists them."""
    flags: list[Flag] = []

    def add(fails: str, words: str, kind: str = "check") -> None:
        flags.append(Flag(f"f{number}_{len(flags)}", fails, column, words, kind))

    if column.required:
        add(f"{value} IS NULL", "required value is missing", "missing")
    if column.type == "date":
        add(
            f"{value} IS NOT NULL AND {ident('t_' + column.canonical)} IS NULL",
            f"is not a date in the form {column.format}",
        )
    elif column.type == "timestamp":
        add(
            f"{value} IS NOT NULL AND {ident('t_' + column.canonical)} IS NULL",
            "is not an ISO 8601 timestamp with a UTC offset",
        )
    if column.allowed:
        listed = ", ".join(literal(v) for v in column.allowed)
        add(f"{value} NOT IN ({listed})", f"is not one of {', '.join(column.allowed)}")
    if column.pattern:
        pattern = column.pattern if column.pattern.startswith("^") else f"^{column.pattern}"
        add(f"NOT regexp_matches({value}, {literal(pattern)})", f"does not match {column.pattern}")
    if column.length_limit:
        add(
            f"length({value}) > {column.length_limit}",
            f"is longer than {column.length_limit} characters",
        )
    if column.type == "id":
        add(
            f"regexp_matches({value}, {literal(ID_CONTROL)})",
            "contains a control character (ids may hold none)",
        )
        add(f"regexp_matches({value}, {literal(BLANK)})", "is blank (spaces only)")
    elif column.type == "text":
        add(
            f"regexp_matches({value}, {literal(TEXT_CONTROL)})",
            "contains a control character (NUL or another C0 code but tab/CR/LF)",
        )
    return flags


def _integer_flags(column: Column, value: str, number: int) -> list[Flag]:
    """An integer column's text that is no integer (the reason tells which way), then its
    bounds on the integer."""
    flags = [
        Flag(
            f"i{number}",
            f"{value} IS NOT NULL AND {ident('t_' + column.canonical)} IS NULL",
            column,
            "",
            "integer",
        )
    ]
    integer = ident("t_" + column.canonical)
    if column.min is not None:
        flags.append(Flag(f"i{number}_min", f"{integer} < {column.min}", column, "", "below"))
    if column.max is not None:
        flags.append(Flag(f"i{number}_max", f"{integer} > {column.max}", column, "", "above"))
    return flags


def expression_sql(expression: str) -> str:
    """A row check's ``expression`` as SQL. Contracts write SQL (``net = gross - fee``); the
    pandas spellings of earlier contracts (``==``, a list in ``[...]``) read the same."""
    sql = expression.replace("==", "=")
    return re.sub(r"\[([^\]]*)\]", r"(\1)", sql)


def _row_check_sql(row_check: RowCheck) -> str:
    """True where the row passes (a missing operand passes: its own column check says why)."""
    args = row_check.args
    if row_check.check == "expression":
        return f"coalesce(({expression_sql(args['expression'])}), true)"
    if row_check.check == "pattern_for":
        column, when = ident(args["column"]), ident(args["when_column"])
        values = ", ".join(literal(v) for v in args["when_values"])
        return (
            f"NOT (coalesce({when} IN ({values}), false) AND {column} IS NOT NULL) "
            f"OR coalesce(regexp_full_match({column}, {literal(args['pattern'])}), false)"
        )
    if row_check.check == "time_of_day":
        column = ident(args["column"])
        padded = f"CASE WHEN length({column}) < 4 THEN lpad({column}, 4, '0') ELSE {column} END"
        hours, minutes = f"substr({padded}, 1, 2)", f"substr({padded}, 3)"

        def number(part: str) -> str:
            return (
                f"CASE WHEN regexp_full_match({part}, '[0-9]{{1,18}}') "
                f"THEN CAST({part} AS BIGINT) END"
            )

        return f"coalesce({number(hours)} < 24 AND {number(minutes)} < 60, true)"
    if row_check.check == "konbini_barcode":
        return _konbini_sql(args)
    raise ValueError(f"row check {row_check.check!r} has no SQL")


def _konbini_sql(args: dict) -> str:
    """``konbini.check_column`` as SQL: 44 digits after AI 91, the modulus-10 check digit
    (``konbini_check_digit_ok``, registered by :func:`register_functions`), a due date or
    999999, and 金額 and the user fields as the barcode says (where given)."""
    raw = ident(args["barcode"])
    digits = f"(CASE WHEN starts_with({raw}, 'EAN') THEN substr({raw}, 4) ELSE {raw} END)"
    due = f"substr({digits}, 31, 6)"
    valid = (
        f"(regexp_full_match({digits}, '[0-9]{{44}}') AND starts_with({digits}, '91') "
        f"AND konbini_check_digit_ok({digits}) "
        f"AND ({due} = '999999' OR try_strptime({due}, '%y%m%d') IS NOT NULL))"
    )
    amount, field_1, field_2 = (ident(args[k]) for k in ("amount", "user_field_1", "user_field_2"))
    agrees = (
        f"({amount} IS NULL OR {amount} = CAST(substr({digits}, 38, 6) AS BIGINT)) "
        f"AND ({field_1} IS NULL OR {field_1} = substr({digits}, 14, 6)) "
        f"AND ({field_2} IS NULL OR {field_2} = substr({digits}, 20, 11))"
    )
    return f"{raw} IS NULL OR coalesce({valid} AND {agrees}, false)"


@dataclass(frozen=True)
class Plan:
    """The statements of a contract: ``checked`` selects, from the batch's text table
    ``input`` (canonical names, ``file_no``, ``line_no``), every column's text (``s_``) and
    typed value (``t_``) and one boolean per check; ``flags`` say what each means."""

    checked: str
    flags: tuple[Flag, ...]
    row_flags: tuple[tuple[str, RowCheck], ...]


def plan(contract: Contract) -> Plan:
    texts, types = [], []
    for column in contract.columns:
        value = text(column)
        texts.append(f"{value} AS {ident('s_' + column.canonical)}")
        typed_value = typed(column, ident("s_" + column.canonical))
        if typed_value is not None:
            types.append(f"{typed_value} AS {ident('t_' + column.canonical)}")
    required_when = []
    column_flags = []
    integer_flags = []
    for number, column in enumerate(contract.columns):
        value = ident("s_" + column.canonical)
        if column.required_when:
            applies = " OR ".join(
                f"coalesce({ident('s_' + other)} IN ({', '.join(literal(v) for v in values)}), "
                "false)"
                for other, values in column.required_when.items()
            )
            conditions = "; ".join(f"{k} is {'/'.join(v)}" for k, v in column.required_when.items())
            required_when.append(
                Flag(
                    f"w{number}",
                    f"({applies}) AND {value} IS NULL",
                    None,
                    f"{column.name}: required when {conditions}",
                )
            )
        column_flags += _column_flags(column, value, number)
        if column.type == "integer":
            integer_flags += _integer_flags(column, value, number)
    flags = [*required_when, *column_flags, *integer_flags]
    # row checks see each integer column as its integer, the other columns as their text
    operands = ", ".join(
        f"{ident(('t_' if c.type == 'integer' else 's_') + c.canonical)} AS {ident(c.canonical)}"
        for c in contract.columns
    )
    row_flags = tuple(
        (f"r{number}", row_check) for number, row_check in enumerate(contract.row_checks)
    )
    row_checks = "".join(
        f", NOT ({_row_check_sql(row_check)}) AS {name}" for name, row_check in row_flags
    )
    flag_columns = "".join(f", coalesce({f.fails}, false) AS {f.name}" for f in flags)
    checked = (
        "SELECT *, "
        + " OR ".join([f.name for f in flags] + [name for name, _ in row_flags] or ["false"])
        + " AS failed FROM ("
        f"SELECT *{flag_columns}{row_checks} FROM ("
        f"SELECT *, {operands or 'NULL AS none'} FROM ("
        f"SELECT *{''.join(', ' + t for t in types)} FROM ("
        f"SELECT input.file_no, input.line_no, {', '.join(texts)} FROM input))))"
    )
    return Plan(checked, tuple(flags), row_flags)


def _check_digit_ok(digits: pa.Array) -> pa.Array:
    """``konbini.check_digit`` agrees with digit 44, per string of 44 ASCII digits (False for
    anything else), as array operations over a vector of DuckDB's (43 ``substr`` calls a
    row in SQL cost ten times more)."""
    from recon_pipeline import konbini

    text = pc.cast(digits, pa.string())
    shaped = pc.fill_null(pc.match_substring_regex(text, "^[0-9]{44}$"), False)
    result = np.zeros(len(text), dtype=bool)
    positions = np.flatnonzero(shaped.to_numpy(zero_copy_only=False))
    if len(positions):
        matrix = konbini._digit_matrix(pc.take(text, pa.array(positions)))
        result[positions] = konbini._check_digits(matrix) == matrix[:, 43]
    return pa.array(result)


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """The functions the contracts' SQL calls beyond DuckDB's own."""
    con.create_function(
        "konbini_check_digit_ok", _check_digit_ok, ["VARCHAR"], "BOOLEAN", type="arrow"
    )
