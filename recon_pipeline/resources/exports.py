"""Where export files go: the local export dir, written atomically.

The slip-request file is CP932 with CRLF, every field quoted, and safe to open in Excel:
cells that would start a formula are neutralized, characters CP932 cannot encode become
〓 and the affected rows are reported. No export cell carries a control character: line
breaks and tabs become a space, NUL and the other C0 controls (and DEL) are removed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from recon_pipeline.settings import DEMO_AGENT_COMPANY_CODE, DEMO_AGENT_SHOP_CODE

FORMULA = "^[\t\r\n \u3000\u00a0]*[=+\\-@＝＋－＠]|^[\t\r]"
"""A cell a spreadsheet would evaluate: one that starts, after any blanks (full-width too),
with ``=``, ``+``, ``-``, ``@`` or their full-width forms ``＝＋－＠``, or with a tab or
CR. The same pattern for Arrow's regex engine (RE2) and Python's ``re``."""
LINE_BREAKS = "[\r\n\t\u2028\u2029]"
"""Become a space: a record of an export is one line."""
CONTROLS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
"""C0 controls (NUL …) and DEL that are not line breaks: removed."""
REPLACEMENT = "〓"
_PYTHON = {
    name: re.compile(pattern)
    for name, pattern in (("formula", FORMULA), ("breaks", LINE_BREAKS), ("controls", CONTROLS))
}


def neutralize_column(texts: pa.Array) -> pa.Array:
    """Prefix ``'`` to the texts a spreadsheet would evaluate, so it shows them instead."""
    formulas = pc.match_substring_regex(texts, FORMULA)
    return pc.if_else(formulas, pc.binary_join_element_wise("'", texts, ""), texts)


def without_controls(texts: pa.Array) -> pa.Array:
    """Line breaks and tabs as a space, every other control character removed."""
    spaced = pc.replace_substring_regex(texts, LINE_BREAKS, " ")
    return pc.replace_substring_regex(spaced, CONTROLS, "")


def safe_cell(value: str) -> str:
    """One cell as :func:`without_controls` and :func:`neutralize_column` make it."""
    value = _PYTHON["controls"].sub("", _PYTHON["breaks"].sub(" ", value))
    return f"'{value}" if _PYTHON["formula"].search(value) else value


def cp932_safe(value: str) -> tuple[str, bool]:
    """The value with every character CP932 cannot encode replaced; True if any was."""
    try:
        value.encode("cp932")
        return value, False
    except UnicodeEncodeError:
        chars = []
        for char in value:
            try:
                char.encode("cp932")
                chars.append(char)
            except UnicodeEncodeError:
                chars.append(REPLACEMENT)
        return "".join(chars), True


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str, line_end: str) -> bytes:
    """CSV quoted where needed (Arrow's writer quotes every text cell, so small files whose
    cells are quoted only where needed go through the csv module)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode(encoding)


def quoted_csv_bytes(cells: pa.Table, encoding: str, line_end: str) -> bytes:
    """The text cells as CSV with every cell and the header quoted, by Arrow's writer (which
    writes UTF-8)."""
    buffer = io.BytesIO()
    pa_csv.write_csv(
        cells,
        buffer,
        pa_csv.WriteOptions(quoting_style="all_valid", quoting_header="all_valid", eol=line_end),
    )
    return buffer.getvalue().decode().encode(encoding)


def write_atomically(path: Path, data: bytes) -> bool:
    """Write via a temp name and rename; returns False when identical bytes were there."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    with temporary.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return True


def temporary_path(path: Path) -> Path:
    """Where a file is written before it is renamed to ``path`` (a crash leaves at most this)."""
    return path.with_name(f".{path.name}.tmp")


def sha256_of(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def replace_atomically(temporary: Path, path: Path, sha256: str) -> bool:
    """Rename a written temp file (:func:`temporary_path`) to ``path``, or delete it when
    ``path`` holds the same bytes already (``sha256``); returns whether it was renamed. For
    files too large to hold in memory twice (a backlog day's journal)."""
    if path.exists() and sha256_of(path) == sha256:
        temporary.unlink()
        return False
    with temporary.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(temporary, path)
    return True


class ExportTarget(dg.ConfigurableResource):
    """The export dir (``RECON_EXPORT_DIR``) and the shop's codes at the collection agent
    (``RECON_AGENT_COMPANY_CODE``, ``RECON_AGENT_SHOP_CODE``, checked by the settings)."""

    export_dir: str
    company_code: str = DEMO_AGENT_COMPANY_CODE
    shop_code: str = DEMO_AGENT_SHOP_CODE

    def path_for(self, kind: str, file_name: str) -> Path:
        return Path(self.export_dir) / kind / file_name
