"""`dealwatch serve`: APScheduler 3 runs each source on its own interval and writes the digest daily
(and the tracker site after it, when [site] out is set).

The schedule follows the database, not the clock of the last start: a source's first run is when
its stored state says it is due (its back-off time after failures, else its last fetch plus its
interval), so a restart does not fetch everything at once, and after every run the source's job
is moved to the time the database now gives (a failing source waits out its back-off; a recovered
one returns to its interval).

APScheduler 3 traps designed out here:
- the default misfire_grace_time (1 s) silently drops a run that starts late; job_defaults sets
  None (run however late) with coalesce=True, so a laptop waking from sleep makes one catch-up
  run per job, not a storm;
- a hung job holds max_instances=1 and blocks its own later runs: every network call has a hard
  deadline in fetch.py. Each source is its own job (its own interval) on one pool of
  `[http] concurrency` workers, as in `run`: a slow source holds one worker, not the others, and
  the shared fetcher keeps per-host spacing across them. The digest has a worker of its own, so
  a busy fetch pool never delays it;
- two schedulers on one database double every job: `dealwatch serve` holds the database lock.

SIGTERM or SIGINT stops the schedule, lets each batch in hand finish and commit, then returns.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pipeline import store
from pipeline.alerts import begin_watching, send_alerts
from pipeline.config import Settings
from pipeline.digest import digest_written, latest_due_day, write_digest
from pipeline.fetch import Fetcher
from pipeline.models import Source
from pipeline.run import run_source
from pipeline.site import write_site

if TYPE_CHECKING:
    import httpx

LOGGER = logging.getLogger(__name__)
DIGEST_JOB = "(digest)"  # source jobs are named after their source; no source is called this
DIGEST_EXECUTOR = "digest"
MAX_JITTER_SECONDS = 120.0
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def jitter_seconds(every_seconds: int) -> float:
    """Return the largest random delay added to a source's runs: a tenth of its interval, at most two minutes."""
    return min(every_seconds / 10, MAX_JITTER_SECONDS)


class Service:
    """The background service: a scheduler, a shared polite fetcher, and a clean stop."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 clock: Clock = utc_now) -> None:
        self.settings = settings
        self.sources = [s for s in settings.sources if s.enabled]
        self.clock = clock
        # One fetcher for every job, so per-host spacing holds across sources that share a host.
        self.fetcher = Fetcher(settings.http, transport)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(settings.http.concurrency),
                       DIGEST_EXECUTOR: ThreadPoolExecutor(1)},
            job_defaults=dict(JOB_DEFAULTS),
            timezone=ZoneInfo(settings.digest.timezone),
        )
        self._stopping = False
        self._active = 0
        self._jobs_done = threading.Condition()

    # --- schedule -------------------------------------------------------------------------------

    def plan(self) -> None:
        """Register a job per source, first due when the database says, and the daily digest job."""
        db = store.open_db(self.settings.db_path, busy_timeout=self.settings.busy_timeout)
        try:
            store.sync_sources(db, self.settings.sources)
            begin_watching(db, self.settings)
            now = self.clock()
            for source in self.sources:
                first = self._next_time(store.source_state(db, source.name), source, now)
                self.scheduler.add_job(
                    self.fetch_job, IntervalTrigger(seconds=source.every_seconds, timezone=timezone.utc,
                                                    jitter=jitter_seconds(source.every_seconds)),
                    args=[source.name], id=source.name, name=f"fetch {source.name}", next_run_time=first,
                )
        finally:
            db.close()
        self._plan_digest()

    def _plan_digest(self) -> None:
        digest = self.settings.digest
        hour, minute = digest.at.split(":")
        catch_up = not digest_written(digest.out, latest_due_day(self.clock(), digest), digest.formats)
        self.scheduler.add_job(
            self.digest_job, CronTrigger(hour=int(hour), minute=int(minute), timezone=ZoneInfo(digest.timezone)),
            id=DIGEST_JOB, name="daily digest", executor=DIGEST_EXECUTOR,
            # A digest missed while the service was down is written once, now.
            **({"next_run_time": self.clock()} if catch_up else {}),
        )

    def _next_time(self, state: dict[str, Any], source: Source, now: datetime) -> datetime:
        due = store.next_run_at(state, source.every_seconds, now)
        return due + timedelta(seconds=random.uniform(0, jitter_seconds(source.every_seconds)))

    # --- jobs -------------------------------------------------------------------------------------

    def fetch_job(self, name: str) -> None:
        """Fetch one source through run.py, then move its job to the time the stored state gives."""
        if not self._begin():
            return
        try:
            source = self.settings.source(name)
            db = store.open_db(self.settings.db_path, busy_timeout=self.settings.busy_timeout)
            try:
                run_source(db, self.fetcher, source, self.settings)
                send_alerts(db, self.settings)
                state = store.source_state(db, name)
            finally:
                db.close()
            next_time = self._next_time(state, source, self.clock())
            self.scheduler.modify_job(name, next_run_time=next_time)
            LOGGER.debug("source=%s next run at %s", name, next_time.isoformat(timespec="seconds"))
        finally:
            self._end()

    def digest_job(self) -> None:
        """Write the digest of the last complete day into the configured folder, then the site when [site] out is set."""
        if not self._begin():
            return
        try:
            digest = self.settings.digest
            db = store.open_db(self.settings.db_path, busy_timeout=self.settings.busy_timeout)
            try:
                write_digest(db, latest_due_day(self.clock(), digest), digest, digest.out,
                             feed_key=str(self.settings.db_path.resolve()), now=self.clock())
                if self.settings.site.out is not None:
                    LOGGER.info("site: %s", write_site(db, self.settings.site.out).line())
            finally:
                db.close()
        finally:
            self._end()

    def _begin(self) -> bool:
        """Count a job in, unless the service is stopping (then a queued run becomes a no-op)."""
        with self._jobs_done:
            if self._stopping:
                return False
            self._active += 1
            return True

    def _end(self) -> None:
        with self._jobs_done:
            self._active -= 1
            self._jobs_done.notify_all()

    # --- life cycle -------------------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        """Plan the jobs and start the scheduler's thread (paused: plan only, run nothing)."""
        self.plan()
        self.scheduler.start(paused=paused)
        for job in self.scheduler.get_jobs():
            LOGGER.info("job=%s next run at %s", job.id,
                        job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else "never")

    def stop(self) -> None:
        """Stop scheduling, wait for the batches in hand to commit, and close the fetcher."""
        with self._jobs_done:
            self._stopping = True
        if self.scheduler.running:
            self.scheduler.pause()
        with self._jobs_done:
            # Jobs in hand may still move their own schedule, which needs the scheduler's lock:
            # let them finish before shutdown() takes that lock for good.
            while self._active:
                self._jobs_done.wait()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.fetcher.close()

    def run_until_signal(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly; a second signal aborts at once."""
        stop_requested = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            # Only flag the stop here: logging or locking inside a signal handler can deadlock.
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            stop_requested.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            LOGGER.info("serving %d sources from %s; digest daily at %s %s into %s", len(self.sources),
                        self.settings.db_path, self.settings.digest.at, self.settings.digest.timezone,
                        self.settings.digest.out)
            while not stop_requested.wait(timeout=1.0):
                pass
            LOGGER.info("stop requested: finishing the batches in hand (signal again to abort)")
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        LOGGER.info("stopped")


def serve(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
    """Run the service until SIGTERM or SIGINT; return once every batch in hand is committed."""
    if not LOGGER.isEnabledFor(logging.DEBUG):
        # APScheduler logs every run twice at INFO; dealwatch's own line per fetch says more.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    Service(settings, transport=transport).run_until_signal()
