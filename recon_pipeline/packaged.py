"""Files that ship inside the wheel: SQL, data contracts, the default dunning policy.

In a source checkout they live at the top level (``sql/``, ``data_contracts/``); the wheel
force-includes them into the package. Both are found through one function.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_PACKAGE_ROOT = Path(str(resources.files("recon_pipeline")))


def packaged_dir(name: str) -> Path:
    """``recon_pipeline/<name>`` in an installed wheel, else ``<repo>/<name>``."""
    inside = _PACKAGE_ROOT / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE_ROOT.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"packaged folder {name!r} not found next to {_PACKAGE_ROOT}")


@cache
def sql(name: str) -> str:
    """The one statement in ``sql/<name>.sql`` (e.g. ``"reconcile/matches"``)."""
    path = packaged_dir("sql") / f"{name}.sql"
    return path.read_text(encoding="utf-8")
