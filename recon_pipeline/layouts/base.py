"""What every reader returns, and what a reader raises for a file it cannot use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa


class FileRejected(Exception):
    """The whole file is unusable (does not decode, wrong header, control totals differ)."""

    def __init__(self, reason: str, rows_total: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rows_total = rows_total


@dataclass
class ParsedFile:
    """Data records of one file, either as parallel lists (``rows`` of fields, ``raws``) or,
    from DuckDB's reader, as ``columns`` of Arrow strings with the decoded ``text`` (or
    ``text_of``) to find a record's raw line in when it is rejected."""

    line_nos: list[int] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    malformed: list[tuple[int, str, str]] = field(default_factory=list)
    """(line_no, raw, reason) of records the reader itself could not split into fields."""
    control: dict[str, str] = field(default_factory=dict)
    """What the file says about itself (summary/trailer totals), kept in the manifest."""
    columns: list[pa.Array | pa.ChunkedArray] | None = None
    text: str | None = None
    text_of: Callable[[], str] | None = None
    """Reads the decoded ``text`` when a record's raw line is first needed (DuckDB parsed the
    file; the text is only decoded in Python again for a rejected record)."""
    notes: list[str] = field(default_factory=list)
    """What the file does differently from its layout without losing anything (columns it
    has in addition, optional ones it lacks), kept in the manifest."""

    @property
    def record_count(self) -> int:
        return len(self.line_nos)

    @property
    def rows_total(self) -> int:
        return self.record_count + len(self.malformed)

    @cached_property
    def _raw_by_line(self) -> dict[int, str]:
        return dict(zip(self.line_nos, self.raws, strict=True))

    @cached_property
    def _lines(self) -> list[str]:
        if self.text is None and self.text_of is not None:
            return self.text_of().split("\n")
        return (self.text or "").split("\n")

    def raw(self, line_no: int) -> str:
        """The record's text as it stood in the file."""
        if self.text is not None or self.text_of is not None:
            return self._lines[line_no - 1].removesuffix("\r")
        return self._raw_by_line[line_no]


def decode(data: bytes, encoding: str) -> str:
    """Decode strictly; the error names the line and byte offset of the first bad byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.end].hex(" ")
        raise FileRejected(
            f"file does not decode as {encoding}: bytes {bad} at line {line} "
            f"(byte offset {error.start})"
        ) from error
