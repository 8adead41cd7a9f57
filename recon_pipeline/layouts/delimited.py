"""Delimited text (CSV/TSV with RFC 4180 quoting), any encoding a contract names."""

from __future__ import annotations

import codecs
import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from recon_pipeline.contracts.model import Contract
from recon_pipeline.layouts.base import FileRejected, ParsedFile, decode


def _describe_header(expected: list[str], found: list[str]) -> str:
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    parts = [f"header does not match layout (expected {len(expected)} columns, found {len(found)})"]
    if missing:
        parts.append(f"missing: {', '.join(missing)}")
    if unexpected:
        parts.append(f"unexpected: {', '.join(unexpected)}")
    if not missing and not unexpected:
        parts.append("columns are in a different order")
    return "; ".join(parts)


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
    found = [name.strip() for name in header.split(contract.delimiter)]
    if found != contract.header:
        raise FileRejected(_describe_header(contract.header, found))
    record_lines = filled[1:] + 1
    names = contract.canonical_columns
    if not len(record_lines):
        return ParsedFile(columns=[pa.array([], type=pa.string()) for _ in names], text=text)
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
    return ParsedFile(
        line_nos=record_lines.tolist(),
        columns=[table.column(name) for name in names],
        text=text,
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
    expected = contract.header
    width = len(expected)
    consumed = 0
    header_seen = False
    try:
        for fields in reader:
            start, consumed = consumed + 1, reader.line_num
            if not fields or fields == [""]:
                continue
            if not header_seen:
                header_seen = True
                found = [name.strip() for name in fields]
                if found != expected:
                    raise FileRejected(_describe_header(expected, found))
                continue
            raw = "\n".join(lines[start - 1 : consumed])
            if len(fields) != width:
                parsed.malformed.append(
                    (start, raw, f"expected {width} fields, found {len(fields)}")
                )
                continue
            parsed.line_nos.append(start)
            parsed.raws.append(raw)
            parsed.rows.append(fields)
    except csv.Error as error:
        start = consumed + 1
        raise FileRejected(
            f"not valid delimited text at line {start}: {error}", rows_total=parsed.rows_total
        ) from error
    if not header_seen:
        raise FileRejected("file has no header row")
    return parsed
