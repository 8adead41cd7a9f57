"""A landing tree as a hostile tester leaves it: links to files outside the tree (as a day
folder and as a file), folders that are no day (``latest``, ``2026-10-32``, ``20261020``, a
future day, a dot name), a folder no contract names, a 50 MB file with no newline, and text
cells made to be evaluated by a spreadsheet or to carry control characters. Nothing outside
the tree is read, every entry no day reads is recorded and printed under the run, the 50 MB
line costs what any refused file costs, and the slip file holds no formula and no control
character."""

from __future__ import annotations

import codecs
import resource
import subprocess
from pathlib import Path

from tests.faults.conftest import FIRST, RECON, Home

SECRET = "TOP-SECRET-OUTSIDE-THE-TREE"
HUGE = 50 * 2**20
SECOND = "2026-10-02"


def tree_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def plant(home: Home, outside: Path) -> None:
    outside.mkdir()
    (outside / "dispositions_20261002.csv").write_text(f"{SECRET},x\n")
    (home.landing / "dispositions" / SECOND).parent.mkdir(parents=True, exist_ok=True)
    (home.landing / "dispositions" / SECOND).symlink_to(outside, target_is_directory=True)
    (home.landing / "card" / FIRST / "linked.csv").symlink_to(outside / "dispositions_20261002.csv")
    for name in ("latest", "2026-10-32", "20261020", "2099-01-01", ".partial"):
        (home.landing / "shipments" / name).mkdir()
        (home.landing / "shipments" / name / "shipments.csv").write_text("anything\n")
    (home.landing / "not_a_source" / FIRST).mkdir(parents=True)
    (home.landing / "card" / FIRST / "huge.csv").write_bytes(b"A" * HUGE)
    shipments = next((home.landing / "shipments" / FIRST).glob("*.csv"))
    rows = shipments.read_bytes().decode("utf-8-sig").splitlines()
    header = rows[0].split(",")
    name, address = header.index("customer_name"), header.index("address")
    konbini = [n for n, row in enumerate(rows) if ",KONBINI," in row]
    formula = rows[konbini[0]].split(",")
    formula[name] = " ＝HYPERLINK(1)"
    rows[konbini[0]] = ",".join(formula)
    nul = rows[konbini[1]].split(",")
    nul[address] = "東京都\x00渋谷区"
    rows[konbini[1]] = ",".join(nul)
    shipments.write_bytes(codecs.BOM_UTF8 + ("\n".join(rows) + "\n").encode("utf-8"))


def test_a_hostile_landing_tree(make_home, tmp_path):
    home = make_home("hostile")
    plant(home, tmp_path / "outside")

    done = home.recon("run", "--from", FIRST, "--to", SECOND)

    assert done.returncode == 0, done.stderr
    skipped = dict(home.query("SELECT path, reason FROM audit.landing_skips"))
    assert skipped["dispositions/2026-10-02"] == "symbolic link, never followed"
    assert skipped["shipments/latest"] == "not a day folder (YYYY-MM-DD)"
    assert skipped["shipments/20261020"] == "not a day folder (YYYY-MM-DD)"
    assert skipped["shipments/2026-10-32"] == "not a real date"
    assert skipped["shipments/2099-01-01"].startswith("a future day")
    assert skipped["shipments/.partial"].startswith("hidden name")
    assert skipped["not_a_source"] == "no data contract names it"
    for path in skipped:
        assert f"not read: {path} — " in done.stdout
    # nothing outside the tree was copied in, stored or published
    assert SECRET.encode() not in b"".join(
        p.read_bytes() for p in (home.path / "landed").rglob("*") if p.is_file()
    )
    assert all(SECRET not in repr(rows) for rows in home.tables().values())
    refused = dict(
        home.query(
            "SELECT file_name, reason FROM audit.landed_files WHERE status = 'REFUSED' "
            "AND partition_date = $d",
            {"d": FIRST},
        )
    )
    assert refused["linked.csv"] == "'linked.csv' is a symbolic link"
    # the 50 MB line: refused once landed, never read; its cost bounded, not its size
    assert refused["huge.csv"] == (
        f"line 1 is {HUGE:,} bytes, over the limit of 1,048,576 (RECON_MAX_LINE_BYTES); "
        "the file is not read"
    )
    [(status, reason)] = home.query(
        "SELECT status, reason FROM audit.file_manifest WHERE path LIKE '%huge.csv'"
    )
    assert status == "REFUSED" and len(reason.encode()) <= 300
    assert (
        home.query("SELECT max(length(raw)), max(length(reason)) FROM quarantine.rejected_rows")[0][
            1
        ]
        < 400
    )
    assert tree_size(home.path / "dagster") < 10 * 2**20, "the line was copied into events"
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 2 * 2**20  # KiB: < 2 GiB
    # the slip file: the formula neutralized, no control character, one line per request
    slips = (home.exports / "slip_requests" / "slip_requests_20261001.csv").read_bytes()
    text = slips.decode("cp932")
    assert '"\' ＝HYPERLINK(1)"' in text
    assert not any(ord(char) < 0x20 for char in text.replace("\r\n", ""))
    requests = home.query(
        "SELECT count(*) FROM exports.slip_requests WHERE partition_date = $d", {"d": FIRST}
    )[0][0]
    assert text.count("\r\n") == requests + 1


def test_a_range_past_today_is_refused_in_one_line(make_home):
    home = make_home("future")
    for args in (("--from", "2099-01-01"), ("--from", "2026-10-30", "--to", "2099-01-01")):
        refused = home.recon("run", *args, timeout=120)
        assert refused.returncode == 2
        assert refused.stdout == ""
        [line] = refused.stderr.splitlines()
        assert line.startswith("recon: 2099-01-01 is after today (")
        assert line.endswith("nothing was run")
    assert not home.warehouse.exists()


def test_dotenv_is_read_from_the_working_directory(tmp_path):
    here = Home(tmp_path / "elsewhere")
    here.path.mkdir()
    (here.path / ".env").write_text(f"RECON_HOME={tmp_path / 'from_dotenv'}\n")
    env = {k: v for k, v in here.env().items() if k not in ("RECON_HOME", "DAGSTER_HOME")}
    shown = subprocess.run(
        [RECON, "status"], cwd=here.path, env=env, capture_output=True, text=True, check=False
    )
    assert shown.returncode == 1
    assert f"no warehouse at {tmp_path / 'from_dotenv' / 'recon.duckdb'}" in shown.stderr
