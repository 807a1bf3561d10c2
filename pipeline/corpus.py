"""Reading corpus-format JSONL files (shared/docs/corpus-format.md), one record per line."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import InputError


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, record) per non-blank line, or (line number, reason) when it is not a usable JSON object."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):  # written by some Windows tools; not part of the JSON
                raw = raw[len(codecs.BOM_UTF8):]
            record = parse_line(raw)
            if record is not None:
                yield number, record


def parse_line(raw: bytes) -> dict[str, Any] | str | None:
    """Return one JSONL line as a JSON object, a one-line reason why it is not one, or None when blank."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except RecursionError:
        return "JSON nested too deeply"
    except ValueError as exc:
        return f"not JSON ({exc})"
    if not isinstance(record, dict):
        return "not a JSON object"
    for key, value in record.items():
        try:  # "\ud800" is valid JSON but no character: it cannot be stored or printed
            json.dumps([key, value], ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return f"key {key[:40]!r}: a lone surrogate escape (like \\ud800) is not text"
        except RecursionError:
            return f"key {key[:40]!r}: nested too deeply"
    return record
