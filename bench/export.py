"""Memory of `dealwatch export`: peak Python memory for 10k and 100k exported rows, and their ratio.

Run: .venv/bin/python bench/export.py [--rows N]

Fills a temporary database with N articles (and N/10), exports the articles table as CSV, JSON
Lines and JSON to a file, and prints the peak traced memory of each export. Export streams row by
row, so the peak should not grow with the row count: the target ratio peak(N)/peak(N/10) is <= 1.5.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import store  # noqa: E402
from pipeline.export import write_rows  # noqa: E402

TARGET_RATIO = 1.5


def fill(db: store.Database, count: int) -> None:
    rows = ({"url": f"https://news.example/{i}", "title": f"Article {i} about a national AI deal",
             "text": "Body text. " * 40, "source": "bench", "fetched_at": "2025-09-26T10:00:00Z",
             "published_at": "2025-09-26T09:00:00Z", "lang": "en", "relevant": i % 3 == 0} for i in range(count))
    with db.conn:
        db["articles"].insert_all(rows, batch_size=5000)


def peak_of_export(db: store.Database, out: Path, fmt: str) -> tuple[int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    columns, rows = store.export_rows(db, "articles")
    with out.open("w", encoding="utf-8", newline="") as handle:
        write_rows(handle, columns, rows, fmt)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        peaks: dict[str, list[int]] = {}
        for count in (args.rows // 10, args.rows):
            db = store.open_db(Path(folder) / f"{count}.db")
            fill(db, count)
            for fmt in ("csv", "jsonl", "json"):
                peak, elapsed = peak_of_export(db, Path(folder) / f"out.{fmt}", fmt)
                peaks.setdefault(fmt, []).append(peak)
                print(f"{count:>8} rows  {fmt:5}  peak {peak / 1024:8.0f} KiB  {count / elapsed:9.0f} rows/s")
            db.close()
    worst = max(big / small for small, big in peaks.values())
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(f"peak({args.rows})/peak({args.rows // 10}) at most {worst:.2f}  target: <= {TARGET_RATIO} ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
