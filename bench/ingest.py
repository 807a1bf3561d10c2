"""Benchmark `dealwatch import` on a generated corpus against a naive ingest of the same data.

Run: .venv/bin/python bench/ingest.py [--articles 20000 [100000 ...]]

dealwatch's import normalises, de-duplicates exactly, classifies, clusters into stories and stores
with full-text search, in one transaction per 1,000 articles. The baseline, measured in the same
run, is what a first script would do: feedparser parses the same articles from one RSS document,
then each entry is inserted row by row into a plain SQLite table (one transaction, no indexes,
no classification, no clustering). The ratio says what the whole pipeline costs per article
compared with parsing and storing alone. Each size is imported by the real command
(`python -m pipeline import`) in a process of its own, whose peak memory (the largest process:
dealwatch or one of its classifier workers) is printed with its cost per article against the first size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

import feedparser


COUNTRIES = ["Morocco", "Kenya", "India", "France", "Brazil", "Saudi Arabia", "Indonesia", "Chile", "Poland", "Japan"]
PARTNERS = ["OpenAI", "Mistral AI", "Nvidia", "Microsoft", "Google", "Anthropic", "Cohere", "G42"]
DEAL_SENTENCES = [
    "{country}'s digital ministry signed a memorandum of understanding with {partner} on {day}.",
    "Officials from {country} held talks with {partner} about a national AI data centre.",
    "The government of {country} and {partner} agreed to build a sovereign AI cloud.",
    "{partner} launched a training programme for civil servants in {country} this week.",
]
WORDS = ("market council weather river festival season harvest school transport budget match league museum "
         "price energy road port hospital election court rainfall concert bridge export festival league").split()


def generate(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Return `count` corpus records, about one in eight reporting a deal, ~400 words each."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    records = []
    for i in range(count):
        day = start + timedelta(days=i * 200 // count)
        sentences = [" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(30)]
        title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} report {i}"
        if i % 8 == 0:
            country, partner = rng.choice(COUNTRIES), rng.choice(PARTNERS)
            sentences.insert(1, rng.choice(DEAL_SENTENCES).format(country=country, partner=partner, day=day))
            title = f"{country} and {partner}: AI cooperation, report {i}"
        records.append({"id": f"b{i}", "lang": "en", "url": f"https://wire{i % 13}.example/{day:%Y/%m}/{i}",
                        "title": title, "published": day.isoformat(), "summary": sentences[0],
                        "text": "\n\n".join(" ".join(sentences[j:j + 5]) for j in range(0, len(sentences), 5))})
    return records


def as_rss(records: list[dict[str, str]]) -> bytes:
    """Return the records as one RSS 2.0 document."""
    items = "".join(
        f"<item><title>{escape(r['title'])}</title><link>{r['url']}</link><guid>{r['id']}</guid>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(r['published']).replace(tzinfo=timezone.utc))}</pubDate>"
        f"<description>{escape(r['text'])}</description></item>" for r in records)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>b</title>{items}</channel></rss>".encode()


def baseline(records: list[dict[str, str]], folder: Path) -> float:
    """Return seconds for feedparser parsing plus a row-by-row insert of the same articles."""
    body = as_rss(records)
    started = time.perf_counter()
    parsed = feedparser.parse(io.BytesIO(body))
    conn = sqlite3.connect(folder / "baseline.db")
    conn.execute("CREATE TABLE articles (url TEXT, title TEXT, text TEXT, published TEXT)")
    for entry in parsed.entries:
        conn.execute("INSERT INTO articles VALUES (?, ?, ?, ?)",
                     (entry.get("link"), entry.get("title"), entry.get("summary"), entry.get("published")))
    conn.commit()
    conn.close()
    assert len(parsed.entries) == len(records)
    return time.perf_counter() - started


# Runs one command and prints the peak RSS (KiB) of the largest process it waited for, itself included.
PEAK = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")
REPO = Path(__file__).resolve().parents[1]


def dealwatch_import(records: list[dict[str, str]], folder: Path) -> tuple[float, int, int]:
    """Return seconds for `dealwatch import` of the records (a process of its own), articles stored, peak KiB."""
    corpus = folder / f"corpus-{len(records)}.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = folder / f"dealwatch-{len(records)}.db"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "pipeline", "import", str(corpus),
                           "--db", str(db)], cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dealwatch import failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    stored = int(sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    return elapsed, stored, int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[20000])
    args = parser.parse_args()
    first_cost = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in args.articles:
            records = generate(size)
            if first_cost is None:
                base = baseline(records, folder)
                print(f"baseline (feedparser + row-by-row insert), {size} articles: {base:6.1f}s "
                      f"{size / base:8.0f} articles/s")
            ours, stored, peak = dealwatch_import(records, folder)
            cost = ours / size
            first_cost = first_cost or cost
            print(f"dealwatch import, {size} articles ({stored} stored), {os.cpu_count()} cores: {ours:6.1f}s "
                  f"{size / ours:6.0f} articles/s; cost per article x{cost / first_cost:.2f} the first size's; "
                  f"peak memory {peak / 1024:.0f} MiB")
            if size == args.articles[0]:
                print(f"ratio dealwatch/baseline throughput: {base / ours:.2f}")


if __name__ == "__main__":
    main()
