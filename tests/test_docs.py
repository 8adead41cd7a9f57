"""The README and docs stay true to the tree: every file or folder of the repository they
name exists, every link between them resolves, and the README reads in five minutes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
    REPO / "benchmarks" / "README.md",
]
TOP = ("recon_pipeline/", "sql/", "data_contracts/", "tests/", "docs/", "benchmarks/", ".ci/")
TOKEN = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PLACEHOLDER = re.compile(r"[<>*{}$]|YYYY|NNNN")
GENERATED = ("benchmarks/results/",)
"""Written by ``make bench``, not kept in the repository."""


def named_paths(document: Path) -> set[str]:
    """Repository paths a document names in backticks (placeholders like ``<layout>`` and
    globs are patterns, not paths)."""
    text = document.read_text(encoding="utf-8")
    return {
        token.rstrip(".,:;")
        for token in TOKEN.findall(text)
        if token.startswith(TOP)
        and not token.startswith(GENERATED)
        and not PLACEHOLDER.search(token)
    }


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_path_a_document_names_exists(document):
    missing = sorted(p for p in named_paths(document) if not (REPO / p.split("::")[0]).exists())
    assert missing == [], f"{document.name} names paths that do not exist"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_link_resolves(document):
    links = [link for link in LINK.findall(document.read_text("utf-8")) if "://" not in link]
    broken = sorted(link for link in links if not (document.parent / link).resolve().exists())
    assert broken == [], f"{document.name} links to nothing"


def test_the_readme_reads_in_five_minutes_and_reads_nothing_outside():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for document in DOCUMENTS:
        assert "../shared" not in document.read_text(encoding="utf-8"), document.name
