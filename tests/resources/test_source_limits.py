"""The landing side of the limits: a long line is measured as the file streams (never held),
a file over the size limit is refused before or while it is copied, and no symbolic link
below the root is followed."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest

from recon_pipeline.resources.sources import (
    LineMeter,
    LocalSource,
    RemoteFile,
    TooLarge,
    UnsafeName,
    copy_with_sha256,
)
from recon_pipeline.settings import load_settings

DAY = dt.date(2026, 10, 1)


def longest(data: bytes) -> tuple[int, int]:
    lines = data.split(b"\n")
    best = max(range(len(lines)), key=lambda n: (len(lines[n]), -n))
    return len(lines[best]), best + 1


def test_the_line_meter_finds_the_longest_line_whatever_the_chunks():
    chooser = random.Random(7)
    for _ in range(500):
        data = bytes(chooser.choice(b"ab\n") for _ in range(chooser.randint(1, 80)))
        meter = LineMeter()
        position = 0
        while position < len(data):
            step = chooser.randint(1, 9)
            meter.feed(data[position : position + step])
            position += step
        length, line_no = meter.result()
        assert length == longest(data)[0]
        if length:
            assert line_no == longest(data)[1]


def test_a_copy_past_the_size_limit_is_refused_and_leaves_nothing(tmp_path):
    target = tmp_path / "landed" / "big.csv"
    with pytest.raises(TooLarge, match="over the limit of 1,000"):
        copy_with_sha256(io.BytesIO(b"x" * 5000), target, max_bytes=1000)
    assert not target.exists() and not list(target.parent.iterdir())


def test_a_file_listed_over_the_size_limit_is_refused_before_it_is_opened(tmp_path):
    source = LocalSource(root=str(tmp_path), landed_dir=str(tmp_path / "landed"), max_file_bytes=10)
    remote = RemoteFile("card", DAY, "never_opened.csv", 11, "v")
    with pytest.raises(TooLarge, match="file is 11 bytes"):
        source.land(remote)


def test_no_link_is_followed_below_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("secret\n")
    root = tmp_path / "landing"
    (root / "card").mkdir(parents=True)
    (root / "card" / DAY.isoformat()).symlink_to(outside, target_is_directory=True)
    (root / "shipments" / DAY.isoformat()).mkdir(parents=True)
    (root / "shipments" / DAY.isoformat() / "link.csv").symlink_to(outside / "secret.csv")
    source = LocalSource(root=str(root), landed_dir=str(tmp_path / "landed"))

    assert source.list_files("card", DAY) == []
    [linked] = source.list_files("shipments", DAY)
    with pytest.raises(UnsafeName, match="symbolic link"):
        source.land(linked)
    skipped = {s.path: s.reason for s in source.skipped(["card", "shipments"], DAY)}
    assert skipped == {"card/2026-10-01": "symbolic link, never followed"}


def test_the_limits_are_settings_with_defaults():
    assert load_settings({}).max_line_bytes == 2**20
    assert load_settings({}).max_file_bytes == 4 * 2**30
    limited = load_settings({"RECON_MAX_LINE_BYTES": "64KiB", "RECON_MAX_FILE_BYTES": "2G"})
    assert (limited.max_line_bytes, limited.max_file_bytes) == (64 * 2**10, 2 * 2**30)
    with pytest.raises(ValueError, match="RECON_MAX_LINE_BYTES must be a positive byte count"):
        load_settings({"RECON_MAX_LINE_BYTES": "lots"})
