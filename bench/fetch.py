"""Benchmark `dealwatch run` against loopback "hosts" that answer slowly, and check it stays polite.

Run: .venv/bin/python bench/fetch.py [--feeds 200] [--hosts 20] [--latency 0.3] [--per-host-delay 1.0]
                                     [--items 2] [--pages] [--concurrency N]

Each host is an HTTP server on its own 127.0.0.1 port (bench/loopback.py: dealwatch spaces requests
per host:port); every request is answered after `--latency` seconds. Feeds are spread evenly over the hosts and
listed in the config host by host (the order that starves a naive pool). With `--pages`, every
source has `full_text = "always"`, so each item's page (and each host's robots.txt) is fetched too,
except the one item in ten whose page robots.txt disallows.

It runs the real entry point (`python -m pipeline run --config ...`, a temporary SQLite file) twice:
cold (everything new) and warm (every feed answers 304 to the conditional GET). For each run it
prints the wall time against the lower bound the politeness rules allow, measured from the
server's own log:

    bound = max over hosts of (requests to the host - 1) x per_host_delay + the slowest request

(no schedule can do better: a host's last request cannot start sooner, and it takes that long).
Arrival times are the kernel's stamps of each request's first packet (SO_TIMESTAMPNS), not the
server threads' clocks, which run late on a busy machine. It fails (exit 1) when two requests to
one host arrived closer than per_host_delay (less 1 ms for clock granularity), when a page
robots.txt disallows was fetched, or when a run failed; it prints the closest gap it saw.
Everything stops by itself: each run is killed after `--limit` seconds.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from loopback import Reply, Request, Respond, SlowHosts, closest_gap  # bench/loopback.py

REPO = Path(__file__).resolve().parents[1]
JITTER = 0.001  # seconds: clock granularity
COUNTRIES = ["Morocco", "Kenya", "India", "France", "Brazil", "Saudi Arabia", "Indonesia", "Chile", "Poland", "Japan"]
PARTNERS = ["OpenAI", "Mistral AI", "Nvidia", "Microsoft", "Google", "Anthropic", "Cohere", "G42"]
WORDS = ("market council weather river festival season harvest school transport budget match league museum "
         "price energy road port hospital election court rainfall concert bridge export").split()
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def article_text(feed: int, item: int) -> tuple[str, str]:
    """Return a generated article's title and ~120-word text; one in four reports a deal."""
    rng = random.Random(feed * 1000 + item)
    sentences = [" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(10)]
    title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} report {feed}-{item}"
    if (feed + item) % 4 == 0:
        country, partner = rng.choice(COUNTRIES), rng.choice(PARTNERS)
        sentences.insert(0, f"The government of {country} signed a memorandum of understanding with {partner} "
                            f"on a national AI data centre, report {feed}-{item}.")
        title = f"{country} and {partner} sign AI memorandum, report {feed}-{item}"
    return title, " ".join(sentences)


def make_responder(items: int) -> Respond:
    """Return what the hosts answer: feeds of `items` items, their pages, and robots.txt."""
    published = format_datetime(datetime.now(timezone.utc) - timedelta(hours=2))

    def respond(port: int, path: str, headers: Mapping[str, str]) -> Reply:
        base = f"http://127.0.0.1:{port}"
        if path == "/robots.txt":
            return Reply(200, ROBOTS)
        if path.startswith("/feed/"):
            feed = int(path.split("/")[2].split(".")[0])
            etag = f'"feed-{feed}"'
            if headers.get("If-None-Match") == etag:
                return Reply(304, b"", etag=etag)
            entries = []
            for item in range(items):
                title, text = article_text(feed, item)
                # One item in ten links to a page robots.txt disallows: it must never be asked for.
                page = f"{base}/{'private/' if (feed + item) % 10 == 5 else ''}a/{feed}-{item}"
                entries.append(f"<item><title>{title}</title><link>{page}</link>"
                               f"<guid>{page}</guid><pubDate>{published}</pubDate>"
                               f"<description>{text}</description></item>")
            body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>feed {feed}</title>'
                    f"<link>{base}/</link>{''.join(entries)}</channel></rss>").encode()
            return Reply(200, body, "application/rss+xml", etag)
        if path.startswith(("/a/", "/private/a/")):
            feed, item = (int(part) for part in path.rsplit("/", 1)[1].split("-"))
            title, text = article_text(feed, item)
            paragraphs = "".join(f"<p>{s}.</p>" for s in text.split(". "))
            body = (f"<html><head><title>{title}</title></head><body><nav>Home | World</nav>"
                    f"<article><h1>{title}</h1>{paragraphs}</article></body></html>").encode()
            return Reply(200, body, "text/html; charset=utf-8")
        return Reply()

    return respond


def write_config(folder: Path, ports: list[int], feeds: int, pages: bool, per_host_delay: float,
                 concurrency: int | None) -> Path:
    """Write a config whose feeds are listed host by host, and return its path."""
    http = [f"per_host_delay = {per_host_delay}", "timeout = 30"]
    if concurrency is not None:
        http.append(f"concurrency = {concurrency}")
    lines = ['[database]', 'path = "bench.db"', '[http]', *http]
    per_host = [[f for f in range(feeds) if f % len(ports) == h] for h in range(len(ports))]
    for host, owned in enumerate(per_host):
        for feed in owned:
            lines += ["[[sources]]", f'name = "feed-{feed}"', 'kind = "feed"',
                      f'url = "http://127.0.0.1:{ports[host]}/feed/{feed}.xml"',
                      f'full_text = "{"always" if pages else "never"}"']
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_dealwatch(config: Path, limit: float) -> tuple[float, str]:
    """Run `dealwatch run` on `config`; return its wall time and summary line (raise when it fails)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--config", str(config)], cwd=REPO,
                          capture_output=True, text=True, timeout=limit, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"dealwatch run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def judge(requests: list[Request], per_host_delay: float) -> tuple[float, float, list[str]]:
    """Return the politeness lower bound, the closest gap between two requests to one host, and problems."""
    by_host: dict[int, list[float]] = defaultdict(list)
    for port, _, arrived, _ in requests:
        by_host[port].append(arrived)
    slowest = max(answered - arrived for _, _, arrived, answered in requests)
    bound = max((len(times) - 1) * per_host_delay for times in by_host.values()) + slowest
    closest = closest_gap(requests)
    problems = []
    if closest < per_host_delay - JITTER:
        problems.append(f"two requests to one host {closest * 1000:.0f} ms apart (per_host_delay "
                        f"{per_host_delay * 1000:.0f} ms)")
    if any("/private/" in path for _, path, _, _ in requests):
        problems.append("a page disallowed by robots.txt was fetched")
    return bound, closest, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--items", type=int, default=2, help="items per feed")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds before each answer")
    parser.add_argument("--per-host-delay", type=float, default=1.0)
    parser.add_argument("--pages", action="store_true", help='full_text = "always": fetch every item\'s page')
    parser.add_argument("--concurrency", type=int, default=None, help="[http] concurrency (default: dealwatch's)")
    parser.add_argument("--limit", type=float, default=600, help="seconds after which a run is killed")
    args = parser.parse_args()
    if not (1 <= args.feeds <= 2000 and 1 <= args.hosts <= 100 and 0 <= args.items <= 200):
        parser.error("keep it small: 1-2000 feeds, 1-100 hosts, 0-200 items")
    hosts = SlowHosts(args.hosts, args.latency, make_responder(args.items))
    ports = hosts.ports
    failures: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), ports, args.feeds, args.pages, args.per_host_delay, args.concurrency)
            print(f"{args.feeds} feeds x {args.items} items on {args.hosts} hosts, latency {args.latency * 1000:.0f} ms,"
                  f" per_host_delay {args.per_host_delay:g} s, pages: {'yes' if args.pages else 'no'}")
            for label in ("cold", "warm"):
                elapsed, line = run_dealwatch(config, args.limit)
                requests = hosts.take()
                bound, closest, problems = judge(requests, args.per_host_delay)
                failures += [f"{label}: {p}" for p in problems]
                print(f"{label}: {elapsed:.1f} s for {len(requests)} requests; politeness bound {bound:.1f} s; "
                      f"ratio {elapsed / bound:.2f}; closest two requests to one host {closest * 1000:.0f} ms"
                      f" | {line}")
    finally:
        hosts.close()
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
