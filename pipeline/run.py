"""One pass of the pipeline: the stage order, per-item error capture and run counts.

fetch → parse → skip known URLs → fetch and extract pages → normalise → exact de-dup →
classify → cluster into stories → store (one transaction per source batch).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pipeline import dedupe, store
from pipeline.classify import CLASSIFIER_VERSION, classify_article
from pipeline.config import Settings
from pipeline.corpus import published_text, read_jsonl, record_problem
from pipeline.dedupe import DedupeSettings, StoredStories, StoryClusterer, StoryItem
from pipeline.errors import DatabaseError, DealwatchError
from pipeline.extract import extract_page
from pipeline.fetch import Fetcher
from pipeline.models import Article, Classification, Entry, FetchResult, Source
from pipeline.normalise import canonical_url, clean_line, is_teaser, make_article
from pipeline.parse import ParsedSource, gdelt_query_url, parse_source

if TYPE_CHECKING:
    import httpx

LOGGER = logging.getLogger(__name__)
IMPORT_BATCH = 1000
EPOCH = date(1970, 1, 1)  # story windows are numbered in days since, as the clusterer's day buckets are
PARALLEL_IMPORT_LINES = 2000  # below this, starting worker processes costs more than it saves
RUN_PARALLEL_BATCH = 20  # a run classifies a source's batch this large in worker processes
Classifier = Callable[[list[Article]], list[Classification]]
T = TypeVar("T")


@dataclass
class SourceOutcome:
    """How one source's fetch went."""

    name: str
    status: str  # ok | not_modified | error
    new_articles: int = 0
    duration_ms: int = 0
    error: str | None = None
    warning: str | None = None
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass
class RunSummary:
    """What one run did, for the closing summary line."""

    outcomes: list[SourceOutcome] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def failed(self) -> int:
        return sum(o.status == "error" for o in self.outcomes)

    @property
    def new_articles(self) -> int:
        return sum(o.new_articles for o in self.outcomes)

    def line(self) -> str:
        """Return the one-line summary printed at the end of a run."""
        ok = len(self.outcomes) - self.failed
        return (f"sources: {ok} ok, {self.failed} failed; new articles: {self.new_articles}; "
                f"elapsed: {self.elapsed:.1f}s")


def run_once(settings: Settings, db: store.Database, *, source_names: Iterable[str] = (), only_due: bool = False,
             transport: httpx.BaseTransport | None = None) -> RunSummary:
    """Fetch the named (else all, or only the due) sources once, store what is new, and return the summary."""
    started = time.monotonic()
    names = list(source_names)
    # A source switched off with `enabled = false` runs only when named.
    sources = [settings.source(n) for n in names] if names else [s for s in settings.sources if s.enabled]
    store.sync_sources(db, settings.sources)
    if only_due and not names:
        now = datetime.now(timezone.utc)
        sources = [s for s in sources if store.is_due(store.source_state(db, s.name), s.every_seconds, now)]
    summary = RunSummary()
    with Fetcher(settings.http, transport) as fetcher:
        summary.outcomes = run_sources(db, fetcher, sources, settings)
    summary.elapsed = time.monotonic() - started
    return summary


def run_sources(db: store.Database, fetcher: Fetcher, sources: list[Source], settings: Settings) -> list[SourceOutcome]:
    """Return each source's outcome (in the given order), running up to `[http] concurrency` sources at once.

    Threads do the network and the per-article work (fetch, parse, pages, extract), worker processes
    classify (each batch of RUN_PARALLEL_BATCH articles or more; see ClassifierPool); this thread
    does every database read and write, so story assignment sees every batch stored before
    it and each source's batch is one transaction, as in a run one source after another. A source
    waiting for its pages (queued on the fetcher's per-host lanes) holds a build worker, not one of
    the `concurrency` feed fetchers, so the feeds of other hosts keep coming meanwhile.
    """
    concurrency = min(settings.http.concurrency, len(sources))
    stories = StoredStories(settings.dedupe)  # each stored article read and indexed once per run
    if concurrency < 2:
        return [run_source(db, fetcher, source, settings, stories) for source in sources]
    with classifier_pool(os.cpu_count() or 1, settings.min_confidence, RUN_PARALLEL_BATCH) as classifiers:
        return _run_concurrently(db, fetcher, sources, settings, concurrency, classifiers, stories)


def _run_concurrently(db: store.Database, fetcher: Fetcher, sources: list[Source], settings: Settings,
                      concurrency: int, classifiers: ClassifierPool, stories: StoredStories) -> list[SourceOutcome]:
    outcomes: dict[str, SourceOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fetch")
    builds = ThreadPoolExecutor(max_workers=concurrency * max(1, settings.http.workers), thread_name_prefix="build")
    try:
        pending: dict[Future[Any], SourceJob] = {}
        for source in by_host_turns(sources):
            job = SourceJob(source, settings)
            try:
                job.state = store.source_state(db, source.name)
            except DatabaseError:
                raise
            except Exception as exc:  # as in run_source: this source fails alone
                outcomes[source.name] = job.fail(db, exc)
                continue
            pending[pool.submit(job.download, fetcher)] = job
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    result = future.result()
                    if job.stage == "downloaded" and job.parsed_ok:
                        job.entries = fresh_entries(db, job.entries)
                        pending[builds.submit(job.build, fetcher)] = job
                        continue
                    if job.stage == "built":  # the workers classify while this thread stores other batches
                        job.stage = "classifying"
                        pending[classifiers.submit(job.articles)] = job
                        continue
                    if job.stage == "classifying":
                        for article, classification in zip(job.articles, result):
                            article.classification = classification
                    outcomes[job.source.name] = job.finish(db, stories)
                except DatabaseError:
                    raise
                except Exception as exc:
                    outcomes[job.source.name] = job.fail(db, exc)
    except BaseException:
        # Queued sources never start; the caller's Fetcher closes its clients on the way out, so
        # requests in hand fail at once instead of holding the error (or Ctrl-C) for a timeout.
        pool.shutdown(wait=False, cancel_futures=True)
        builds.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    builds.shutdown(wait=True)
    return [outcomes[source.name] for source in sources]


def by_host_turns(sources: list[Source]) -> list[Source]:
    """Return sources in turns over their hosts (each host's first, then each host's second...), else in order.

    Listed host by host, a pool's workers would all queue for one host's spacing in turn.
    """
    turns: dict[str, int] = {}
    ranked = []
    for index, source in enumerate(sources):
        host = urlsplit(source_url(source)).netloc.lower()
        turns[host] = turns.get(host, -1) + 1
        ranked.append((turns[host], index, source))
    return [source for _, _, source in sorted(ranked, key=lambda item: item[:2])]


def run_source(db: store.Database, fetcher: Fetcher, source: Source, settings: Settings,
               stories: StoredStories | None = None) -> SourceOutcome:
    """Fetch, parse, extract, classify, cluster and store one source; never raises, whatever the server does."""
    job = SourceJob(source, settings)
    try:
        job.state = store.source_state(db, source.name)
        job.download(fetcher)
        if job.parsed_ok:
            job.entries = fresh_entries(db, job.entries)
            job.build(fetcher)
        return job.finish(db, stories)
    except DatabaseError:
        raise  # the database itself is failing, not this source: the run stops with its one-line reason
    except Exception as exc:  # a bug or an unforeseen input fails this source alone; its batch rolled back
        return job.fail(db, exc)


class SourceJob:
    """One source's way through a run: download and build may run in a worker, the rest where the database is."""

    def __init__(self, source: Source, settings: Settings) -> None:
        self.source = source
        self.settings = settings
        self.started_at = store.now_iso()
        self.state: dict[str, Any] = {}
        self.result = FetchResult(url=source.url, status="error")
        self.batch = store.Batch(source=source.name, started_at=self.started_at, fetch=self.result)
        self.parsed_ok = False
        self.stage = "new"  # new -> downloaded -> built (-> classifying, when a pool classifies)
        self.entries: list[Entry] = []
        self.articles: list[Article] = []

    def download(self, fetcher: Fetcher) -> None:
        """Fetch the source (conditional GET) and parse its entries; no database."""
        self.result = fetcher.fetch(source_url(self.source), etag=self.state.get("etag"),
                                    last_modified=self.state.get("last_modified"))
        self.batch = store.Batch(source=self.source.name, started_at=self.started_at, fetch=self.result)
        self.stage = "downloaded"
        if self.result.status != "ok":
            return
        parsed = parse_fetched(fetcher, self.source, self.result)
        if parsed.error:
            self.result.status, self.result.error = "error", parsed.error
            return
        self.batch.warning, self.batch.dropped = parsed.warning, parsed.dropped
        self.entries = parsed.entries
        self.parsed_ok = True

    def build(self, fetcher: Fetcher) -> None:
        """Turn the (fresh) entries into articles, fetching pages where needed; no database."""
        self.articles = build_articles(fetcher, self.source, self.entries)
        self.stage = "built"

    def finish(self, db: store.Database, stories: StoredStories | None = None) -> SourceOutcome:
        """Classify the articles not classified yet, fold them into stories, store the batch in one transaction."""
        if self.parsed_ok:
            prepare_batch(db, self.batch, self.articles, self.settings.dedupe,
                          partial(classify_missing, min_confidence=self.settings.min_confidence), stories)
        return self.outcome(store.save_batch(db, self.batch))

    def fail(self, db: store.Database, exc: Exception) -> SourceOutcome:
        """Record this source as failed by `exc` (its batch, if any, was rolled back); return the outcome."""
        LOGGER.error("source=%s failed unexpectedly", self.source.name, exc_info=exc)
        self.result.status, self.result.error = "error", f"internal error: {type(exc).__name__}: {clean_line(str(exc))}"
        self.batch = store.Batch(source=self.source.name, started_at=self.started_at, fetch=self.result)
        return self.outcome(record_failure(db, self.batch))

    def outcome(self, new: int) -> SourceOutcome:
        """Return (and log) how this source went."""
        result, name = self.result, self.source.name
        LOGGER.info("source=%s status=%s new=%d ms=%d%s", name, result.status, new, result.duration_ms,
                    f" error={result.error}" if result.error else "",
                    extra={"source": name, "status": result.status, "new_articles": new,
                           "duration_ms": result.duration_ms, "error": result.error})
        return SourceOutcome(name, result.status, new, result.duration_ms, result.error, self.batch.warning,
                             self.batch.dropped)


def record_failure(db: store.Database, batch: store.Batch) -> int:
    """Store a failed source's fetch log and back-off; when that fails for this source alone, log it and go on."""
    try:
        return store.save_batch(db, batch)
    except DatabaseError:
        raise
    except Exception:  # e.g. an error text SQLite cannot store: later sources still get their turn
        LOGGER.exception("source=%s failure could not be recorded", batch.source)
        return 0


def source_url(source: Source) -> str:
    """Return the URL to fetch for a source (a GDELT source's query becomes API parameters)."""
    if source.kind != "gdelt":
        return source.url
    api = gdelt_query_url(source.options["query"], timespan=str(source.options.get("timespan", "1d")),
                          max_records=int(source.options.get("max_records", 250)))
    return f"{source.url.split('?')[0]}?{urlsplit(api).query}"


def parse_fetched(fetcher: Fetcher, source: Source, result: FetchResult) -> ParsedSource:
    """Return the entries of a fetched source body, following a sitemap index one level down."""
    url = result.final_url or result.url
    parsed = parse_source(source.kind, result.body, url, result.headers.get("content-type", ""), source.options)
    if source.kind != "sitemap" or not parsed.child_sitemaps:
        return parsed
    problems = []
    for child_url in parsed.child_sitemaps:
        child = fetcher.fetch(child_url, source_url=source.url)
        if child.status != "ok":
            problems.append(f"{child_url}: {child.error or child.status}")
            continue
        child_parsed = parse_source("sitemap", child.body, child.final_url or child_url, "", source.options)
        parsed.entries.extend(child_parsed.entries)
        if child_parsed.error:
            problems.append(f"{child_url}: {child_parsed.error}")
    if problems:
        parsed.warning = f"{len(problems)} child sitemap(s) failed, first: {problems[0]}"
    return parsed


def fresh_entries(db: store.Database, entries: list[Entry]) -> list[Entry]:
    """Return the entries whose URL is not stored yet, each URL once (known URLs skip the page fetch)."""
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(canonical_url(entry.url), entry)
    known = store.known_urls(db, unique)
    return [entry for url, entry in unique.items() if url not in known]


def build_articles(fetcher: Fetcher, source: Source, entries: list[Entry]) -> list[Article]:
    """Return normalised articles for entries, fetching (on the fetcher's per-host lanes) and extracting pages where needed."""
    fetched_at = store.now_iso()
    # Only a local source (an archive, the demo) may lead to local pages: a remote feed must never
    # make dealwatch read files from this machine.
    local_source = urlsplit(source.url).scheme not in ("http", "https")
    page_schemes = ("http", "https", "file") if local_source else ("http", "https")
    wanted = [entry for entry in entries
              if (source.full_text == "always" or (source.full_text == "auto" and is_teaser(entry)))
              and urlsplit(entry.url).scheme in page_schemes]
    results = dict(zip((id(entry) for entry in wanted),
                       fetcher.fetch_each([entry.url for entry in wanted], check_robots=True, source_url=source.url)))
    articles = []
    for entry in entries:
        page, result = None, results.get(id(entry))
        if result is not None and result.status == "ok":
            page = extract_page(result.body, result.final_url or entry.url)
        elif result is not None:
            LOGGER.info("source=%s page not fetched, keeping the feed text: %s: %s",
                        source.name, entry.url, result.error)
        articles.append(make_article(entry, source.name, fetched_at, page))
    return articles


def classify_each(articles: list[Article], min_confidence: float | None = None) -> list[Classification]:
    """Return each article's classification, computed in this process (None: the model's threshold)."""
    return [classify_article(a.title, a.text, a.published_at, a.lang, min_confidence=min_confidence)
            for a in articles]


def classify_missing(articles: list[Article], min_confidence: float | None = None) -> list[Classification]:
    """Return each article's classification: the one it already has, else computed now."""
    return [a.classification or classify_article(a.title, a.text, a.published_at, a.lang, min_confidence=min_confidence)
            for a in articles]


def prepare_batch(db: store.Database, batch: store.Batch, articles: list[Article], dedupe: DedupeSettings,
                  classify: Classifier = classify_each, stories: StoredStories | None = None) -> None:
    """Fill `batch` with the distinct new articles (classified, with story refs) and the URLs of known copies."""
    distinct = merge_exact_copies(articles)
    by_url, by_hash = store.find_articles(db, (u for a in distinct for u in [a.url, *a.urls]),
                                          (a.content_hash for a in distinct))
    for article in distinct:
        stored = next((by_url[u] for u in [article.url, *article.urls] if u in by_url), None)
        stored = stored or by_hash.get(article.content_hash)
        if stored is not None:
            batch.aliases.update({u: stored for u in [article.url, *article.urls] if u not in by_url})
            continue
        batch.articles.append(article)
    for article, result in zip(batch.articles, classify(batch.articles)):
        article.classification = result
    batch.story_refs = assign_stories(db, batch.articles, dedupe, stories)


def merge_exact_copies(articles: list[Article]) -> list[Article]:
    """Return articles with copies (same URL or content hash) folded into the first, keeping every URL."""
    kept: list[Article] = []
    by_key: dict[str, Article] = {}
    for article in articles:
        keys = [*article.urls, article.url] + ([f"#{article.content_hash}"] if article.content_hash else [])
        first = next((by_key[k] for k in keys if k in by_key), None)
        if first is None:
            kept.append(article)
            first = article
        else:
            first.urls = list(dict.fromkeys([*first.urls, article.url, *article.urls]))
        for key in keys:
            by_key.setdefault(key, first)
    return kept


def assign_stories(db: store.Database, articles: list[Article], settings: DedupeSettings,
                   stories: StoredStories | None = None) -> list[int | str]:
    """Return a story ref per article: a stored story id, or a batch-local key for a new story.

    Pass one `stories` to the batches of a run, so each stored article is read and indexed once.
    """
    if not articles:
        return []
    dates = [a.published_at or a.fetched_at for a in articles]
    window = timedelta(days=settings.window_days)
    first = (store.parse_iso(_as_datetime(min(dates))) - window).date()
    last = (store.parse_iso(_as_datetime(max(dates))) + window).date()
    clusterer = window_clusterer(db, StoredStories(settings) if stories is None else stories, first, last)
    refs: dict[int, int | str] = {}
    for index in sorted(range(len(articles)), key=lambda i: dates[i]):
        item = story_item(f"new:{index}", articles[index])
        joined = clusterer.assign(item)
        story = joined or f"new:{index}"
        refs[index] = int(story) if story.isdigit() else story
        clusterer.add(replace(item, story_id=story))
    return [refs[i] for i in range(len(articles))]


def window_clusterer(db: store.Database, stories: StoredStories, first: date, last: date) -> StoryClusterer:
    """Return a clusterer holding the stored articles of days first..last, reading into `stories` what it lacks."""
    first_day, last_day = (first - EPOCH).days, (last - EPOCH).days
    stories.retain(first_day, last_day)
    if stories.last_id is None:
        stories.last_id = store.last_article_id(db)
    else:  # stored since the last batch (by this run: the database is locked), on days already held
        rows = store.story_rows_after(db, stories.last_id)
        stories.add(_stored_item(row) for row in rows)
        stories.last_id = max((row["id"] for row in rows), default=stories.last_id)
    for low, high in stories.missing_days(first_day, last_day):
        rows = store.story_window(db, _day(low), f"{_day(high)}T23:59:59Z", limit=None)
        stories.load(low, high, (_stored_item(row) for row in rows))
    if stories.count(first_day, last_day) <= store.STORY_WINDOW_LIMIT:
        return stories.clusterer(first_day, last_day)
    clusterer = StoryClusterer(stories.settings)  # a crowded window holds only its newest articles
    clusterer.preload(_stored_item(row) for row in store.story_window(db, f"{first}", f"{last}T23:59:59Z"))
    return clusterer


def _day(number: int) -> str:
    return (EPOCH + timedelta(days=number)).isoformat()


def story_item(key: str, article: Article) -> StoryItem:
    """Return the clustering view of an article."""
    return dedupe.story_item(key, article.title, article.text[:2000], article.published_at or article.fetched_at,
                             article.classification)


def _stored_item(row: dict[str, Any]) -> StoryItem:
    return StoryItem(key=str(row["id"]), title=row["title"] or "", text=row["text"] or "",
                     published_at=row["published_at"], deal_keys=_keys(row["deal_keys"]),
                     story_id=str(row["story_id"]) if row["story_id"] is not None else None,
                     candidate_keys=_keys(row["candidate_keys"]),
                     bodies=frozenset(body for body in (row["bodies"] or "").split(";") if body),
                     event_date=row["event_date"])


def _keys(joined: str | None) -> frozenset[tuple[str, str, str]]:
    """Return the (country, partner, stage) keys of a "CC|partner|stage;..." list from `store.story_window`."""
    keys = (tuple(key.split("|")) for key in (joined or "").split(";") if key.count("|") == 2)
    return frozenset(keys)  # type: ignore[arg-type]


def _as_datetime(value: str) -> str:
    return value if "T" in value else f"{value}T00:00:00Z"


# --- import --------------------------------------------------------------------------------------

@dataclass
class ImportSummary:
    """What an import did."""

    lines: int = 0  # good lines stored (as new articles or duplicates)
    new_articles: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)  # one line per bad line: "FILE:N: reason"
    elapsed: float = 0.0
    last_line: int = 0  # the last line number of the last chunk committed

    def line(self) -> str:
        """Return the one-line summary printed at the end of an import."""
        return (f"imported {self.lines} lines: {self.new_articles} new articles, {self.duplicates} duplicates, "
                f"{len(self.errors)} bad lines; elapsed: {self.elapsed:.1f}s")


def import_workers(lines: int) -> int:
    """Return how many processes should classify an import of `lines` lines (a pool only pays off when large)."""
    return max(1, os.cpu_count() or 1) if lines >= PARALLEL_IMPORT_LINES else 1


class ClassifierPool:
    """Classifies batches of articles in worker processes, started on the first batch of `min_batch` or more.

    Smaller batches (and every batch when `workers` < 2) are classified in the calling thread: starting
    processes costs more than they save on a few articles. `submit` returns at once with a Future,
    so the caller clusters and stores one batch while the workers classify the next.
    """

    def __init__(self, workers: int, min_confidence: float | None = None, min_batch: int = 1) -> None:
        self.workers = workers
        self.min_confidence = min_confidence
        self.min_batch = min_batch
        self._pool: Any = None  # multiprocessing.pool.Pool, once started
        self._lock = threading.Lock()

    def __call__(self, articles: list[Article]) -> list[Classification]:
        """Return each article's classification (a `Classifier`)."""
        return self.submit(articles).result()

    def submit(self, articles: list[Article]) -> Future[list[Classification]]:
        """Return a Future of each article's classification."""
        future: Future[list[Classification]] = Future()
        pool = self._started() if len(articles) >= self.min_batch else None
        if pool is None:
            future.set_result(classify_each(articles, self.min_confidence))
            return future
        jobs = [(a.title, a.text, a.published_at, a.lang, self.min_confidence) for a in articles]
        pool.map_async(_classify_job, jobs, chunksize=max(1, len(jobs) // (4 * self.workers)),
                       callback=future.set_result, error_callback=future.set_exception)
        return future

    def stop(self, abort: bool = False) -> None:
        """End the workers, if started: at once with `abort` (work in hand is lost), else after their work."""
        if self._pool is None:
            return
        if abort:
            self._pool.terminate()
        else:
            self._pool.close()
        self._pool.join()

    def _started(self) -> Any:
        """Return the worker pool, starting it now if need be (None when this process classifies alone)."""
        if self.workers < 2:
            return None
        with self._lock:
            if self._pool is None:
                # Not "fork": a forked worker would inherit the database lock's descriptor and hold the lock
                # after its parent died. Forkserver workers start clean and load the vocabularies once each.
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                self._pool = context.Pool(self.workers, initializer=_start_worker, initargs=(os.getpid(),))
            return self._pool


@contextmanager
def classifier_pool(workers: int, min_confidence: float | None = None, min_batch: int = 1) -> Iterator[ClassifierPool]:
    """Yield a ClassifierPool of `workers` processes (see there); on any exit, an interrupt included, they are gone.

    The workers are stopped at once (terminate) when the block raised, after their work otherwise.
    Each worker also ends by itself when this process dies, so a SIGKILL leaves no orphans.
    """
    classifiers = ClassifierPool(workers, min_confidence, min_batch)
    try:
        yield classifiers
    except BaseException:
        classifiers.stop(abort=True)
        raise
    else:
        classifiers.stop()


def _start_worker(parent_pid: int) -> None:
    """Set up a classifier worker: Ctrl-C is the parent's to handle, and the worker dies with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group
    # A forkserver worker's parent process is the fork server, not dealwatch, so PR_SET_PDEATHSIG
    # would not fire when dealwatch dies (and the fork server lives as long as its workers):
    # watch dealwatch itself.
    threading.Thread(target=_exit_when_gone, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _exit_when_gone(pid: int) -> None:
    """Return never: end this process as soon as process `pid` has ended."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (not Linux, or before 5.3): poll instead
        while _alive(pid):
            time.sleep(1.0)
        os._exit(1)
    select.select([handle], [], [])  # readable once the process has exited
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _classify_job(job: tuple[str, str, str | None, str | None, float | None]) -> Classification:
    title, text, published, lang, min_confidence = job
    return classify_article(title, text, published, lang, min_confidence=min_confidence)


def import_jsonl(db: store.Database, path: Path, settings: Settings,
                 progress: Callable[[int], None] | None = None, workers: int = 1,
                 summary: ImportSummary | None = None) -> ImportSummary:
    """Ingest archived articles in corpus format through normalise → classify → dedupe → store.

    Bad lines are skipped with their line number and reason; each chunk of good lines is one
    transaction, so `summary` (pass your own to read it after an interrupt) counts only what is stored.
    """
    started = time.monotonic()
    summary = summary if summary is not None else ImportSummary()
    fetched_at = store.now_iso()
    source = f"import:{path.name}"
    stories = StoredStories(settings.dedupe)  # each stored article read and indexed once per import

    def store_chunk(chunk: list[tuple[int, Entry]], ahead: ClassifiedAhead) -> None:
        _import_chunk(db, chunk, ahead, path, fetched_at, settings, summary, stories)
        summary.last_line = chunk[-1][0]
        if progress:
            progress(len(chunk))

    try:
        with classifier_pool(workers, settings.min_confidence) as classifiers:
            # The workers classify each chunk while this process clusters and stores the one before.
            previous: tuple[list[tuple[int, Entry]], ClassifiedAhead] | None = None
            for chunk in _chunked(read_corpus(path, summary.errors), IMPORT_BATCH):
                ahead = ClassifiedAhead(db, [entry for _, entry in chunk], source, fetched_at, classifiers)
                if previous is not None:
                    store_chunk(*previous)
                previous = (chunk, ahead)
            if previous is not None:
                store_chunk(*previous)
    finally:
        summary.elapsed = time.monotonic() - started
    return summary


class ClassifiedAhead:
    """A chunk's articles, made now and sent to the classifier workers while the chunk before is stored.

    Only the articles not stored yet are classified (a re-import classifies nothing); what the
    chunk before stores meanwhile is found by `prepare_batch`, as for any duplicate.
    """

    def __init__(self, db: store.Database, entries: list[Entry], source: str, fetched_at: str,
                 classifiers: ClassifierPool) -> None:
        self.error: Exception | None = None
        self.articles: list[Article] = []
        self.fresh: list[Article] = []
        try:
            self.articles = [make_article(entry, source, fetched_at) for entry in entries]
            by_url, by_hash = store.find_articles(db, (u for a in self.articles for u in [a.url, *a.urls]),
                                                  (a.content_hash for a in self.articles))
            self.fresh = [a for a in self.articles
                          if not any(u in by_url for u in [a.url, *a.urls]) and a.content_hash not in by_hash]
            self.classified = classifiers.submit(self.fresh)
        except DealwatchError:
            raise
        except Exception as exc:  # raised again by `articles`, where the chunk falls back to one line at a time
            self.error = exc

    def result(self) -> list[Article]:
        """Return the chunk's articles, the fresh ones classified; raise what making or classifying them raised."""
        if self.error is not None:
            raise self.error
        for article, classification in zip(self.fresh, self.classified.result()):
            article.classification = classification
        return self.articles


def _import_chunk(db: store.Database, chunk: list[tuple[int, Entry]], ahead: ClassifiedAhead, path: Path,
                  fetched_at: str, settings: Settings, summary: ImportSummary,
                  stories: StoredStories | None = None) -> None:
    source = f"import:{path.name}"
    classify = partial(classify_missing, min_confidence=settings.min_confidence)
    try:
        new = _import_articles(db, ahead.result(), source, fetched_at, settings, classify, stories)
    except DealwatchError:  # the database cannot be written: no line would fare better
        raise
    except Exception:  # an unforeseen input broke the chunk (rolled back): find the line, keep the others
        if len(chunk) == 1:
            raise
        LOGGER.warning("a chunk of %d lines failed; importing them one at a time", len(chunk))
        for number, entry in chunk:
            try:
                new = _import_articles(db, [make_article(entry, source, fetched_at)], source, fetched_at, settings,
                                       classify)
            except DealwatchError:
                raise
            except Exception as exc:
                summary.errors.append(f"{path}:{number}: internal error: {type(exc).__name__}: "
                                      f"{clean_line(str(exc))[:200]}")
                continue
            summary.lines += 1
            summary.new_articles += new
            summary.duplicates += 1 - new
        return
    summary.lines += len(chunk)
    summary.new_articles += new
    summary.duplicates += len(chunk) - new


def _import_articles(db: store.Database, articles: list[Article], source: str, fetched_at: str, settings: Settings,
                     classify: Classifier, stories: StoredStories | None = None) -> int:
    batch = store.Batch(source=source, started_at=fetched_at)
    prepare_batch(db, batch, articles, settings.dedupe, classify, stories)
    return store.save_batch(db, batch)


def read_corpus(path: Path, errors: list[str]) -> Iterator[tuple[int, Entry]]:
    """Yield (line number, Entry) per corpus line; bad lines are reported in `errors` (one line each) and skipped."""
    for number, record in read_jsonl(path):
        problem = record if isinstance(record, str) else record_problem(record)
        if problem is not None or isinstance(record, str):
            errors.append(f"{path}:{number}: {problem}")
            continue
        title = (record.get("title") or "").strip()
        if not title and not record.get("text"):
            errors.append(f"{path}:{number}: no title and no text")
            continue
        url = record.get("url") or f"urn:dealwatch:{path.name}:{record.get('id') or number}"
        yield number, Entry(url=url, title=title, summary=record.get("summary") or "",
                            content=record.get("text") or "", published=published_text(record.get("published")),
                            guid=str(record.get("id") or "") or None, lang=record.get("lang"))


def _chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def reclassify_stored(db: store.Database, everything: bool = False, min_confidence: float | None = None) -> int:
    """Re-tag stored articles tagged by another classifier version (all with `everything`); return how many."""
    count = 0
    for row in list(store.articles_to_classify(db, CLASSIFIER_VERSION, everything)):
        article = Article(url="", title=row["title"] or "", text=row["text"] or "", source="", fetched_at="",
                          published_at=row["published_at"], lang=row["lang"])
        article.classification = classify_article(article.title, article.text, article.published_at, article.lang,
                                                  min_confidence=min_confidence)
        store.replace_classification(db, row["id"], article)
        count += 1
    return count
