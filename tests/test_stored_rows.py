"""`run` and `import` store the same rows as the classifier and story folding did when the golden file was written.

The golden file (tests/fixtures/stored_rows.json) was written by the code before the throughput
work of issue 13; a change that is only meant to be faster must leave every stored row as it was:
each article's classification and story, each story's signature, each deal and mention.
Regenerate it only for an intended change of tagging or folding: pytest --update-golden.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ingest import generate  # bench/ingest.py: the import bench's corpus
from pipeline import run, store
from pipeline.config import load_settings
from pipeline.run import import_jsonl, run_once
from run_cpu import write_feeds  # bench/run_cpu.py: the run bench's feeds

GOLDEN = Path(__file__).parent / "fixtures" / "stored_rows.json"
NOW = datetime(2025, 10, 1, 12, tzinfo=timezone.utc)


def stored_rows(db: store.Database) -> dict[str, Any]:
    """Return the stored rows that tagging and folding decide, keyed by URL (ids and fetch times vary by run)."""
    stories = {}
    for story_id, url in db.execute("SELECT story_id, MIN(url) FROM articles GROUP BY story_id"):
        stories[story_id] = url
    articles = [[url, stories[story_id], relevant, published]
                for url, story_id, relevant, published in db.execute(
                    "SELECT url, story_id, relevant, published_at FROM articles ORDER BY url")]
    story_rows = sorted([stories[row[0]], *row[1:]] for row in db.execute(
        "SELECT id, title, first_seen, article_count, country, partners, stage, event_date FROM stories"))
    mentions = sorted(list(row) for row in db.execute(
        """SELECT a.url, d.country, d.partner, m.stage, m.event_date, m.confidence, m.level, m.body, m.evidence
           FROM deal_mentions m JOIN deals d ON d.id = m.deal_id JOIN articles a ON a.id = m.article_id"""))
    candidates = sorted(list(row) for row in db.execute(
        """SELECT a.url, c.country, c.partner, c.stage, c.confidence FROM deal_candidates c
           JOIN articles a ON a.id = c.article_id"""))
    deals = sorted(list(row) for row in db.execute(
        "SELECT country, partner, body, stage, first_seen, last_seen FROM deals"))
    return {"articles": articles, "stories": story_rows, "mentions": mentions, "candidates": candidates,
            "deals": deals}


def run_and_import(folder: Path, monkeypatch: pytest.MonkeyPatch, processes: int) -> dict[str, Any]:
    """Run 12 generated feeds spread over 12 days, then import 1,200 articles in chunks of 200.

    With 1 process, the run takes one source at a time and everything is classified in this
    process; with 2, the run takes 2 sources at a time, and both run and import classify in
    worker processes.
    """
    config = write_feeds(folder, 12, 20, NOW, span_hours=12 * 24)
    settings = load_settings(config, folder / "rows.db")
    settings = replace(settings, http=replace(settings.http, concurrency=processes))
    monkeypatch.setattr(os, "cpu_count", lambda: processes)
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).new_articles == 240
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in generate(1200)), encoding="utf-8")
    monkeypatch.setattr(run, "IMPORT_BATCH", 200)
    assert import_jsonl(db, corpus, settings, workers=processes).new_articles == 1200
    return stored_rows(db)


def test_run_and_import_store_the_rows_they_stored_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          request: pytest.FixtureRequest) -> None:
    rows = run_and_import(tmp_path, monkeypatch, processes=1)
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len({story for _, story, _, _ in rows["articles"]}) < len(rows["articles"])  # some stories fold copies
    for table in golden:
        assert rows[table] == golden[table], table


def test_classifying_in_worker_processes_stores_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = run_and_import(tmp_path, monkeypatch, processes=2)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for table in ("mentions", "candidates", "deals"):
        assert rows[table] == golden[table], table
    # Two sources at a time are stored in the order they finish, which may change which copy starts a
    # story; the import's chunks are stored in order, so its stories are exactly the golden ones.
    assert [[url, relevant] for url, _, relevant, _ in rows["articles"]] == [
        [url, relevant] for url, _, relevant, _ in golden["articles"]]
    imported = [row for row in rows["articles"] if not row[0].startswith("https://outlet")]
    assert imported == [row for row in golden["articles"] if not row[0].startswith("https://outlet")]
