"""Shared fixtures. Every test is offline: connections and name look-ups beyond loopback are refused."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite golden files (tests/fixtures/stored_rows.json) from this checkout; review the diff.")


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def refuse_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any connection or DNS look-up beyond loopback fail at once, as on a machine with no network."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"test tried to reach {address[0]}: only loopback is allowed")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {host} (tests are offline)")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture
def shared_dir() -> Path:
    """Return ../shared, or skip when this checkout has none beside it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    """Serve pytest-httpserver's `httpserver` from a threaded server, as real web servers answer requests
    side by side: `dealwatch run` fetches sources concurrently, and one slow hostile answer must not
    hold up another source's request on the same test server."""
    server = HTTPServer(host=HTTPServer.DEFAULT_LISTEN_HOST, port=HTTPServer.DEFAULT_LISTEN_PORT, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
