"""Time to write the tracker site from a large database, and how big its pages get.

Run: .venv/bin/python bench/site.py [--deals N]

Fills a temporary database with N deals (default 10,000) between every country the map knows and
N/170 partners, each deal with three dated mentions (talks, then a step forward or a stall, then a
corroborating report), then writes the site and prints the time, the file count and the page sizes.
The target: 10,000 deals written in under a minute.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import store  # noqa: E402
from pipeline.site import write_site  # noqa: E402
from pipeline.site.worldmap import world  # noqa: E402

TARGET_SECONDS = 60.0
NEXT = {"talks": ["mou", "stalled"], "mou": ["agreement", "stalled"], "agreement": ["launched"], "launched": [], "stalled": ["talks"]}


def fill(db: store.Database, deals: int, seed: int = 7) -> int:
    """Insert `deals` deals with three mentions each; return the number of mentions."""
    rng = random.Random(seed)
    countries = sorted(world()["shapes"])
    partner_count = max(1, deals // len(countries) + 1)
    partners = [f"Partner {n} AI" for n in range(partner_count)]
    pairs = [(c, p) for p in partners for c in countries][:deals]
    articles, mentions, deal_rows = [], [], []
    for deal_id, (country, partner) in enumerate(pairs, 1):
        day = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
        stage = "talks"
        history = [("talks", day)]
        for _ in range(2):
            day += timedelta(days=rng.randrange(1, 120))
            stage = rng.choice(NEXT[stage] or [stage])
            history.append((stage, day))
        for stage, when in history:
            article_id = len(articles) + 1
            articles.append({"id": article_id, "url": f"https://news{article_id % 50}.example/a/{article_id}",
                             "title": f"{country} and {partner} at the {stage} stage, report {article_id}",
                             "source": "bench", "fetched_at": f"{when}T10:00:00Z", "published_at": f"{when}T09:00:00Z",
                             "relevant": 1, "story_id": None})
            mentions.append({"deal_id": deal_id, "article_id": article_id, "stage": stage, "event_date": str(when),
                             "evidence": f"{country} and {partner} reached the {stage} stage, officials said on "
                                         f"{when:%d %B %Y}, in a sentence about as long as a real one.",
                             "published_at": f"{when}T09:00:00Z", "seen_at": f"{when}T10:00:00Z", "confidence": 0.9,
                             "level": "national"})
        deal_rows.append({"id": deal_id, "country": country, "partner": partner,
                          "stage": store.stage_from_mentions([(s, str(w)) for s, w in history]),
                          "first_seen": f"{history[0][1]}T09:00:00Z", "last_seen": f"{history[-1][1]}T09:00:00Z",
                          "known": 1, "level": "national"})
    with db.conn:
        db["articles"].insert_all(articles, batch_size=5000)
        db["deals"].insert_all(deal_rows, batch_size=5000)
        db["deal_mentions"].insert_all(mentions, batch_size=5000)
    return len(mentions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = store.open_db(Path(folder) / "bench.db")
        mentions = fill(db, args.deals)
        started = time.perf_counter()
        summary = write_site(db, Path(folder) / "site")
        elapsed = time.perf_counter() - started
        out = Path(folder) / "site"
        print(f"{args.deals:,} deals, {mentions:,} mentions: site written in {elapsed:.1f} s "
              f"(target < {TARGET_SECONDS:.0f} s); {summary.line()}")
        for kind in ("home", "country", "partner", "deal", "feed"):
            pages = [p for p in out.rglob("*") if p.is_file() and _kind(p, out) == kind]
            sizes = sorted(p.stat().st_size for p in pages)
            print(f"  {kind:8} {len(sizes):>6} files  median {sizes[len(sizes) // 2] / 1024:6.1f} KiB  "
                  f"largest {sizes[-1] / 1024:6.1f} KiB")
        return 0 if elapsed < TARGET_SECONDS else 1


def _kind(path: Path, out: Path) -> str:
    if path.suffix == ".atom":
        return "feed"
    if path.parent == out:
        return "home" if path.name == "index.html" else "other"
    return path.parent.name


if __name__ == "__main__":
    sys.exit(main())
