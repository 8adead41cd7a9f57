"""The delimited reader: encodings, BOM, CRLF, quoting, header checks, exact line numbers."""

from __future__ import annotations

import pytest

from recon_pipeline.contracts import load_contracts
from recon_pipeline.layouts import FileRejected, read_file

CARD = {c.layout: c for c in load_contracts()}["card"]
HEADER = ",".join(CARD.header)


def test_line_numbers_follow_physical_lines_with_quoted_newlines_and_blank_lines():
    data = (
        HEADER + "\r\n" + 'a,"multi\r\nline",x\r\n' + "\r\n" + "b,1,2,3,4,5,6,7,8,9\r\n"
    ).encode()
    parsed = read_file(CARD, data)
    assert parsed.malformed == [
        (2, 'a,"multi\r\nline",x'.replace("\r\n", "\n"), "expected 10 fields, found 3")
    ]
    assert parsed.line_nos == [5]
    assert parsed.rows_total == 2


def test_utf8_bom_is_accepted():
    parsed = read_file(CARD, ("\ufeff" + HEADER + "\n").encode("utf-8"))
    assert parsed.rows_total == 0


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "file is empty"),
        (b"\xff\xfe\x00", "does not decode as utf-8-sig"),
        (HEADER.replace("gross", "amount").encode(), "missing: gross; unexpected: amount"),
        (",".join(reversed(CARD.header)).encode(), "columns are in a different order"),
        ((HEADER + '\n"unterminated,1').encode(), "not valid delimited text at line 2"),
    ],
)
def test_unusable_files_are_rejected_whole_with_a_reason(data, fragment):
    with pytest.raises(FileRejected) as rejected:
        read_file(CARD, data)
    assert fragment in rejected.value.reason


def test_undecodable_bytes_name_their_line():
    konbini = {c.layout: c for c in load_contracts()}["konbini"]
    data = ",".join(konbini.header).encode("cp932") + b"\r\n01,\x82\xff\r\n"
    with pytest.raises(FileRejected, match="bytes 82 at line 2"):
        read_file(konbini, data)
