"""The Zengin reader on its own: records with or without line ends, several account groups,
和暦 dates, trailer totals counting 取消 records."""

from __future__ import annotations

import pytest

from recon_pipeline.contracts import load_contracts
from recon_pipeline.layouts import FileRejected, read_file
from tests import landing as lz

BANK = load_contracts().by_source()["bank"]


def _records(parsed) -> list[list[str]]:
    if parsed.columns is None:
        return parsed.rows
    return [list(fields) for fields in zip(*(c.to_pylist() for c in parsed.columns), strict=True)]


def two_groups() -> list[bytes]:
    return [
        lz.zengin_header(account="1111111"),
        lz.zengin_data(1, 1000, "0000001 ﾔﾏﾀﾞ ﾀﾛｳ"),
        lz.zengin_data(1, 1000, "0000001 ﾔﾏﾀﾞ ﾀﾛｳ", cancel="1"),
        lz.zengin_trailer(2, 2000, cancels=1, cancel_total=1000),
        lz.zengin_header(account="2222222"),
        lz.zengin_data(1, 5400, "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ"),
        lz.zengin_trailer(1, 5400),
        lz.ZENGIN_END,
    ]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b""], ids=["crlf", "lf", "none"])
def test_records_with_or_without_line_ends(newline):
    parsed = read_file(BANK, lz.zengin_file(two_groups(), newline=newline) + b"\x1a")
    columns = BANK.canonical_columns
    rows = [dict(zip(columns, row, strict=True)) for row in _records(parsed)]
    assert parsed.line_nos == [2, 3, 6]
    assert [(r["account_number"], r["reference_no"], r["cancel_flag"]) for r in rows] == [
        ("1111111", "000001", "0"),
        ("1111111", "000001", "1"),
        ("2222222", "000001", "0"),
    ]
    assert rows[2]["payer_name"] == "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ"
    assert rows[0]["account_date"] == "081005"
    assert parsed.control == {"groups": "2", "records": "8"}


def test_cancel_totals_must_match_too():
    records = two_groups()
    records[3] = lz.zengin_trailer(2, 2000, cancels=0, cancel_total=0)
    with pytest.raises(FileRejected, match="trailer 取消件数 0, data records 1"):
        read_file(BANK, lz.zengin_file(records))


def test_a_header_inside_a_group_is_a_broken_file():
    records = two_groups()
    del records[3]
    with pytest.raises(FileRejected, match="record 4: header before the trailer"):
        read_file(BANK, lz.zengin_file(records))


def test_a_file_with_two_byte_characters_is_cut_by_bytes_as_before():
    """Half-width kana are one byte each: such a file is cut column-wise, by characters; a
    two-byte character (a kanji name) makes byte and character offsets differ, so that file
    is cut record by record from its bytes. Both give the same rows."""
    kana = lz.zengin_file(two_groups())
    records = two_groups()
    records[5] = records[5].replace(
        "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ".encode("cp932"), "緑商事".encode("cp932") + b" " * 5
    )
    kanji = lz.zengin_file(records)
    by_column, by_record = read_file(BANK, kana), read_file(BANK, kanji)
    assert by_column.columns is not None and by_record.columns is None
    name = BANK.canonical_columns.index("payer_name")
    assert _records(by_column)[2][name] == "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ"
    assert by_record.rows[2][name] == "緑商事"
    assert [r[:name] for r in _records(by_column)] == [r[:name] for r in by_record.rows]
    assert by_column.raws[2] == kana.split(b"\r\n")[5].decode("cp932")
