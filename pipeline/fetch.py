"""Turn a URL or local path into a FetchResult: conditional GET, body cap, deadline, per-host spacing, robots.txt.

Failures never raise: they come back as FetchResult(status="error", error="one line").
"""

from __future__ import annotations

import email.utils
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from protego import Protego

from pipeline.config import HttpSettings
from pipeline.http import BlockedAddress, Resolver, build_client, is_public_address, resolve_host
from pipeline.models import FetchResult
from pipeline.normalise import clean_line

LOGGER = logging.getLogger(__name__)
ROBOTS_TTL = 24 * 3600  # seconds a host's robots.txt is trusted before it is fetched again
ROBOTS_RETRY = 3600  # seconds an unreachable robots.txt keeps its site's pages unfetched (RFC 9309)
LOCAL_SCHEMES = ("", "file")
REFUSED = "refused: "  # starts the error of a fetch the private-address guard stopped


@dataclass
class RobotsRules:
    """One origin's robots.txt as last loaded: its rules (None: allow all), or why it could not be had."""

    expires: float
    parser: Protego | None = None
    unreachable: str | None = None


class HostPacer:
    """Spaces requests to one host at least `delay` seconds apart, across threads."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        """Block until `host` may be asked again; the next request to it then waits `delay` from now."""
        # The slot is taken when the wait ends, not booked before sleeping: on a busy machine a
        # thread may wake late, and the request after it must still leave `delay` after it.
        while True:
            with self._lock:
                now = self._clock()
                ready = self._next.get(host, 0.0)
                if now >= ready:
                    self._next[host] = now + self.delay
                    return
            self._sleep(ready - now)

    def sent(self, host: str) -> None:
        """Note that a request to `host` has just left: the next one waits `delay` from now.

        On a busy machine a request may leave well after `wait` let it go; spacing from the moment
        it left keeps the host's view of the gap at least `delay`.
        """
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), self._clock() + self.delay)


class Fetcher:
    """Fetches URLs and local files politely; one per run, shared by its worker threads."""

    def __init__(self, settings: HttpSettings, transport: httpx.BaseTransport | None = None,
                 resolve: Resolver = resolve_host) -> None:
        self.settings = settings
        # Two clients, so a connection opened for a local source is never reused for a remote one.
        self.client = build_client(settings, transport)
        self.public_client = self.client if settings.allow_private else \
            build_client(settings, transport, private_ok=False, resolve=resolve)
        self.pacer = HostPacer(settings.per_host_delay)
        self._lanes: dict[str, ThreadPoolExecutor] = {}
        self._lanes_lock = threading.Lock()
        self._robots: dict[tuple[str, int], RobotsRules] = {}
        self._robots_locks: dict[tuple[str, int], threading.Lock] = {}
        self._robots_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the queued page fetches and close the HTTP clients (fetches in hand then fail at once)."""
        with self._lanes_lock:
            lanes, self._lanes = list(self._lanes.values()), {}
        for lane in lanes:
            lane.shutdown(wait=False, cancel_futures=True)
        self.client.close()
        self.public_client.close()

    def fetch_each(self, urls: list[str], *, check_robots: bool = False,
                   source_url: str | None = None) -> list[FetchResult]:
        """Return what each URL holds (as `fetch`), fetched on `workers` threads per host shared by every caller.

        Per-host spacing serialises one host's requests anyway: queued per host, a request waiting
        for its host's turn holds a thread of that host only, and every host with work waiting is
        asked at once, whichever sources the requests come from.
        """
        futures = [self._lane(urlsplit(url).netloc.lower()).submit(self.fetch, url, check_robots=check_robots,
                                                                   source_url=source_url) for url in urls]
        return [future.result() for future in futures]

    def _lane(self, host: str) -> ThreadPoolExecutor:
        with self._lanes_lock:
            lane = self._lanes.get(host)
            if lane is None:
                lane = self._lanes[host] = ThreadPoolExecutor(max_workers=max(1, self.settings.workers),
                                                              thread_name_prefix="page")
            return lane

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              check_robots: bool = False, source_url: str | None = None) -> FetchResult:
        """Return what `url` (http(s), file:// or a path) holds, or why it could not be had.

        `source_url` is the configured URL the fetch serves (default: `url` itself): only when it
        is local may the fetch, or any redirect of it, reach a private or loopback address.
        """
        started = time.monotonic()
        scheme = urlsplit(url).scheme.lower()
        client = self.client if is_local_location(source_url or url) else self.public_client
        if scheme in LOCAL_SCHEMES:
            result = read_local(url, self.settings.max_bytes)
        elif scheme not in ("http", "https"):
            result = _error(url, f"unsupported URL scheme {scheme!r}: use http(s), file:// or a path")
        else:
            refusal = self.robots_refusal(url, client) if check_robots and self.settings.respect_robots else None
            result = _error(url, refusal) if refusal else self._get(client, url, etag, last_modified)
        result.duration_ms = int((time.monotonic() - started) * 1000)
        return result

    def robots_refusal(self, url: str, client: httpx.Client) -> str | None:
        """Return why the host's robots.txt keeps us from `url` (disallowed, or unreachable), or None."""
        parts = urlsplit(url)
        rules = self._robots_for(f"{parts.scheme}://{parts.netloc}", client)
        if rules.unreachable and rules.unreachable.startswith(REFUSED):
            return rules.unreachable  # the page is refused for the same reason as its robots.txt
        if rules.unreachable:
            return f"robots.txt unreachable ({rules.unreachable}): page not fetched"
        if rules.parser is not None and not rules.parser.can_fetch(url, self.settings.user_agent):
            return "disallowed by robots.txt"
        return None

    def _robots_for(self, origin: str, client: httpx.Client) -> RobotsRules:
        key = (origin, id(client))  # a local and a remote source may see one origin differently
        with self._robots_lock:
            origin_lock = self._robots_locks.setdefault(key, threading.Lock())
        with origin_lock:  # one robots.txt request per origin, however many page fetches wait for it
            rules = self._robots.get(key)
            if rules is None or rules.expires < time.monotonic():
                rules = self._robots[key] = self._load_robots(origin, client)
        return rules

    def _load_robots(self, origin: str, client: httpx.Client) -> RobotsRules:
        # RFC 9309: a 4xx robots.txt means no rules; a 5xx or unreachable one means stay away for now.
        result = self._get(client, f"{origin}/robots.txt", None, None)
        now = time.monotonic()
        if result.status == "ok":
            return RobotsRules(now + ROBOTS_TTL, parser=Protego.parse(result.body.decode("utf-8", errors="replace")))
        if result.http_status is not None and 400 <= result.http_status < 500:
            return RobotsRules(now + ROBOTS_TTL)
        LOGGER.info("robots.txt of %s unreachable (%s): not fetching its pages for now", origin, result.error)
        return RobotsRules(now + ROBOTS_RETRY, unreachable=result.error or result.status)

    def _get(self, client: httpx.Client, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).netloc.lower()
        self.pacer.wait(host)
        deadline = time.monotonic() + self.settings.timeout

        def trace(event: str, info: dict[str, object]) -> None:
            if event.endswith("send_request_headers.complete"):  # httpcore's trace: the request has left
                self.pacer.sent(host)

        try:
            with client.stream("GET", url, headers=headers, extensions={"trace": trace}) as response:
                return self._read(url, response, deadline)
        except httpx.TooManyRedirects:
            return _error(url, f"redirect loop: more than {self.settings.max_redirects} redirects")
        except httpx.TimeoutException as exc:
            return _error(url, f"timed out ({type(exc).__name__}) after {self.settings.timeout:g}s limit")
        except httpx.ConnectError as exc:
            if isinstance(exc.__cause__, BlockedAddress):
                return _error(url, f"{REFUSED}{_one_line(exc)}")
            return _error(url, f"cannot connect to {urlsplit(url).hostname}: {_one_line(exc)}")
        except httpx.HTTPError as exc:
            return _error(url, f"{type(exc).__name__}: {_one_line(exc)}")
        except httpx.InvalidURL as exc:  # not an HTTPError: e.g. a `Location: javascript:...` redirect
            return _error(url, f"invalid redirect or URL: {_one_line(exc)}")

    def _read(self, url: str, response: httpx.Response, deadline: float) -> FetchResult:
        result = FetchResult(
            url=url,
            status="ok",
            http_status=response.status_code,
            final_url=str(response.url),
            headers={k.lower(): v for k, v in response.headers.items()},
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        if response.status_code == 304:
            result.status = "not_modified"
            return result
        if response.status_code >= 400:
            result.status = "error"
            result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            result.retry_after = parse_retry_after(response.headers.get("retry-after"))
            return result
        declared = response.headers.get("content-length", "")
        cap = self.settings.max_bytes
        if declared.isdigit() and int(declared) > cap and "content-encoding" not in response.headers:
            return _error(url, f"body too large: {int(declared)} bytes declared, limit {cap}", response.status_code)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > cap:
                return _error(url, f"body too large: over the {cap}-byte limit", response.status_code)
            if time.monotonic() > deadline:
                return _error(url, f"timed out: body still arriving after {self.settings.timeout:g}s limit",
                              response.status_code)
        result.body = bytes(body)
        return result


def is_local_location(location: str) -> bool:
    """Return whether a configured location is on this machine or a private network by its own name.

    Only a path, a file:// URL, `localhost` or a private IP literal counts: a host name is not
    looked up here, so DNS cannot make a remote source local.
    """
    parts = urlsplit(location)
    if parts.scheme.lower() not in ("http", "https"):
        return True
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public_address(host)
    except ValueError:  # a host name, not an IP literal
        return False


def read_local(location: str, max_bytes: int) -> FetchResult:
    """Return the bytes of a local regular file (path or file:// URL) up to `max_bytes`, or a one-line error."""
    path = Path(unquote(urlsplit(location).path)) if location.lower().startswith("file:") else Path(location)
    try:
        body = _read_regular_file(path, max_bytes)
    except FileNotFoundError:
        return _error(location, f"file not found: {path}")
    except OSError as exc:
        return _error(location, f"cannot read {path}: {exc.strerror or exc}")
    if body is None:
        return _error(location, f"cannot read {path}: not a regular file")
    if len(body) > max_bytes:
        return _error(location, f"file too large: over the {max_bytes}-byte limit")
    return FetchResult(url=location, status="ok", body=body, final_url=path.resolve().as_uri())


def _read_regular_file(path: Path, max_bytes: int) -> bytes | None:
    """Return at most max_bytes + 1 bytes of `path`, or None when it is not a regular file."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on what was opened.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(max_bytes + 1)


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks us to wait (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error(url: str, message: str, http_status: int | None = None) -> FetchResult:
    return FetchResult(url=url, status="error", error=message, http_status=http_status)


def _one_line(exc: BaseException) -> str:
    return clean_line(str(exc)) or type(exc).__name__
