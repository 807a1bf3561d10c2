"""Benchmark the CPU path of `dealwatch run` (parse, classify, stories, store) on local feeds, no latency.

Run: .venv/bin/python bench/run_cpu.py [--feeds 200] [--items 50]

Generates `--feeds` RSS files of `--items` full-content items each (~400 words drawn from 1,500
names and a few dozen common words, one in eight reporting a deal, one in five a wire copy that
ten feeds carry under their own headline and opening, all
published over the last two days so every article is in every story window) into a temporary
folder, then runs the real entry point (`python -m pipeline run --config ...`, file sources,
`full_text = "never"`, a new SQLite file) and reads the time each source was stored from its log
line. It prints:

- articles/s over the whole run (process start to exit), against the target of 500;
- seconds per 1,000 articles over the first and the last quarter of the sources stored (from the
  first source stored, so the start of the process is not counted), and their ratio (flat is
  1.0): the run must not slow down as the run and the database grow;
- a bare baseline measured in the same run: feedparser parses the same files and each article is
  classified, on one core, nothing else (no stories, no store), and the run's throughput against it.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser  # noqa: E402

from ingest import COUNTRIES, PARTNERS  # noqa: E402  (bench/ingest.py: the same states and partners)
from pipeline.classify import classify_article, vocabulary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGET_PER_SECOND = 500
DEAL_SENTENCES = [
    "{country}'s digital ministry signed a memorandum of understanding with {partner} on a national AI centre.",
    "Officials from {country} held talks with {partner} about a national AI data centre.",
    "The government of {country} and {partner} agreed to build a sovereign AI cloud.",
    "{partner} launched a training programme for civil servants in {country} this week.",
]
WORDS = ("market council weather river festival season harvest school transport budget match league museum "
         "price energy road port hospital election court rainfall concert bridge export tariff clinic "
         "stadium library ferry tunnel airport railway vineyard fishery orchard").split()
# Names of things an outlet writes about: enough of them that two unrelated reports share few words.
RARE = [c + a + b for a in ("ka", "lo", "mi", "su", "te", "va", "ri", "no", "de", "pa")
        for b in ("ran", "mel", "tos", "bir", "gun", "fal", "dor", "sek", "lim", "vop")
        for c in ("a", "o", "is", "en", "ur", "ax", "el", "um", "ia", "on", "et", "ik", "os", "ad", "ir")]
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO pipeline\.run: source=\S+ status=ok new=(\d+)")


def story(seed: int, now: datetime, span_hours: int) -> tuple[str, str, datetime]:
    """Return the title, ~400-word text and publication time (within `span_hours` before `now`) of story `seed`."""
    rng = random.Random(seed)
    sentences = [" ".join(rng.choices(WORDS, k=5) + rng.choices(RARE, k=7)).capitalize() + "." for _ in range(32)]
    title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {rng.choice(WORDS)} report {seed}"
    if seed % 8 == 0:
        country, partner = rng.choice(COUNTRIES), rng.choice(PARTNERS)
        sentences.insert(1, rng.choice(DEAL_SENTENCES).format(country=country, partner=partner))
        title = f"{country} and {partner}: AI cooperation, report {seed}"
    published = now - timedelta(minutes=rng.randrange(span_hours * 60))
    return title, "\n\n".join(" ".join(sentences[j:j + 4]) for j in range(0, len(sentences), 4)), published


def write_feeds(folder: Path, feeds: int, items: int, now: datetime, span_hours: int = 48) -> Path:
    """Write the feeds (items published over `span_hours` before `now`) and a config listing them; return its path."""
    lines = ["[database]", 'path = "bench.db"', "[http]", "per_host_delay = 0"]
    for feed in range(feeds):
        entries = []
        for item in range(items):
            # One item in five is a wire story that the ten feeds of its group all carry.
            wire = item % 5 == 0
            seed = 1_000_000 + (feed // 10) * items + item if wire else feed * items + item
            title, text, published = story(seed, now, span_hours)
            if wire:  # an outlet's own headline and opening: a copy, not an exact duplicate
                title = f"{title} ({feed})"
                text = f"Outlet {feed} correspondent writes from the capital. {text}"
            url = f"https://outlet{feed}.example/news/{feed}-{item}"
            paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
            entries.append(f"<item><title>{escape(title)}</title><link>{url}</link><guid>{url}</guid>"
                           f"<pubDate>{format_datetime(published)}</pubDate>"
                           f"<description>{escape(text[:200])}</description>"
                           f"<content:encoded>{escape(paragraphs)}</content:encoded></item>")
        (folder / f"feed-{feed}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>feed {feed}</title><link>https://outlet{feed}.example/</link>{''.join(entries)}"
            "</channel></rss>", encoding="utf-8")
        lines += ["[[sources]]", f'name = "feed-{feed}"', 'kind = "feed"', f'url = "feed-{feed}.xml"',
                  'full_text = "never"']
    config = folder / "bench.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def baseline(folder: Path, feeds: int) -> tuple[float, int]:
    """Return seconds and items for feedparser parsing every feed plus classifying each item, on one core."""
    vocabulary()  # compiled once per process, as in a run: not part of the per-article cost
    started = time.perf_counter()
    count = 0
    for feed in range(feeds):
        parsed = feedparser.parse(io.BytesIO((folder / f"feed-{feed}.xml").read_bytes()))
        for entry in parsed.entries:
            text = entry.get("content", [{}])[0].get("value", "")
            classify_article(entry.get("title", ""), text, entry.get("published"), "en")
            count += 1
    return time.perf_counter() - started, count


def run_dealwatch(config: Path) -> tuple[float, list[tuple[float, int]], str]:
    """Run `dealwatch run`; return its wall time, (seconds since start, new articles) per source, summary line."""
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--config", str(config)], cwd=REPO,
                          capture_output=True, text=True, check=False)
    elapsed = time.time() - started
    if done.returncode != 0:
        raise SystemExit(f"dealwatch run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    stored = []
    for line in done.stderr.splitlines():
        match = LOG_LINE.match(line)
        if match:
            stamp = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            stored.append((stamp - started, int(match[2])))
    return elapsed, sorted(stored), done.stdout.strip().splitlines()[-1]


def per_thousand(stored: list[tuple[float, int]]) -> float:
    """Return seconds per 1,000 articles between the first and the last of these sources being stored."""
    articles = sum(new for _, new in stored[1:])
    return (stored[-1][0] - stored[0][0]) / articles * 1000 if articles else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    if not (8 <= args.feeds <= 2000 and 1 <= args.items <= 200):
        parser.error("keep it reasonable: 8-2000 feeds, 1-200 items")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_feeds(folder, args.feeds, args.items, datetime.now(timezone.utc))
        base, items = baseline(folder, args.feeds)
        elapsed, stored, line = run_dealwatch(config)
    new = sum(n for _, n in stored)
    rate = new / elapsed
    quarter = len(stored) // 4
    start, end = per_thousand(stored[:quarter + 1]), per_thousand(stored[-quarter - 1:])
    print(f"{args.feeds} feeds x {args.items} items ({items} articles), {os.cpu_count()} cores | {line}")
    print(f"baseline (feedparser + classify, one core): {base:6.1f}s  {items / base:6.0f} articles/s")
    print(f"dealwatch run (whole process):              {elapsed:6.1f}s  {rate:6.0f} articles/s "
          f"(target {TARGET_PER_SECOND}: {'met' if rate >= TARGET_PER_SECOND else 'not met'})")
    print(f"ratio run/baseline throughput: {base / elapsed * new / items:.2f}")
    print(f"per 1,000 articles: {start:.2f}s over the first quarter of the sources stored, {end:.2f}s over the "
          f"last; end/start {end / start:.2f}")


if __name__ == "__main__":
    main()
