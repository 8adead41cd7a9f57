"""Delimited text (CSV/TSV with RFC 4180 quoting), any encoding a contract names."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from recon_pipeline.contracts.model import Contract
from recon_pipeline.layouts.base import FileRejected, ParsedFile, decode


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


def _utf8_bytes(data: bytes, encoding: str, text: str) -> bytes:
    """``text`` as UTF-8: the file's own bytes when it is UTF-8 already (without its BOM),
    so a large export is not encoded back after the strict decode."""
    name = codecs.lookup(encoding).name
    if name == "utf-8":
        return data
    if name == "utf-8-sig":
        return data.removeprefix(codecs.BOM_UTF8)
    return text.encode("utf-8")


def _read_columnar(contract: Contract, text: str, data: bytes) -> ParsedFile | None:
    """``text`` (decoded from ``data``) as the same records as the line-by-line reader,
    parsed by Arrow's CSV reader into columns, for the files where the two cannot differ:
    no quote character (so no field spans lines and quoting cannot be malformed), ``\r``
    only in ``\r\n``, and every record as wide as the header. Anything else returns None
    and the exact reader runs."""
    if contract.quoting != "none" and '"' in text:
        return None
    data = _utf8_bytes(data, contract.encoding, text)
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    codes = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(codes == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(data)]))
    lengths = ends - starts
    carriage = np.zeros(len(ends), dtype=bool)
    carriage[lengths > 0] = codes[ends[lengths > 0] - 1] == ord("\r")
    filled = np.flatnonzero(lengths - carriage > 0)
    if not len(filled):
        return None
    header_at = int(filled[0])
    header = data[starts[header_at] : ends[header_at]].decode("utf-8").removesuffix("\r")
    mapped = map_header(contract, header.split(contract.delimiter))
    record_lines = filled[1:] + 1
    if not len(record_lines):
        return ParsedFile(
            columns=[pa.array([], type=pa.string()) for _ in contract.columns],
            text=text,
            notes=mapped.notes,
        )
    names = [f"field_{position}" for position in range(mapped.width)]
    invalid: list[pa_csv.InvalidRow] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    body = data[int(starts[header_at + 1]) :]
    table = pa_csv.read_csv(
        io.BytesIO(body),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(
            delimiter=contract.delimiter,
            quote_char=False,
            newlines_in_values=False,
            ignore_empty_lines=True,
            invalid_row_handler=keep_invalid,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
        ),
    )
    if invalid or table.num_rows != len(record_lines):
        return None
    empty = pa.nulls(table.num_rows, pa.string())
    return ParsedFile(
        line_nos=record_lines.tolist(),
        columns=[empty if at is None else table.column(at) for at in mapped.positions],
        text=text,
        notes=mapped.notes,
    )


def read_delimited(contract: Contract, data: bytes, columnar: bool = True) -> ParsedFile:
    """Records with the physical line they start on; blank lines are not records.

    ``columnar``: parse with Arrow where that gives the same records (see
    ``_read_columnar``); a reader that walks the rows itself passes False."""
    if not data or data.isspace():
        raise FileRejected("file is empty")
    text = decode(data, contract.encoding)
    if columnar and (parsed := _read_columnar(contract, text, data)) is not None:
        return parsed
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
