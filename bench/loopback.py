"""Slow loopback "hosts" that log when each request arrived, for bench/fetch.py and the concurrency tests.

Each host is a threading HTTP server on its own 127.0.0.1 port (dealwatch spaces requests per
host:port). Every request is answered after `latency` seconds by a `respond` function. Arrival
times are the kernel's stamps of each request's first packet (SO_TIMESTAMPNS), not the server
threads' clocks, which run late on a busy machine.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux: the kernel stamps each packet's arrival
Request = tuple[int, str, float, float]  # port, path, arrived, answered (epoch seconds)


@dataclass
class Reply:
    """What a host answers: status, body, content type and an optional ETag."""

    status: int = 404
    body: bytes = b"not found"
    content_type: str = "text/plain"
    etag: str | None = None


Respond = Callable[[int, str, Mapping[str, str]], Reply]  # (port, path, request headers) -> reply


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
    """`hosts` loopback servers that answer every GET after `latency` seconds and log it; close() stops them."""

    def __init__(self, hosts: int, latency: float, respond: Respond) -> None:
        self.latency = latency
        self.respond = respond
        self._lock = threading.Lock()
        self._log: list[Request] = []
        handler = self._handler()
        self.servers = [stamped_server(handler) for _ in range(hosts)]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.ports = [server.server_address[1] for server in self.servers]

    @property
    def log(self) -> list[Request]:
        """Return a copy of the requests logged so far."""
        with self._lock:
            return list(self._log)

    def take(self) -> list[Request]:
        """Return the requests logged so far and start a new log."""
        with self._lock:
            taken, self._log = self._log, []
        return taken

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hosts = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                self.arrived = arrival_time(self.request)  # before the request is read: a peek after it would block
                super().setup()

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                arrived = self.arrived
                time.sleep(hosts.latency)
                port = self.server.server_address[1]
                reply = hosts.respond(port, self.path, self.headers)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                self.end_headers()
                if reply.body:
                    self.wfile.write(reply.body)
                with hosts._lock:
                    hosts._log.append((port, self.path, arrived, time.time()))

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
                pass

        return Handler

    def close(self) -> None:
        """Stop every server and free its port."""
        for server in self.servers:
            server.shutdown()
            server.server_close()


def closest_gap(log: list[Request]) -> float:
    """Return the shortest time between two requests' arrivals at one host (inf when no host was asked twice)."""
    by_port: dict[int, list[float]] = defaultdict(list)
    for port, _, arrived, _ in log:
        by_port[port].append(arrived)
    gaps = [b - a for times in by_port.values() for a, b in zip(sorted(times), sorted(times)[1:])]
    return min(gaps, default=float("inf"))


def most_in_flight(log: list[Request]) -> int:
    """Return the most requests the hosts were answering at one moment."""
    events = sorted([(arrived, 1) for _, _, arrived, _ in log] + [(left, -1) for _, _, _, left in log])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak
