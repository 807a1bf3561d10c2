"""Reading corpus-format JSONL files (docs/corpus-format.md), one record per line."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.normalise import clean_line

TEXT_KEYS = ("title", "text", "summary", "url", "lang")
LATEST_UNIX_TIME = 253402300799  # 9999-12-31T23:59:59Z


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


def record_problem(record: dict[str, Any]) -> str | None:
    """Return why a corpus record cannot be used (a field of the wrong type), or None."""
    for key in TEXT_KEYS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"key {key!r}: expected a string, got {type(value).__name__} {_shown(value)}"
    identifier = record.get("id")
    if identifier is not None and (isinstance(identifier, bool) or not isinstance(identifier, (str, int))):
        return f"key 'id': expected a string or an integer, got {type(identifier).__name__} {_shown(identifier)}"
    published = record.get("published")
    if published is None or isinstance(published, str):
        return None
    if isinstance(published, bool) or not isinstance(published, (int, float)):
        return f"key 'published': expected a date string or a Unix time, got {type(published).__name__}"
    if not 0 <= published <= LATEST_UNIX_TIME:  # also refuses NaN
        return f"key 'published': {_shown(published)} is not a Unix time in seconds"
    return None


def published_text(value: str | int | float | None) -> str | None:
    """Return a checked record's 'published' as text: a date string as given, a Unix time as ISO 8601 UTC."""
    if value is None or isinstance(value, str):
        return value or None
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(value: Any) -> str:
    return clean_line(repr(value))[:60]
