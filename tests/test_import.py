"""`dealwatch import` as a user meets it: bad lines skipped with their number and reason, the rest stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main

KENYA = {"title": "Kenya and Nvidia sign AI memorandum", "lang": "en",
         "text": "Kenya's Ministry of Information signed a memorandum of understanding with Nvidia on Tuesday "
                 "to build an AI computing centre in Nairobi."}


def good(i: int, **extra: object) -> bytes:
    record = {"id": f"g{i}", "url": f"https://wire.example/{i}", **KENYA, "title": f"{KENYA['title']} ({i})",
              "text": f"{KENYA['text']} Item {i}.", **extra}
    return json.dumps(record).encode() + b"\n"


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "c.toml"
    config.write_text('[database]\npath = "t.db"\n[digest]\ntimezone = "UTC"\n', encoding="utf-8")
    return config


def test_import_skips_every_bad_line_with_its_number_and_reason_and_stores_every_good_line(tmp_path: Path) -> None:
    lines = [
        b"\xef\xbb\xbf" + good(1),  # 1: a UTF-8 BOM on line 1
        good(2, published=1704067295),  # 2: a Unix time
        b'{"id": "s", "title": "bad \\ud800 surrogate", "text": "x"}\n',  # 3
        b'{"id": "u", "title": "caf\xe9", "text": "latin-1"}\n',  # 4: not UTF-8
        b"[" * 200_000 + b"]" * 200_000 + b"\n",  # 5: deep nesting
        b'{"id": "n", "title": 12345, "text": "a number for a string"}\n',  # 6
        b'{"id": "d", "title": "x", "text": "y", "published": 1e300}\n',  # 7
        b'{"id": "o", "title": "x", "text": "y", "published": {"a": 1}}\n',  # 8
        good(9, published="2025-09-12"),
    ]
    corpus = tmp_path / "mixed.jsonl"
    corpus.write_bytes(b"".join(lines))
    result = CliRunner().invoke(main, ["import", str(corpus), "--config", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert [line.split(":")[2] for line in skipped] == ["3", "4", "5", "6", "7", "8"]
    assert "surrogate" in skipped[0] and "not UTF-8" in skipped[1] and "nested too deeply" in skipped[2]
    assert "key 'title': expected a string" in skipped[3] and "Unix time" in skipped[4]
    assert "imported 3 lines: 3 new articles, 0 duplicates, 6 bad lines" in result.stdout
    db = sqlite3.connect(tmp_path / "t.db")
    rows = dict(db.execute("SELECT url, published_at FROM articles").fetchall())
    assert rows == {"https://wire.example/1": None, "https://wire.example/2": "2024-01-01T00:01:35Z",
                    "https://wire.example/9": "2025-09-12T00:00:00Z"}
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)


def test_import_of_only_bad_lines_exits_1_with_the_count(tmp_path: Path) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_bytes(b"{broken\n\xff\xfe\n[1]\n")
    result = CliRunner().invoke(main, ["import", str(corpus), "--config", str(write_config(tmp_path))])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"dealwatch: {corpus}: nothing imported: all 3 lines are bad"


def test_digest_by_published_counts_a_date_only_article_on_its_own_day(tmp_path: Path) -> None:
    corpus = tmp_path / "day.jsonl"
    corpus.write_bytes(good(1, published="2025-09-12"))
    config = write_config(tmp_path)
    assert CliRunner().invoke(main, ["import", str(corpus), "--config", str(config)]).exit_code == 0
    counts = {}
    for day in ("2025-09-11", "2025-09-12"):
        result = CliRunner().invoke(main, ["digest", "--config", str(config), "--date", day, "--by", "published",
                                           "--format", "json", "--out", "-"])
        assert result.exit_code == 0, result.output
        counts[day] = json.loads(result.stdout)["articles"]
    assert counts == {"2025-09-11": 0, "2025-09-12": 1}


def test_migration_rewrites_bare_dates_of_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = store.open_db(path)
    db.execute("INSERT INTO stories (id, title, first_seen, article_count) VALUES (1, 't', '2025-09-12', 1)")
    db.execute("INSERT INTO articles (id, url, title, text, published_at, fetched_at, story_id) "
               "VALUES (1, 'https://a.example/1', 't', 'x', '2025-09-12', '2025-09-13T08:00:00Z', 1)")
    db.execute("INSERT INTO deals (id, country, partner, stage, first_seen, last_seen) "
               "VALUES (1, 'MA', 'OpenAI', 'talks', '2025-09-12', '2025-09-12')")
    db.execute("INSERT INTO deal_mentions (deal_id, article_id, stage, event_date, published_at, seen_at) "
               "VALUES (1, 1, 'talks', '2025-09-10', '2025-09-12', '2025-09-13T08:00:00Z')")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm004_timestamps_with_time'")
    db.conn.commit()
    db.close()
    db = store.open_db(path)
    assert db.execute("SELECT published_at, fetched_at FROM articles").fetchone() == ("2025-09-12T00:00:00Z",
                                                                                   "2025-09-13T08:00:00Z")
    assert db.execute("SELECT first_seen, last_seen FROM deals").fetchone() == ("2025-09-12T00:00:00Z",) * 2
    assert db.execute("SELECT event_date, published_at FROM deal_mentions").fetchone() == ("2025-09-10",
                                                                                        "2025-09-12T00:00:00Z")
    assert db.execute("SELECT first_seen FROM stories").fetchone() == ("2025-09-12T00:00:00Z",)


def test_one_bad_json_feed_item_does_not_fail_the_source(tmp_path: Path) -> None:
    items = [{"id": "1", "url": "https://news.example/1", "title": "bad \ud800 item", "content_text": "x"},
             {"id": "2", "url": "https://news.example/2", "title": "Kenya and Nvidia sign AI memorandum",
              "content_text": KENYA["text"]}]
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}),
                    encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\npath = "t.db"\n[[sources]]\nname = "j"\nurl = "{feed}"\nfull_text = "never"\n',
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "sources: 1 ok, 0 failed; new articles: 1" in result.stdout
    db = sqlite3.connect(tmp_path / "t.db")
    assert db.execute("SELECT url FROM articles").fetchall() == [("https://news.example/2",)]
