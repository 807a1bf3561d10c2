"""`dealwatch export`: stored tables as CSV, JSON Lines or one JSON array, streamed row by row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

FORMATS = ("csv", "jsonl", "json")


def write_rows(out: TextIO, columns: list[str], rows: Iterator[tuple[Any, ...]], fmt: str) -> int:
    """Write rows to `out` in `fmt` as they come; return how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
        return count
    if fmt == "json":
        out.write("[")
    for row in rows:
        line = json.dumps(dict(zip(columns, row)), ensure_ascii=False)
        if fmt == "json":
            out.write(("\n" if count == 0 else ",\n") + line)
        else:
            out.write(line + "\n")
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count
