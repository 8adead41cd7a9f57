"""The delimited reader: encodings, BOM, CRLF, quoting, header checks, exact line numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon_pipeline.contracts import load_contracts
from recon_pipeline.layouts import FileRejected, read_file
from recon_pipeline.layouts.delimited import read_delimited

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
        (
            HEADER.replace("gross", "amount").encode(),
            "header lacks required column(s): gross (columns not in the layout: amount)",
        ),
        (HEADER.replace("payout_id", "fee").encode(), "header names fee more than once"),
        ((HEADER + '\n"unterminated,1').encode(), "not valid delimited text at line 2"),
    ],
)
def test_unusable_files_are_rejected_whole_with_a_reason(data, fragment):
    with pytest.raises(FileRejected) as rejected:
        read_file(CARD, data)
    assert fragment in rejected.value.reason


ROW = {
    "balance_transaction_id": "txn_1",
    "created": "2026-10-01T10:00:00+09:00",
    "reporting_category": "charge",
    "order_id": "338127-20260910-0000000001",
    "gross": "100",
    "fee": "3",
    "net": "97",
    "currency": "jpy",
    "payout_id": "po_1",
    "payout_date": "2026-10-08",
}


@pytest.mark.parametrize("columnar", [True, False])
@pytest.mark.parametrize(
    ("header", "notes"),
    [
        (list(reversed(CARD.header)), []),
        ([" gross ", *[f"\u3000{n}" for n in CARD.header if n != "gross"]], []),
        ([*CARD.header, "memo", ""], ["unknown columns ignored: memo, (unnamed)"]),
        (
            [n for n in CARD.header if n not in ("payout_id", "payout_date")],
            ["optional columns absent, read as empty: payout_id, payout_date"],
        ),
    ],
    ids=["reordered", "spaces-around-names", "extra-columns", "optional-columns-absent"],
)
def test_columns_are_found_by_name_whatever_the_order_extras_or_spaces(header, notes, columnar):
    """A provider's export in another column order, with columns of its own or padded names
    gives the same records; what it did differently is noted for the manifest."""
    names = [name.strip() for name in header]
    line = ",".join(ROW.get(name, "extra") if name else "" for name in names)
    parsed = read_delimited(CARD, (",".join(header) + "\n" + line + "\n").encode(), columnar)
    [record] = _records(parsed)
    assert dict(zip(CARD.header, record, strict=True)) == {
        name: ROW[name] if name in names else (None if columnar else "") for name in CARD.header
    }
    assert parsed.notes == notes


def test_undecodable_bytes_name_their_line():
    konbini = {c.layout: c for c in load_contracts()}["konbini"]
    data = ",".join(konbini.header).encode("cp932") + b"\r\n01,\x82\xff\r\n"
    with pytest.raises(FileRejected, match="bytes 82 at line 2"):
        read_file(konbini, data)


def _records(parsed) -> list[list[str]]:
    if parsed.columns is None:
        return parsed.rows
    return [list(fields) for fields in zip(*(c.to_pylist() for c in parsed.columns), strict=True)]


LINE = st.lists(st.text(st.sampled_from('ab1 ,"\r'), max_size=4), min_size=1, max_size=11).map(
    ",".join
)


WIDE_LINE = st.lists(st.text(st.sampled_from("ab1 \r"), max_size=3), min_size=10, max_size=10).map(
    ",".join
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(WIDE_LINE, WIDE_LINE, LINE, st.just("")), max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.permutations(CARD.header),
)
def test_the_columnar_reader_gives_what_the_exact_reader_gives(lines, end, final_newline, order):
    """Arrow parses a file only where it cannot differ from the line-by-line reader; the
    records, line numbers, raw lines, malformed rows and verdicts are the same either way,
    whatever the order of the header's columns."""
    data = (end.join([",".join(order), *lines]) + (end if final_newline else "")).encode()

    def read(columnar: bool):
        try:
            return read_delimited(CARD, data, columnar=columnar)
        except FileRejected as rejected:
            return rejected.reason

    fast, exact = read(True), read(False)
    if isinstance(exact, str) or isinstance(fast, str):
        assert fast == exact
        return
    assert [[v or "" for v in r] for r in _records(fast)] == exact.rows
    assert fast.line_nos == exact.line_nos and fast.malformed == exact.malformed
    assert [fast.raw(n) for n in fast.line_nos] == exact.raws


def test_a_clean_file_goes_columnar_and_a_quoted_one_row_by_row():
    row = "txn_1,2026-10-01T10:00:00+09:00,charge,ORD-1,100,3,97,jpy,po_1,2026-10-08"
    clean = read_delimited(CARD, f"{HEADER}\n{row}\n".encode())
    quoted = read_delimited(
        CARD, f"{HEADER}\n{row.replace('po_1', chr(34) + 'po,1' + chr(34))}\n".encode()
    )
    assert clean.columns is not None and quoted.columns is None
    assert _records(clean)[0][8] == "po_1" and quoted.malformed == []
    assert quoted.rows[0][8] == "po,1"
