"""Storage: schema, atomic batches, exact duplicates, deal stages, source health and backoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import store
from pipeline.models import Article, Classification, DealMention, FetchResult, Source


def article(url: str, title: str = "T", published: str = "2025-09-26T09:00:00Z",
            deals: list[DealMention] | None = None, content_hash: str = "") -> Article:
    a = Article(url=url, title=title, text="body", source="s", fetched_at="2025-09-26T10:00:00Z",
                published_at=published, content_hash=content_hash or url, urls=[url])
    a.classification = Classification(relevant=bool(deals), deals=deals or [], version="test")
    return a


@pytest.fixture
def db(tmp_path: Path) -> store.Database:
    return store.open_db(tmp_path / "t.db")


def test_schema_has_the_contract_tables_view_and_wal(db: store.Database) -> None:
    assert {"sources", "articles", "article_urls", "stories", "deals", "deal_mentions", "fetch_log",
            "articles_fts"} <= set(db.table_names())
    assert "deal_timeline" in db.view_names()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    store.open_db(tmp_path / "t.db")
    db = store.open_db(tmp_path / "t.db")
    assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(store.migrations._migrations)


def test_batch_is_saved_once_with_urls_stories_and_full_text_search(db: store.Database) -> None:
    batch = store.Batch(source="s", started_at="2025-09-26T10:00:00Z",
                        articles=[article("https://a.example/1", "Morocco and OpenAI hold talks")],
                        story_refs=["new:0"])
    assert store.save_batch(db, batch) == 1
    assert store.save_batch(db, batch) == 0
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
    assert db.execute("SELECT title, article_count FROM stories").fetchall() == [("Morocco and OpenAI hold talks", 1)]
    hits = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'openai'").fetchall()
    assert len(hits) == 1
    assert store.known_urls(db, ["https://a.example/1", "https://a.example/2"]) == {"https://a.example/1"}


def test_a_failing_batch_leaves_nothing_behind(db: store.Database) -> None:
    good = article("https://a.example/1")
    broken = article("https://a.example/2")
    broken.title = object()  # type: ignore[assignment]  # sqlite cannot bind this
    batch = store.Batch(source="s", started_at="2025-09-26T10:00:00Z", articles=[good, broken],
                        story_refs=["new:0", "new:1"])
    with pytest.raises(Exception):
        store.save_batch(db, batch)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM stories").fetchone()[0] == 0


def test_story_counts_and_earliest_title(db: store.Database) -> None:
    later = article("https://b.example/1", "Rewrite", "2025-09-27T09:00:00Z")
    store.save_batch(db, store.Batch(source="s", started_at="x", articles=[later], story_refs=["new:0"]))
    story_id = db.execute("SELECT id FROM stories").fetchone()[0]
    earlier = article("https://a.example/1", "Wire original", "2025-09-26T09:00:00Z")
    store.save_batch(db, store.Batch(source="s", started_at="x", articles=[earlier], story_refs=[story_id]))
    assert db.execute("SELECT title, first_seen, article_count FROM stories").fetchall() == [
        ("Wire original", "2025-09-26T09:00:00Z", 2)]


@pytest.mark.parametrize(
    ("mentions", "stage"),
    [
        ([("talks", "2025-03-01"), ("mou", "2025-09-12")], "mou"),
        ([("mou", "2025-09-12"), ("talks", "2025-10-01")], "mou"),
        ([("agreement", "2025-05-01"), ("stalled", "2025-06-01")], "stalled"),
        ([("stalled", "2025-06-01"), ("launched", "2025-08-01")], "launched"),
        ([("launched", "2025-05-01"), ("stalled", "2025-06-01"), ("talks", "2025-05-15")], "stalled"),
    ],
)
def test_deal_stage_moves_forward_or_stalls(mentions: list[tuple[str, str]], stage: str) -> None:
    assert store.stage_from_mentions(mentions) == stage


def test_deals_and_mentions_keep_history(db: store.Database) -> None:
    talks = article("https://a.example/1", published="2025-03-01",
                    deals=[DealMention("MA", "OpenAI", "talks", None, "They held talks.")])
    mou = article("https://a.example/2", published="2025-09-12",
                  deals=[DealMention("MA", "OpenAI", "mou", "2025-09-12", "They signed an MoU.")])
    store.save_batch(db, store.Batch(source="s", started_at="x", articles=[mou, talks], story_refs=["a", "b"]))
    assert db.execute("SELECT country, partner, stage, first_seen FROM deals").fetchall() == [
        ("MA", "OpenAI", "mou", "2025-03-01")]
    timeline = db.execute("SELECT stage, date FROM deal_timeline").fetchall()
    assert timeline == [("talks", "2025-03-01"), ("mou", "2025-09-12")]


def test_failures_back_off_and_recover(db: store.Database) -> None:
    store.sync_sources(db, [Source(name="s", kind="feed", url="https://x.example/rss", every_seconds=600)])
    fail = FetchResult(url="u", status="error", error="HTTP 500 Internal Server Error", http_status=500)
    for _ in range(2):
        store.save_batch(db, store.Batch(source="s", started_at="2025-09-26T10:00:00Z", fetch=fail))
    state = store.source_state(db, "s")
    assert state["consecutive_failures"] == 2 and state["last_error"] == "HTTP 500 Internal Server Error"
    assert state["next_attempt_at"] == "2025-09-26T10:40:00Z"  # 600 s * 2**2
    ok = FetchResult(url="u", status="ok", etag='"e"', http_status=200)
    store.save_batch(db, store.Batch(source="s", started_at="2025-09-26T11:00:00Z", fetch=ok))
    state = store.source_state(db, "s")
    assert (state["consecutive_failures"], state["next_attempt_at"], state["etag"]) == (0, None, '"e"')
    log = db.execute("SELECT status, error FROM fetch_log ORDER BY id").fetchall()
    assert log == [("error", "HTTP 500 Internal Server Error")] * 2 + [("ok", None)]


def test_backoff_is_capped_and_honours_retry_after(db: store.Database) -> None:
    store.sync_sources(db, [Source(name="s", kind="feed", url="u", every_seconds=3600)])
    fail = FetchResult(url="u", status="error", error="HTTP 500", http_status=500)
    for _ in range(12):
        store.save_batch(db, store.Batch(source="s", started_at="2025-09-26T10:00:00Z", fetch=fail))
    assert store.source_state(db, "s")["next_attempt_at"] == "2025-09-27T10:00:00Z"
    store.sync_sources(db, [Source(name="r", kind="feed", url="u", every_seconds=1)])
    limited = FetchResult(url="u", status="error", error="HTTP 429", http_status=429, retry_after=3600)
    store.save_batch(db, store.Batch(source="r", started_at="2025-09-26T10:00:00Z", fetch=limited))
    assert store.source_state(db, "r")["next_attempt_at"] == "2025-09-26T11:00:00Z"


def test_not_modified_keeps_validators(db: store.Database) -> None:
    store.sync_sources(db, [Source(name="s", kind="feed", url="u")])
    store.save_batch(db, store.Batch(source="s", started_at="t1", fetch=FetchResult(url="u", status="ok", etag='"e"')))
    store.save_batch(db, store.Batch(source="s", started_at="t2", fetch=FetchResult(url="u", status="not_modified")))
    assert store.source_state(db, "s")["etag"] == '"e"'


def test_reclassifying_keeps_when_a_mention_was_first_seen(db: store.Database) -> None:
    talks = article("https://a.example/1", deals=[DealMention("MA", "OpenAI", "talks", None, "They held talks.")])
    store.save_batch(db, store.Batch(source="s", started_at="x", articles=[talks], story_refs=["a"]))
    db.execute("UPDATE deal_mentions SET seen_at = '2025-09-26T10:00:00Z'")
    talks.classification = Classification(True, [DealMention("MA", "OpenAI", "mou", None, "They signed an MoU."),
                                                 DealMention("MA", "Nvidia", "talks", None, "And met Nvidia.")], "v2")
    store.replace_classification(db, 1, talks)
    rows = db.execute("SELECT d.partner, m.stage, m.seen_at > '2025-09-27' FROM deal_mentions m "
                      "JOIN deals d ON d.id = m.deal_id ORDER BY d.partner").fetchall()
    assert rows == [("Nvidia", "talks", 1), ("OpenAI", "mou", 0)]
    assert db.execute("SELECT stage FROM deals WHERE partner = 'OpenAI'").fetchone() == ("mou",)


def test_the_story_window_is_read_through_the_article_time_index(db: store.Database) -> None:
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {store.STORY_WINDOW}", ["2025-09-23", "2025-09-29", 10])]
    assert "SEARCH a USING INDEX idx_articles_article_time (<expr>>? AND <expr><?)" in plan
    assert not any(step.startswith(("SCAN a", "USE TEMP B-TREE FOR ORDER BY")) for step in plan), plan


def test_the_story_window_finds_an_undated_article_by_its_fetch_time(db: store.Database) -> None:
    undated = article("https://a.example/1", "Undated", published="")
    undated.published_at = None
    batch = store.Batch(source="s", started_at="2025-09-26T10:00:00Z",
                        articles=[article("https://a.example/2", "Dated", "2025-09-20T09:00:00Z"), undated],
                        story_refs=["new:0", "new:1"])
    store.save_batch(db, batch)
    assert [row["title"] for row in store.story_window(db, "2025-09-25", "2025-09-27T23:59:59Z")] == ["Undated"]
