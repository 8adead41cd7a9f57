"""One streaming pass over a landed file before DuckDB parses it: the strict decode (the
same reason as :func:`recon_pipeline.layouts.base.decode`, with line and byte offset), a
UTF-8 copy where the file is in another encoding (DuckDB's encodings extension cannot be
installed offline), and what the pass saw that decides how the file may be parsed.

Memory is bounded by ``CHUNK_BYTES`` plus one line: the file is read in chunks cut after
their last newline (in UTF-8 and CP932 the byte 0x0A is never part of a multi-byte
character, so each piece decodes alone and a bad byte's offset is exact).
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from recon_pipeline.layouts.base import FileRejected

CHUNK_BYTES = 8 * 2**20
UTF8 = ("utf-8", "utf-8-sig")
STREAMED = (*UTF8, "cp932", "shift_jis")
"""Encodings a newline cannot occur inside a character of: only these are streamed (and
parsed by DuckDB); any other is decoded whole and read by the exact reader."""
LINE_ENDS = b"\r\n"


@dataclass
class Scanned:
    """What the pass saw. ``path`` is UTF-8 text (the file itself, or a temporary copy that
    :func:`scanned` deletes)."""

    path: Path
    blank: bool = True
    """Only ASCII whitespace (or nothing): "file is empty"."""
    quote: bool = False
    """A ``"`` somewhere."""
    lone_cr: bool = False
    """A ``\\r`` not followed by ``\\n`` (a line break to the exact reader, not to DuckDB)."""
    inner_blank: bool = False
    """An empty line before a line with content (DuckDB skips empty lines, so its row
    numbers would no longer be physical lines)."""
    last_line: int = 0
    """The last line with more than a line end on it."""
    header: str | None = None
    """The first line, decoded, without its line end (and a UTF-8-sig BOM)."""


def streamable(encoding: str) -> bool:
    return codecs.lookup(encoding).name in STREAMED


def _pieces(handle: BinaryIO) -> Iterator[bytes]:
    """The file in chunks that end after a newline (the last one wherever the file ends)."""
    rest = b""
    while chunk := handle.read(CHUNK_BYTES):
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]
    if rest:
        yield rest


def _reject_bad_bytes(error: UnicodeDecodeError, piece: bytes, offset: int, lines: int, name):
    line = lines + piece[: error.start].count(b"\n") + 1
    bad = piece[error.start : error.end].hex(" ")
    raise FileRejected(
        f"file does not decode as {name}: bytes {bad} at line {line} "
        f"(byte offset {offset + error.start})"
    ) from error


@contextmanager
def scanned(source: bytes | Path, encoding: str) -> Iterator[Scanned]:
    """Scan ``source`` (a file or its bytes) in one pass; a copy is written where DuckDB
    needs one (another encoding than UTF-8, or bytes not in a file) and deleted on exit."""
    name = codecs.lookup(encoding).name
    copy = name not in UTF8 or not isinstance(source, Path)
    target: BinaryIO | None = None
    temporary: Path | None = None
    if copy:
        sweep_copies()
        descriptor, where = tempfile.mkstemp(prefix=f"{COPY_PREFIX}{os.getpid()}-", suffix=".txt")
        temporary = Path(where)
        target = os.fdopen(descriptor, "wb")
    try:
        with target if target is not None else _nothing():
            if isinstance(source, Path):
                with source.open("rb") as handle:
                    found = _scan(_pieces(handle), encoding, name, target)
            else:
                found = _scan(_pieces(_BytesReader(source)), encoding, name, target)
        found.path = temporary if temporary is not None else Path(source)
        yield found
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


COPY_PREFIX = "recon-utf8-"
"""A copy's name: the prefix, the pid of the process that writes it, a random part."""


def sweep_copies(directory: Path | None = None) -> list[Path]:
    """Delete the copies of processes that are gone (killed between writing a copy and
    deleting it: crash-only, the next run cleans up); returns what was deleted."""
    swept = []
    for path in Path(directory or tempfile.gettempdir()).glob(f"{COPY_PREFIX}*-*.txt"):
        pid = path.name.removeprefix(COPY_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        path.unlink(missing_ok=True)
        swept.append(path)
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._at = 0

    def read(self, size: int) -> bytes:
        piece = self._view[self._at : self._at + size].tobytes()
        self._at += len(piece)
        return piece


def _scan(pieces: Iterator[bytes], encoding: str, name: str, target: BinaryIO | None) -> Scanned:
    """Every question answered by a byte search or count over each piece (no copy of it)."""
    found = Scanned(path=Path())
    offset = lines = 0
    blank_seen = False
    for number, piece in enumerate(pieces):
        codec = encoding if number == 0 else ("utf-8" if name == "utf-8-sig" else encoding)
        try:
            text = piece.decode(codec)
        except UnicodeDecodeError as error:
            _reject_bad_bytes(error, piece, offset, lines, encoding)
        if number == 0:
            end = text.find("\n")
            found.header = (text if end < 0 else text[:end]).removesuffix("\r")
        if target is not None:
            target.write(text.encode("utf-8"))
        if found.blank and piece.strip():
            found.blank = False
        found.quote = found.quote or b'"' in piece
        newlines = piece.count(b"\n")
        crlf = piece.count(b"\r\n") if b"\r" in piece else 0
        if crlf or b"\r" in piece:
            found.lone_cr = found.lone_cr or piece.count(b"\r") != crlf
        end = len(piece)
        while end and piece[end - 1] in LINE_ENDS:
            end -= 1
        if not found.inner_blank:
            if blank_seen and end:
                found.inner_blank = True
            else:
                at = _first_blank_line(piece, newlines, crlf)
                if at >= 0:
                    blank_seen = True
                    found.inner_blank = at < end
        if end:
            found.last_line = lines + newlines - piece.count(b"\n", end) + 1
        offset += len(piece)
        lines += newlines
    return found


def _first_blank_line(piece: bytes, newlines: int, crlf: int) -> int:
    """Where the first empty line (nothing, or a CR before its newline) of a piece that
    starts a line begins; -1 for none. A piece whose every newline follows a CR cannot
    hold an empty LF line, one without CR no empty CRLF line: one search, not two."""
    if piece.startswith((b"\n", b"\r\n")):
        return 0
    places = []
    if newlines > crlf:
        places.append(piece.find(b"\n\n"))
    if crlf:
        places.append(piece.find(b"\n\r\n"))
    places = [at for at in places if at >= 0]
    return min(places) + 1 if places else -1
