"""Where inbound files come from: one interface, so assets never know local from remote.

Every source has the tree ``<root>/<source>/<YYYY-MM-DD>/<file>`` (layouts.md). Files are
copied into the local landing copy (checksummed while copied, renamed into place only when
complete), and read from there, so a half-written or half-downloaded file is never parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import unicodedata
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import dagster as dg

CHUNK = 1 << 20


class UnsafeName(ValueError):
    """A remote file name that must not be followed (traversal, separators, control chars)."""


def unsafe_name_reason(name: str) -> str | None:
    """Why a remote file name is refused, or None when it is a plain file name."""
    if not name or name in (".", ".."):
        return "empty or dot file name"
    if ".." in name:
        return "file name contains '..'"
    if "/" in name or "\\" in name:
        return "file name contains a path separator"
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        return "file name contains a control character"
    if name.startswith("."):
        return "hidden file name (in-progress uploads start with a dot)"
    return None


def landing_path(landed_dir: Path, source: str, day: dt.date, name: str) -> Path:
    """The local landing copy of a remote file, proven to stay inside ``landed_dir``."""
    if reason := unsafe_name_reason(name):
        raise UnsafeName(f"{source}/{day.isoformat()}/{name!r}: {reason}")
    root = landed_dir.resolve()
    target = (root / source / day.isoformat() / name).resolve()
    if not target.is_relative_to(root):
        raise UnsafeName(f"{name!r} resolves outside the landing directory")
    return target


@dataclass(frozen=True)
class RemoteFile:
    source: str
    day: dt.date
    name: str
    size: int
    version: str
    """Changes when the file changes (S3 etag, mtime): sensors key run requests on it."""


def copy_with_sha256(reader: BinaryIO, target: Path) -> tuple[str, int]:
    """Stream into ``target`` atomically; returns (sha256, bytes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest(), size


class InboundSource(dg.ConfigurableResource):
    """Lists a day's files of one source and lands them in the local landing copy."""

    landed_dir: str

    @abstractmethod
    def list_files(self, source: str, day: dt.date) -> list[RemoteFile]:
        """The day's files of ``source``, names unvalidated (the caller refuses unsafe ones)."""

    @abstractmethod
    def open_file(self, remote: RemoteFile) -> BinaryIO:
        """A binary stream of the remote file's bytes."""

    def land(self, remote: RemoteFile) -> tuple[Path, str, int]:
        """Copy to the landing copy; returns (local path, sha256, bytes)."""
        target = landing_path(Path(self.landed_dir), remote.source, remote.day, remote.name)
        with self.open_file(remote) as reader:
            sha256, size = copy_with_sha256(reader, target)
        return target, sha256, size


class LocalSource(InboundSource):
    """A local folder (``RECON_LANDING_DIR``): the embedded default."""

    root: str

    def list_files(self, source: str, day: dt.date) -> list[RemoteFile]:
        folder = Path(self.root) / source / day.isoformat()
        if not folder.is_dir():
            return []
        files = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False) or entry.is_symlink():
                stat = entry.stat(follow_symlinks=False)
                files.append(
                    RemoteFile(
                        source, day, entry.name, stat.st_size, f"{stat.st_mtime_ns}-{stat.st_size}"
                    )
                )
        return files

    def open_file(self, remote: RemoteFile) -> BinaryIO:
        path = Path(self.root) / remote.source / remote.day.isoformat() / remote.name
        if path.is_symlink():
            raise UnsafeName(f"{remote.name!r} is a symbolic link")
        return path.open("rb")


class S3Source(InboundSource):
    """An S3 bucket (or an S3-compatible store via ``endpoint_url``) with the same tree under
    ``prefix``. Credentials come from the environment (boto3's own chain), never from config."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None

    def _client(self):
        import boto3
        from botocore.config import Config

        retries = Config(retries={"max_attempts": 5, "mode": "standard"})
        return boto3.client("s3", endpoint_url=self.endpoint_url, config=retries)

    def _key(self, source: str, day: dt.date, name: str = "") -> str:
        base = f"{self.prefix.strip('/')}/" if self.prefix.strip("/") else ""
        return f"{base}{source}/{day.isoformat()}/{name}"

    def list_files(self, source: str, day: dt.date) -> list[RemoteFile]:
        folder = self._key(source, day)
        files = []
        paginator = self._client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=folder):
            for item in page.get("Contents", []):
                name = item["Key"][len(folder) :]
                files.append(
                    RemoteFile(source, day, name, int(item["Size"]), str(item["ETag"]).strip('"'))
                )
        return sorted(files, key=lambda f: f.name)

    def open_file(self, remote: RemoteFile) -> BinaryIO:
        response = self._client().get_object(
            Bucket=self.bucket, Key=self._key(remote.source, remote.day, remote.name)
        )
        return response["Body"]
