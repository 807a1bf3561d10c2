"""`dealwatch run` and `serve` fetch sources side by side, yet never ask one host twice within per_host_delay.

Three loopback "hosts" (ports) answer slowly; the config lists their feeds host by host. The
server's own log (kernel arrival stamps) shows requests overlapping in time, and each host's requests
spaced apart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from loopback import Reply, SlowHosts, closest_gap, most_in_flight  # bench/loopback.py

from pipeline import store
from pipeline.config import DigestSettings, HttpSettings, Settings
from pipeline.models import Source
from pipeline.run import by_host_turns, run_once
from pipeline.scheduler import Service

LATENCY = 0.2
SPACING = 0.3
JITTER = 0.001  # clock granularity: spacing is measured from when each request has left
BODY = ("Kenya's Ministry of Information and Nvidia signed a memorandum of understanding on Tuesday to build "
        "an AI computing centre in Nairobi, feed {feed}.")


def feed_reply(port: int, path: str, headers: Mapping[str, str]) -> Reply:
    """Answer one feed per path, a single item, with an ETag (304 when the client already has it)."""
    feed = path.strip("/").split(".")[0]
    etag = f'"{feed}"'
    if headers.get("If-None-Match") == etag:
        return Reply(304, b"", etag=etag)
    link = f"http://127.0.0.1:{port}/a/{feed}"
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>'
            f"<item><title>Report {feed}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>Tue, 07 Oct 2025 10:00:00 GMT</pubDate>"
            f"<description>{BODY.format(feed=feed)}</description></item></channel></rss>").encode()
    return Reply(200, body, "application/rss+xml", etag)


@pytest.fixture
def slow_hosts() -> Iterator[SlowHosts]:
    hosts = SlowHosts(3, LATENCY, feed_reply)
    yield hosts
    hosts.close()


def test_sources_are_fetched_concurrently_with_per_host_spacing(tmp_path: Path, slow_hosts: SlowHosts) -> None:
    sources = [Source(name=f"f{host}-{n}", kind="feed", url=f"http://127.0.0.1:{port}/f{host}-{n}.xml",
                      full_text="never")
               for host, port in enumerate(slow_hosts.ports) for n in range(4)]  # listed host by host
    settings = Settings(path=None, db_path=tmp_path / "t.db", sources=tuple(sources),
                        http=HttpSettings(timeout=5.0, per_host_delay=SPACING, concurrency=6))
    db = store.open_db(settings.db_path)
    summary = run_once(settings, db)
    assert [o.name for o in summary.outcomes] == [s.name for s in sources]  # reported in config order
    assert all(o.status == "ok" for o in summary.outcomes), summary.outcomes
    assert summary.new_articles == 12
    assert len(slow_hosts.log) == 12
    assert most_in_flight(slow_hosts.log) >= 3  # one per host at least, side by side
    assert closest_gap(slow_hosts.log) >= SPACING - JITTER
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 12
    assert db.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 12

    slow_hosts.take()
    again = run_once(settings, db)  # conditional GET: every feed answers 304, nothing is added
    assert [o.status for o in again.outcomes] == ["not_modified"] * 12
    assert again.new_articles == 0
    assert closest_gap(slow_hosts.log) >= SPACING - JITTER
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 12
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_one_report_on_two_hosts_fetched_at_once_is_stored_once(tmp_path: Path, slow_hosts: SlowHosts) -> None:
    # Both copies arrive side by side; stored one batch after the other, the second is the first's copy.
    sources = [Source(name=f"h{host}", kind="feed", url=f"http://127.0.0.1:{port}/same.xml", full_text="never")
               for host, port in enumerate(slow_hosts.ports[:2])]
    settings = Settings(path=None, db_path=tmp_path / "t.db", sources=tuple(sources),
                        http=HttpSettings(timeout=5.0, per_host_delay=SPACING, concurrency=4))
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).new_articles == 1
    assert db.execute("SELECT count(*) FROM article_urls").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 1


def test_a_failing_source_among_concurrent_ones_fails_alone(tmp_path: Path, slow_hosts: SlowHosts) -> None:
    sources = [Source(name="good", kind="feed", url=f"http://127.0.0.1:{slow_hosts.ports[0]}/good.xml",
                      full_text="never"),
               Source(name="missing", kind="feed", url=str(tmp_path / "nowhere.xml")),
               Source(name="also-good", kind="feed", url=f"http://127.0.0.1:{slow_hosts.ports[1]}/other.xml",
                      full_text="never")]
    settings = Settings(path=None, db_path=tmp_path / "t.db", sources=tuple(sources),
                        http=HttpSettings(timeout=5.0, per_host_delay=0, concurrency=3))
    db = store.open_db(settings.db_path)
    summary = run_once(settings, db)
    assert [(o.name, o.status) for o in summary.outcomes] == [("good", "ok"), ("missing", "error"),
                                                              ("also-good", "ok")]
    assert summary.new_articles == 2


def test_sources_take_turns_over_their_hosts() -> None:
    sources = [Source(name=name, kind="feed", url=url) for name, url in
               [("a1", "https://a.example/1"), ("a2", "https://a.example/2"), ("a3", "https://a.example/3"),
                ("b1", "https://b.example/1"), ("c1", "https://c.example/1"), ("b2", "https://b.example/2")]]
    assert [s.name for s in by_host_turns(sources)] == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_serve_fetches_due_sources_on_one_bounded_pool_with_per_host_spacing(tmp_path: Path,
                                                                              slow_hosts: SlowHosts) -> None:
    sources = [Source(name=f"f{host}-{n}", kind="feed", url=f"http://127.0.0.1:{port}/f{host}-{n}.xml",
                      full_text="never", every_seconds=10)  # first runs due within a second (jitter)
               for host, port in enumerate(slow_hosts.ports) for n in range(3)]
    settings = Settings(path=None, db_path=tmp_path / "t.db", sources=tuple(sources),
                        http=HttpSettings(timeout=5.0, per_host_delay=SPACING, concurrency=2),
                        digest=DigestSettings(out=tmp_path / "digests"))
    service = Service(settings)
    service.start()
    try:
        deadline = time.monotonic() + 60  # a safety limit, not a timing: only a hung service gets there
        while len({path for _, path, _, _ in slow_hosts.log}) < len(sources) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        service.stop()
    log = slow_hosts.log
    assert {path for _, path, _, _ in log} == {f"/{s.name}.xml" for s in sources}
    assert most_in_flight(log) == 2  # side by side, never more than [http] concurrency
    assert closest_gap(log) >= SPACING - JITTER
    db = store.open_db(settings.db_path)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(sources)
