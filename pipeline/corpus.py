"""Reading corpus-format JSONL files (shared/docs/corpus-format.md), one record per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import InputError


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, record) per non-blank line, or (line number, reason) when it is not a JSON object."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                yield number, f"not JSON ({exc})"
                continue
            yield number, record if isinstance(record, dict) else "not a JSON object"
