"""The delimited reader: encodings, BOM, CRLF, quoting, header checks, exact line numbers."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon_pipeline.contracts import load_contracts
from recon_pipeline.layouts import FileRejected, read_file, text
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


KONBINI = {c.layout: c for c in load_contracts()}["konbini"]


def _konbini_bytes(rows: list[str]) -> bytes:
    return "\r\n".join([",".join(KONBINI.header), *rows, ""]).encode("cp932")


def test_a_cp932_file_is_streamed_to_utf8_and_read_as_the_exact_reader_reads_it(
    monkeypatch, tmp_path
):
    """Chunks far smaller than the file: every record, value and line is the exact
    reader's, the UTF-8 copy is gone afterwards, and a rejected record's raw line is its
    text as written (decoded only when asked for)."""
    monkeypatch.setattr(text, "CHUNK_BYTES", 64)
    monkeypatch.setattr(text.tempfile, "tempdir", str(tmp_path))
    width = len(KONBINI.header)
    rows = [",".join([f"ｶﾅ{n}", "ﾔﾏﾀﾞ 太郎", *[str(n)] * (width - 2)]) for n in range(40)]
    path = tmp_path / "k.csv"
    path.write_bytes(_konbini_bytes(rows))
    streamed, exact = read_delimited(KONBINI, path), read_delimited(KONBINI, path, False)
    assert streamed.columns is not None and not list(tmp_path.glob("recon-utf8-*"))
    assert _records(streamed) == exact.rows and streamed.line_nos == exact.line_nos
    assert streamed.raw(41) == exact.raws[-1] == rows[-1]


def test_a_bad_byte_past_the_first_chunk_names_the_same_line_and_offset(monkeypatch):
    monkeypatch.setattr(text, "CHUNK_BYTES", 64)
    rows = [",".join(["01"] * len(KONBINI.header))] * 30
    data = _konbini_bytes(rows)
    at = data.rindex(b"01")
    data = data[:at] + b"\x82\xff" + data[at + 2 :]
    with pytest.raises(FileRejected) as streamed:
        read_delimited(KONBINI, data)
    with pytest.raises(FileRejected) as whole:
        read_delimited(KONBINI, data, columnar=False)
    assert streamed.value.reason == whole.value.reason
    assert "at line 31 (byte offset" in streamed.value.reason


def test_a_blank_line_between_records_keeps_the_physical_line_numbers():
    row = "txn_1,2026-10-01T10:00:00+09:00,charge,ORD-1,100,3,97,jpy,po_1,2026-10-08"
    parsed = read_delimited(CARD, f"{HEADER}\n{row}\n\n{row.replace('txn_1', 'txn_2')}\n".encode())
    assert parsed.line_nos == [2, 4]
    assert parsed.raw(4).startswith("txn_2,")


def test_a_killed_runs_utf8_copy_is_swept_and_a_live_ones_kept(tmp_path):
    """Crash-only: a copy whose process is gone (SIGKILL between writing and deleting it) is
    deleted by the next pass; a copy of a process still running is left alone."""
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"{text.COPY_PREFIX}{gone.stdout.strip()}-abc.txt"
    live = tmp_path / f"{text.COPY_PREFIX}{os.getpid()}-def.txt"
    other = tmp_path / "recon-utf8-notes.txt"
    for path in (dead, live, other):
        path.write_text("x")
    assert text.sweep_copies(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and other.exists()
