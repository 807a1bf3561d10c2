"""`dealwatch serve`: jobs planned from the database, back-off honoured, one writer, clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline import store
from pipeline.config import DigestSettings, HttpSettings, Settings
from pipeline.digest import file_name
from pipeline.models import Source
from pipeline.scheduler import DIGEST_JOB, Service, utc_now

REPO = Path(__file__).resolve().parents[1]
RSS_TYPE = "application/rss+xml"


def rss(*slugs: str) -> bytes:
    """Return an RSS feed with one full-text item per slug."""
    items = "".join(
        f"<item><title>Item {slug}</title><link>http://news.example/{slug}</link><guid>{slug}</guid>"
        f"<pubDate>Fri, 26 Sep 2025 09:00:00 GMT</pubDate>"
        f"<description>{'Several words of body text for the item. ' * 12}{slug}</description></item>"
        for slug in slugs)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def settings_for(tmp_path: Path, sources: dict[str, int], out: Path | None = None) -> Settings:
    """Return settings with one feed source per (name, interval), served at http://feeds.example/NAME."""
    return Settings(
        path=None, db_path=tmp_path / "serve.db", http=HttpSettings(per_host_delay=0, timeout=5),
        digest=DigestSettings(at="07:00", timezone="Africa/Casablanca", out=out or tmp_path / "digests"),
        sources=tuple(Source(name=name, kind="feed", url=f"http://feeds.example/{name}", every_seconds=every,
                             full_text="never") for name, every in sources.items()),
    )


@pytest.fixture
def service_for(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Return a factory of planned, paused services (nothing runs by itself), stopped after the test."""
    made: list[Service] = []

    def make(settings: Settings, handler: Callable[[httpx.Request], httpx.Response] | None = None,
             now: datetime | None = None) -> Service:
        transport = httpx.MockTransport(handler or (lambda request: httpx.Response(404)))
        service = Service(settings, transport=transport, clock=(lambda: now) if now else utc_now)
        service.start(paused=True)
        made.append(service)
        return service

    yield make
    for service in made:
        service.stop()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_each_source_is_planned_from_its_stored_state(tmp_path: Path, service_for: Callable[..., Service]) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    settings = settings_for(tmp_path, {"never-fetched": 1800, "recent": 1800, "failing": 600})
    db = store.open_db(settings.db_path)
    store.sync_sources(db, settings.sources)
    with db.conn:
        db.execute("UPDATE sources SET last_fetched_at = ? WHERE name = 'recent'", [iso(now - timedelta(minutes=10))])
        db.execute("UPDATE sources SET last_fetched_at = ?, next_attempt_at = ? WHERE name = 'failing'",
                   [iso(now - timedelta(minutes=1)), iso(now + timedelta(hours=2))])

    service = service_for(settings, now=now)
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    assert set(jobs) == {"never-fetched", "recent", "failing", DIGEST_JOB}
    jitter = timedelta(seconds=120)
    assert now <= jobs["never-fetched"].next_run_time <= now + jitter
    assert now + timedelta(minutes=20) <= jobs["recent"].next_run_time <= now + timedelta(minutes=20) + jitter
    assert now + timedelta(hours=2) <= jobs["failing"].next_run_time <= now + timedelta(hours=2, minutes=1)
    assert str(jobs["recent"].trigger).startswith("interval[0:30:00")
    assert str(jobs[DIGEST_JOB].trigger) == "cron[hour='7', minute='0']"
    for job in jobs.values():
        # APScheduler's defaults (misfire grace 1 s, no coalescing) would drop or pile up late runs.
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)


def test_a_missed_digest_is_written_once_at_start_and_not_again(tmp_path: Path,
                                                               service_for: Callable[..., Service]) -> None:
    now = datetime(2025, 9, 27, 9, 0, tzinfo=timezone.utc)  # 10:00 in Casablanca, after the 07:00 digest
    missing = service_for(settings_for(tmp_path, {"a": 60}), now=now)
    assert missing.scheduler.get_job(DIGEST_JOB).next_run_time == now
    missing.digest_job()
    out = tmp_path / "digests"
    assert (out / file_name(datetime(2025, 9, 26).date(), "md")).exists()
    written = service_for(settings_for(tmp_path, {"a": 60}, out=out), now=now)
    next_digest = written.scheduler.get_job(DIGEST_JOB).next_run_time
    assert next_digest != now and next_digest.strftime("%H:%M %Z") == "07:00 +01"  # the next regular run


def test_a_failing_source_waits_out_its_backoff_then_returns_to_its_interval(
        tmp_path: Path, service_for: Callable[..., Service]) -> None:
    requests: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) <= 2:
            return httpx.Response(503)
        return httpx.Response(200, content=rss("one"), headers={"content-type": RSS_TYPE})

    service = service_for(settings_for(tmp_path, {"flaky": 60}), flaky)
    db = store.open_db(tmp_path / "serve.db")
    for failures, wait in ((1, 120), (2, 240)):
        service.fetch_job("flaky")
        state = store.source_state(db, "flaky")
        assert state["consecutive_failures"] == failures
        backoff_end = store.parse_iso(state["next_attempt_at"])
        assert backoff_end == store.parse_iso(state["last_fetched_at"]) + timedelta(seconds=wait)
        assert backoff_end <= service.scheduler.get_job("flaky").next_run_time <= backoff_end + timedelta(seconds=6)

    service.fetch_job("flaky")
    state = store.source_state(db, "flaky")
    assert (state["consecutive_failures"], state["next_attempt_at"], state["last_status"]) == (0, None, "ok")
    due = store.parse_iso(state["last_fetched_at"]) + timedelta(seconds=60)
    assert due <= service.scheduler.get_job("flaky").next_run_time <= due + timedelta(seconds=6)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1


def test_a_stopping_service_starts_no_new_batch(tmp_path: Path, service_for: Callable[..., Service]) -> None:
    requests: list[httpx.Request] = []

    def count(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=rss("one"), headers={"content-type": RSS_TYPE})

    service = service_for(settings_for(tmp_path, {"feed": 60}), count)
    service.stop()
    service.fetch_job("feed")  # a run that was queued before the stop
    assert requests == []


def _fetches(db_path: Path) -> dict[str, list[tuple[str, str]]]:
    """Return each source's (started_at, status) fetch log, read without writing."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as conn:
        rows = conn.execute("SELECT source, started_at, status FROM fetch_log ORDER BY id").fetchall()
    conn.close()
    log: dict[str, list[tuple[str, str]]] = {}
    for source, started, status in rows:
        log.setdefault(source, []).append((started, status))
    return log


def _log_record(line: str) -> dict[str, Any]:
    """Return a JSON log line as a dict; anything else (a crash on stderr) as its message."""
    try:
        record = json.loads(line)
    except ValueError:
        return {"message": line.rstrip()}
    return record if isinstance(record, dict) else {"message": line.rstrip()}


class LogWatcher:
    """Reads a service's JSON log lines as they come, so a test waits on events rather than on the clock."""

    SAFETY_LIMIT = 300.0  # seconds; only a hung service gets this far

    def __init__(self, stream: IO[str]) -> None:
        self.records: list[dict[str, Any]] = []
        self._stream = stream
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                if line.strip():
                    self.records.append(_log_record(line))
                self._changed.notify_all()

    def wait_for(self, event: Callable[[list[dict[str, Any]]], bool]) -> None:
        """Return once `event` holds for the records logged so far."""
        with self._changed:
            assert self._changed.wait_for(lambda: event(self.records), timeout=self.SAFETY_LIMIT), self.records[-5:]

    def statuses(self, source: str) -> list[str]:
        """Return the status of each logged fetch of `source`, in order."""
        return [r["status"] for r in self.records if r.get("source") == source and "status" in r]

    def close(self) -> None:
        """Wait until the service closed its log, then close our end."""
        self._reader.join(self.SAFETY_LIMIT)
        self._stream.close()


def _healthy_and_broken_done(records: list[dict[str, Any]]) -> bool:
    healthy = [r["status"] for r in records if r.get("source") == "healthy" and "status" in r]
    broken = [r["status"] for r in records if r.get("source") == "broken" and "status" in r]
    return len(healthy) >= 4 and "not_modified" in healthy and broken[:3] == ["error", "error", "ok"]


def test_serve_fetches_on_schedule_backs_off_refuses_a_second_writer_and_stops_cleanly(tmp_path: Path) -> None:
    server = HTTPServer(host="127.0.0.1", threaded=True)  # threaded, so the slow source blocks nobody
    server.start()
    broken_calls: list[int] = []
    release_slow = threading.Event()

    def healthy(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(rss("a", "b"), headers={"ETag": '"v1"', "Content-Type": RSS_TYPE})

    def broken(request: Request) -> Response:
        broken_calls.append(1)
        if len(broken_calls) <= 2:
            return Response("down", status=500)
        return Response(rss("c"), headers={"Content-Type": RSS_TYPE})

    def slow(request: Request) -> Response:
        release_slow.wait(LogWatcher.SAFETY_LIMIT)  # answers only once the test says so
        return Response(rss("d"), headers={"Content-Type": RSS_TYPE})

    for name, handler in (("healthy", healthy), ("broken", broken), ("slow", slow)):
        server.expect_request(f"/{name}.xml").respond_with_handler(handler)
    config = tmp_path / "serve.toml"
    config.write_text(
        '[database]\npath = "serve.db"\n[http]\ntimeout = 600\nper_host_delay = 0\n'
        '[digest]\nat = "00:00"\ntimezone = "UTC"\nout = "digests"\n'
        + "".join(f'[[sources]]\nname = "{name}"\nurl = "{server.url_for(f"/{name}.xml")}"\nevery = "1s"\n'
                  'full_text = "never"\n' for name in ("healthy", "broken", "slow")))
    command = [sys.executable, "-m", "pipeline", "--log-format", "json"]
    service = subprocess.Popen([*command, "serve", "--config", str(config)], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert service.stderr is not None
    log = LogWatcher(service.stderr)
    try:
        log.wait_for(lambda records: any(r["message"].startswith("serving ") for r in records))  # lock held
        second = subprocess.run([*command, "run", "--config", str(config)], cwd=tmp_path, capture_output=True,
                                text=True, timeout=LogWatcher.SAFETY_LIMIT)
        # The others go on while the slow source's request hangs.
        log.wait_for(_healthy_and_broken_done)
        assert log.statuses("slow") == []
        service.send_signal(signal.SIGTERM)
        log.wait_for(lambda records: any(r["message"].startswith("stop requested") for r in records))
        release_slow.set()  # the batch in hand finishes and commits before the service exits
        service.wait(LogWatcher.SAFETY_LIMIT)
    finally:
        release_slow.set()
        if service.poll() is None:
            service.kill()
            service.wait()
        log.close()
        server.clear()
        server.stop()

    assert second.returncode == 1
    assert f"in use by another dealwatch process (pid {service.pid})" in second.stderr
    assert service.returncode == 0, log.records[-5:]
    fetches = _fetches(tmp_path / "serve.db")
    broken_times = [store.parse_iso(started) for started, _ in fetches["broken"]]
    # every = 1 s: after the first failure wait 2 s, after the second 4 s (whole seconds in the log).
    assert (broken_times[1] - broken_times[0]).total_seconds() >= 2
    assert (broken_times[2] - broken_times[1]).total_seconds() >= 4
    assert [status for _, status in fetches["slow"]] == ["ok"]  # finished after the stop request, committed

    with sqlite3.connect(tmp_path / "serve.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # a, b from the healthy feed (once, whatever the 304s), c once the broken one recovered, d from slow
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 4
        failures, next_attempt = conn.execute(
            "SELECT consecutive_failures, next_attempt_at FROM sources WHERE name = 'broken'").fetchone()
    conn.close()
    assert (failures, next_attempt) == (0, None)

    fetch_lines = [r["message"] for r in log.records if r["message"].startswith("source=healthy ")]
    assert len(fetch_lines) == len(fetches["healthy"])  # one log line per fetch, none lost at the stop
    assert all(" status=" in line and " new=" in line and " ms=" in line for line in fetch_lines)
    assert list((tmp_path / "digests").glob("digest-*.md"))  # the missed digest of the day before, caught up


def test_many_due_sources_at_once_all_get_stored(tmp_path: Path, httpserver: HTTPServer) -> None:
    """Concurrent fetch jobs queue their writes: none fails because another one is writing."""
    names = [f"s{number:03d}" for number in range(64)]
    for name in names:
        httpserver.expect_request(f"/{name}.xml").respond_with_data(
            rss(*(f"{name}-{item}" for item in range(4))), content_type=RSS_TYPE)
    settings = Settings(
        path=None, db_path=tmp_path / "serve.db", http=HttpSettings(per_host_delay=0, timeout=30),
        digest=DigestSettings(out=tmp_path / "digests"),
        sources=tuple(Source(name=name, kind="feed", url=httpserver.url_for(f"/{name}.xml"), every_seconds=3600,
                             full_text="never") for name in names))
    service = Service(settings)
    service.start(paused=True)
    try:
        with ThreadPoolExecutor(max_workers=settings.http.concurrency) as pool:
            list(pool.map(service.fetch_job, names))
    finally:
        service.stop()
    log = _fetches(settings.db_path)
    failed = {name: runs for name, runs in log.items() if [status for _, status in runs] != ["ok"]}
    assert not failed and len(log) == len(names)
    with sqlite3.connect(settings.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 4 * len(names)
    conn.close()
