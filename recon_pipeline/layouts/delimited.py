"""Delimited text (CSV/TSV with RFC 4180 quoting), any encoding a contract names."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from recon_pipeline.contracts.model import Contract
from recon_pipeline.layouts.base import FileRejected, ParsedFile, decode
from recon_pipeline.layouts.text import Scanned, scanned, streamable


@dataclass(frozen=True)
class HeaderMap:
    """Where each contract column sits in a file's records. Real files carry the layout's
    columns in another order, with columns of their own, or with spaces around the names:
    columns are found by name, so none of that loses a row."""

    positions: list[int | None]
    """Per contract column, its field in the record; None for an optional column the file
    does not have (read as empty)."""
    width: int
    """Fields in every record of the file."""
    notes: list[str]
    """What the file does differently, for the manifest (ignored or absent columns)."""


def header_names(fields: list[str]) -> list[str]:
    """Header names as meant: surrounding spaces (half- or full-width) and a stray byte-order
    mark dropped."""
    return [name.strip().lstrip("\ufeff").strip() for name in fields]


def map_header(contract: Contract, fields: list[str]) -> HeaderMap:
    """Find the contract's columns in a header row by name. Strict only where a guess would
    lose or misplace data: a name given twice (which is meant?) and a missing column that a
    row may need (``required`` or ``required_when``) reject the file."""
    found = header_names(fields)
    if repeated := sorted({name for name in found if name and found.count(name) > 1}):
        raise FileRejected(f"header names {', '.join(repeated)} more than once")
    where = {name: position for position, name in enumerate(found)}
    needed = [c.name for c in contract.columns if c.required or c.required_when]
    if missing := [name for name in needed if name not in where]:
        expected = set(contract.header)
        unexpected = [name for name in found if name and name not in expected]
        reason = f"header lacks required column(s): {', '.join(missing)}"
        if unexpected:
            reason += f" (columns not in the layout: {', '.join(unexpected[:10])})"
        raise FileRejected(reason)
    notes = []
    if absent := [c.name for c in contract.columns if c.name not in where]:
        notes.append(f"optional columns absent, read as empty: {', '.join(absent)}")
    if ignored := [name for name in found if name not in set(contract.header)]:
        shown = [name or "(unnamed)" for name in ignored]
        notes.append(f"unknown columns ignored: {', '.join(shown)}")
    return HeaderMap([where.get(name) for name in contract.header], len(found), notes)


def _read_columnar(contract: Contract, scan: Scanned, origin: bytes | Path) -> ParsedFile | None:
    """The scanned file's records parsed by Arrow's CSV reader straight from its UTF-8 text
    (the file, or the scan's copy), every field a string: for the files where it cannot
    differ from the line-by-line reader (see ``_columnar_can_read``): one record a line and
    no empty line before a record, so row ``k`` after the header is physical line
    ``k + 2``. A record of another width than the header returns None and the exact reader
    runs (as it does for the rare file that needs it).

    DuckDB's ``read_csv`` with the same options was measured here first: on the 1M-order
    backlog it parsed as fast as Arrow but its rows cost as much again on their way to
    Arrow, twice Arrow's time in all (``benchmarks/LOG.md``)."""
    mapped = map_header(contract, (scan.header or "").split(contract.delimiter))
    if scan.last_line <= 1:
        return ParsedFile(
            columns=[pa.array([], type=pa.string()) for _ in contract.columns],
            notes=mapped.notes,
        )
    names = [f"field_{position}" for position in range(mapped.width)]
    invalid: list[pa_csv.InvalidRow] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = _arrow_csv(scan.path, contract.delimiter, names, keep_invalid)
    except pa.ArrowInvalid:  # a line longer than Arrow's block: the exact reader reads it
        return None
    if invalid or table.num_rows != scan.last_line - 1:
        return None
    empty = pa.nulls(table.num_rows, pa.string())
    return ParsedFile(
        line_nos=list(range(2, table.num_rows + 2)),
        columns=[empty if at is None else table.column(at) for at in mapped.positions],
        text_of=_text_of(origin, contract.encoding),
        notes=mapped.notes,
    )


def _arrow_csv(path: Path, delimiter: str, names: list[str], on_invalid) -> pa.Table:
    return pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            quote_char=False,
            newlines_in_values=False,
            ignore_empty_lines=True,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
        ),
    )


def _text_of(origin: bytes | Path, encoding: str):
    """The file's decoded text, read again only when a rejected record's raw line is needed."""

    def text() -> str:
        data = origin.read_bytes() if isinstance(origin, Path) else origin
        return decode(data, encoding)

    return text


def _columnar_can_read(contract: Contract, scan: Scanned) -> bool:
    """Files whose records Arrow's reader splits as the exact reader does, at the same
    physical lines: no quote character to honour, a line break only as LF or CRLF, no empty
    line before a record."""
    return (
        len(contract.delimiter) == 1
        and contract.delimiter not in "\r\n"
        and (contract.quoting == "none" or not scan.quote)
        and not scan.lone_cr
        and not scan.inner_blank
        and scan.header is not None
    )


def read_delimited(contract: Contract, data: bytes | Path, columnar: bool = True) -> ParsedFile:
    """Records with the physical line they start on; blank lines are not records.

    ``data``: the file or its bytes. ``columnar``: after one streaming pass that decodes the
    file strictly (and writes a UTF-8 copy of a CP932 file), let Arrow parse a file it
    reads as this reader does (see ``_columnar_can_read``); anything else, and
    ``columnar`` False, is read line by line here, from the decoded text."""
    if columnar and streamable(contract.encoding):
        with scanned(data, contract.encoding) as scan:
            if scan.blank:
                raise FileRejected("file is empty")
            if _columnar_can_read(contract, scan):
                parsed = _read_columnar(contract, scan, data)
                if parsed is not None:
                    return parsed
    if isinstance(data, Path):
        data = data.read_bytes()
    if not data or data.isspace():
        raise FileRejected("file is empty")
    text = decode(data, contract.encoding)
    lines = [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]
    quoting = csv.QUOTE_NONE if contract.quoting == "none" else csv.QUOTE_MINIMAL
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=contract.delimiter, quoting=quoting, strict=True
    )
    parsed = ParsedFile()
    mapped: HeaderMap | None = None
    consumed = 0
    try:
        for fields in reader:
            start, consumed = consumed + 1, reader.line_num
            if not fields or fields == [""]:
                continue
            if mapped is None:
                mapped = map_header(contract, fields)
                parsed.notes = mapped.notes
                continue
            raw = "\n".join(lines[start - 1 : consumed])
            if len(fields) != mapped.width:
                parsed.malformed.append(
                    (start, raw, f"expected {mapped.width} fields, found {len(fields)}")
                )
                continue
            parsed.line_nos.append(start)
            parsed.raws.append(raw)
            parsed.rows.append(["" if at is None else fields[at] for at in mapped.positions])
    except csv.Error as error:
        start = consumed + 1
        raise FileRejected(
            f"not valid delimited text at line {start}: {error}", rows_total=parsed.rows_total
        ) from error
    if mapped is None:
        raise FileRejected("file has no header row")
    return parsed
