"""Fetching against a local HTTP server that misbehaves on purpose: every failure is one line, never a raise."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline import USER_AGENT
from pipeline.config import HttpSettings
from pipeline.fetch import Fetcher, HostPacer, parse_retry_after
from pipeline.models import FetchResult

FAST = HttpSettings(timeout=2.0, connect_timeout=1.0, per_host_delay=0, max_bytes=10_000)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FAST) as f:
        yield f


def test_ok_fetch_sends_user_agent_and_keeps_validators(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("User-Agent", ""))
        return Response("<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Oct 2025 10:00:00 GMT"})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    result = fetcher.fetch(httpserver.url_for("/feed"))
    assert (result.status, result.body, result.etag) == ("ok", b"<rss/>", '"v1"')
    assert result.last_modified == "Wed, 01 Oct 2025 10:00:00 GMT"
    assert seen == [USER_AGENT] and "dealwatch/" in USER_AGENT and "+http" in USER_AGENT


def test_conditional_get_gives_not_modified(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    result = fetcher.fetch(httpserver.url_for("/feed"), etag='"v1"')
    assert result.status == "not_modified" and result.body == b""


def test_gzip_content_encoding_is_decoded(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/z").respond_with_data(gzip.compress(b"<rss>hello</rss>"),
                                                      headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(httpserver.url_for("/z")).body == b"<rss>hello</rss>"


@pytest.mark.parametrize("status", [404, 410, 500])
def test_http_errors_are_one_line(httpserver: HTTPServer, fetcher: Fetcher, status: int) -> None:
    httpserver.expect_request("/x").respond_with_data("nope", status=status)
    result = fetcher.fetch(httpserver.url_for("/x"))
    assert result.status == "error" and result.http_status == status
    assert result.error is not None and result.error.startswith(f"HTTP {status}")


def test_429_carries_retry_after(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    result = fetcher.fetch(httpserver.url_for("/x"))
    assert result.status == "error" and result.retry_after == 120.0


def test_retry_after_accepts_http_dates() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_body_over_cap_is_refused(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 50_000)
    result = fetcher.fetch(httpserver.url_for("/big"))
    assert result.status == "error" and "too large" in (result.error or "")


def test_gzip_bomb_is_capped_while_decoding(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/bomb").respond_with_data(gzip.compress(b"\0" * 5_000_000),
                                                         headers={"Content-Encoding": "gzip"})
    result = fetcher.fetch(httpserver.url_for("/bomb"))
    assert result.status == "error" and "too large" in (result.error or "")


def test_trickling_server_hits_the_whole_request_deadline(httpserver: HTTPServer) -> None:
    def trickle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(40):
                time.sleep(0.1)
                yield b"<"
        return Response(body())

    httpserver.expect_request("/slow").respond_with_handler(trickle)
    with Fetcher(HttpSettings(timeout=1.0, per_host_delay=0)) as fetcher:
        started = time.monotonic()
        result = fetcher.fetch(httpserver.url_for("/slow"))
    assert result.status == "error" and "timed out" in (result.error or "")
    assert time.monotonic() - started < 3.5


def test_redirect_loop_stops(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    result = fetcher.fetch(httpserver.url_for("/loop"))
    assert result.status == "error" and "redirect loop" in (result.error or "")


def test_unresolvable_host_is_one_line(fetcher: Fetcher) -> None:
    result = fetcher.fetch("https://feeds.dealwatch.invalid/rss")
    assert result.status == "error" and "cannot connect to feeds.dealwatch.invalid" in (result.error or "")
    assert "\n" not in (result.error or "")


def test_local_files_and_missing_files(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<rss/>")
    assert fetcher.fetch(str(path)).body == b"<rss/>"
    assert fetcher.fetch(path.as_uri()).body == b"<rss/>"
    missing = fetcher.fetch(str(tmp_path / "gone.xml"))
    assert missing.status == "error" and (missing.error or "").startswith("file not found")


def fetch_within(fetcher: Fetcher, location: str, seconds: float = 5.0) -> FetchResult:
    """Return fetcher.fetch(location), failing the test if it has not returned within `seconds`."""
    results: list[FetchResult] = []
    worker = threading.Thread(target=lambda: results.append(fetcher.fetch(location)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert results, f"fetching {location} did not return within {seconds}s"
    return results[0]


def test_local_reads_take_regular_files_only_and_obey_the_cap(tmp_path: Path, fetcher: Fetcher) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 20_000)
    for location, reason in ((str(fifo), "not a regular file"), ("/dev/zero", "not a regular file"),
                             (str(tmp_path), "not a regular file"), (str(big), "too large")):
        result = fetch_within(fetcher, location)
        assert result.status == "error" and reason in (result.error or ""), location


def test_robots_txt_is_respected_for_pages(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/private/a").respond_with_data("secret")
    httpserver.expect_request("/public/a").respond_with_data("hello")
    assert fetcher.fetch(httpserver.url_for("/private/a"), check_robots=True).error == "disallowed by robots.txt"
    assert fetcher.fetch(httpserver.url_for("/public/a"), check_robots=True).body == b"hello"


def test_missing_robots_txt_allows_everything(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/a").respond_with_data("hello")
    assert fetcher.fetch(httpserver.url_for("/a"), check_robots=True).body == b"hello"


def test_robots_txt_is_fetched_once_per_origin_by_concurrent_page_fetches(httpserver: HTTPServer,
                                                                          fetcher: Fetcher) -> None:
    robots_hits: list[int] = []

    def slow_robots(request: Request) -> Response:
        robots_hits.append(1)
        time.sleep(0.3)
        return Response("User-agent: *\nDisallow: /private/\n")

    httpserver.expect_request("/robots.txt").respond_with_handler(slow_robots)
    httpserver.expect_request("/a").respond_with_data("hello")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: fetcher.fetch(httpserver.url_for("/a"), check_robots=True), range(6)))
    assert [r.body for r in results] == [b"hello"] * 6
    assert len(robots_hits) == 1


def test_unreachable_robots_txt_says_so_and_keeps_away_for_a_while(httpserver: HTTPServer,
                                                                   fetcher: Fetcher) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    httpserver.expect_request("/a").respond_with_data("hello")
    first = fetcher.fetch(httpserver.url_for("/a"), check_robots=True)
    again = fetcher.fetch(httpserver.url_for("/a"), check_robots=True)
    assert first.status == again.status == "error"
    assert first.error == again.error == "robots.txt unreachable (HTTP 503 SERVICE UNAVAILABLE): page not fetched"
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1  # remembered, not asked per page
    nowhere = fetcher.fetch("https://pages.dealwatch.invalid/a", check_robots=True)
    assert (nowhere.error or "").startswith("robots.txt unreachable (cannot connect to pages.dealwatch.invalid")


def test_unsupported_url_schemes_say_so(fetcher: Fetcher) -> None:
    result = fetcher.fetch("ftp://files.example/feed.xml")
    assert result.status == "error" and result.error == "unsupported URL scheme 'ftp': use http(s), file:// or a path"


def test_a_plain_run_does_not_log_each_http_request(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data("<rss version='2.0'><channel><title>T</title>"
                                                             "</channel></rss>", content_type="application/rss+xml")
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\npath = "t.db"\n[http]\nper_host_delay = 0\n'
                      f'[[sources]]\nname = "f"\nurl = "{httpserver.url_for("/feed.xml")}"\n')
    command = [sys.executable, "-m", "pipeline"]
    plain = subprocess.run([*command, "run", "--config", str(config)], capture_output=True, text=True, timeout=60)
    debug = subprocess.run([*command, "--log-level", "DEBUG", "run", "--config", str(config)],
                           capture_output=True, text=True, timeout=60)
    assert plain.returncode == debug.returncode == 0, plain.stderr
    assert "source=f status=ok" in plain.stderr and "HTTP Request" not in plain.stderr
    assert "HTTP Request" in debug.stderr


def paced(overshoot: float = 0.0) -> tuple[HostPacer, list[float], list[float]]:
    """Return a 2-second pacer on a fake clock starting at 100, the clock, and the sleeps it asked for.

    Each sleep moves the clock by the time asked plus `overshoot` (a thread waking late).
    """
    clock = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds + overshoot

    return HostPacer(2.0, clock=lambda: clock[0], sleep=sleep), clock, waits


def test_host_pacer_spaces_requests_to_one_host() -> None:
    pacer, clock, waits = paced()
    pacer.wait("a.example")
    pacer.wait("a.example")
    pacer.wait("b.example")
    pacer.wait("a.example")
    assert waits == [2.0, 2.0]
    assert clock[0] == 104.0


def test_host_pacer_spaces_from_when_a_late_waiter_actually_goes() -> None:
    # A thread that wakes late (a busy machine) takes its slot late: the next one still waits the full delay.
    pacer, clock, waits = paced(overshoot=0.5)
    pacer.wait("a.example")  # goes at 100
    pacer.wait("a.example")  # sleeps 2, wakes at 102.5 and goes
    went = clock[0]
    pacer.wait("a.example")
    assert waits == [2.0, 2.0] and went == 102.5 and clock[0] == 105.0


def test_host_pacer_spaces_from_when_the_request_left() -> None:
    # Let go at 100, the request only leaves at 100.7 (a busy process): the next waits until 102.7.
    pacer, clock, _ = paced()
    pacer.wait("a.example")
    clock[0] += 0.7
    pacer.sent("a.example")
    pacer.wait("a.example")
    assert clock[0] == pytest.approx(102.7)


PUBLIC = "93.184.215.14"  # plays a public web server: connections to it are routed to the loopback test server
FAKE_DNS = {"news.example": [PUBLIC], "localhost": ["127.0.0.1", "::1"], "sneaky.example": ["127.0.0.1"], "metadata.example": ["169.254.169.254"],
            "intranet.example": ["10.1.2.3"], "mixed.example": [PUBLIC, "192.168.1.10"], "v6.example": ["fd00::1"]}


def fake_resolve(host: str, port: int) -> list[str]:
    """Resolve IP literals and the names of FAKE_DNS; every other name fails as offline DNS does."""
    if host.replace(".", "").isdigit() or ":" in host:
        return [host]
    if host in FAKE_DNS:
        return FAKE_DNS[host]
    raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {host}")


@pytest.fixture
def public_server(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """Return the test server, also reachable as the 'public' address PUBLIC (connections to it are routed there)."""
    real_create_connection = socket.create_connection

    def route(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        if address[0] == PUBLIC:
            address = ("127.0.0.1", httpserver.port)
        return real_create_connection(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", route)
    return httpserver


def test_remote_urls_never_reach_private_addresses(public_server: HTTPServer) -> None:
    public_server.expect_request("/secret").respond_with_data("internal")
    port = public_server.port
    remote = "http://news.example/feed.xml"
    with Fetcher(FAST, resolve=fake_resolve) as fetcher:
        assert fetcher.fetch(f"http://news.example:{port}/secret").body == b"internal"  # a public address: fine
        for url, source in ((f"http://sneaky.example:{port}/secret", None),  # resolves to loopback
                            (f"http://metadata.example:{port}/secret", None),  # link-local: cloud metadata
                            (f"http://intranet.example:{port}/secret", None),
                            (f"http://mixed.example:{port}/secret", None),
                            (f"http://v6.example:{port}/secret", None),
                            (f"http://127.0.0.1:{port}/secret", remote),  # an item link of a remote feed
                            (f"http://localhost:{port}/secret", remote),
                            (f"http://[::ffff:127.0.0.1]:{port}/secret", remote),
                            (f"http://0.0.0.0:{port}/secret", remote)):
            result = fetcher.fetch(url, source_url=source, check_robots=True)
            assert result.status == "error" and (result.error or "").startswith("refused: "), (url, result.error)
            assert "private or local address" in (result.error or "")
    assert len(public_server.log) == 1  # only the public fetch got through


def test_a_redirect_to_a_private_address_is_refused(public_server: HTTPServer) -> None:
    secret = f"http://127.0.0.1:{public_server.port}/secret"
    public_server.expect_request("/feed").respond_with_data("", status=302, headers={"Location": secret})
    public_server.expect_request("/secret").respond_with_data("internal")
    with Fetcher(FAST, resolve=fake_resolve) as fetcher:
        result = fetcher.fetch(f"http://news.example:{public_server.port}/feed")
    assert result.status == "error" and result.error == (
        "refused: 127.0.0.1 is a private or local address, which a remote source may not reach "
        "([http] allow_private = true allows it)")
    assert [request.path for request, _ in public_server.log] == ["/feed"]


def test_local_sources_and_allow_private_may_reach_private_addresses(public_server: HTTPServer) -> None:
    public_server.expect_request("/secret").respond_with_data("internal")
    local = f"http://127.0.0.1:{public_server.port}/secret"
    with Fetcher(FAST, resolve=fake_resolve) as fetcher:
        assert fetcher.fetch(local).body == b"internal"  # configured on loopback: the source is local
        assert fetcher.fetch(local, source_url=public_server.url_for("/feed")).body == b"internal"
    with Fetcher(HttpSettings(per_host_delay=0, allow_private=True), resolve=fake_resolve) as fetcher:
        assert fetcher.fetch(local, source_url="http://news.example/feed").body == b"internal"


def test_a_remote_feed_cannot_make_dealwatch_store_an_internal_page(tmp_path: Path, public_server: HTTPServer) -> None:
    from pipeline import store
    from pipeline.config import Settings
    from pipeline.models import Source
    from pipeline.run import run_source

    secret = f"http://127.0.0.1:{public_server.port}/secret"
    public_server.expect_request("/feed.xml").respond_with_data(
        f"<rss version='2.0'><channel><title>T</title><item><title>Internal</title><link>{secret}</link>"
        "<description>teaser</description></item></channel></rss>", content_type="application/rss+xml")
    public_server.expect_request("/secret").respond_with_data("<html><body><p>internal admin page</p></body></html>")
    source = Source(name="remote", kind="feed", url=f"http://news.example:{public_server.port}/feed.xml",
                    full_text="always")
    settings = Settings(path=None, db_path=tmp_path / "t.db", http=FAST, sources=(source,))
    db = store.open_db(settings.db_path)
    with Fetcher(FAST, resolve=fake_resolve) as fetcher:
        outcome = run_source(db, fetcher, source, settings)
    assert outcome.status == "ok" and outcome.new_articles == 1  # the entry is kept with its feed text
    assert "/secret" not in [request.path for request, _ in public_server.log]
    assert "internal admin" not in db.execute("SELECT text FROM articles").fetchone()[0]
