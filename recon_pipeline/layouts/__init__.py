"""Readers: turn a landed file's bytes into records (line number, raw text, fields).

``csv`` serves every delimited layout; layouts a contract cannot express alone (Zengin's
fixed-width record groups, Amazon's summary row) get a module of their own here and an entry
in ``READERS``, the one place a contract's ``reader:`` is looked up.
"""

from collections.abc import Callable
from pathlib import Path

from recon_pipeline.contracts.model import READERS as READER_NAMES
from recon_pipeline.contracts.model import Contract
from recon_pipeline.layouts.amazon import read_amazon_v2
from recon_pipeline.layouts.base import FileRejected, ParsedFile
from recon_pipeline.layouts.delimited import read_delimited
from recon_pipeline.layouts.zengin import read_zengin

Reader = Callable[[Contract, bytes | Path], ParsedFile]
READERS: dict[str, Reader] = {
    "csv": read_delimited,
    "amazon_v2": read_amazon_v2,
    "zengin": read_zengin,
}
assert set(READERS) == set(READER_NAMES), "a contract may name exactly the readers here"


def read_file(contract: Contract, data: bytes | Path) -> ParsedFile:
    """The records of a file (or its bytes) by the contract's reader."""
    return READERS[contract.reader](contract, data)


__all__ = ["READERS", "FileRejected", "ParsedFile", "read_file"]
