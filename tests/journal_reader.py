"""An independent reader of the journal files: Python's ``csv`` over CP932 text, nothing of
the package. What an accountant's import would see: slips (grouped by 識別フラグ), each line's
accounts and amounts, and the balances they add up to."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

COLUMNS = 25
ONE_LINE, FIRST, MIDDLE, LAST = "2111", "2110", "2100", "2101"


@dataclass(frozen=True)
class Line:
    flag: str
    slip_no: str
    date: str
    debit: tuple[str, str]
    debit_tax_class: str
    debit_amount: int
    credit: tuple[str, str]
    credit_tax_class: str
    credit_amount: int
    summary: str
    memo: str


def read_lines(path: Path) -> list[Line]:
    """Every row of a file, checked for the format: CP932, CRLF only, 25 fields, no header,
    amounts whole yen and never negative, the fixed fields as 弥生 takes them."""
    data = path.read_bytes()
    assert data.endswith(b"\r\n"), path
    assert b"\n" not in data.replace(b"\r\n", b""), f"{path}: a line end other than CRLF"
    rows = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    lines = []
    for row in rows:
        assert len(row) == COLUMNS, row
        assert row[0] in (ONE_LINE, FIRST, MIDDLE, LAST), row
        assert row[1].isdigit() and len(row[1]) <= 6, row
        assert row[2] == "" and row[6] == "" and row[12] == "", row  # 決算, 部門
        assert row[8].isdigit() and row[14].isdigit(), row  # amounts: digits, no minus
        assert (row[19], row[22], row[23], row[24]) == ("0", "0", "0", "no"), row
        assert len(row[16].encode("cp932")) <= 64, row  # 摘要
        lines.append(
            Line(
                flag=row[0],
                slip_no=row[1],
                date=row[3],
                debit=(row[4], row[5]),
                debit_tax_class=row[7],
                debit_amount=int(row[8]),
                credit=(row[10], row[11]),
                credit_tax_class=row[13],
                credit_amount=int(row[14]),
                summary=row[16],
                memo=row[21],
            )
        )
    return lines


def slips(lines: list[Line]) -> list[list[Line]]:
    """The slips, as the identification flags group them: 2111 alone, 2110 … 2100 … 2101."""
    grouped: list[list[Line]] = []
    current: list[Line] | None = None
    for line in lines:
        if line.flag == ONE_LINE:
            assert current is None, line
            grouped.append([line])
        elif line.flag == FIRST:
            assert current is None, line
            current = [line]
        else:
            assert current is not None, line
            current.append(line)
            if line.flag == LAST:
                grouped.append(current)
                current = None
    assert current is None, "a slip without its last line"
    for slip in grouped:
        assert len({(line.slip_no, line.date) for line in slip}) == 1, slip
    return grouped


def balances(lines: list[Line]) -> Counter:
    """Debit minus credit per (account, sub-account)."""
    total: Counter = Counter()
    for line in lines:
        if line.debit[0]:
            total[line.debit] += line.debit_amount
        if line.credit[0]:
            total[line.credit] -= line.credit_amount
    return total
