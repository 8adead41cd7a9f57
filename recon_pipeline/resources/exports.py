"""Where export files go: the local export dir, written atomically.

The slip-request file is CP932 with CRLF, every field quoted, and safe to open in Excel:
cells that would start a formula are neutralized, characters CP932 cannot encode become
〓 and the affected rows are reported.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import dagster as dg

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "〓"


def neutralize(value: str) -> str:
    """Prefix ``'`` so a spreadsheet shows the text instead of evaluating it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


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


def csv_bytes(
    header: list[str], rows: list[list[str]], encoding: str, line_end: str, quote_all: bool
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, lineterminator=line_end, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_atomically(path: Path, data: bytes) -> bool:
    """Write via a temp name and rename; returns False when identical bytes were there."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return True


class ExportTarget(dg.ConfigurableResource):
    """The export dir (``RECON_EXPORT_DIR``) and the shop's codes at the collection agent."""

    export_dir: str
    company_code: str = "929023"
    shop_code: str = "12345"

    def path_for(self, kind: str, file_name: str) -> Path:
        return Path(self.export_dir) / kind / file_name
