"""Benchmark story clustering when many articles fold into one story (a feed of near-copies).

Run: .venv/bin/python bench/fold.py [--sizes 2000 20000]

Each size is clustered twice in the same run: as near-copies of one event published within a day
(wire copies, shortened versions, teasers, rewrites: bench/dedupe.py's variants, all carrying the
event's deal key), and, as the baseline, as the same number of articles from bench/dedupe.py's
steady-rate corpus, where most stories have one to six articles. Prints seconds per size, the
growth ratio between the sizes (10 for a tenfold size means linear), and the cost of a folding
article against a baseline article.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe import Event, Vocabulary, _item, generate, report, variant  # noqa: E402  (bench/dedupe.py)

from pipeline.dedupe import DedupeSettings, StoryClusterer, StoryItem, assign_all  # noqa: E402


def near_copies(count: int, seed: int = 3) -> list[StoryItem]:
    """Return `count` near-copies of one event, published within one day, each with the event's deal key."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    event = Event("e0", vocab.countries[0], vocab.partners[0], "mou", 0.0, tuple(rng.sample(vocab.rare, 12)))
    title, body = report(rng, vocab, event)
    keys = frozenset({(event.country, event.partner, event.stage)})
    items = []
    for number in range(count):
        copy_title, copy_text = variant(rng, vocab, event, title, body)
        items.append(_item(f"c{number}", copy_title, copy_text, rng.uniform(0, 1), keys))
    return items


def timed(items: list[StoryItem]) -> tuple[float, int]:
    """Return (seconds, stories) for clustering `items` in one clusterer."""
    gc.collect()
    gc.freeze()  # the corpus stays alive: keep the collector from billing its size to the clusterer
    started = time.perf_counter()
    stories = assign_all(StoryClusterer(DedupeSettings()), items)
    seconds = time.perf_counter() - started
    gc.unfreeze()
    return seconds, len(set(stories.values()))


def main() -> None:
    """Cluster near-copy feeds and baseline corpora of each size, and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(2_000, 20_000))
    args = parser.parse_args()
    folding: list[float] = []
    for size in args.sizes:
        fold_seconds, fold_stories = timed(near_copies(size))
        base_seconds, base_stories = timed(generate(size)[0])
        folding.append(fold_seconds)
        print(f"n={size:>7,}  near-copies {fold_seconds:6.2f} s ({fold_stories} stories)  "
              f"baseline corpus {base_seconds:6.2f} s ({base_stories:,} stories)  "
              f"folding/baseline per article x{fold_seconds / base_seconds:.2f}")
    growth = args.sizes[1] / args.sizes[0]
    print(f"near-copies time ratio n={args.sizes[1]:,} / n={args.sizes[0]:,}: {folding[1] / folding[0]:.1f} "
          f"(linear: {growth:.0f})")


if __name__ == "__main__":
    main()
