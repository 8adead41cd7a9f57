"""Row-level contract validation with pandera.

The reader gives every data record of a file as strings; this module builds one pandera
schema per contract, validates lazily (every failure of every row at once), and splits the
records into typed rows for ``raw.<family>`` and rejections with a reason a person can act
on. Nothing is coerced silently: an integer is ``-?[0-9]+`` and nothing else.

The strings are Arrow-backed (``string[pyarrow]``): pandera's checks then run as Arrow
compute kernels (RE2 regexes, null bitmaps) instead of a Python call per value, which made
validation 5x faster; contract patterns are therefore RE2 syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from recon_pipeline.contracts.checks import (
    INTEGER,
    ROW_CHECK_DETAILS,
    ROW_CHECKS,
    STRING,
    digits_as_int,
)
from recon_pipeline.contracts.model import Column, Contract

TOKYO = "Asia/Tokyo"


@dataclass(frozen=True)
class Validated:
    rows: pd.DataFrame
    """Typed rows that passed, canonical column names plus ``line_no``."""
    rejected: pd.DataFrame
    """``line_no``, ``reason`` and ``key_text`` (the contract's payment key column as written,
    missing where it has none) of every row that failed."""


SHOWN_CHARACTERS = 60
"""How much of a bad value a reason quotes: enough to recognise it, never a whole hostile field."""


def shown(value: object) -> str:
    """``repr`` of a value for a reason, cut to ``SHOWN_CHARACTERS`` (its length said)."""
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[:SHOWN_CHARACTERS]}… ({len(str(value))} characters)"


MAX_INTEGER_DIGITS = 18
"""BIGINT holds every 18-digit number; a longer one is not an amount this pipeline takes."""

REIWA = "reiwa-yymmdd"
REIWA_OFFSET = 2018


def _arrow_text(values: pd.Series) -> pyarrow.ChunkedArray:
    """The column's Arrow strings, without a copy (the frame is Arrow-backed)."""
    return pyarrow.chunked_array(pyarrow.array(values.astype(STRING)))


def parse_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Dates in ``fmt``; ``reiwa-yymmdd`` is the 和暦 of Zengin files (Reiwa year + 2018).

    A file has few distinct dates, so each distinct text is parsed once (pandas, the same
    rules) and the result is looked up per row; pandas' own cache cost more than its parse."""
    text = _arrow_text(values).combine_chunks()
    encoded = pc.dictionary_encode(text)
    distinct = _parse_distinct_dates(pd.Series(encoded.dictionary, dtype=STRING), fmt)
    lookup = np.append(distinct.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    positions = pc.fill_null(encoded.indices, len(distinct)).to_numpy()
    return pd.Series(lookup[positions], index=values.index)


def _parse_distinct_dates(text: pd.Series, fmt: str) -> pd.Series:
    if fmt == REIWA:
        western = digits_as_int(text.str[:2]) + REIWA_OFFSET
        values = western.astype(STRING) + text.str[2:]
        values = values.where(text.str.fullmatch(r"[0-9]{6}").fillna(False).astype(bool))
        return pd.to_datetime(values, format="%Y%m%d", errors="coerce")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 timestamps with an offset, as UTC (missing where not one). Arrow casts the
    column at once, 100x faster than pandas' ISO 8601 parser; only a column it refuses (a
    value without offset, a typo) is parsed by pandas, which marks the bad values."""
    try:
        stamps = pc.cast(pyarrow.array(values.astype(STRING)), pyarrow.timestamp("ns", tz="UTC"))
    except (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError):
        return pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return pd.Series(stamps.to_pandas().array, index=values.index)


def _parses_as_date(fmt: str):
    def check(values: pd.Series) -> pd.Series:
        return parse_dates(values, fmt).notna()

    return check


def _parses_as_timestamp(values: pd.Series) -> pd.Series:
    has_offset = values.str.contains(r"(?:[+-][0-9]{2}:?[0-9]{2}|Z)$", regex=True)
    return has_offset & parse_timestamps(values).notna()


def _integer_column(values: pd.Series) -> pd.Series:
    """``Int64`` of the values that are integers, missing elsewhere (a cast, not a parse per
    value). A column that is all integers, as most are, is cast once and proven by two
    kernels instead of the integer regex."""
    text = _arrow_text(values)
    try:
        cast = pc.cast(text, pyarrow.int64())
    except pyarrow.ArrowInvalid:
        cast = None
    # Arrow's cast also takes hex (0x1F): only ASCII digits after the minus sign count
    if (
        cast is not None
        and _all(pc.ascii_is_decimal(pc.utf8_ltrim(text, "-")))
        and _all(_fits_bigint(text))
    ):
        return pd.Series(cast.to_pandas(types_mapper=_INT64.get), index=values.index)
    values = values.astype(STRING)
    fits = values.str.fullmatch(INTEGER.pattern) & pd.Series(
        _fits_bigint(text).to_numpy(), index=values.index
    )
    return values.where(fits.fillna(False).astype(bool)).astype("Int64")


_INT64 = {pyarrow.int64(): pd.Int64Dtype()}


def _all(flags: pyarrow.ChunkedArray) -> bool:
    """True when no value is False (missing values pass)."""
    return pc.all(flags).as_py() is not False


def _integer_reasons(
    contract: Contract, frame: pd.DataFrame, integers: dict[str, pd.Series]
) -> dict[int, list[str]]:
    """Why a value given for an integer column is not one, worded as a pandera column check
    (the integer regex ran per value in pandera, and again for the cast): looked at only
    where the cast left a value missing."""
    reasons: dict[int, list[str]] = {}
    for column in contract.columns:
        values = integers.get(column.canonical)
        if values is None:
            continue
        failed = (frame[column.canonical].notna() & values.isna()).to_numpy(dtype=bool)
        for position in np.flatnonzero(failed):
            raw = frame[column.canonical].iat[position]
            bucket = reasons.setdefault(int(position), [])
            if not INTEGER.fullmatch(raw):
                bucket.append(f"{column.name}: {shown(raw)} {NOT_AN_INTEGER}")
            if len(raw.removeprefix("-")) > MAX_INTEGER_DIGITS:
                bucket.append(f"{column.name}: {shown(raw)} {TOO_MANY_DIGITS}")
    return reasons


def _fits_bigint(text: pyarrow.ChunkedArray) -> pyarrow.ChunkedArray:
    """At most ``MAX_INTEGER_DIGITS`` characters after an optional minus sign (True where
    missing), as Arrow kernels."""
    digits = pc.subtract(pc.utf8_length(text), pc.cast(pc.starts_with(text, "-"), pyarrow.int32()))
    return pc.fill_null(pc.less_equal(digits, MAX_INTEGER_DIGITS), True)


NOT_AN_INTEGER = "is not an integer (digits only)"
TOO_MANY_DIGITS = f"has more than {MAX_INTEGER_DIGITS} digits"


def _column_checks(column: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if column.type == "date":
        checks.append(
            pa.Check(
                _parses_as_date(column.format or ""),
                error=f"is not a date in the form {column.format}",
            )
        )
    elif column.type == "timestamp":
        checks.append(
            pa.Check(_parses_as_timestamp, error="is not an ISO 8601 timestamp with a UTC offset")
        )
    if column.allowed:
        checks.append(
            pa.Check.isin(list(column.allowed), error=f"is not one of {', '.join(column.allowed)}")
        )
    if column.pattern:
        checks.append(
            pa.Check.str_matches(column.pattern, error=f"does not match {column.pattern}")
        )
    if column.length_limit:
        checks.append(
            pa.Check.str_length(
                max_value=column.length_limit,
                error=f"is longer than {column.length_limit} characters",
            )
        )
    if column.type == "id":
        checks.append(
            pa.Check(
                _no_match(ID_CONTROL), error="contains a control character (ids may hold none)"
            )
        )
        checks.append(pa.Check(_no_match(BLANK), error="is blank (spaces only)"))
    elif column.type == "text":
        checks.append(
            pa.Check(
                _no_match(TEXT_CONTROL),
                error="contains a control character (NUL or another C0 code but tab/CR/LF)",
            )
        )
    return checks


ID_CONTROL = r"[\x00-\x1f\x7f]"
TEXT_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""NUL and the other C0 controls mean a broken or hostile file, never a payer's text, and would
travel into exports; a text field may keep tab and line breaks (an address typed on two
lines), an id none."""
BLANK = "^[ \u3000]+$"


def _no_match(pattern: str):
    """True where the value does not contain ``pattern`` (RE2, one Arrow kernel)."""

    def check(values: pd.Series) -> pd.Series:
        return ~values.astype(STRING).str.contains(pattern, regex=True).fillna(False).astype(bool)

    return check


def _integers(contract: Contract, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Each integer column as ``Int64`` (missing where not an integer), parsed once per
    validation for the bounds, the row checks and the typed rows alike."""
    return {
        column.canonical: _integer_column(frame[column.canonical])
        for column in contract.columns
        if column.type == "integer"
    }


def _bound_reasons(
    contract: Contract, frame: pd.DataFrame, integers: dict[str, pd.Series]
) -> dict[int, list[str]]:
    """``min`` / ``max`` of integer columns, on the integers parsed once (as pandera checks
    each bound parsed the column again); the reason reads as a pandera column check's."""
    reasons: dict[int, list[str]] = {}
    for column in contract.columns:
        values = integers.get(column.canonical)
        for bound, failing, words in (
            (column.min, lambda v, b: v < b, "is below the minimum"),
            (column.max, lambda v, b: v > b, "is above the maximum"),
        ):
            if values is None or bound is None:
                continue
            failed = failing(values, bound).fillna(False).to_numpy(dtype=bool)
            for position in np.flatnonzero(failed):
                raw = frame[column.canonical].iat[position]
                reasons.setdefault(int(position), []).append(
                    f"{column.name}: {shown(raw)} {words} {bound}"
                )
    return reasons


def _required_when(column: Column) -> pa.Check:
    def check(frame: pd.DataFrame) -> pd.Series:
        applies = pd.Series(False, index=frame.index)
        for other, values in column.required_when.items():
            applies |= frame[other].isin(values)
        return ~applies | frame[column.canonical].notna()

    conditions = "; ".join(f"{k} is {'/'.join(v)}" for k, v in column.required_when.items())
    return pa.Check(
        check,
        name=f"required:{column.canonical}",
        error=f"{column.name}: required when {conditions}",
    )


def _row_check_reasons(
    contract: Contract, frame: pd.DataFrame, integers: dict[str, pd.Series]
) -> dict[int, list[str]]:
    """The contract's row checks, run once each over the frame typed once (integers as
    ``Int64``), outside pandera so the typing is not repeated per check."""
    reasons: dict[int, list[str]] = {}
    if not contract.row_checks:
        return reasons
    typed = pd.DataFrame({name: integers.get(name, frame[name]) for name in frame.columns})
    for row_check in contract.row_checks:
        passed = ROW_CHECKS[row_check.check](typed, row_check.args)
        detail = ROW_CHECK_DETAILS.get(row_check.check)
        for position in frame.index[~passed.to_numpy(dtype=bool)]:
            text = detail(frame.loc[position], row_check.args) if detail else row_check.reason
            bucket = reasons.setdefault(int(position), [])
            if text not in bucket:
                bucket.append(text)
    return reasons


@cache
def schema_for(contract: Contract) -> pa.DataFrameSchema:
    """The pandera schema of a contract's columns. The reader hands over strings by
    construction, so pandera checks their content, not their dtype (``dtype=None``: the
    per-value dtype check was a quarter of validation time)."""
    columns = {
        column.canonical: pa.Column(
            None,
            checks=_column_checks(column),
            nullable=not column.required,
            required=True,
            title=column.name,
        )
        for column in contract.columns
    }
    frame_checks = [_required_when(c) for c in contract.columns if c.required_when]
    return pa.DataFrameSchema(
        columns, checks=frame_checks, strict=False, coerce=False, name=contract.layout
    )


def _reasons(contract: Contract, frame: pd.DataFrame, error: SchemaErrors) -> dict[int, list[str]]:
    """One list of readable reasons per failing row position."""
    headers = {c.canonical: c.name for c in contract.columns}
    reasons: dict[int, list[str]] = {}
    for case in error.failure_cases.itertuples(index=False):
        if pd.isna(case.index):
            raise ValueError(f"{contract.layout}: schema failure without a row: {case.check}")
        position = int(case.index)
        if case.schema_context == "Column":
            header = headers[case.column]
            if case.check == "not_nullable":
                text = f"{header}: required value is missing"
            else:
                text = f"{header}: {shown(case.failure_case)} {case.check}"
        else:
            text = str(case.check)
        bucket = reasons.setdefault(position, [])
        if text not in bucket:
            bucket.append(text)
    return reasons


def _convert(
    contract: Contract, rows: pd.DataFrame, integers: dict[str, pd.Series], keep: np.ndarray
) -> pd.DataFrame:
    """The typed rows, built as one frame (a column set at a time copied the frame's blocks)."""
    converted: dict[str, pd.Series] = {"line_no": rows["line_no"].astype("int64")}
    for column in contract.columns:
        values = rows[column.canonical]
        if column.type == "integer":
            parsed = integers[column.canonical]
            converted[column.canonical] = parsed if len(parsed) == len(rows) else parsed[keep]
        elif column.type == "date":
            converted[column.canonical] = parse_dates(values, column.format or "")
        elif column.type == "timestamp":
            stamps = parse_timestamps(values)
            converted[column.canonical] = stamps.dt.tz_convert(TOKYO).dt.tz_localize(None)
        elif column.values:
            converted[column.canonical] = values.map(column.values).astype(STRING)
        else:
            converted[column.canonical] = values
    return pd.DataFrame(converted, index=rows.index).reset_index(drop=True)


def _blank_as_missing(values: pd.Series) -> pd.Series:
    """An empty field is a missing value (one Arrow kernel; pandas' ``where`` copied the
    column through its own masking)."""
    text = _arrow_text(values)
    blank = pc.equal(text, "")
    if not _any(blank):
        return values
    kept = pc.if_else(blank, pyarrow.scalar(None, text.type), text)
    return pd.Series(pd.arrays.ArrowStringArray(kept), index=values.index)


def _any(flags: pyarrow.ChunkedArray) -> bool:
    return pc.any(flags).as_py() is True


def _merge(into: dict[int, list[str]], more: dict[int, list[str]]) -> None:
    for position, texts in more.items():
        bucket = into.setdefault(position, [])
        bucket += [text for text in texts if text not in bucket]


def validate(contract: Contract, frame: pd.DataFrame) -> Validated:
    """Split ``frame`` (one string column per canonical name, plus ``line_no``) by the contract.

    ``frame`` may hold several files of the layout at once, told apart by a ``file_no``
    column (kept in ``rows`` and ``rejected``): one validation per layout and day instead of
    one per file, since pandera's cost per call outweighs its cost per row for daily files.
    Uniqueness is then checked within each file."""
    frame = frame.reset_index(drop=True)
    for column in contract.columns:
        values = frame[column.canonical].astype(STRING)
        if column.strip_prefix:
            values = values.str.removeprefix(column.strip_prefix)
        frame[column.canonical] = _blank_as_missing(values)
    reasons: dict[int, list[str]] = {}
    try:
        schema_for(contract).validate(frame, lazy=True)
    except SchemaErrors as error:
        reasons = _reasons(contract, frame, error)
    integers = _integers(contract, frame)
    _merge(reasons, _integer_reasons(contract, frame, integers))
    _merge(reasons, _bound_reasons(contract, frame, integers))
    _merge(reasons, _row_check_reasons(contract, frame, integers))
    keep = np.ones(len(frame), dtype=bool)
    keep[list(reasons)] = False
    passing = frame if keep.all() else frame[keep]
    within = ["file_no"] if "file_no" in frame.columns else []
    repeats: set[int] = set()
    """Rows rejected as a repeat of an earlier one: their payment is the earlier row's."""
    if contract.unique and not passing.empty:
        subset = [*contract.unique, *within]
        repeated = passing.duplicated(subset=subset, keep="first")
        if repeated.any():
            first_line = passing.groupby(subset, dropna=False)["line_no"].transform("min")
            for position in passing.index[repeated]:
                key = ", ".join(f"{k}={passing.at[position, k]}" for k in contract.unique)
                reasons[position] = [
                    f"duplicate of line {first_line[position]} in the same file ({key})"
                ]
                repeats.add(position)
            keep[passing.index[repeated]] = False
            passing = passing[~repeated]
    positions = list(reasons)
    key = contract.payment_key
    rejected = pd.DataFrame(
        {
            **{name: frame.loc[positions, name].to_numpy(dtype="int64") for name in within},
            "line_no": frame.loc[positions, "line_no"].to_numpy(dtype="int64"),
            "reason": ["; ".join(r) for r in reasons.values()],
            "key_text": [
                None if not key or position in repeats else frame.at[position, key.column]
                for position in positions
            ],
        }
    )
    rows = _convert(contract, passing, integers, keep)
    for name in within:
        rows.insert(0, name, passing[name].to_numpy(dtype="int64"))
    return Validated(rows=rows, rejected=rejected)
