"""Each third-party library is imported by the one module that owns its job (style.md, section c)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
OWNERS = {
    "httpx": {"http.py", "fetch.py"},
    "sqlite_utils": {"store.py"},
    "click": {"cli.py"},
    "apscheduler": {"scheduler.py"},
    "trafilatura": {"extract.py"},
    "feedparser": {"parse.py"},
    "smtplib": {"mail.py"},
}


def runtime_imports(path: Path) -> set[str]:
    """Return the top-level names a module imports at run time (imports under TYPE_CHECKING excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for stmt in ast.walk(tree) if isinstance(stmt, ast.If)
               and isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING"
               for node in ast.walk(stmt)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_libraries_stay_in_their_modules(path: Path) -> None:
    imported = runtime_imports(path)
    for library, owners in OWNERS.items():
        if library in imported:
            assert path.name in owners, f"{path.name} imports {library}; only {sorted(owners)} may"
