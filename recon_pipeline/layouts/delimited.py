"""Delimited text (CSV/TSV with RFC 4180 quoting), any encoding a contract names."""

from __future__ import annotations

import csv
import io

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


def read_delimited(contract: Contract, data: bytes) -> ParsedFile:
    """Records with the physical line they start on; blank lines are not records."""
    if not data.strip():
        raise FileRejected("file is empty")
    text = decode(data, contract.encoding)
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
