"""Build the one httpx client dealwatch uses: timeouts, User-Agent, redirects, transport."""

from __future__ import annotations

import logging

import httpx

from pipeline.config import HttpSettings


def build_client(settings: HttpSettings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Return an httpx.Client configured from `settings`; tests pass a MockTransport as `transport`."""
    # The read timeout bounds one silent gap; fetch.py enforces the whole-request deadline itself,
    # because a server that trickles one byte at a time never trips a per-read timeout.
    if not logging.getLogger("pipeline").isEnabledFor(logging.DEBUG):
        # httpx logs every request at INFO; dealwatch's own line per fetch says more.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    timeout = httpx.Timeout(settings.timeout, connect=min(settings.connect_timeout, settings.timeout))
    return httpx.Client(
        timeout=timeout,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        transport=transport,
    )
