"""Readers: turn a landed file's bytes into records (line number, raw text, fields).

``csv`` serves every delimited layout; layouts a contract cannot express alone (Zengin's
fixed-width record groups, Amazon's summary row) get a module of their own here.
"""

from recon_pipeline.layouts.base import FileRejected, ParsedFile, read_file

__all__ = ["FileRejected", "ParsedFile", "read_file"]
