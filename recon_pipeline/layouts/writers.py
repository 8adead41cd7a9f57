"""Writers of the inbound layouts, as providers deliver them: the one place the demo month,
the benchmark generator and the tests make files from. Readers live beside them, so a layout's
bytes are written and read by the same package.

Zengin fields are cut by bytes, not characters: a payer who types full-width digits takes two
bytes a digit, and every record stays 200 bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

ZENGIN_RECORD = 200
"""Bytes of a Zengin record (JIS 8-bit, decoded as CP932)."""


def zengin_field(text: str, width: int) -> bytes:
    """A C (text) field: CP932, left-aligned, space-padded to ``width`` bytes."""
    data = text.encode("cp932")
    if len(data) > width:
        raise ValueError(f"{text!r} is {len(data)} bytes, the field holds {width}")
    return data.ljust(width)


def zengin_record(*parts: str | bytes) -> bytes:
    """One 200-byte record from its fields (text is CP932), space-padded."""
    data = b"".join(part if isinstance(part, bytes) else part.encode("cp932") for part in parts)
    if len(data) > ZENGIN_RECORD:
        raise ValueError(f"a Zengin record is {ZENGIN_RECORD} bytes, not {len(data)}")
    return data.ljust(ZENGIN_RECORD)


def zengin_header(
    created: str,
    *,
    bank: str = "0005",
    bank_name: str = "ﾐﾂﾋﾞｼ",
    branch: str = "001",
    branch_name: str = "ﾎﾝﾃﾝ",
    account: str = "1234567",
    account_name: str = "ｶ)ﾚｺﾝ",
) -> bytes:
    """データ区分 1; ``created`` (和暦 YYMMDD) stands for 作成日 and both 勘定日."""
    return zengin_record(
        f"1010{created}{created}{created}{bank}",
        zengin_field(bank_name, 15),
        branch,
        zengin_field(branch_name, 15),
        f"1{account}",
        zengin_field(account_name, 40),
    )


def zengin_data(reference: int, amount: int, payer: str, *, on: str, cancel: str = "0") -> bytes:
    """データ区分 2: a transfer of ``amount`` booked ``on`` (和暦 YYMMDD) from ``payer``;
    取消区分 ``cancel`` (``0``, ``1`` or a space as many banks write)."""
    return zengin_record(
        f"2{reference:06d}{on}{on}{amount:010d}{0:010d}{0:010d}",
        zengin_field(payer, 48),
        zengin_field("ﾐｽﾞﾎ", 15),
        zengin_field("ｼﾌﾞﾔ", 15),
        cancel,
    )


def zengin_trailer(count: int, total: int, cancels: int = 0, cancel_total: int = 0) -> bytes:
    """データ区分 8: the group's control totals (取消 records counted in both)."""
    return zengin_record(f"8{count:06d}{total:012d}{cancels:06d}{cancel_total:012d}")


ZENGIN_END = zengin_record("9")


def zengin_file(records: Iterable[bytes], newline: bytes = b"\r\n") -> bytes:
    return b"".join(record + newline for record in records)


def delimited(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    encoding: str = "utf-8",
    line_end: str = "\n",
    delimiter: str = ",",
) -> bytes:
    """A CSV (or TSV) file: header row, RFC 4180 quoting where needed, ``None`` as empty."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows([["" if value is None else str(value) for value in row] for row in rows])
    return buffer.getvalue().encode(encoding)
