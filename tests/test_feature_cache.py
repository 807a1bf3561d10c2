"""A run computes each stored article's story features once, not once per source batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from pipeline import store
from pipeline.config import HttpSettings, Settings
from pipeline.dedupe import DedupeSettings, FeatureCache, StoryClusterer, StoryItem
from pipeline.models import Source
from pipeline.run import run_once

NOW = datetime(2025, 9, 30, 12, tzinfo=timezone.utc)
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>
<item><title>{title}</title><link>https://news.example/{name}</link><guid>{name}</guid>
<pubDate>Tue, 07 Oct 2025 10:00:00 GMT</pubDate><description>{text}</description></item></channel></rss>"""


def stored(key: str, title: str, text: str, story: str) -> StoryItem:
    return StoryItem(key=key, title=title, text=text, published_at="2025-09-29", story_id=story)


def test_the_cache_computes_each_stored_item_once_and_recomputes_an_edited_one() -> None:
    items = [stored(str(n), f"Report {n} on the port", f"The harbour of town {n} reopened.", f"s{n}")
             for n in range(5)]
    cache = FeatureCache()
    StoryClusterer(now=NOW, cache=cache).preload(items)
    StoryClusterer(now=NOW, cache=cache).preload(items)
    assert cache.computed == 5
    edited = [*items[:4], replace(items[4], text="The harbour was closed again.")]
    StoryClusterer(now=NOW, cache=cache).preload(edited)
    assert cache.computed == 6
    StoryClusterer(now=NOW, cache=cache).preload(items[:2])  # the window moved: the others are forgotten
    StoryClusterer(now=NOW, cache=cache).preload(items[2:3])
    assert cache.computed == 7


def test_a_cached_clusterer_assigns_as_an_uncached_one() -> None:
    held = [stored("1", "Kenya and Nvidia sign AI memorandum", "Kenya's ministry and Nvidia signed an MoU in Nairobi "
                   "on an AI computing centre and the training of engineers.", "s1"),
            stored("2", "Harbour reopens", "The harbour of Mombasa reopened after repairs to the quay.", "s2")]
    copy = StoryItem(key="new", title="Kenya, Nvidia sign AI memorandum", text="Kenya's ministry and Nvidia signed "
                     "an MoU in Nairobi on an AI computing centre and the training of engineers.",
                     published_at="2025-09-29")
    cache = FeatureCache()
    StoryClusterer(now=NOW, cache=cache).preload(held)
    cached = StoryClusterer(now=NOW, cache=cache)
    cached.preload(held)
    plain = StoryClusterer(now=NOW)
    plain.preload(held)
    assert cached.assign(copy) == plain.assign(copy) == "s1"


def test_a_run_of_many_sources_computes_stored_features_once_each(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    computed: list[int] = []
    original = FeatureCache.features

    def counting(self: FeatureCache, item: StoryItem, settings: DedupeSettings, now: datetime):  # type: ignore[no-untyped-def]
        before = self.computed
        features = original(self, item, settings, now)
        computed.append(self.computed - before)
        return features

    monkeypatch.setattr(FeatureCache, "features", counting)
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
    # Sources 2..12 preload 1..11 stored articles (66 look-ups); each stored article is computed once.
    assert len(computed) == 66
    assert sum(computed) == 11
