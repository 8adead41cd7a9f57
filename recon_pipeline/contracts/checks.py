"""Row checks a contract can name: the few rules a column type alone cannot say.

Each is SQL over the row's columns (``recon_pipeline.contracts.sql``: integer columns as
BIGINT, the others as text); a value that is missing or already failed its own column check
passes here, so a row is not blamed twice for one bad cell.

- ``expression``: a SQL boolean over the row's columns, e.g. ``net = gross - fee``;
- ``pattern_for``: ``column`` matches ``pattern`` where ``when_column`` is one of
  ``when_values``;
- ``time_of_day``: ``HHMM`` (leading zero optional) within 00:00–23:59;
- ``konbini_barcode``: check digit, due date, and agreement with 金額 and the agent's user
  fields (the reason of a failing row says which, by :func:`konbini_barcode_reason`).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from recon_pipeline import konbini

STRING = "string[pyarrow]"
"""pandas' Arrow-backed strings (tests build frames with it)."""

ROW_CHECKS = ("expression", "pattern_for", "time_of_day", "konbini_barcode")

INTEGER = re.compile(r"^-?[0-9]+$")


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
