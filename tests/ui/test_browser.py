"""The Dagster UI in a real browser, over a week and a day the real job has reconciled.

A short demo landing zone (8 days, the bank's notice of the 7th a day late: that day is held)
is run through the ``daily_reconciliation`` job with ``recon run``'s own function, into a
persistent Dagster instance; ``dagster dev`` is started on loopback over that instance, and
Debian's chromium (headless, driven by Playwright, no browser download) checks that
- the global asset lineage shows the five stage groups in flow order: 1_ingest, 2_staging,
  3_reconcile, 4_marts, 5_exports;
- the first screen (``5_exports/runs``) shows the days, the held one HELD; the held day's
  ``4_marts/dunning_candidates`` page says which source held it; the freshness check's results
  name their days;
- the ``4_marts/aging`` page shows the last day's materialization, and its ``aging_chart``
  metadata renders as a PNG image (a data URL the browser decodes, with its real width);
- the runs list shows one successful run per daily partition.

Each run writes the screenshots the README shows to ``docs/screenshots/``. Without
``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` does it) the tests fail: they
are never skipped.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from recon_pipeline.cli import run_days
from recon_pipeline.demo_month import generate_month
from recon_pipeline.settings import load_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
STAGES = ("1_ingest", "2_staging", "3_reconcile", "4_marts", "5_exports")
DAYS, ORDERS_PER_DAY = 8, 60  # a week and a day of the demo keeps the test short
HELD_DAY = 6
"""The offset of the day whose bank notice the test delivers a day late: that day is held."""
SERVER_TIMEOUT_S = 120
UI_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Ui:
    url: str
    days: list[str]

    @property
    def held_day(self) -> str:
        return self.days[HELD_DAY]


def _deliver_late(landing: Path, day: dt.date) -> None:
    """Move the bank's files of ``day`` to the next day's folder: ``day`` is held."""
    later = landing / "bank" / (day + dt.timedelta(days=1)).isoformat()
    later.mkdir(parents=True, exist_ok=True)
    late = sorted((landing / "bank" / day.isoformat()).iterdir())
    assert late, "the demo's bank delivers every day from its first file"
    for path in late:
        path.rename(later / f"late_{path.name}")


def _require_browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the UI tests need Debian's chromium "
            "(`apt-get install -y chromium`; .ci/run installs it)",
            pytrace=False,
        )
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("playwright is not installed: `pip install -e '.[dev]'`", pytrace=False)
    return sync_api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _wait_until_loaded(url: str, process: subprocess.Popen, log: Path) -> None:
    """Until the webserver answers and the code location is loaded (not just the server)."""
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    deadline = time.monotonic() + SERVER_TIMEOUT_S
    status = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            entries = _graphql(url, query)["data"]["workspaceOrError"]["locationEntries"]
            status = str(entries)
            if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                return
        except (OSError, KeyError, TypeError, ValueError) as error:
            status = repr(error)
        time.sleep(0.5)
    pytest.fail(
        f"dagster dev at {url} not ready after {SERVER_TIMEOUT_S} s ({status}):\n"
        f"{log.read_text()[-3000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    """Terminate the whole process group (webserver, daemon, code servers), then kill it."""
    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        deadline = time.monotonic() + wait_s
        try:
            os.killpg(process.pid, sig)
            while time.monotonic() < deadline:
                process.poll()  # reap dagster dev itself
                os.killpg(process.pid, 0)  # ProcessLookupError once the group is gone
                time.sleep(0.2)
        except ProcessLookupError:
            return


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    """A reconciled week in a persistent instance, and ``dagster dev`` serving it."""
    _require_browser()
    root = tmp_path_factory.mktemp("ui")
    home, dagster_home = root / "home", root / "dagster"
    settings = load_settings({"RECON_HOME": str(home)})
    summary = generate_month(settings.landing_dir, days=DAYS, orders_per_day=ORDERS_PER_DAY)
    _deliver_late(settings.landing_dir, summary.start + dt.timedelta(days=HELD_DAY))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        out = io.StringIO()
        # one run per day, as the schedule makes them, so the runs list shows the partitions
        code = run_days(settings, summary.start, summary.end, out=out, single_run=False)
        assert code == 0, f"recon run failed:\n{out.getvalue()}"
    assert (dagster_home / "dagster.yaml").exists()

    dagster = Path(sys.executable).with_name("dagster")
    assert dagster.exists(), f"no dagster script next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECON_", "DAGSTER_"))}
    env |= {
        "RECON_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "RECON_FIRST_DAY": summary.start.isoformat(),  # the partitions start with the data
    }
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "dagster_dev.log"
    command = [str(dagster), "dev", "-m", "recon_pipeline.definitions"]
    command += ["-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_loaded(url, process, log)
        # The first visit of an instance opens a "Join the Dagster community" dialog over every
        # page; dismiss it the way its Skip button does.
        seen = _graphql(url, "mutation { setNuxSeen }")
        assert seen.get("data", {}).get("setNuxSeen") is True, seen
        span = (summary.end - summary.start).days + 1
        days = [(summary.start + dt.timedelta(days=n)).isoformat() for n in range(span)]
        yield Ui(url=url, days=days)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser(ui: Ui):
    sync_api = _require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


def _screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def test_asset_graph_shows_every_stage_group(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui.url}/asset-groups")
    expect(page.get_by_text("Global asset lineage")).to_be_visible(timeout=UI_TIMEOUT_MS)
    graph = page.locator("svg foreignObject")
    for stage in STAGES:
        node = graph.get_by_text(stage, exact=True).filter(visible=True)
        expect(node.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.screenshot(path=_screenshot("asset_graph.png"))


def test_aging_chart_renders_as_png(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    last_day = ui.days[-1]
    page.goto(f"{ui.url}/assets/4_marts/aging")
    expect(page.get_by_text("Latest materialization")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text(last_day, exact=True).first).to_be_visible()
    row = page.get_by_role("row").filter(has_text="aging_chart")
    row.get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog").filter(has_text="aging_chart")
    expect(dialog).to_be_visible()
    image = dialog.locator("img")
    expect(image).to_have_count(1)
    expect(image).to_be_visible()
    src = image.get_attribute("src") or ""
    assert src.startswith("data:image/png;base64,"), src[:80]
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    png = base64.b64decode(src.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(struct.unpack(">II", png[16:24])) == natural  # IHDR width, height
    assert natural[0] > 0 and natural[1] > 0
    box = image.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50, box
    dialog.screenshot(path=_screenshot("aging_chart.png"))


def test_runs_list_shows_one_successful_run_per_day(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui.url}/runs")
    expect(page.get_by_text("Success", exact=True)).to_have_count(
        len(ui.days), timeout=UI_TIMEOUT_MS
    )
    for day in ui.days:
        tag = page.get_by_text(f"partition: {day}", exact=True)
        expect(tag).to_be_visible()
        # the innermost element holding the day's partition tag, the job and a status: its row
        row = (
            page.locator("div")
            .filter(has=tag)
            .filter(has_text="daily_reconciliation")
            .filter(has_text="Success")
            .last
        )
        expect(row).to_be_visible()
        assert row.inner_text().count("partition: ") == 1, row.inner_text()
    page.screenshot(path=_screenshot("runs.png"))


def test_the_first_screen_answers_the_morning_questions(ui: Ui, page) -> None:
    """``5_exports/runs``: per day OK / HELD, files in, rows quarantined, exceptions open,
    dunning issued, slips exported, as a table the page shows inline."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1800, "height": 1000})  # the table's every column
    page.goto(f"{ui.url}/assets/5_exports/runs")
    expect(page.get_by_text("Latest materialization")).to_be_visible(timeout=UI_TIMEOUT_MS)
    for column in ("files_in", "rows_quarantined", "exceptions_open", "dunning_issued"):
        expect(page.get_by_text(column, exact=True).first).to_be_visible()
    held = page.get_by_role("row").filter(has_text=ui.held_day).filter(has_text="HELD")
    expect(held.first).to_be_visible()
    expect(held.first).to_contain_text("bank MISSING")
    page.screenshot(path=_screenshot("first_screen.png"))


def test_a_held_days_asset_page_shows_it_held(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui.url}/assets/4_marts/dunning_candidates?view=partitions&partition={ui.held_day}")
    row = page.get_by_role("row").filter(has_text="held_by_missing_sources")
    expect(row.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(row.first).to_contain_text("bank MISSING")
    page.screenshot(path=_screenshot("held_day.png"))


def test_a_check_result_names_its_day(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    page.goto(
        f"{ui.url}/assets/2_staging/source_freshness?view=checks"
        "&checkDetail=every_settlement_source_delivered_for_dunning"
    )
    # the latest result is the last day's: its day in its metadata
    expect(page.get_by_text("Latest execution")).to_be_visible(timeout=UI_TIMEOUT_MS)
    day = page.get_by_role("row").filter(has_text="day").filter(has_text=ui.days[-1])
    expect(day.first).to_be_visible()
    page.get_by_role("tab", name="Execution history").click()
    held = page.get_by_role("row").filter(has_text=ui.held_day)
    expect(held.first).to_be_visible()
    expect(held.first).to_contain_text("Failed")
    page.screenshot(path=_screenshot("check_result.png"))
