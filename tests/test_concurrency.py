"""`dealwatch run` fetches sources side by side, yet never asks one host twice within per_host_delay.

Three loopback "hosts" (ports) answer slowly; the config lists their feeds host by host. The
server's own log (kernel arrival stamps) shows requests overlapping in time, and each host's requests
spaced apart.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import HttpSettings, Settings
from pipeline.models import Source
from pipeline.run import by_host_turns, run_once

LATENCY = 0.2
SPACING = 0.3
JITTER = 0.001  # clock granularity: spacing is measured from when each request has left
BODY = ("Kenya's Ministry of Information and Nvidia signed a memorandum of understanding on Tuesday to build "
        "an AI computing centre in Nairobi, feed {feed}.")


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux: the kernel stamps each packet's arrival


def arrival_time(connection: socket.socket) -> float:
    """Return when the request's first bytes reached this machine (kernel stamp), else now (wall clock).

    The server's own threads may run late on a busy machine; the kernel's stamp does not.
    """
    try:
        _, ancillary, _, _ = connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return time.time()
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
            seconds, nanoseconds = struct.unpack("qq", payload[:16])
            return seconds + nanoseconds / 1e9
    return time.time()


def stamped_server(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """Return a threading HTTP server on a free loopback port whose connections carry arrival stamps."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
    server.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)  # inherited by accepted connections
    server.server_bind()
    server.server_activate()
    server.daemon_threads = True
    return server


class SlowHosts:
    """Loopback servers, one per port, that log each request's arrival and departure and answer after LATENCY."""

    def __init__(self, hosts: int) -> None:
        self.log: list[tuple[int, str, float, float]] = []
        self.lock = threading.Lock()
        handler = self._handler()
        self.servers = [stamped_server(handler) for _ in range(hosts)]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.ports = [server.server_address[1] for server in self.servers]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hosts = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                self.arrived = arrival_time(self.request)  # before the request is read: a peek after it would block
                super().setup()

            def do_GET(self) -> None:  # noqa: N802
                arrived = self.arrived
                time.sleep(LATENCY)
                port = self.server.server_address[1]
                feed = self.path.strip("/").split(".")[0]
                etag = f'"{feed}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                else:
                    link = f"http://127.0.0.1:{port}/a/{feed}"
                    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>'
                            f"<item><title>Report {feed}</title><link>{link}</link><guid>{link}</guid>"
                            f"<pubDate>Tue, 07 Oct 2025 10:00:00 GMT</pubDate>"
                            f"<description>{BODY.format(feed=feed)}</description></item>"
                            f"</channel></rss>").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                    self.end_headers()
                    self.wfile.write(body)
                with hosts.lock:
                    hosts.log.append((port, self.path, arrived, time.time()))

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def slow_hosts() -> Iterator[SlowHosts]:
    hosts = SlowHosts(3)
    yield hosts
    hosts.close()


def most_in_flight(log: list[tuple[int, str, float, float]]) -> int:
    """Return the most requests the server was answering at one moment."""
    events = sorted([(arrived, 1) for _, _, arrived, _ in log] + [(left, -1) for _, _, _, left in log])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def closest_gap(log: list[tuple[int, str, float, float]]) -> float:
    """Return the shortest time between two requests' arrivals at one host."""
    by_port: dict[int, list[float]] = defaultdict(list)
    for port, _, arrived, _ in log:
        by_port[port].append(arrived)
    gaps = [b - a for times in by_port.values() for a, b in zip(sorted(times), sorted(times)[1:])]
    return min(gaps)


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

    slow_hosts.log.clear()
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
