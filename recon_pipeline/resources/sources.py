"""Where inbound files come from: one interface, so assets never know local from remote.

Every source has the tree ``<root>/<source>/<YYYY-MM-DD>/<file>`` (layouts.md). Files are
copied into the local landing copy (checksummed while copied, renamed into place only when
complete), and read from there, so a half-written or half-downloaded file is never parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import stat
import threading
import time
import unicodedata
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

import dagster as dg
import numpy as np
from pydantic import PrivateAttr

CHUNK = 1 << 20
T = TypeVar("T")
_MAKING_CLIENT = threading.Lock()


class Refused(ValueError):
    """A delivered file that is recorded as REFUSED and never read; the message says why."""


class UnsafeName(Refused):
    """A remote file name that must not be followed (traversal, separators, control chars,
    a symbolic link)."""


class TooLarge(Refused):
    """A file over ``RECON_MAX_FILE_BYTES``: refused before (or as soon as) its bytes exceed
    the limit, so one huge delivery cannot fill the disk or the memory of a run."""


DAY_FOLDER = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
OUTBOUND = "outbound"
"""The folder under the root that exports are pushed to: not an inbound source."""


@dataclass(frozen=True)
class Entry:
    """One name in a folder of the landing tree, as listed without following links."""

    name: str
    kind: str
    """``dir``, ``file``, ``link`` or ``other`` (a device, a socket …)."""


@dataclass(frozen=True)
class Skipped:
    """An entry of the landing tree that no day's listing reads, and why: recorded in
    ``audit.landing_skips`` so nothing is lost without a trace."""

    path: str
    reason: str


def day_folder_reason(name: str, today: dt.date) -> str | None:
    """Why a folder under ``<source>/`` is not read as a day, or None for a day up to today."""
    if not DAY_FOLDER.fullmatch(name):
        return "not a day folder (YYYY-MM-DD)"
    try:
        day = dt.date.fromisoformat(name)
    except ValueError:
        return "not a real date"
    if day > today:
        return f"a future day (today is {today.isoformat()} in Asia/Tokyo)"
    return None


class SourceRefused(RuntimeError):
    """The remote side cannot be trusted or reached as configured (unknown or changed host
    key, authentication refused, missing configuration). Never retried: retrying cannot help."""


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


class Landed(NamedTuple):
    """A file copied into the landing copy."""

    path: Path
    sha256: str
    size: int
    longest_line: int
    """Bytes of its longest line (``\n`` not counted): the whole file when it has none."""
    longest_line_no: int


@dataclass(frozen=True)
class RemoteFile:
    source: str
    day: dt.date
    name: str
    size: int
    version: str
    """Changes when the file changes (S3 etag, mtime): sensors key run requests on it."""


class IncompleteTransfer(OSError):
    """Fewer (or more) bytes arrived than the listing announced: the connection ended early
    or the file changed while it was read. Transient: the copy is started over."""


class LineMeter:
    """The longest line of a stream fed chunk by chunk (and which line it is), without
    keeping any of it: a 50 MB line costs what its chunks cost to look at."""

    def __init__(self) -> None:
        self.longest = 0
        self.longest_line_no = 0
        self.current = 0
        self.newlines = 0

    def _consider(self, length: int, line_no: int) -> None:
        if length > self.longest:
            self.longest, self.longest_line_no = length, line_no

    def feed(self, chunk: bytes) -> None:
        newlines = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if not len(newlines):
            self.current += len(chunk)
            return
        self._consider(self.current + int(newlines[0]), self.newlines + 1)
        if len(newlines) > 1:
            gaps = np.diff(newlines) - 1
            widest = int(gaps.argmax())
            self._consider(int(gaps[widest]), self.newlines + widest + 2)
        self.newlines += len(newlines)
        self.current = len(chunk) - int(newlines[-1]) - 1

    def result(self) -> tuple[int, int]:
        """(bytes of the longest line, its line number); (0, 0) for an empty stream."""
        self._consider(self.current, self.newlines + 1)
        return self.longest, self.longest_line_no


def copy_with_sha256(
    reader: BinaryIO,
    target: Path,
    expected_size: int | None = None,
    max_bytes: int | None = None,
) -> tuple[str, int, tuple[int, int]]:
    """Stream into ``target`` atomically; returns (sha256, bytes, (longest line, its line
    number)). Nothing is
    renamed into place unless every announced byte arrived; a stream that goes past
    ``max_bytes`` is cut off there and refused (:class:`TooLarge`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    digest = hashlib.sha256()
    lines = LineMeter()
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                lines.feed(chunk)
                out.write(chunk)
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(too_large(size, max_bytes, at_least=True))
            out.flush()
            os.fsync(out.fileno())
        if expected_size is not None and size != expected_size:
            raise IncompleteTransfer(f"{target.name}: {size} of {expected_size} bytes arrived")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest(), size, lines.result()


def too_large(size: int, limit: int, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return (
        f"file is {more}{size:,} bytes, over the limit of {limit:,} (RECON_MAX_FILE_BYTES); "
        "not landed"
    )


class InboundSource(dg.ConfigurableResource):
    """Lists a day's files of one source, lands them in the local landing copy, and pushes
    export files back to the same place (``outbound/<kind>/<file>`` under the root).

    Remote calls go through :meth:`retrying`: a transient fault (connection reset or dropped,
    timeout, 5xx or throttling) is retried with exponential backoff and full jitter, after
    dropping any cached connection; anything else fails at once with its reason.
    """

    landed_dir: str
    max_attempts: int = 5
    backoff_seconds: float = 0.5
    transfers_at_once: int = 4
    """Files landed side by side: a day of many files waits on each file's round trips
    (remote) or on hashing (local), not on the link's bandwidth."""
    max_file_bytes: int = 4 * 2**30
    """``RECON_MAX_FILE_BYTES``: a larger file is refused, never copied."""
    max_line_bytes: int = 2**20
    """``RECON_MAX_LINE_BYTES``: a line-based file with a longer line is refused once landed
    (measured while it is copied), never read."""

    @abstractmethod
    def list_files(self, source: str, day: dt.date) -> list[RemoteFile]:
        """The day's files of ``source``, names unvalidated (the caller refuses unsafe ones)."""

    @abstractmethod
    def open_file(self, remote: RemoteFile) -> BinaryIO:
        """A binary stream of the remote file's bytes."""

    @abstractmethod
    def list_entries(self, folder: str) -> list[Entry]:
        """The names in ``folder`` (relative to the root, ``""`` for the root), links not
        followed; an empty list when the folder does not exist."""

    def push(self, local: Path, remote_path: str) -> str | None:
        """Deliver ``local`` to ``remote_path`` under the root, atomically for the reader;
        returns where it went, or None when this source has no remote side."""
        return None

    def skipped(self, sources: list[str], today: dt.date) -> list[Skipped]:
        """Every entry of the tree that no day's listing reads, with the reason: at the root,
        a folder no contract names (or a link, a file, a dot name); under a source, anything
        but a day folder up to ``today`` (a name that is no date, an impossible date, a
        future day, a link, a file, a dot name)."""
        found: list[Skipped] = []
        for entry in self.retrying("list the landing root", lambda: self.list_entries("")):
            if entry.name in sources and entry.kind == "dir":
                continue
            if entry.name == OUTBOUND and entry.kind == "dir":
                continue
            found.append(Skipped(entry.name, _entry_reason(entry) or "no data contract names it"))
        for name in sources:
            for entry in self.retrying(f"list {name}", lambda n=name: self.list_entries(n)):
                reason = _entry_reason(entry) or day_folder_reason(entry.name, today)
                if reason:
                    found.append(Skipped(f"{name}/{entry.name}", reason))
        return found

    def is_transient(self, error: BaseException) -> bool:
        """Whether retrying could help (the network, not the data or the configuration)."""
        permanent = FileNotFoundError | PermissionError | IsADirectoryError | Refused
        return isinstance(error, OSError | EOFError) and not isinstance(error, permanent)

    def reset(self) -> None:
        """Forget a cached connection after a transient failure, so a retry reconnects."""

    def describe(self) -> str:
        """Where files come from, for logs and metadata (no credentials)."""
        return type(self).__name__

    def retrying(self, what: str, action: Callable[[], T]) -> T:
        log = dg.get_dagster_logger()
        for attempt in range(1, self.max_attempts + 1):
            try:
                return action()
            except SourceRefused:
                raise
            except Exception as error:
                if attempt == self.max_attempts or not self.is_transient(error):
                    raise
                self.reset()
                pause = random.uniform(0, self.backoff_seconds * 2 ** (attempt - 1))
                log.warning(
                    f"{what}: attempt {attempt}/{self.max_attempts} failed "
                    f"({type(error).__name__}: {error}); retrying in {pause:.2f}s"
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def files(self, source: str, day: dt.date) -> list[RemoteFile]:
        return self.retrying(f"list {source}/{day}", lambda: self.list_files(source, day))

    def land(self, remote: RemoteFile) -> Landed:
        """Copy to the landing copy, measuring its longest line on the way. A transfer cut
        short leaves nothing behind but is started over; only a complete copy is renamed
        into place, so a re-run after a crash lands the same file once. A file over
        ``max_file_bytes`` (as listed, or as it streams) is refused and never kept."""
        target = landing_path(Path(self.landed_dir), remote.source, remote.day, remote.name)
        if remote.size > self.max_file_bytes:
            raise TooLarge(too_large(remote.size, self.max_file_bytes))

        def copy() -> tuple[str, int, tuple[int, int]]:
            with self.open_file(remote) as reader:
                return copy_with_sha256(reader, target, remote.size, self.max_file_bytes)

        sha256, size, (longest, line_no) = self.retrying(
            f"land {remote.source}/{remote.day}/{remote.name}", copy
        )
        return Landed(target, sha256, size, longest, line_no)

    def land_all(self, remotes: list[RemoteFile]) -> list[Landed | Refused]:
        """:meth:`land` each of ``remotes``, ``transfers_at_once`` at a time; the results in
        the order of ``remotes`` (a file refused — unsafe, a link, too large — gives its
        :class:`Refused`), so what is judged in order — which of two same-bytes files came
        first — does not depend on which transfer ended first. Any other failure fails the
        call, the transfers not started are cancelled, and the copies already complete stay
        (a re-run lands them again, the same bytes)."""

        def land_one(remote: RemoteFile) -> Landed | Refused:
            try:
                return self.land(remote)
            except Refused as refused:
                return refused

        if self.transfers_at_once <= 1 or len(remotes) <= 1:
            return [land_one(remote) for remote in remotes]
        pool = ThreadPoolExecutor(self.transfers_at_once, thread_name_prefix="land")
        try:
            return list(pool.map(land_one, remotes))
        finally:
            pool.shutdown(cancel_futures=True)


class LocalSource(InboundSource):
    """A local folder (``RECON_LANDING_DIR``): the embedded default. Exports stay in the export
    dir; there is nothing to push to."""

    root: str

    def describe(self) -> str:
        return f"local folder {self.root}"

    def _real_folder(self, *parts: str) -> Path | None:
        """``root/parts…`` when every part is a folder and none is a symbolic link."""
        folder = Path(self.root)
        for part in parts:
            folder = folder / part
            try:
                if not stat.S_ISDIR(folder.lstat().st_mode):
                    return None
            except FileNotFoundError:
                return None
        return folder

    def list_files(self, source: str, day: dt.date) -> list[RemoteFile]:
        folder = self._real_folder(source, day.isoformat())
        if folder is None:
            return []
        files = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False) or entry.is_symlink():
                info = entry.stat(follow_symlinks=False)
                files.append(
                    RemoteFile(
                        source, day, entry.name, info.st_size, f"{info.st_mtime_ns}-{info.st_size}"
                    )
                )
        return files

    def list_entries(self, folder: str) -> list[Entry]:
        path = self._real_folder(*(part for part in folder.split("/") if part))
        if path is None:
            return []
        return [_local_entry(entry) for entry in sorted(os.scandir(path), key=lambda e: e.name)]

    def open_file(self, remote: RemoteFile) -> BinaryIO:
        """The file, opened without following a link at any level below the root."""
        folder = self._real_folder(remote.source, remote.day.isoformat())
        if folder is None:
            raise UnsafeName(f"{remote.source}/{remote.day} is not a plain folder (a link?)")
        try:
            handle = os.open(folder / remote.name, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as error:
            if (folder / remote.name).is_symlink():
                raise UnsafeName(f"{remote.name!r} is a symbolic link") from None
            raise error
        return os.fdopen(handle, "rb")


def _local_entry(entry: os.DirEntry) -> Entry:
    if entry.is_symlink():
        return Entry(entry.name, "link")
    if entry.is_dir(follow_symlinks=False):
        return Entry(entry.name, "dir")
    if entry.is_file(follow_symlinks=False):
        return Entry(entry.name, "file")
    return Entry(entry.name, "other")


def _entry_reason(entry: Entry) -> str | None:
    """Why an entry of the tree is never read whatever its name, or None for a folder."""
    if entry.name.startswith("."):
        return "hidden name (in-progress uploads start with a dot)"
    if reason := unsafe_name_reason(entry.name):
        return reason
    if entry.kind == "link":
        return "symbolic link, never followed"
    if entry.kind == "file":
        return "a file outside any day folder"
    if entry.kind != "dir":
        return "not a folder"
    return None


def _joined(*parts: str) -> str:
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


class S3Source(InboundSource):
    """An S3 bucket (or an S3-compatible store via ``endpoint_url``) with the same tree under
    ``prefix``. Credentials come from the environment (boto3's own chain), never from config.
    boto3 retries throttling and 5xx itself (standard mode); a body cut off mid-download is
    retried here."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    _s3: object | None = PrivateAttr(default=None)

    def describe(self) -> str:
        return f"s3://{_joined(self.bucket, self.prefix)}"

    def _client(self):
        """One client for the run, shared by the transfers: a boto3 client is thread-safe,
        making clients from boto3's default session in several threads at once is not."""
        with _MAKING_CLIENT:
            if self._s3 is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    retries={"max_attempts": self.max_attempts, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=30,
                    max_pool_connections=max(10, self.transfers_at_once),
                )
                self._s3 = boto3.client("s3", endpoint_url=self.endpoint_url, config=config)
            return self._s3

    def _key(self, source: str, day: dt.date, name: str = "") -> str:
        return _joined(self.prefix, source, day.isoformat()) + "/" + name

    def is_transient(self, error: BaseException) -> bool:
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            HTTPClientError,
            ResponseStreamingError,
        )

        if isinstance(error, ClientError):
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return status >= 500 or status == 429
        transient = ConnectionError | HTTPClientError | ResponseStreamingError
        return isinstance(error, transient) or super().is_transient(error)

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

    def list_entries(self, folder: str) -> list[Entry]:
        """ "Folders" are common prefixes; S3 has no links."""
        prefix = _joined(self.prefix, folder)
        prefix = f"{prefix}/" if prefix else ""
        entries = []
        paginator = self._client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                entries.append(Entry(common["Prefix"][len(prefix) :].rstrip("/"), "dir"))
            for item in page.get("Contents", []):
                entries.append(Entry(item["Key"][len(prefix) :], "file"))
        return sorted(entries, key=lambda e: e.name)

    def open_file(self, remote: RemoteFile) -> BinaryIO:
        response = self._client().get_object(
            Bucket=self.bucket, Key=self._key(remote.source, remote.day, remote.name)
        )
        return response["Body"]

    def push(self, local: Path, remote_path: str) -> str | None:
        """One PUT (atomic for readers) with its SHA-256, which S3 checks on arrival."""
        import base64

        data = local.read_bytes()
        key = _joined(self.prefix, remote_path)
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()

        def put() -> None:
            self._client().put_object(
                Bucket=self.bucket, Key=key, Body=data, ChecksumSHA256=checksum
            )

        self.retrying(f"push {remote_path}", put)
        return f"s3://{self.bucket}/{key}"


class SFTPSource(InboundSource):
    """An SFTP server with the same tree under ``root``. The host key must already be in
    ``known_hosts`` (an unknown or changed key is refused, never added); login is by key
    only. One connection is kept for the run and re-opened after a transient fault."""

    host: str
    port: int = 22
    user: str
    key_file: str
    known_hosts: str
    root: str = "."
    timeout_seconds: float = 30.0
    transfers_at_once: int = 1
    """One at a time: the run's one session is dropped and reopened when a transfer fails,
    which would cut off the others sharing it."""
    _connection: object | None = PrivateAttr(default=None)

    def describe(self) -> str:
        return f"sftp://{self.host}:{self.port}/{self.root}"

    def _sftp(self):
        """The open SFTP session, connecting (and verifying the host key) when there is none."""
        if self._connection is not None:
            return self._connection[1]
        import paramiko

        if not Path(self.known_hosts).is_file():
            raise SourceRefused(f"known-hosts file {self.known_hosts} does not exist")
        client = paramiko.SSHClient()
        client.load_host_keys(self.known_hosts)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.user,
                key_filename=self.key_file,
                look_for_keys=False,
                allow_agent=False,
                timeout=self.timeout_seconds,
                banner_timeout=self.timeout_seconds,
                auth_timeout=self.timeout_seconds,
            )
        except paramiko.BadHostKeyException as error:
            client.close()
            raise SourceRefused(
                f"refusing {self.host}:{self.port}: it presented a {error.key.get_name()} host "
                f"key that differs from {self.known_hosts} (changed key or another server)"
            ) from None
        except paramiko.AuthenticationException as error:
            client.close()
            raise SourceRefused(
                f"refusing {self.host}:{self.port}: key authentication failed ({error})"
            ) from None
        except paramiko.SSHException as error:
            client.close()
            if "not found in known_hosts" in str(error):
                raise SourceRefused(
                    f"refusing {self.host}:{self.port}: its host key is not in "
                    f"{self.known_hosts}; add it there after checking its fingerprint "
                    "(keys are never added automatically)"
                ) from None
            raise
        sftp = client.open_sftp()
        sftp.get_channel().settimeout(self.timeout_seconds)
        self._connection = (client, sftp)
        return sftp

    def reset(self) -> None:
        if self._connection is not None:
            client, _ = self._connection
            self._connection = None
            client.close()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.reset()

    def is_transient(self, error: BaseException) -> bool:
        import paramiko

        if isinstance(error, paramiko.AuthenticationException | paramiko.BadHostKeyException):
            return False
        return isinstance(error, paramiko.SSHException) or super().is_transient(error)

    def _path(self, *parts: str) -> str:
        return "/".join(
            [self.root.rstrip("/") if self.root else ".", *(p.strip("/") for p in parts)]
        )

    def _real_folder(self, sftp, *parts: str) -> str | None:
        """The path of ``root/parts…`` when every part is a folder, none a symbolic link."""
        for depth in range(1, len(parts) + 1):
            try:
                mode = sftp.lstat(self._path(*parts[:depth])).st_mode or 0
            except FileNotFoundError:
                return None
            if not stat.S_ISDIR(mode):
                return None
        return self._path(*parts)

    def list_entries(self, folder: str) -> list[Entry]:
        sftp = self._sftp()
        path = self._real_folder(sftp, *(part for part in folder.split("/") if part))
        if path is None:
            return []
        entries = []
        for entry in sorted(sftp.listdir_attr(path), key=lambda e: e.filename):
            mode = entry.st_mode or 0
            kind = (
                "link"
                if stat.S_ISLNK(mode)
                else "dir"
                if stat.S_ISDIR(mode)
                else "file"
                if stat.S_ISREG(mode)
                else "other"
            )
            entries.append(Entry(entry.filename, kind))
        return entries

    def list_files(self, source: str, day: dt.date) -> list[RemoteFile]:
        sftp = self._sftp()
        folder = self._real_folder(sftp, source, day.isoformat())
        if folder is None:
            return []
        try:
            entries = sftp.listdir_attr(folder)
        except FileNotFoundError:
            return []
        files = []
        for entry in sorted(entries, key=lambda e: e.filename):
            mode = entry.st_mode or 0
            if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                files.append(
                    RemoteFile(
                        source,
                        day,
                        entry.filename,
                        int(entry.st_size or 0),
                        f"{entry.st_mtime}-{entry.st_size}"
                        + ("-symlink" if stat.S_ISLNK(mode) else ""),
                    )
                )
        return files

    def open_file(self, remote: RemoteFile) -> BinaryIO:
        if remote.version.endswith("-symlink"):
            raise UnsafeName(f"{remote.name!r} is a symbolic link")
        handle = self._sftp().open(self._path(remote.source, remote.day.isoformat(), remote.name))
        handle.prefetch(remote.size)
        return handle

    def push(self, local: Path, remote_path: str) -> str | None:
        """Upload under a dot name, then rename into place: a reader never sees half a file."""
        target = self._path(remote_path)
        folder, name = target.rsplit("/", 1)
        partial = f"{folder}/.{name}.partial"

        def upload() -> None:
            sftp = self._sftp()
            self._makedirs(sftp, folder)
            sftp.put(str(local), partial, confirm=True)
            sftp.posix_rename(partial, target)

        self.retrying(f"push {remote_path}", upload)
        return f"sftp://{self.host}:{self.port}{'' if target.startswith('/') else '/'}{target}"

    @staticmethod
    def _makedirs(sftp, folder: str) -> None:
        path = "/" if folder.startswith("/") else ""
        for part in (p for p in folder.split("/") if p and p != "."):
            path = f"{path}{part}" if path in ("", "/") else f"{path}/{part}"
            try:
                sftp.stat(path)
            except FileNotFoundError:
                sftp.mkdir(path)
