"""What an export cell may hold: never a formula a spreadsheet would evaluate (also after
blanks, also in full-width forms), never a control character, never a line break."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from recon_pipeline.assets.exports import SLIP_COLUMNS, slip_file_cells
from recon_pipeline.resources.exports import (
    csv_bytes,
    neutralize_column,
    quoted_csv_bytes,
    safe_cell,
    without_controls,
)

CELLS = {
    "=1+1": "'=1+1",
    " =1+1": "' =1+1",
    "\u3000＝SUM(A1)": "'\u3000＝SUM(A1)",
    "＋81": "'＋81",
    " －1": "' －1",
    "＠cmd": "'＠cmd",
    "@cmd": "'@cmd",
    "\t=1": "' =1",
    "a\x00b": "ab",
    "line\r\nbreak": "line  break",
    "a\u2028b": "a b",
    "del\x7f": "del",
    "plain - text = fine": "plain - text = fine",
    "東京都渋谷区": "東京都渋谷区",
}


def test_each_cell_is_neutralized_and_cleaned_the_same_in_arrow_and_python():
    arrow = neutralize_column(without_controls(pa.array(list(CELLS)))).to_pylist()
    assert arrow == list(CELLS.values())
    assert [safe_cell(value) for value in CELLS] == list(CELLS.values())


def test_the_ship_hold_writer_cleans_its_cells_too():
    data = csv_bytes(["customer_id", "reason"], [["=C1", "a\nb\x00"]], "utf-8", "\n")
    assert data == b"customer_id,reason\n'=C1,a b\n"


def test_a_slip_file_has_one_line_per_request_and_lists_the_rows_it_changed():
    requests = pd.DataFrame(
        [
            {column: "x" for column in SLIP_COLUMNS}
            | {"request_id": "R1", "name": " ＝1", "address": "a\r\nb\x00", "amount": 100},
            {column: "x" for column in SLIP_COLUMNS} | {"request_id": "R2", "amount": 200},
        ]
    ).assign(due_date=pd.Timestamp("2026-10-15"))

    cells, replaced = slip_file_cells(requests)
    data = quoted_csv_bytes(cells, "cp932", "\r\n")

    assert replaced == ["R1"]
    text = data.decode("cp932")
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    assert not any(ord(char) < 0x20 for char in text.replace("\r\n", ""))
    assert '"\' ＝1"' in text and '"a  b"' in text
