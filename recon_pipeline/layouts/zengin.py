"""Zengin 振込入金通知: fixed-length records in header/data/trailer groups (layouts.md § 7).

Fields are cut by byte offset from the contract's ``record_map`` (half-width katakana is one
byte in CP932, so a record is 200 bytes and 200 characters). A file whose structure breaks
(a record of the wrong length, an unknown データ区分, a group without trailer, no end record)
or whose trailer totals differ from its data records is rejected whole. Each data record
becomes one row, with its group's account, and the record number as its line.
"""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from recon_pipeline.contracts.model import Contract
from recon_pipeline.layouts.base import FileRejected, ParsedFile

HEADER, DATA, TRAILER, END = "1", "2", "8", "9"
EOF_MARK = b"\x1a"


def split_records(data: bytes, length: int) -> list[bytes]:
    """Records with or without CRLF/LF (or a bare CR) after each; a trailing EOF mark and
    trailing blank lines are ignored."""
    data = data.rstrip(EOF_MARK)
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")
    if b"\n" in data:
        records = [line.rstrip(b"\r") for line in data.split(b"\n")]
        while records and not records[-1].strip():
            records.pop()
    else:
        if len(data) % length:
            raise FileRejected(
                f"file is {len(data)} bytes, not a multiple of {length}-byte records"
            )
        records = [data[i : i + length] for i in range(0, len(data), length)]
    for number, record in enumerate(records, start=1):
        if len(record) != length:
            raise FileRejected(f"record {number} is {len(record)} bytes, expected {length}")
    return records


def _fields(record: bytes, fields: dict[str, tuple[int, int]], number: int) -> dict[str, str]:
    values = {}
    for name, (offset, size) in fields.items():
        try:
            values[name] = record[offset : offset + size].decode("cp932").rstrip(" ")
        except UnicodeDecodeError as error:
            raise FileRejected(
                f"record {number} field {name} does not decode as cp932 "
                f"(bytes {record[offset : offset + size].hex(' ')})"
            ) from error
    return values


def _number(value: str, what: str, number: int) -> int:
    if not value.isdigit():
        raise FileRejected(f"record {number}: {what} {value!r} is not a number")
    return int(value)


def _check_trailer(trailer: dict[str, str], group: list[dict[str, str]], number: int) -> None:
    summed = sum(int(r["amount"]) if r["amount"].isdigit() else 0 for r in group)
    cancels = [r for r in group if r["cancel_flag"] == "1"]
    cancel_sum = sum(int(r["amount"]) if r["amount"].isdigit() else 0 for r in cancels)
    _check_totals(trailer, len(group), summed, len(cancels), cancel_sum, number)


def _check_totals(
    trailer: dict[str, str], counted: int, summed: int, cancels: int, cancel_sum: int, number: int
) -> None:
    """The trailer's totals against its group's data records (the first that differs)."""
    expected = {
        "件数": (_number(trailer["count"], "件数", number), counted),
        "合計金額": (_number(trailer["total_amount"], "合計金額", number), summed),
        "取消件数": (_number(trailer["cancel_count"], "取消件数", number), cancels),
        "取消金額": (_number(trailer["cancel_amount"], "取消金額", number), cancel_sum),
    }
    for label, (stated, actual) in expected.items():
        if stated != actual:
            raise FileRejected(
                f"control totals differ in the group ending at record {number}: trailer "
                f"{label} {stated}, data records {actual}"
            )


SINGLE_BYTE = bytes(range(0x80)) + bytes(range(0xA1, 0xE0))
"""CP932's one-byte characters: ASCII and half-width katakana. A file of these alone has one
character per byte, so a field's byte offset is its character offset in the decoded text."""


def read_zengin(contract: Contract, data: bytes | Path) -> ParsedFile:
    if isinstance(data, Path):
        data = data.read_bytes()
    if not data or data.isspace():
        raise FileRejected("file is empty")
    records = split_records(data, contract.record_length or 200)
    if not data.translate(None, SINGLE_BYTE):
        return _read_single_byte(contract, records)
    return _read_records(contract, records)


def _cut(texts: pa.Array, fields: dict[str, tuple[int, int]]) -> dict[str, pa.Array]:
    """Each field of every record, cut by its offset (a ``substr`` per field over all the
    records at once), trailing spaces dropped."""
    return {
        name: pc.utf8_rtrim(pc.utf8_slice_codeunits(texts, offset, offset + size), characters=" ")
        for name, (offset, size) in fields.items()
    }


def _read_single_byte(contract: Contract, records: list[bytes]) -> ParsedFile:
    """:func:`_read_records` for a file of one-byte characters only (every real Zengin file:
    its names are half-width kana), with the fields cut column-wise: the same records,
    values, verdicts and reasons; Python walks only the データ区分 of each record."""
    layout = contract.record_map
    wanted = set(contract.canonical_columns)
    texts = pa.array([record.decode("cp932") for record in records], pa.string())
    data_fields = {
        k: v for k, v in layout["data"].items() if k in wanted | {"amount", "cancel_flag"}
    }
    header_fields = {k: v for k, v in layout["header"].items() if k in wanted - set(data_fields)}
    header, data = _cut(texts, header_fields), _cut(texts, data_fields)
    amount, flag = data["amount"], data["cancel_flag"]
    values = pc.if_else(pc.fill_null(pc.utf8_is_digit(amount), False), amount, "0").to_pylist()
    values = [int(value) for value in values]
    cancelled = [value == "1" for value in flag.to_pylist()]
    summed = list(accumulate(values, initial=0))
    cancel_summed = list(
        accumulate((v if c else 0 for v, c in zip(values, cancelled, strict=True)), initial=0)
    )
    cancels = list(accumulate(cancelled, initial=0))
    data_at: list[int] = []
    header_of: list[int] = []
    account: int | None = None
    group_start = 0
    groups = 0
    ended = False
    for number, record in enumerate(records, start=1):
        kind, at = chr(record[0]), number - 1
        if ended:
            raise FileRejected(f"record {number} follows the end record")
        if kind == HEADER:
            if account is not None:
                raise FileRejected(f"record {number}: header before the trailer of the last group")
            account, group_start = at, len(data_at)
        elif kind == DATA:
            if account is None:
                raise FileRejected(f"record {number}: data record outside a header…trailer group")
            data_at.append(at)
            header_of.append(account)
        elif kind == TRAILER:
            if account is None:
                raise FileRejected(f"record {number}: trailer without a header")
            first = at - (len(data_at) - group_start)  # a group's data records are contiguous
            _check_totals(
                _fields(record, layout["trailer"], number),
                at - first,
                summed[at] - summed[first],
                cancels[at] - cancels[first],
                cancel_summed[at] - cancel_summed[first],
                number,
            )
            account, groups = None, groups + 1
        elif kind == END:
            if account is not None:
                raise FileRejected(f"record {number}: end record inside a group (no trailer)")
            ended = True
        else:
            raise FileRejected(f"record {number}: unknown データ区分 {kind!r}")
    if not ended:
        raise FileRejected("file ends without an end record (データ区分 9)")
    if not groups:
        raise FileRejected("file has no header…trailer group")
    rows, accounts = pa.array(data_at, pa.int64()), pa.array(header_of, pa.int64())
    empty = pa.array([""] * len(data_at), pa.string())
    columns = [
        data[name].take(rows)
        if name in data
        else header[name].take(accounts)
        if name in header
        else empty
        for name in contract.canonical_columns
    ]
    return ParsedFile(
        line_nos=[at + 1 for at in data_at],
        raws=texts.take(rows).to_pylist(),
        columns=columns,
        control={"groups": str(groups), "records": str(len(records))},
    )


def _read_records(contract: Contract, records: list[bytes]) -> ParsedFile:
    """Record by record, each field decoded from its bytes (a file with two-byte characters,
    whose byte offsets are not character offsets)."""
    layout = contract.record_map
    parsed = ParsedFile()
    account: dict[str, str] | None = None
    group: list[dict[str, str]] = []
    groups = 0
    ended = False
    for number, record in enumerate(records, start=1):
        kind = chr(record[0])
        if ended:
            raise FileRejected(f"record {number} follows the end record")
        if kind == HEADER:
            if account is not None:
                raise FileRejected(f"record {number}: header before the trailer of the last group")
            account = _fields(record, layout["header"], number)
            group = []
        elif kind == DATA:
            if account is None:
                raise FileRejected(f"record {number}: data record outside a header…trailer group")
            row = account | _fields(record, layout["data"], number)
            group.append(row)
            parsed.line_nos.append(number)
            parsed.raws.append(record.decode("cp932", errors="replace"))
            parsed.rows.append([row.get(name, "") for name in contract.canonical_columns])
        elif kind == TRAILER:
            if account is None:
                raise FileRejected(f"record {number}: trailer without a header")
            _check_trailer(_fields(record, layout["trailer"], number), group, number)
            account, groups = None, groups + 1
        elif kind == END:
            if account is not None:
                raise FileRejected(f"record {number}: end record inside a group (no trailer)")
            ended = True
        else:
            raise FileRejected(f"record {number}: unknown データ区分 {kind!r}")
    if not ended:
        raise FileRejected("file ends without an end record (データ区分 9)")
    if not groups:
        raise FileRejected("file has no header…trailer group")
    parsed.control = {"groups": str(groups), "records": str(len(records))}
    return parsed
