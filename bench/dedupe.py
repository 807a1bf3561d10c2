"""Benchmark story clustering on a generated corpus with known near-duplicate groups.

Run: .venv/bin/python bench/dedupe.py [--sizes 10000 100000] [--baseline 2000]

The corpus arrives at a steady rate (RATE_PER_DAY articles a day), as a monitoring database grows: 10k
articles span about 25 days and 100k about 250. Each event is a country, a partner, a stage and a
dozen words of its own; the country's ministry boilerplate and a shared everyday vocabulary make
unrelated articles of one country look alike. An event is reported once or several times within two
days: a wire copy under a new headline, a shortened version, an outlet's rewrite (sentences reordered,
words replaced, a new opening), or the coverage of a press release. Traps that must stay apart:
the next stage of the same deal (sometimes a day later, reusing most of the words), roundups that
retell several events, and same-country events of the same day. Deal keys are the generator's truth,
as a perfect classifier would give them; the 10k corpus is also clustered on text alone.

Prints time at each size and their ratio, pairwise F1, candidates scored per article, and an
all-pairs rapidfuzz baseline (the same pair test on every pair, then connected components) measured
on a subsample in the same run, with its time extrapolated quadratically.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.dedupe import (  # noqa: E402  (the bench runs from a checkout, not an install)
    DedupeSettings,
    StoryClusterer,
    StoryItem,
    _features,
    _score,
    assign_all,
    pairwise_scores,
)

RATE_PER_DAY = 400
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
STAGES = ("talks", "mou", "agreement", "launched", "stalled")
STAGE_PHRASES = {
    "talks": "held talks with",
    "mou": "signed a memorandum of understanding with",
    "agreement": "signed a partnership agreement with",
    "launched": "launched the programme built with",
    "stalled": "suspended the project with",
}
FILLER = (
    "the of and to in a for on that with as by is was it at from has have will said its this be are which "
    "also their an but not more been after than over about would could".split()
)
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["ar", "el", "on", "is", "ur"]


@dataclass(frozen=True)
class Event:
    """One reported event: a deal at a stage, with the words only its reports use."""

    event_id: str
    country: str
    partner: str
    stage: str
    day: float  # days after START
    words: tuple[str, ...]


def make_word(rng: random.Random, syllables: int) -> str:
    """Return a pronounceable made-up word."""
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


class Vocabulary:
    """Made-up vocabularies: everyday words (Zipf-distributed), rare event words, countries, partners."""

    def __init__(self, rng: random.Random) -> None:
        self.common = sorted({make_word(rng, rng.randint(2, 3)) for _ in range(3000)})
        self.rare = sorted({make_word(rng, rng.randint(3, 4)) for _ in range(80_000)})
        self.countries = sorted({make_word(rng, 2).capitalize() for _ in range(150)})
        self.partners = sorted({make_word(rng, 2).capitalize() + " AI" for _ in range(60)})
        self.ministry = {country: [make_word(rng, 3) for _ in range(6)] for country in self.countries}
        weights = [1.0 / (rank + 1) for rank in range(len(self.common))]
        self._cumulative = list(_accumulate(weights))

    def common_words(self, rng: random.Random, count: int) -> list[str]:
        """Return count everyday words drawn by Zipf frequency."""
        return rng.choices(self.common, cum_weights=self._cumulative, k=count)


def _accumulate(values: list[float]) -> list[float]:
    """Return running sums."""
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def sentence(rng: random.Random, vocab: Vocabulary, event: Event, own: float) -> str:
    """Return one sentence: filler, everyday words, and a share `own` of the event's own words."""
    length = rng.randint(12, 24)
    words = []
    for _ in range(length):
        roll = rng.random()
        if roll < own:
            words.append(rng.choice(event.words))
        elif roll < own + 0.35:
            words.append(rng.choice(FILLER))
        else:
            words.extend(vocab.common_words(rng, 1))
    return " ".join(words).capitalize() + "."


def report(rng: random.Random, vocab: Vocabulary, event: Event) -> tuple[str, list[str]]:
    """Return the original report of an event: a headline and its sentences."""
    lead = (
        f"{event.country} {STAGE_PHRASES[event.stage]} {event.partner} on "
        f"{' '.join(rng.sample(event.words, 3))}, the ministry of {' '.join(vocab.ministry[event.country][:3])} said."
    )
    boiler = f"The ministry of {' '.join(vocab.ministry[event.country])} oversees the {vocab.common[5]} plan."
    body = [lead] + [sentence(rng, vocab, event, 0.25) for _ in range(rng.randint(6, 12))] + [boiler]
    title = f"{event.country} and {event.partner}: {' '.join(rng.sample(event.words, 3))} {STAGE_PHRASES[event.stage]}"
    return title, body


def substitute(rng: random.Random, vocab: Vocabulary, text: str, rate: float) -> str:
    """Return text with a share rate of its words replaced by everyday words."""
    words = text.split()
    return " ".join(vocab.common_words(rng, 1)[0] if rng.random() < rate else word for word in words)


def variant(rng: random.Random, vocab: Vocabulary, event: Event, title: str, body: list[str]) -> tuple[str, str]:
    """Return (title, text) of a near-duplicate of an original report, of a randomly chosen kind."""
    kind = rng.random()
    new_title = f"{' '.join(rng.sample(event.words, 2))} {event.partner} {event.country} " + " ".join(
        vocab.common_words(rng, 3)
    )
    if kind < 0.25:  # wire copy under a new headline, lightly edited
        return new_title, "\n\n".join(substitute(rng, vocab, line, 0.03) for line in body)
    if kind < 0.4:  # shortened version
        keep = max(2, len(body) * rng.randint(35, 60) // 100)
        return substitute(rng, vocab, title, 0.2), "\n\n".join(body[:keep])
    if kind < 0.5:  # syndicated feed item: the headline and a teaser of the first sentence
        return substitute(rng, vocab, title, 0.05), body[0]
    if kind < 0.8:  # an outlet's rewrite: new opening, reordered, a third of the words replaced
        rest = body[1:]
        rng.shuffle(rest)
        opening = [sentence(rng, vocab, event, 0.3) for _ in range(2)]
        kept = rest[: max(3, len(rest) * 2 // 3)]
        return new_title, "\n\n".join(substitute(rng, vocab, line, 0.35) for line in opening + kept)
    # coverage of a press release: its own framing, then quotes from the release
    framing = [sentence(rng, vocab, event, 0.15) for _ in range(3)]
    quoted = rng.sample(body, max(2, len(body) // 2))
    return new_title, "\n\n".join(framing + quoted)


def stamp(day: float) -> str:
    """Return an ISO 8601 UTC timestamp for a day offset from START."""
    return (START + timedelta(days=day)).isoformat()


def generate(size: int, seed: int = 7) -> tuple[list[StoryItem], dict[str, str]]:
    """Return size generated articles (shuffled) and their true story ids."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    items: list[StoryItem] = []
    truth: dict[str, str] = {}
    recent: list[tuple[Event, list[str]]] = []
    last_used: dict[tuple[str, str], float] = {}
    span = size / RATE_PER_DAY
    while len(items) < size:
        day = rng.uniform(0, span)
        roll = rng.random()
        if roll < 0.05 and recent:  # the next stage of a recent deal, reusing most of its words
            previous, _ = rng.choice(recent[-200:])
            stage = STAGES[(STAGES.index(previous.stage) + 1) % len(STAGES)]
            words = tuple(rng.sample(previous.words, 9)) + tuple(rng.sample(vocab.rare, 3))
            day = previous.day + rng.choice((0.5, 1.0, 2.0, 10.0, 40.0))
            event = Event(f"e{len(items)}", previous.country, previous.partner, stage, day, words)
        else:
            country, partner = fresh_pair(rng, vocab, last_used, day)
            words = tuple(rng.sample(vocab.rare, 12))
            event = Event(f"e{len(items)}", country, partner, rng.choice(STAGES), day, words)
        last_used[(event.country, event.partner)] = event.day
        title, body = report(rng, vocab, event)
        if roll > 0.97 and len(recent) >= 3:  # a roundup retelling three recent events in a sentence each
            sources = rng.sample(recent[-50:], 3)
            retold = [substitute(rng, vocab, lines[0], 0.3) for _, lines in sources]
            body = body[:1] + retold + body[-4:]
            keys = frozenset(key for source, _ in sources for key in _keys(source))
        else:
            keys = frozenset(_keys(event))
        recent.append((event, body))
        copies = rng.choices((0, 1, 2, 3, 5), weights=(55, 20, 12, 8, 5))[0]
        items.append(_item(f"a{len(items)}", title, "\n\n".join(body), event.day, keys))
        truth[items[-1].key] = event.event_id
        for _ in range(copies):
            if len(items) >= size:
                break
            copy_title, copy_text = variant(rng, vocab, event, title, body)
            items.append(_item(f"a{len(items)}", copy_title, copy_text, event.day + rng.uniform(0, 2), keys))
            truth[items[-1].key] = event.event_id
    rng.shuffle(items)
    return items, truth


def fresh_pair(
    rng: random.Random, vocab: Vocabulary, last_used: dict[tuple[str, str], float], day: float
) -> tuple[str, str]:
    """Return a (country, partner) with no other event within ten days, as real deals rarely collide."""
    pair = (rng.choice(vocab.countries), rng.choice(vocab.partners))
    for _ in range(20):
        if abs(last_used.get(pair, -1e9) - day) > 10:
            break
        pair = (rng.choice(vocab.countries), rng.choice(vocab.partners))
    return pair


def _keys(event: Event) -> set[tuple[str, str, str]]:
    """Return the deal keys a classifier would give a report of event."""
    return {(event.country, event.partner, event.stage)}


def _item(key: str, title: str, text: str, day: float, keys: frozenset[tuple[str, str, str]]) -> StoryItem:
    """Return a StoryItem published day days after START."""
    return StoryItem(key=key, title=title, text=text, published_at=stamp(day), deal_keys=keys)


def run_blocked(items: list[StoryItem], settings: DedupeSettings) -> tuple[dict[str, str], float, float]:
    """Return (stories, seconds, candidates scored per article) for the blocked clusterer."""
    clusterer = StoryClusterer(settings)
    # The generated corpus stays alive for the whole run; freezing it keeps the cyclic garbage
    # collector from re-walking it on every pass, which would bill its size to the clusterer.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    stories = assign_all(clusterer, items)
    return stories, time.perf_counter() - started, clusterer.compared / max(1, clusterer.assigned)


def run_all_pairs(items: list[StoryItem], settings: DedupeSettings) -> tuple[dict[str, str], float]:
    """Return (stories, seconds) scoring every pair with the same rapidfuzz test, then joining components."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    features = [_features(item, settings, now) for item in items]
    parent = list(range(len(items)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for first in range(len(features)):
        for second in range(first + 1, len(features)):
            one, other = features[first], features[second]
            # Every pair pays both rapidfuzz comparisons; the decision is then the clusterer's own.
            Indel.normalized_similarity(one.words, other.words)
            fuzz.token_sort_ratio(one.title, other.title)
            if _score(one, other, settings) is not None:
                parent[root(second)] = root(first)
    stories = {item.key: items[root(index)].key for index, item in enumerate(items)}
    return stories, time.perf_counter() - started


def main() -> None:
    """Generate the corpora, cluster them, and print the figures beside the all-pairs baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(10_000, 100_000))
    parser.add_argument("--baseline", type=int, default=2_000, help="articles in the all-pairs subsample")
    args = parser.parse_args()
    settings = DedupeSettings()
    timings: list[float] = []
    estimates: list[float] = []
    for size in args.sizes:
        items, truth = generate(size)
        stories, seconds, candidates = run_blocked(items, settings)
        precision, recall, f1 = pairwise_scores(stories, truth)
        timings.append(seconds)
        print(
            f"blocked   n={size:>7,}  {seconds:7.2f} s  {size / seconds:8,.0f} art/s  "
            f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}  candidates/article={candidates:.1f}"
        )
        if size == min(args.sizes):
            text_only = [replace(item, deal_keys=frozenset()) for item in items]
            stories, seconds, candidates = run_blocked(text_only, settings)
            precision, recall, f1 = pairwise_scores(stories, truth)
            print(
                f"  same corpus without deal keys (text alone): {seconds:.2f} s  "
                f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}  candidates/article={candidates:.1f}"
            )
            subsample = sorted(items, key=lambda item: item.published_at or "")[: args.baseline]
            sub_truth = {item.key: truth[item.key] for item in subsample}
            sub_blocked, blocked_seconds, _ = run_blocked(subsample, settings)
            sub_all, all_seconds = run_all_pairs(subsample, settings)
            bp, br, bf = pairwise_scores(sub_blocked, sub_truth)
            ap, ar, af = pairwise_scores(sub_all, sub_truth)
            n = len(subsample)
            print(
                f"subsample n={n:,} (first {n / RATE_PER_DAY:.1f} days): all-pairs {all_seconds:.2f} s "
                f"P={ap:.3f} R={ar:.3f} F1={af:.3f} | blocked {blocked_seconds:.2f} s P={bp:.3f} R={br:.3f} F1={bf:.3f}"
                f" | speed-up x{all_seconds / blocked_seconds:.0f}"
            )
            estimates.extend(all_seconds * (target / n) ** 2 for target in args.sizes)
    print(f"time ratio n={args.sizes[1]:,} / n={args.sizes[0]:,}: {timings[1] / timings[0]:.2f} (target <= 12)")
    for size, seconds, estimate in zip(args.sizes, timings, estimates):
        print(
            f"all-pairs extrapolated (n^2) to n={size:,}: {estimate:,.0f} s ({estimate / 3600:.1f} h), "
            f"x{estimate / seconds:,.0f} the blocked time"
        )


if __name__ == "__main__":
    main()
