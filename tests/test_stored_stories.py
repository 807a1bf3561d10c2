"""A run reads and indexes each stored article once (StoredStories), and its batches assign as if they preloaded."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline import store
from pipeline.config import HttpSettings, Settings
from pipeline.dedupe import DedupeSettings, StoredStories, StoryClusterer, StoryItem
from pipeline.models import Source
from pipeline.run import run_once

NOW = datetime(2025, 9, 30, 12, tzinfo=timezone.utc)
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>
<item><title>{title}</title><link>https://news.example/{name}</link><guid>{name}</guid>
<pubDate>Tue, 07 Oct 2025 10:00:00 GMT</pubDate><description>{text}</description></item></channel></rss>"""
WORDS = "harbour quay crane ferry tariff cargo customs berth dredging pilot tug container".split()
DEALS = [("KE", "Nvidia", "mou"), ("KE", "Nvidia", "agreement"), ("MA", "OpenAI", "talks")]


def generated(count: int, seed: int) -> list[StoryItem]:
    """Return items over ten days: a few families of near-copies (some reporting a deal) and unrelated ones."""
    rng = random.Random(seed)
    items = []
    for n in range(count):
        family = rng.randrange(12)
        words = random.Random(family).choices(WORDS, k=20) + [f"place{family}", f"name{family}"]
        if rng.random() < 0.5:
            words = rng.choices(WORDS, k=20) + [f"other{n}"]
        moment = NOW - timedelta(hours=rng.randrange(240))
        deals = frozenset([DEALS[family % 3]]) if family < 6 else frozenset()
        items.append(StoryItem(key=str(n + 1), title=" ".join(words[:6]), text=" ".join(words),
                               published_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), deal_keys=deals))
    return items


def window_order(items: list[StoryItem]) -> list[StoryItem]:
    """Return items in the story window query's order: newest first, then highest id."""
    return sorted(items, key=lambda item: (item.published_at or "", int(item.key)), reverse=True)


def test_a_batch_assigns_as_if_it_had_preloaded_its_window() -> None:
    settings = DedupeSettings()
    stored = StoredStories(settings, now=NOW)
    held: list[StoryItem] = []
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for batch_number in range(8):
        batch = generated(15, seed=batch_number)
        batch = [replace(item, key=str(1000 * (batch_number + 1) + int(item.key))) for item in batch]
        days = [int((datetime.fromisoformat(item.published_at or "") - epoch).days) for item in batch]
        first, last = min(days) - 3, max(days) + 3
        stored.retain(first, last)
        stored.add(held)  # the last batch's articles, stored since: only those of days held are taken
        for low, high in stored.missing_days(first, last):
            stored.load(low, high, window_order([i for i in held if low <= _day(i) <= high]))
        window = window_order([i for i in held if first <= _day(i) <= last])
        preloaded = StoryClusterer(settings, now=NOW)
        preloaded.preload(window)
        read_in_place = stored.clusterer(first, last, now=NOW)
        assert len(read_in_place) == len(preloaded)
        for item in sorted(batch, key=lambda i: i.published_at or ""):
            story = preloaded.assign(item)
            assert read_in_place.assign(item) == story
            story = story or item.key
            preloaded.add(replace(item, story_id=story))
            read_in_place.add(replace(item, story_id=story))
            held.append(replace(item, story_id=story))
    assert len({item.story_id for item in held}) < len(held)  # some copies were folded


def _day(item: StoryItem) -> int:
    return (datetime.fromisoformat(item.published_at or "") - datetime(1970, 1, 1, tzinfo=timezone.utc)).days


def test_forgotten_days_are_dropped_and_loaded_again_when_needed() -> None:
    stored = StoredStories(now=NOW)
    items = [replace(item, story_id=item.key) for item in generated(40, seed=1)]
    days = sorted({_day(item) for item in items})
    stored.load(days[0], days[-1], window_order(items))
    assert len(stored) == 40 and stored.computed == 40
    stored.retain(days[-1] - 2, days[-1])
    assert len(stored) == sum(_day(item) >= days[-1] - 2 for item in items)
    assert stored.missing_days(days[0], days[-1]) == [(days[0], days[-1] - 3)]


def test_a_run_of_many_sources_reads_each_stored_article_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    runs: list[StoredStories] = []
    original = StoredStories.__init__

    def recording(self: StoredStories, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        runs.append(self)

    monkeypatch.setattr(StoredStories, "__init__", recording)
    sources = []
    for n in range(12):
        path = tmp_path / f"f{n}.xml"
        path.write_text(FEED.format(name=f"f{n}", title=f"Harbour report {n}",
                                    text=f"The harbour of town number {n} reopened after {n + 2} weeks of repairs."))
        sources.append(Source(name=f"f{n}", kind="feed", url=str(path), full_text="never"))
    settings = Settings(path=None, db_path=tmp_path / "t.db", sources=tuple(sources),
                        http=HttpSettings(per_host_delay=0, concurrency=4))
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).new_articles == 12
    # Sources 2..12 cluster against 1..11 stored articles, read back with the features their batch computed.
    assert len(runs) == 1 and len(runs[0]) == 11 and runs[0].computed == 0
