"""The shape the design promises: archive/ never imports Scrapy or Twisted."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("scrapy", "twisted")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_archive_never_imports_scrapy_or_twisted() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "archive").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders


def test_archive_does_not_import_crawler() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "archive").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] == "crawler"
    }
    assert not offenders


def test_required_layout() -> None:
    for name in (
        "pyproject.toml",
        "scrapy.cfg",
        "crawler",
        "archive",
        "config",
        "tests",
        ".ci/run",
    ):
        assert (ROOT / name).exists(), name
