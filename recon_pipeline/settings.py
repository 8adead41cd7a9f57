"""Configuration from the environment (and a ``.env`` file), with the embedded defaults.

Paths are resolved once, here, so the CLI, the Definitions and the tests agree on where
the landing zone, the warehouse and the exports live.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

SOURCES = ("local", "s3", "sftp")
DEMO_AGENT_COMPANY_CODE, DEMO_AGENT_SHOP_CODE = "929023", "12345"
"""The demo month's collection agent and shop codes: the defaults, for the demo only. A shop
sets its own (``RECON_AGENT_COMPANY_CODE``, ``RECON_AGENT_SHOP_CODE``): they are printed in
every slip's barcode, and a slip with another shop's codes cannot be paid."""


@dataclass(frozen=True)
class Settings:
    home: Path
    source: str
    landing_dir: Path
    landed_dir: Path
    warehouse: Path
    published_warehouse: Path
    duckdb_threads: int | None
    duckdb_memory_limit: str
    export_dir: Path
    dunning_policy: Path | None
    contracts_dir: Path | None
    s3_bucket: str | None
    s3_prefix: str
    s3_endpoint_url: str | None
    sftp_host: str | None
    sftp_port: int
    sftp_user: str | None
    sftp_key_file: str | None
    sftp_known_hosts: str | None
    sftp_root: str
    agent_company_code: str = DEMO_AGENT_COMPANY_CODE
    agent_shop_code: str = DEMO_AGENT_SHOP_CODE
    max_file_bytes: int = 4 * 2**30
    """A delivered file larger than this is refused at landing, before a byte is copied."""
    max_line_bytes: int = 1 * 2**20
    """A line-based file (CSV, Amazon) with a longer line is refused at landing; the copy
    measures every line as it streams, so a long line is never held in memory."""
    accounts: Path | None = None
    """The journal's accounts (``RECON_ACCOUNTS``); None: the packaged mapping."""
    first_day: dt.date = dt.date(2024, 1, 1)
    """The first day of data (``RECON_FIRST_DAY``): the daily partitions start there, so the
    UI's partition bars and "% filled" are about the days there are."""
    ui_url: str = "http://127.0.0.1:3000"
    """Where the Dagster UI answers (``RECON_UI_URL``): ``recon run`` prints each run's page
    there. The default is ``make ui``'s."""
    shops_dir: Path | None = None
    """Where the shop files are (``RECON_SHOPS_DIR``; None: ``<home>/shops``); see
    :mod:`recon_pipeline.shops`."""
    shop: str | None = None
    """The shop these settings are of; None for the embedded single shop."""
    bank_accounts: tuple[str, ...] = ()
    """The shop's own bank accounts (``bank-branch-account``), from its shop file."""

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


CGROUP_MEMORY_FILES = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)
"""Where a container's memory limit is written (cgroup v2, v1); "max" or a huge number when
there is none."""


def machine_memory(cgroup_files: tuple[Path, ...] = CGROUP_MEMORY_FILES) -> int:
    """Bytes this process may use: the physical memory, or a container's smaller limit."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in cgroup_files:
        try:
            limit = path.read_text().strip()
        except OSError:
            continue
        if limit.isdigit():
            total = min(total, int(limit))
    return total


def default_memory_limit() -> str:
    """Half the machine's memory for DuckDB (its own default is 80 %): the rest is for the
    process around it (pandas batches in staging, Great Expectations, Dagster). At 10M orders
    DuckDB's default let the process grow past the machine's memory and be killed; with half,
    the run peaked at 19.0 GB of 23.5 GiB and DuckDB spilled to ``<warehouse>.tmp/``."""
    return f"{machine_memory() // 2 // 2**20}MiB"


def _path(value: str | None, default: Path) -> Path:
    return Path(value).expanduser().resolve() if value else default


def _digits(environ: dict[str, str], name: str, width: int, default: str, what: str) -> str:
    """A code printed in a barcode: exactly ``width`` digits (checked on start, not when the
    first slip is built)."""
    value = environ.get(name) or default
    if not re.fullmatch(rf"[0-9]{{{width}}}", value):
        raise ValueError(f"{name} must be {width} digits ({what}), not {value!r}")
    return value


SIZE = re.compile(r"\s*([0-9]+)\s*(|K|KB|KIB|M|MB|MIB|G|GB|GIB)\s*", re.IGNORECASE)
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def _size(environ: dict[str, str], name: str, default: int) -> int:
    """A byte count from the environment: digits, optionally with K/M/G (KiB, MiB, GiB)."""
    text = environ.get(name, "")
    if not text.strip():
        return default
    found = SIZE.fullmatch(text)
    if not found or int(found[1]) == 0:
        raise ValueError(f"{name} must be a positive byte count such as 1048576 or 1MiB: {text!r}")
    return int(found[1]) * UNITS[found[2][:1].upper()]


DEFAULT_FIRST_DAY = "2024-01-01"


def first_day(environ: dict[str, str]) -> dt.date:
    """``RECON_FIRST_DAY``: a date ``YYYY-MM-DD`` (strict: it is the partitions' start, and a
    day cannot be guessed from another spelling)."""
    text = (environ.get("RECON_FIRST_DAY") or DEFAULT_FIRST_DAY).strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"RECON_FIRST_DAY must be the first day of data as YYYY-MM-DD, not {text!r}"
        ) from None


def first_day_from_environment() -> dt.date:
    """:func:`first_day` of the environment and the working directory's ``.env``, for the
    partitions, which are made when the package is imported."""
    load_dotenv(Path.cwd() / ".env", override=False)
    return first_day(dict(os.environ))


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read ``RECON_*`` variables; a ``.env`` in the working directory fills the gaps.

    The working directory, not python-dotenv's default (which searches upward from the
    calling module, i.e. from wherever the package is installed)."""
    if environ is None:
        load_dotenv(Path.cwd() / ".env", override=False)
        environ = dict(os.environ)
    home = _path(environ.get("RECON_HOME"), Path("./.recon").resolve())
    source = environ.get("RECON_SOURCE", "local")
    if source not in SOURCES:
        raise ValueError(f"RECON_SOURCE must be one of {', '.join(SOURCES)}, not {source!r}")
    policy = environ.get("RECON_DUNNING_POLICY")
    contracts_dir = environ.get("RECON_CONTRACTS_DIR")
    accounts = environ.get("RECON_ACCOUNTS")
    return Settings(
        home=home,
        source=source,
        landing_dir=_path(environ.get("RECON_LANDING_DIR"), home / "landing"),
        landed_dir=_path(environ.get("RECON_LANDED_DIR"), home / "landed"),
        warehouse=_path(environ.get("RECON_WAREHOUSE"), home / "recon.duckdb"),
        duckdb_threads=int(environ["RECON_DUCKDB_THREADS"])
        if environ.get("RECON_DUCKDB_THREADS")
        else None,
        duckdb_memory_limit=environ.get("RECON_DUCKDB_MEMORY_LIMIT") or default_memory_limit(),
        published_warehouse=_path(
            environ.get("RECON_PUBLISHED_WAREHOUSE"), home / "published" / "recon.duckdb"
        ),
        export_dir=_path(environ.get("RECON_EXPORT_DIR"), home / "exports"),
        dunning_policy=Path(policy).expanduser().resolve() if policy else None,
        contracts_dir=Path(contracts_dir).expanduser().resolve() if contracts_dir else None,
        accounts=Path(accounts).expanduser().resolve() if accounts else None,
        s3_bucket=environ.get("RECON_S3_BUCKET"),
        s3_prefix=environ.get("RECON_S3_PREFIX", ""),
        s3_endpoint_url=environ.get("RECON_S3_ENDPOINT_URL"),
        sftp_host=environ.get("RECON_SFTP_HOST"),
        sftp_port=int(environ.get("RECON_SFTP_PORT", "22")),
        sftp_user=environ.get("RECON_SFTP_USER"),
        sftp_key_file=environ.get("RECON_SFTP_KEY_FILE"),
        sftp_known_hosts=environ.get("RECON_SFTP_KNOWN_HOSTS"),
        sftp_root=environ.get("RECON_SFTP_ROOT", "."),
        agent_company_code=_digits(
            environ,
            "RECON_AGENT_COMPANY_CODE",
            6,
            DEMO_AGENT_COMPANY_CODE,
            "the collection agent's invoicing company code, barcode digits 3-8",
        ),
        agent_shop_code=_digits(
            environ,
            "RECON_AGENT_SHOP_CODE",
            5,
            DEMO_AGENT_SHOP_CODE,
            "the shop's code at the collection agent, barcode digits 9-13",
        ),
        max_file_bytes=_size(environ, "RECON_MAX_FILE_BYTES", Settings.max_file_bytes),
        max_line_bytes=_size(environ, "RECON_MAX_LINE_BYTES", Settings.max_line_bytes),
        ui_url=environ.get("RECON_UI_URL") or Settings.ui_url,
        first_day=first_day(environ),
        shops_dir=_path(environ.get("RECON_SHOPS_DIR"), home / "shops"),
    )
