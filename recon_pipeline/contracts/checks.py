"""Row checks a contract can name: the few rules a column type alone cannot say.

Each takes the frame of a file's rows (text columns as strings, integer columns as
nullable ``Int64``) and the check's ``args`` from the contract, and returns a boolean
Series, True where the row passes. A value that is missing or already failed its own
column check passes here, so a row is not blamed twice for one bad cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from recon_pipeline import konbini

STRING = "string[pyarrow]"


def digits_as_int(values: pd.Series) -> pd.Series:
    """``Int64`` of ASCII-digit strings (missing elsewhere), as one Arrow cast."""
    values = values.astype(STRING)
    return values.where(values.str.fullmatch("[0-9]{1,18}").fillna(False).astype(bool)).astype(
        "Int64"
    )


RowCheckFunction = Callable[[pd.DataFrame, dict[str, Any]], pd.Series]


def expression(frame: pd.DataFrame, args: dict[str, Any]) -> pd.Series:
    """A pandas ``eval`` expression over the row's columns, e.g. ``net == gross - fee``."""
    result = frame.eval(args["expression"], engine="python")
    return pd.Series(result, index=frame.index).astype("boolean").fillna(True).astype(bool)


def pattern_for(frame: pd.DataFrame, args: dict[str, Any]) -> pd.Series:
    """``column`` matches ``pattern`` where ``when_column`` is one of ``when_values``."""
    values = frame[args["column"]]
    applies = frame[args["when_column"]].isin(args["when_values"]) & values.notna()
    matches = values.astype(STRING).str.fullmatch(args["pattern"]).fillna(False).astype(bool)
    return ~applies | matches


def time_of_day(frame: pd.DataFrame, args: dict[str, Any]) -> pd.Series:
    """``HHMM`` (leading zero optional) within 00:00–23:59."""
    padded = frame[args["column"]].astype(STRING).str.zfill(4)
    hours = digits_as_int(padded.str[:2])
    minutes = digits_as_int(padded.str[2:])
    valid = (hours < 24) & (minutes < 60)
    return valid.fillna(True).astype(bool)


def konbini_barcode(frame: pd.DataFrame, args: dict[str, Any]) -> pd.Series:
    """Check digit, due date, and agreement with 金額 and the agent's user fields."""
    barcode = frame[args["barcode"]]
    checked = konbini.check_column(barcode)

    def agrees(parsed: pd.Series, given: pd.Series) -> pd.Series:
        return (given.isna() | (parsed == given)).fillna(False).astype(bool)

    passes = (
        checked.valid
        & agrees(checked.amount, frame[args["amount"]])
        & agrees(checked.user_field_1, frame[args["user_field_1"]].astype(STRING))
        & agrees(checked.user_field_2, frame[args["user_field_2"]].astype(STRING))
    )
    return barcode.isna().to_numpy() | passes


def konbini_barcode_reason(barcode: str, amount: Any, field_1: Any, field_2: Any) -> str:
    """The precise reason for one failing row, so a person sees what to fix."""
    if problem := konbini.barcode_problem(barcode):
        return problem
    parsed = konbini.parse(barcode)
    amount = pd.to_numeric(amount, errors="coerce")
    if not pd.isna(amount) and parsed.amount != amount:
        return f"barcode amount {parsed.amount} differs from 金額 {amount}"
    if isinstance(field_1, str) and parsed.user_field_1 != field_1:
        return f"ユーザー使用欄１ {field_1} differs from barcode digits 14-19 {parsed.user_field_1}"
    return f"ユーザー使用欄２ {field_2} differs from barcode digits 20-30 {parsed.user_field_2}"


ROW_CHECKS: dict[str, RowCheckFunction] = {
    "expression": expression,
    "pattern_for": pattern_for,
    "time_of_day": time_of_day,
    "konbini_barcode": konbini_barcode,
}

INTEGER = re.compile(r"^-?[0-9]+$")

ROW_CHECK_DETAILS: dict[str, Callable[[pd.Series, dict[str, Any]], str]] = {
    "konbini_barcode": lambda row, args: konbini_barcode_reason(
        row[args["barcode"]],
        row[args["amount"]],
        row[args["user_field_1"]],
        row[args["user_field_2"]],
    ),
}
