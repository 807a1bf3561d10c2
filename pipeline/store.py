"""The SQLite schema of design.md, as migrations, and every read and write dealwatch makes.

No other module touches the database. Writes for one source batch happen in one transaction,
so a run killed at any point leaves the database as it was before that batch.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

from sqlite_utils import Database, Migrations

from pipeline.errors import DatabaseError
from pipeline.models import PURPOSES, Article, DealMention, FetchResult, Source

LOGGER = logging.getLogger(__name__)
STAGE_ORDER = {"talks": 1, "mou": 2, "agreement": 3, "launched": 4}
MAX_BACKOFF_SECONDS = 24 * 3600
# One writer at a time in this process: concurrent fetch jobs queue here instead of racing for
# SQLite's write lock (other processes are kept out by the database lock file).
_WRITER = threading.RLock()

migrations = Migrations("dealwatch")


@migrations()
def m001_initial(db: Database) -> None:
    """Create the tables, indexes, full-text index and view of design.md."""
    db.table("sources").create(
        {"name": str, "kind": str, "url": str, "etag": str, "last_modified": str,
         "last_fetched_at": str, "last_ok_at": str, "consecutive_failures": int, "last_error": str,
         "last_status": str, "next_attempt_at": str, "every_seconds": int},
        pk="name", defaults={"consecutive_failures": 0},
    )
    db.table("stories").create({"id": int, "title": str, "first_seen": str, "article_count": int}, pk="id")
    db.table("articles").create(
        {"id": int, "url": str, "title": str, "summary": str, "text": str, "lang": str,
         "published_at": str, "fetched_at": str, "source": str, "content_hash": str,
         "story_id": int, "relevant": int, "classifier_version": str},
        pk="id", not_null={"url"}, foreign_keys=[("story_id", "stories", "id")],
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["content_hash"])
    db.table("articles").create_index(["published_at"])
    db.table("articles").create_index(["story_id"])
    db.table("article_urls").create({"url": str, "article_id": int}, pk="url",
                              foreign_keys=[("article_id", "articles", "id")])
    db.table("article_urls").create_index(["article_id"])
    db.table("deals").create(
        {"id": int, "country": str, "partner": str, "stage": str, "first_seen": str, "last_seen": str,
         "known": int},
        pk="id", not_null={"country", "partner"},
    )
    db.table("deals").create_index(["country", "partner"], unique=True)
    db.table("deal_mentions").create(
        {"id": int, "deal_id": int, "article_id": int, "stage": str, "event_date": str, "evidence": str,
         "published_at": str, "seen_at": str},
        pk="id", foreign_keys=[("deal_id", "deals", "id"), ("article_id", "articles", "id")],
    )
    db.table("deal_mentions").create_index(["deal_id", "article_id"], unique=True)
    db.table("deal_mentions").create_index(["article_id"])
    db.table("deal_mentions").create_index(["seen_at"])
    db.table("fetch_log").create(
        {"id": int, "source": str, "started_at": str, "duration_ms": int, "status": str,
         "http_status": int, "new_articles": int, "error": str},
        pk="id",
    )
    db.table("fetch_log").create_index(["source", "started_at"])
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
    db.execute("""
        CREATE VIEW deal_timeline AS
        SELECT d.id AS deal_id, d.country, d.partner, m.stage,
               COALESCE(m.event_date, substr(m.published_at, 1, 10)) AS date,
               a.title, a.url, m.evidence
        FROM deal_mentions m
        JOIN deals d ON d.id = m.deal_id
        JOIN articles a ON a.id = m.article_id
        ORDER BY date, d.country, d.partner
    """)


@migrations()
def m002_index_fetched_at(db: Database) -> None:
    """Index articles by fetch time, which the digest's "new that day" queries filter on."""
    db.table("articles").create_index(["fetched_at"])


@migrations()
def m003_deal_levels_confidence_candidates(db: Database) -> None:
    """Sub-national deals (level, body), each mention's confidence, and the candidates below min_confidence.

    A deal is now one (country, partner, body) triple, so a state's deal and one of its provinces'
    with the same partner are two rows; `body` is NULL for national deals.
    """
    db.table("deals").add_column("level", str, not_null_default="national")
    db.table("deals").add_column("body", str)
    db.execute("DROP INDEX IF EXISTS idx_deals_country_partner")
    db.execute("CREATE UNIQUE INDEX idx_deals_country_partner_body ON deals (country, partner, COALESCE(body, ''))")
    for column, kind in (("confidence", float), ("level", str), ("body", str)):
        db.table("deal_mentions").add_column(column, kind)
    db.table("deal_candidates").create(
        {"id": int, "article_id": int, "country": str, "partner": str, "stage": str, "level": str, "body": str,
         "event_date": str, "evidence": str, "confidence": float, "known": int},
        pk="id", foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("deal_candidates").create_index(["article_id"])
    db.execute("DROP VIEW IF EXISTS deal_timeline")
    db.execute("""
        CREATE VIEW deal_timeline AS
        SELECT d.id AS deal_id, d.country, d.partner, d.level, d.body, m.stage,
               COALESCE(m.event_date, substr(m.published_at, 1, 10)) AS date,
               a.title, a.url, m.evidence, m.confidence
        FROM deal_mentions m
        JOIN deals d ON d.id = m.deal_id
        JOIN articles a ON a.id = m.article_id
        ORDER BY date, d.country, d.partner
    """)


# Columns holding timestamps; before m004, a date-only `published` was stored as a bare date.
_TIMESTAMP_COLUMNS = (("articles", "published_at"), ("deal_mentions", "published_at"), ("deals", "first_seen"),
                      ("deals", "last_seen"), ("stories", "first_seen"))


@migrations()
def m004_timestamps_with_time(db: Database) -> None:
    """Rewrite bare dates (2025-09-12) as timestamps (2025-09-12T00:00:00Z), so every time compares as one form."""
    for table, column in _TIMESTAMP_COLUMNS:
        db.execute(f"""UPDATE {table} SET {column} = {column} || 'T00:00:00Z'
                       WHERE {column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'""")


@migrations()
def m005_story_signatures(db: Database) -> None:
    """Give each story its event signature (country, partners, stage, event date), so SQL lists events.

    Stored stories take the signature of their earliest article that reports a deal.
    """
    for column in ("country", "partners", "stage", "event_date"):
        db.table("stories").add_column(column, str)
    rows = db.execute(
        """SELECT a.story_id, a.id, d.country, d.partner, m.stage, m.event_date, a.published_at, m.confidence
           FROM deal_mentions m JOIN deals d ON d.id = m.deal_id JOIN articles a ON a.id = m.article_id
           WHERE a.story_id IS NOT NULL ORDER BY a.story_id, COALESCE(a.published_at, a.fetched_at), a.id"""
    ).fetchall()
    first_article: dict[int, tuple[int, list[DealMention], str | None]] = {}
    for story_id, article_id, country, partner, stage, event_date, published, confidence in rows:
        first = first_article.setdefault(story_id, (article_id, [], published))
        if first[0] == article_id:
            first[1].append(DealMention(country, partner, stage, event_date, confidence=confidence or 0.0))
    for story_id, (_, deals, published) in first_article.items():
        db.execute("UPDATE stories SET country = ?, partners = ?, stage = ?, event_date = ? WHERE id = ?",
                   [*story_signature(deals, published), story_id])


def story_signature(deals: Sequence[DealMention], published_at: str | None) -> tuple[str | None, ...]:
    """Return (country, partners, stage, event date) of the event an article's deals report, or Nones.

    The event is the most confident deal's: its country, every partner dealing with that country
    (comma-separated), its stage and its event date, else the publication date.
    """
    if not deals:
        return (None, None, None, None)
    lead = max(deals, key=lambda deal: deal.confidence)
    partners = sorted({deal.partner for deal in deals if deal.country == lead.country})
    return (lead.country, ", ".join(partners), lead.stage, lead.event_date or (published_at or "")[:10] or None)


@migrations()
def m006_alerts_log(db: Database) -> None:
    """What each alert sent: one row per (alert, event), so an event is sent once, and a failure is retried."""
    db.table("alerts_log").create(
        {"id": int, "alert": str, "event_key": str, "deal_id": int, "stage": str, "status": str, "attempts": int,
         "error": str, "first_at": str, "sent_at": str},
        pk="id", defaults={"attempts": 0},
    )
    db.table("alerts_log").create_index(["alert", "event_key"], unique=True)


# A deal's amount and purposes, on each mention and, summed up, on the deal (see _refresh_deal).
AMOUNT_COLUMNS = ("amount_value", "amount_currency", "amount_usd", "amount_status", "purposes")


@migrations()
def m007_amounts_purposes(db: Database) -> None:
    """Each mention's amount (value, currency, US dollars, committed or announced) and purposes, and each deal's.

    `purposes` is comma-separated (`compute,skills`), empty when none was said. Mentions stored
    before keep NULLs until `dealwatch reclassify` re-tags their articles.
    """
    for table in ("deal_mentions", "deals"):
        for column, kind in zip(AMOUNT_COLUMNS, (float, str, float, str, str)):
            db.table(table).add_column(column, kind)


# Where a story window (and the digest's "published" basis) finds an article: its publication time, else
# its fetch time. SQLite uses an expression index only for the same expression, spelled the same way.
ARTICLE_TIME = "COALESCE(published_at, fetched_at)"


@migrations()
def m008_index_article_time(db: Database) -> None:
    """Index articles by publication time, else fetch time, which every story window filters and sorts on."""
    db.execute(f"CREATE INDEX IF NOT EXISTS idx_articles_article_time ON articles ({ARTICLE_TIME})")


def open_db(path: Path | str, *, readonly: bool = False, busy_timeout: float = 30.0) -> Database:
    """Return the database at `path` in WAL mode with every migration applied (created if missing).

    With `readonly`, the file is opened read-only (it must exist) and nothing is written, so a reader
    works on a read-only file or file system. Raises DatabaseError with a one-line reason.
    """
    if str(path) == ":memory:":
        db = Database(memory=True)
        db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(db)
        return db
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f"{path}: is a directory, not a database file")
    if readonly and not path.exists():
        raise DatabaseError(f"{path}: no database yet (run `dealwatch run` first)")
    try:
        if readonly:
            return _open_readonly(path, busy_timeout)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"{path}: cannot create its folder: {exc.strerror or exc}") from None
        db = Database(path)
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        _check_schema(db, path)
        db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(db)
        return db
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path}: {database_problem(exc, busy_timeout)}") from None


def _open_readonly(path: Path, busy_timeout: float) -> Database:
    db = _connect_readonly(path, busy_timeout)
    if migrations.pending(db):  # migrate first when this process may write; read as it is otherwise
        db.close()
        try:
            open_db(path, busy_timeout=busy_timeout).close()
        except DatabaseError as exc:
            LOGGER.debug("reading %s without its pending migrations: %s", path, exc)
        db = _connect_readonly(path, busy_timeout)
    _check_schema(db, path)
    return db


def _connect_readonly(path: Path, busy_timeout: float) -> Database:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_timeout)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return db


def schema_version() -> int:
    """Return the schema version this dealwatch writes: the number of its migrations."""
    return len(_known_migrations())


def _known_migrations() -> list[str]:
    return sorted(name for name in globals() if re.fullmatch(r"m\d{3}_\w+", name))


def _check_schema(db: Database, path: Path) -> None:
    """Raise DatabaseError when a newer dealwatch has migrated the database further than this one knows."""
    applied = [m.name for m in migrations.applied(db)]
    if set(applied) - set(_known_migrations()):
        raise DatabaseError(f"{path}: database schema {len(applied)} is newer than this dealwatch knows "
                            f"({schema_version()}); upgrade dealwatch to use it")


def database_problem(exc: sqlite3.Error, busy_timeout: float | None = None) -> str:
    """Return a one-line reason, for a user, for an SQLite error."""
    text = str(exc)
    if "disk is full" in text:
        return "disk full: the batch in hand was rolled back; free some space and run again"
    if "locked" in text:
        waited = f" ({busy_timeout:g} s)" if busy_timeout is not None else ""
        return (f"locked by another program for longer than the busy timeout{waited}; try again when it is "
                "done, or raise [database] busy_timeout")
    if "file is not a database" in text:
        return "not a SQLite database"
    if "readonly" in text or "read-only" in text:
        return "read-only: dealwatch cannot write here (check the file's and its folder's permissions)"
    if "disk I/O error" in text:
        return "disk I/O error (is the disk full or failing?); the batch in hand was rolled back"
    if "unable to open" in text:
        return "cannot open the database file (check that its folder exists and is writable)"
    return f"database error: {text}"


@contextmanager
def write_transaction(db: Database) -> Iterator[None]:
    """Run the block as one transaction holding the write lock from its start, one writer at a time."""
    with _WRITER:
        if db.conn.in_transaction:  # inside a caller's transaction: a savepoint
            with db.atomic():
                yield
            return
        # IMMEDIATE, not deferred: a deferred transaction takes its snapshot before the write lock, and
        # when another writer commits while it waits, SQLite says "database is locked" without waiting.
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 with seconds and a Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- sources -------------------------------------------------------------------------------------

def sync_sources(db: Database, sources: Iterable[Source]) -> None:
    """Record every configured source (kind, url, interval), keeping its fetch state."""
    with write_transaction(db):
        for source in sources:
            db.execute(
                """INSERT INTO sources (name, kind, url, every_seconds, consecutive_failures)
                   VALUES (?, ?, ?, ?, 0)
                   ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, url = excluded.url,
                       every_seconds = excluded.every_seconds""",
                [source.name, source.kind, source.url, source.every_seconds],
            )


def source_state(db: Database, name: str) -> dict[str, Any]:
    """Return the stored state of source `name` (empty dict when never seen)."""
    rows = list(db.query("SELECT * FROM sources WHERE name = ?", [name]))
    return rows[0] if rows else {}


def list_sources(db: Database | None, configured: Iterable[Source] = ()) -> list[dict[str, Any]]:
    """Return every stored source's health row, with its article count, plus configured ones not stored yet, by name.

    Reads only (no sync), so it works on a read-only database; `db` None means there is none yet.
    """
    rows = _stored_sources(db) if db is not None else []
    stored = {row["name"] for row in rows}
    blank = dict.fromkeys(("last_status", "last_ok_at", "last_fetched_at", "consecutive_failures", "next_attempt_at",
                           "last_error"))
    rows += [{"name": s.name, "kind": s.kind, **blank, "articles": 0} for s in configured if s.name not in stored]
    return sorted(rows, key=lambda row: row["name"])


def _stored_sources(db: Database) -> list[dict[str, Any]]:
    return list(db.query("""
        SELECT s.name, s.kind, s.last_status, s.last_ok_at, s.last_fetched_at, s.consecutive_failures,
               s.next_attempt_at, s.last_error,
               (SELECT COUNT(*) FROM articles a WHERE a.source = s.name) AS articles
        FROM sources s ORDER BY s.name
    """))


def is_due(state: dict[str, Any], every_seconds: int, now: datetime) -> bool:
    """Return whether a source with this stored state should be fetched at `now`."""
    next_attempt = state.get("next_attempt_at")
    if next_attempt:
        return parse_iso(next_attempt) <= now
    last = state.get("last_fetched_at")
    return not last or parse_iso(last) + timedelta(seconds=every_seconds) <= now


def parse_iso(value: str) -> datetime:
    """Return an aware UTC datetime for an ISO 8601 string written by dealwatch."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# --- articles ------------------------------------------------------------------------------------

def known_urls(db: Database, urls: Iterable[str]) -> set[str]:
    """Return those of `urls` already stored under some article."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    for chunk in _chunks(wanted, 500):
        marks = ",".join("?" * len(chunk))
        found.update(row[0] for row in db.execute(f"SELECT url FROM article_urls WHERE url IN ({marks})", chunk))
    return found


def find_articles(db: Database, urls: Iterable[str], hashes: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Return {url: article_id} and {content_hash: article_id} for those already stored."""
    by_url: dict[str, int] = {}
    for chunk in _chunks(list(dict.fromkeys(urls)), 500):
        marks = ",".join("?" * len(chunk))
        by_url.update(db.execute(f"SELECT url, article_id FROM article_urls WHERE url IN ({marks})", chunk).fetchall())
    by_hash: dict[str, int] = {}
    for chunk in _chunks([h for h in dict.fromkeys(hashes) if h], 500):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT content_hash, MIN(id) FROM articles WHERE content_hash IN ({marks}) GROUP BY content_hash"
        by_hash.update(db.execute(sql, chunk).fetchall())
    return by_url, by_hash


STORY_WINDOW_LIMIT = 20000  # a story window holds at most this many articles, the newest
# What the clusterer needs of a stored article: its text, time, story and event signature.
_STORY_ROW = f"""SELECT a.id, a.title, substr(a.text, 1, 2000) AS text, {ARTICLE_TIME},
                  a.story_id,
                  (SELECT group_concat(d.country || '|' || d.partner || '|' || m.stage, ';')
                   FROM deal_mentions m JOIN deals d ON d.id = m.deal_id WHERE m.article_id = a.id),
                  (SELECT group_concat(c.country || '|' || c.partner || '|' || c.stage, ';')
                   FROM deal_candidates c WHERE c.article_id = a.id),
                  (SELECT group_concat(body, ';') FROM (
                       SELECT m.body FROM deal_mentions m WHERE m.article_id = a.id AND m.body IS NOT NULL
                       UNION SELECT c.body FROM deal_candidates c WHERE c.article_id = a.id AND c.body IS NOT NULL)),
                  (SELECT MIN(event_date) FROM (
                       SELECT m.event_date FROM deal_mentions m WHERE m.article_id = a.id
                       UNION ALL SELECT c.event_date FROM deal_candidates c WHERE c.article_id = a.id))
           FROM articles a"""
_STORY_ROW_KEYS = ("id", "title", "text", "published_at", "story_id", "deal_keys", "candidate_keys", "bodies",
                   "event_date")
# The window's bounds and order are on ARTICLE_TIME, so m008's index finds the rows and gives their order
# (ties newest id first, the index's own order read backwards).
STORY_WINDOW = f"""{_STORY_ROW}
           WHERE {ARTICLE_TIME} BETWEEN ? AND ?
           ORDER BY {ARTICLE_TIME} DESC, a.id DESC LIMIT ?"""


def story_window(db: Database, start: str, end: str, limit: int | None = STORY_WINDOW_LIMIT) -> list[dict[str, Any]]:
    """Return stored articles published in [start, end] (the newest `limit`, None: all) for clustering, newest first."""
    rows = db.execute(STORY_WINDOW, [start, end, -1 if limit is None else limit]).fetchall()
    return [dict(zip(_STORY_ROW_KEYS, row)) for row in rows]


def story_rows_after(db: Database, article_id: int) -> list[dict[str, Any]]:
    """Return the articles stored after article `article_id` (higher ids) as `story_window` rows."""
    rows = db.execute(f"{_STORY_ROW} WHERE a.id > ?", [article_id]).fetchall()
    return [dict(zip(_STORY_ROW_KEYS, row)) for row in rows]


def last_article_id(db: Database) -> int:
    """Return the highest article id stored (0 when there is none)."""
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])


@dataclass
class Batch:
    """Everything one source's fetch produced, written in one transaction by `save_batch`."""

    source: str
    started_at: str
    fetch: FetchResult | None = None  # None for imports
    articles: list[Article] = field(default_factory=list)  # new distinct articles, in order
    story_refs: list[int | str] = field(default_factory=list)  # per article: stored story id, or a batch-local key
    aliases: dict[str, int] = field(default_factory=dict)  # extra URL -> stored article id
    dropped: dict[str, int] = field(default_factory=dict)
    warning: str | None = None


def save_batch(db: Database, batch: Batch) -> int:
    """Write a batch's articles, URLs, stories, deals, fetch log and source state atomically; return new articles.

    Raises DatabaseError when SQLite cannot write (disk full, locked by another program, read-only).
    """
    try:
        return _save_batch(db, batch)
    except sqlite3.OperationalError as exc:
        try:
            name = db.execute("PRAGMA database_list").fetchone()[2] or "database"
            busy: float | None = db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
        except sqlite3.Error:
            name, busy = "database", None
        raise DatabaseError(f"{name}: {database_problem(exc, busy)}") from None


def _save_batch(db: Database, batch: Batch) -> int:
    seen_at = now_iso()
    new = 0
    with write_transaction(db):
        local_stories: dict[str, int] = {}
        refs: list[int | str | None] = list(batch.story_refs) or [None] * len(batch.articles)
        for article, story_ref in zip(batch.articles, refs):
            article_id = _insert_article(db, article)
            if article_id is None:
                continue
            new += 1
            story_id = _story_for(db, article, story_ref, local_stories)
            db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
            _save_deals(db, article, article_id, seen_at)
        for url, article_id in batch.aliases.items():
            db.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article_id])
        if batch.fetch is not None:
            _record_fetch(db, batch, new)
    return new


def _insert_article(db: Database, article: Article) -> int | None:
    cursor = db.execute(
        """INSERT OR IGNORE INTO articles
           (url, title, summary, text, lang, published_at, fetched_at, source, content_hash, relevant,
            classifier_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [article.url, article.title, article.summary, article.text, article.lang, article.published_at,
         article.fetched_at, article.source, article.content_hash,
         None if article.classification is None else int(article.classification.relevant),
         None if article.classification is None else article.classification.version],
    )
    if cursor.rowcount == 0:
        return None
    article_id = int(cursor.lastrowid or 0)
    for url in dict.fromkeys([article.url, *article.urls]):
        db.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article_id])
    return article_id


def _story_for(db: Database, article: Article, ref: int | str | None, local: dict[str, int]) -> int:
    """Return the story id for an article: a stored story, one made earlier in this batch, or a new one."""
    if isinstance(ref, int):
        story_id = ref
    elif ref is not None and ref in local:
        story_id = local[ref]
    else:
        story_id = int(db.execute(
            "INSERT INTO stories (title, first_seen, article_count) VALUES (?, ?, 0)",
            [article.title, article.published_at or article.fetched_at],
        ).lastrowid or 0)
        if ref is not None:
            local[str(ref)] = story_id
    # The story is titled by its earliest article, whatever order the copies arrive in; its parties and stage
    # are those of its earliest article reporting a deal, its date the earliest its members give.
    when = article.published_at or article.fetched_at
    deals = article.classification.deals if article.classification else []
    country, partners, stage, event_date = story_signature(deals, when)
    db.execute(
        """UPDATE stories SET article_count = article_count + 1,
               title = CASE WHEN ? < first_seen THEN ? ELSE title END,
               first_seen = MIN(first_seen, ?),
               country = CASE WHEN country IS NULL OR (? < first_seen AND ? IS NOT NULL) THEN ? ELSE country END,
               partners = CASE WHEN partners IS NULL OR (? < first_seen AND ? IS NOT NULL) THEN ? ELSE partners END,
               stage = CASE WHEN stage IS NULL OR (? < first_seen AND ? IS NOT NULL) THEN ? ELSE stage END,
               event_date = COALESCE(MIN(event_date, ?), event_date, ?)
           WHERE id = ?""",
        [when, article.title, when, when, country, country, when, partners, partners, when, stage, stage,
         event_date, event_date, story_id],
    )
    return story_id


def _save_deals(db: Database, article: Article, article_id: int, seen_at: str) -> None:
    if article.classification is None:
        return
    when = article.published_at or article.fetched_at
    for deal in article.classification.deals:
        deal_id = _deal_id(db, deal, when)
        amount = deal.amount
        db.execute(
            """INSERT OR IGNORE INTO deal_mentions
               (deal_id, article_id, stage, event_date, evidence, published_at, seen_at, confidence, level, body,
                amount_value, amount_currency, amount_usd, amount_status, purposes)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [deal_id, article_id, deal.stage, deal.event_date, deal.evidence, when, seen_at, deal.confidence,
             deal.level, deal.body, amount and amount.value, amount and amount.currency, amount and amount.usd,
             amount and amount.status, ",".join(deal.purposes)],
        )
        _refresh_deal(db, deal_id)
    for candidate in article.classification.candidates:
        db.execute(
            """INSERT INTO deal_candidates (article_id, country, partner, stage, level, body, event_date, evidence,
                   confidence, known) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [article_id, candidate.country, candidate.partner, candidate.stage, candidate.level, candidate.body,
             candidate.event_date, candidate.evidence, candidate.confidence, int(candidate.known)],
        )


def _deal_id(db: Database, deal: DealMention, when: str) -> int:
    """Return the id of the (country, partner, body) deal, creating it or widening its first/last seen."""
    key = [deal.country, deal.partner, deal.body or ""]
    row = db.execute("SELECT id FROM deals WHERE country = ? AND partner = ? AND COALESCE(body, '') = ?",
                     key).fetchone()
    if row is None:
        return int(db.execute(
            """INSERT INTO deals (country, partner, stage, first_seen, last_seen, known, level, body)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [deal.country, deal.partner, deal.stage, when, when, int(deal.known), deal.level, deal.body],
        ).lastrowid or 0)
    db.execute("UPDATE deals SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?) WHERE id = ?",
               [when, when, row[0]])
    return int(row[0])


def _refresh_deal(db: Database, deal_id: int) -> None:
    """Set a deal's stage, amount and purposes from its mentions.

    The amount is the largest any mention gives (in US dollars; committed before announced at the same
    value, then the latest); the purposes are every purpose a mention gives, in PURPOSES order.
    """
    amount = db.execute(
        """SELECT amount_value, amount_currency, amount_usd, amount_status FROM deal_mentions
           WHERE deal_id = ? AND amount_value IS NOT NULL
           ORDER BY COALESCE(amount_usd, -1) DESC, amount_status = 'committed' DESC,
                    COALESCE(event_date, published_at) DESC LIMIT 1""", [deal_id]).fetchone() or (None,) * 4
    said = {p for (text,) in db.execute("SELECT purposes FROM deal_mentions WHERE deal_id = ?", [deal_id])
            for p in (text or "").split(",") if p}
    purposes = ",".join(p for p in PURPOSES if p in said)
    db.execute("""UPDATE deals SET stage = ?, amount_value = ?, amount_currency = ?, amount_usd = ?, amount_status = ?,
                  purposes = ? WHERE id = ?""", [_deal_stage(db, deal_id), *amount, purposes, deal_id])


def _deal_stage(db: Database, deal_id: int) -> str:
    """Return a deal's stage from its mentions: the furthest forward, unless the latest news is a stall."""
    mentions = db.execute(
        "SELECT stage, COALESCE(event_date, published_at) FROM deal_mentions WHERE deal_id = ?", [deal_id]
    ).fetchall()
    return stage_from_mentions([(stage, when or "") for stage, when in mentions])


def stage_from_mentions(mentions: Sequence[tuple[str, str]]) -> str:
    """Return the stage of a deal given (stage, date) mentions: forward only, stalled when nothing came after."""
    stalled_at = max((when for stage, when in mentions if stage == "stalled"), default=None)
    forward = [(STAGE_ORDER[stage], stage) for stage, when in mentions
               if stage in STAGE_ORDER and (stalled_at is None or when > stalled_at)]
    if forward:
        return max(forward)[1]
    return "stalled" if stalled_at is not None else "talks"


# --- fetch log and source health -----------------------------------------------------------------

def _record_fetch(db: Database, batch: Batch, new_articles: int) -> None:
    result = batch.fetch
    assert result is not None
    error = result.error if result.status == "error" else batch.warning
    db.execute(
        """INSERT INTO fetch_log (source, started_at, duration_ms, status, http_status, new_articles, error)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [batch.source, batch.started_at, result.duration_ms, result.status, result.http_status, new_articles, error],
    )
    state = source_state(db, batch.source)
    if result.status == "error":
        failures = int(state.get("consecutive_failures") or 0) + 1
        every = int(state.get("every_seconds") or 1800)
        # Retry-After is honoured up to the cap too: a server asking for 10^40 s must not break the record.
        wait = min(max(every * 2 ** failures, result.retry_after or 0), MAX_BACKOFF_SECONDS)
        next_attempt = (parse_iso(batch.started_at) + timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db.execute(
            """UPDATE sources SET last_fetched_at = ?, last_status = 'error', last_error = ?,
                   consecutive_failures = ?, next_attempt_at = ? WHERE name = ?""",
            [batch.started_at, result.error, failures, next_attempt, batch.source],
        )
        return
    etag = result.etag or (state.get("etag") if result.status == "not_modified" else None)
    last_modified = result.last_modified or (state.get("last_modified") if result.status == "not_modified" else None)
    db.execute(
        """UPDATE sources SET last_fetched_at = ?, last_ok_at = ?, last_status = ?, last_error = ?,
               consecutive_failures = 0, next_attempt_at = NULL, etag = ?, last_modified = ? WHERE name = ?""",
        [batch.started_at, batch.started_at, result.status, batch.warning, etag, last_modified, batch.source],
    )


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]



# --- reclassification ----------------------------------------------------------------------------

def articles_to_classify(db: Database, version: str, everything: bool = False) -> Iterable[dict[str, Any]]:
    """Yield stored articles (id, title, text, published_at, lang) tagged by another classifier version."""
    where = "" if everything else "WHERE classifier_version IS NULL OR classifier_version != ?"
    params = [] if everything else [version]
    yield from db.query(f"SELECT id, title, text, published_at, lang FROM articles {where} ORDER BY id", params)


def replace_classification(db: Database, article_id: int, article: Article) -> None:
    """Replace one stored article's relevance and deal mentions with `article.classification`."""
    assert article.classification is not None
    with write_transaction(db):
        # Mentions the article already made keep their seen_at, so a re-tag does not look like news.
        seen = dict(db.execute("SELECT deal_id, seen_at FROM deal_mentions WHERE article_id = ?",
                               [article_id]).fetchall())
        touched = set(seen)
        db.execute("DELETE FROM deal_mentions WHERE article_id = ?", [article_id])
        db.execute("DELETE FROM deal_candidates WHERE article_id = ?", [article_id])
        db.execute("UPDATE articles SET relevant = ?, classifier_version = ? WHERE id = ?",
                   [int(article.classification.relevant), article.classification.version, article_id])
        _save_deals(db, article, article_id, now_iso())
        for deal_id, seen_at in seen.items():
            db.execute("UPDATE deal_mentions SET seen_at = ? WHERE article_id = ? AND deal_id = ?",
                       [seen_at, article_id, deal_id])
        for deal_id in touched:
            if db.execute("SELECT 1 FROM deal_mentions WHERE deal_id = ? LIMIT 1", [deal_id]).fetchone():
                _refresh_deal(db, deal_id)
            else:
                db.execute("DELETE FROM deals WHERE id = ?", [deal_id])


# --- schedule ------------------------------------------------------------------------------------

def next_run_at(state: dict[str, Any], every_seconds: int, now: datetime) -> datetime:
    """Return when a source is next due: its back-off end, else its last fetch + interval; never before `now`."""
    if state.get("next_attempt_at"):
        due = parse_iso(state["next_attempt_at"])
    elif state.get("last_fetched_at"):
        due = parse_iso(state["last_fetched_at"]) + timedelta(seconds=every_seconds)
    else:
        due = now
    return max(now, due)


# --- digest --------------------------------------------------------------------------------------

# When something became "new": when dealwatch first saw it (fetch time), or when it was published
# (for imports and backfills, whose fetch time is the moment of the import).
_DIGEST_TIMES = {
    "seen": ("a.fetched_at", "m.seen_at"),
    "published": ("COALESCE(a.published_at, a.fetched_at)", "COALESCE(m.published_at, a.fetched_at)"),
}


def digest_data(db: Database, start: str, end: str, basis: str = "seen") -> dict[str, Any]:
    """Return the digest material of [start, end) (ISO UTC): article counts, deals newly mentioned, new stories."""
    article_time, mention_time = _DIGEST_TIMES[basis]
    total, relevant = db.execute(
        f"""SELECT COUNT(*), COALESCE(SUM(a.relevant = 1), 0) FROM articles a
            WHERE {article_time} >= ? AND {article_time} < ?""",
        [start, end],
    ).fetchone()
    return {"articles": total, "relevant": relevant, "deals": _digest_deals(db, start, end, mention_time),
            "stories": _digest_stories(db, start, end, article_time)}


def _digest_deals(db: Database, start: str, end: str, mention_time: str) -> list[dict[str, Any]]:
    """Return each deal mentioned in [start, end) with its stage before and after, and that period's mentions."""
    rows = db.execute(
        f"""SELECT d.id, d.country, d.partner, d.body, d.known, m.stage, COALESCE(m.event_date, m.published_at),
                   {mention_time}, m.evidence, m.event_date, a.id, a.title, a.url, a.source, a.published_at,
                   m.amount_value, m.amount_currency, m.amount_usd, m.amount_status, m.purposes
            FROM deal_mentions m JOIN deals d ON d.id = m.deal_id JOIN articles a ON a.id = m.article_id
            WHERE {mention_time} < ? AND m.deal_id IN (
                SELECT m.deal_id FROM deal_mentions m JOIN articles a ON a.id = m.article_id
                WHERE {mention_time} >= ? AND {mention_time} < ?)
            ORDER BY d.country, d.partner, {mention_time}, a.id""",
        [end, start, end],
    ).fetchall()
    deals: dict[int, dict[str, Any]] = {}
    history: dict[int, list[tuple[str, str, bool]]] = {}
    for (deal_id, country, partner, body, known, stage, stage_date, when, evidence, event_date, article_id, title,
         url, source, published, amount_value, currency, usd, status, purposes) in rows:
        deal = deals.setdefault(deal_id, {"id": deal_id, "country": country, "partner": partner, "body": body,
                                          "level": "subnational" if body else "national", "known": bool(known),
                                          "mentions": []})
        is_new = when >= start
        history.setdefault(deal_id, []).append((stage, stage_date or "", is_new))
        if is_new:
            amount = None if amount_value is None else {"value": amount_value, "currency": currency, "usd": usd,
                                                        "status": status}
            deal["mentions"].append({"stage": stage, "evidence": evidence or "", "event_date": event_date,
                                     "article_id": article_id, "title": title or "", "url": url,
                                     "source": source, "published_at": published, "amount": amount,
                                     "purposes": [p for p in (purposes or "").split(",") if p]})
    for deal_id, deal in deals.items():
        before = [(stage, when) for stage, when, is_new in history[deal_id] if not is_new]
        deal["from_stage"] = stage_from_mentions(before) if before else None
        deal["to_stage"] = stage_from_mentions([(stage, when) for stage, when, _ in history[deal_id]])
    return list(deals.values())


def _digest_stories(db: Database, start: str, end: str, article_time: str) -> list[dict[str, Any]]:
    """Return the relevant stories whose first article falls in [start, end), with their articles, URLs and deals."""
    stories = [dict(zip(("id", "title", "country", "partners", "stage", "event_date", "first_time"), row))
               for row in db.execute(
        f"""SELECT s.id, s.title, s.country, s.partners, s.stage, s.event_date, MIN({article_time}) AS first_time
            FROM stories s JOIN articles a ON a.story_id = s.id
            WHERE s.id IN (SELECT a.story_id FROM articles a WHERE {article_time} >= ? AND {article_time} < ?
                           AND a.relevant = 1)
            GROUP BY s.id HAVING first_time >= ?
            ORDER BY first_time, s.id""",
        [start, end, start],
    ).fetchall()]
    for story in stories:
        story["articles"] = [
            dict(zip(("id", "title", "url", "source", "published_at", "urls"), row)) for row in db.execute(
                f"""SELECT a.id, a.title, a.url, a.source, a.published_at,
                           (SELECT group_concat(u.url, ' ') FROM article_urls u WHERE u.article_id = a.id)
                    FROM articles a WHERE a.story_id = ? AND {article_time} < ?
                    ORDER BY COALESCE(a.published_at, a.fetched_at), a.id""",
                [story["id"], end],
            ).fetchall()
        ]
        story["deals"] = [
            dict(zip(("country", "partner", "stage"), row)) for row in db.execute(
                f"""SELECT d.country, d.partner, m.stage FROM deal_mentions m
                    JOIN deals d ON d.id = m.deal_id JOIN articles a ON a.id = m.article_id
                    WHERE a.story_id = ? AND {article_time} < ?
                    GROUP BY d.country, d.partner, m.stage ORDER BY d.country, d.partner""",
                [story["id"], end],
            ).fetchall()
        ]
    return stories


# --- site --------------------------------------------------------------------------------------

SITE_MENTION_COLUMNS = ("deal_id", "country", "partner", "level", "body", "deal_stage", "id", "stage", "date",
                        "evidence", "published_at", "seen_at", "confidence", "article_id", "url", "title", "source",
                        "story_id", "story_title", "story_size")


def site_mentions(db: Database) -> Iterator[dict[str, Any]]:
    """Yield every deal mention with its deal, article and story, deal by deal, each deal's in date order.

    A mention's date is its event date, else its article's publication day.
    """
    cursor = db.conn.execute(
        """SELECT d.id, d.country, d.partner, d.level, d.body, d.stage, m.id, m.stage,
                  COALESCE(m.event_date, substr(m.published_at, 1, 10), substr(m.seen_at, 1, 10)),
                  m.evidence, m.published_at, m.seen_at, m.confidence, a.id, a.url, a.title, a.source,
                  s.id, s.title, s.article_count
           FROM deal_mentions m JOIN deals d ON d.id = m.deal_id JOIN articles a ON a.id = m.article_id
           LEFT JOIN stories s ON s.id = a.story_id
           ORDER BY d.id, 9, m.published_at, m.id""")
    for row in cursor:
        yield dict(zip(SITE_MENTION_COLUMNS, row))


# --- export --------------------------------------------------------------------------------------

class _Export(NamedTuple):
    """One exported table: its query, its row key, the time --since filters on, and how --country selects."""

    query: str
    key: str
    time: str
    country: str


# Column names are part of the README's contract: add, never rename.
_EXPORTS = {
    "deals": _Export("""SELECT d.id, d.country, d.level, d.body, d.partner, d.stage, d.first_seen, d.last_seen,
                               d.known, d.amount_value, d.amount_currency, d.amount_usd, d.amount_status, d.purposes
                        FROM deals d""", "d.id", "d.last_seen", "d.country = ?"),
    "mentions": _Export("""SELECT m.id, m.deal_id, d.country, d.level, d.body, d.partner, m.stage, m.event_date,
                                  m.confidence, m.evidence, m.published_at, m.seen_at, m.article_id, a.url, a.title,
                                  m.amount_value, m.amount_currency, m.amount_usd, m.amount_status, m.purposes
                           FROM deal_mentions m JOIN deals d ON d.id = m.deal_id
                           JOIN articles a ON a.id = m.article_id""", "m.id", "m.seen_at", "d.country = ?"),
    "stories": _Export("""SELECT s.id, s.title, s.first_seen, s.article_count, s.country, s.partners, s.stage,
                                 s.event_date FROM stories s""", "s.id", "s.first_seen", "s.country = ?"),
    "articles": _Export("""SELECT a.id, a.url, a.title, a.published_at, a.fetched_at, a.source, a.lang, a.story_id,
                                  a.relevant, a.classifier_version FROM articles a""", "a.id", "a.fetched_at",
                        """EXISTS (SELECT 1 FROM deal_mentions m JOIN deals d ON d.id = m.deal_id
                                   WHERE m.article_id = a.id AND d.country = ?)"""),
}
EXPORT_TABLES = tuple(_EXPORTS)


def export_rows(db: Database, table: str, since: str | None = None,
                country: str | None = None) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Return the column names and a lazy iterator over one exported table's rows, in key order.

    The cursor is read row by row, so exporting 100k rows holds one row at a time.
    """
    export = _EXPORTS[table]
    where, params = [], []
    if since:
        where.append(f"{export.time} >= ?")
        params.append(since)
    if country:
        where.append(export.country)
        params.append(country.upper())
    sql = export.query + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {export.key}"
    cursor = db.conn.execute(sql, params)
    return [column[0] for column in cursor.description], iter(cursor)


# --- alerts --------------------------------------------------------------------------------------

ALERT_START = "(start)"  # the log row that says when an alert began watching: older news is not sent


def alert_start(db: Database, alert: str, now: str) -> str:
    """Return when `alert` began watching, recording `now` the first time it is seen."""
    with db.atomic():
        db.execute("""INSERT OR IGNORE INTO alerts_log (alert, event_key, status, first_at) VALUES (?, ?, 'start', ?)""",
                   [alert, ALERT_START, now])
        return str(db.execute("SELECT first_at FROM alerts_log WHERE alert = ? AND event_key = ?",
                              [alert, ALERT_START]).fetchone()[0])


def alert_status(db: Database, alert: str, event_key: str) -> str | None:
    """Return 'sent' or 'failed' for an event an alert has handled, None when it has not."""
    row = db.execute("SELECT status FROM alerts_log WHERE alert = ? AND event_key = ?", [alert, event_key]).fetchone()
    return str(row[0]) if row else None


def record_alert(db: Database, alert: str, event_key: str, deal_id: int, stage: str, error: str | None,
                 now: str) -> None:
    """Record one attempt to send an event: sent when `error` is None, else failed (retried on the next run)."""
    with db.atomic():
        db.execute(
            """INSERT INTO alerts_log (alert, event_key, deal_id, stage, status, attempts, error, first_at, sent_at)
               VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
               ON CONFLICT(alert, event_key) DO UPDATE SET status = excluded.status, attempts = attempts + 1,
                   error = excluded.error, sent_at = excluded.sent_at""",
            [alert, event_key, deal_id, stage, "failed" if error else "sent", error, now, None if error else now],
        )


def alert_log(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """Return the latest alert attempts, newest first."""
    return list(db.query(
        """SELECT l.alert, l.status, l.attempts, d.country, d.partner, l.stage, l.sent_at, l.first_at, l.error
           FROM alerts_log l LEFT JOIN deals d ON d.id = l.deal_id WHERE l.event_key != ?
           ORDER BY COALESCE(l.sent_at, l.first_at) DESC, l.id DESC LIMIT ?""", [ALERT_START, limit]))
