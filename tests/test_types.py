"""The package type-checks: mypy over pipeline/ (libraries without stubs are treated as Any)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"


def test_pipeline_type_checks() -> None:
    stdout, stderr, status = api.run([str(PACKAGE), "--ignore-missing-imports", "--no-error-summary",
                                      "--cache-dir", str(PACKAGE.parent / ".mypy_cache")])
    assert status == 0, stdout + stderr
