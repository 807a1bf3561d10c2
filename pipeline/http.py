"""Build the httpx clients dealwatch uses: timeouts, User-Agent, redirects, and the private-address guard."""

from __future__ import annotations

import ipaddress
import logging
import socket
import typing
from collections.abc import Callable

import httpcore
import httpx

from pipeline import USER_AGENT
from pipeline.config import HttpSettings
from pipeline.normalise import clean_line

Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Return the IP addresses `host` resolves to, in the system resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public_address(address: str) -> bool:
    """Return whether an IP address is on the public internet (not loopback, private, link-local, unspecified...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return ip.is_global and not ip.is_multicast


class BlockedAddress(httpcore.ConnectError):
    """A connection to a private or local address that the fetch's source may not reach."""


class GuardedBackend(httpcore.SyncBackend):
    """Resolves each connection's host itself, refuses private addresses, and dials the address it checked.

    Checking the address actually dialled (not a look-up made before the request) covers every
    redirect hop and DNS rebinding alike.
    """

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = self.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked:
            named = host if blocked[0] == host else f"{host} ({blocked[0]})"
            raise BlockedAddress(f"{named} is a private or local address, which a remote source may not reach "
                                 "([http] allow_private = true allows it)")
        failure: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"cannot resolve {host}: no address")


def build_client(settings: HttpSettings, transport: httpx.BaseTransport | None = None, *,
                 private_ok: bool = True, resolve: Resolver = resolve_host) -> httpx.Client:
    """Return an httpx.Client configured from `settings`; unless `private_ok`, it reaches public addresses only.

    Tests pass a MockTransport as `transport` (no network, so no guard).
    """
    if not logging.getLogger("pipeline").isEnabledFor(logging.DEBUG):
        # httpx logs every request at INFO; dealwatch's own line per fetch says more.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    # The read timeout bounds one silent gap; fetch.py enforces the whole-request deadline itself,
    # because a server that trickles one byte at a time never trips a per-read timeout.
    timeout = httpx.Timeout(settings.timeout, connect=min(settings.connect_timeout, settings.timeout))
    return httpx.Client(
        timeout=timeout,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        transport=transport or (None if private_ok else guarded_transport(resolve)),
    )


def guarded_transport(resolve: Resolver) -> httpx.HTTPTransport:
    """Return an HTTP transport whose connections go through a GuardedBackend."""
    transport = httpx.HTTPTransport()
    # httpx has no public hook for the network backend; its pool is rebuilt with one, same defaults.
    transport._pool = httpcore.ConnectionPool(ssl_context=transport._pool._ssl_context,
                                              network_backend=GuardedBackend(resolve),
                                              max_connections=100, max_keepalive_connections=20,
                                              keepalive_expiry=5.0)
    return transport


class WebhookSender:
    """Posts alert events to the URLs a user configured (their own receivers: no private-address guard)."""

    def __init__(self) -> None:
        self.client = httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=False)

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.close()

    def send(self, url: str, timeout: float, headers: dict[str, str], json_body: object = None,
             text: str | None = None) -> str | None:
        """POST once; return None when the receiver accepted it (2xx), else a one-line reason."""
        try:
            if text is not None:
                response = self.client.post(url, content=text.encode("utf-8"), headers=headers, timeout=timeout)
            else:
                response = self.client.post(url, json=json_body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {clean_line(str(exc)) or 'no answer'}"
        return None if response.status_code < 300 else f"HTTP {response.status_code}"
