"""Local stand-ins for the network, all bound to 127.0.0.1 and nothing else.

* :class:`Recorder` answers every POST with 200 at once and keeps the events,
  over plain HTTP (this project's endpoint is configurable) or over TLS on
  port 443 (0.9.0 always posts to ``https://heapanalytics.com``).
* :class:`BlackHole` accepts TCP connections and never says a word: a firewall
  that drops, or a server that hangs.
* :class:`DnsSink` takes DNS queries and never answers: a broken resolver.

Every server runs in daemon threads, polls a stop flag, and is stopped by
:meth:`stop`, so the benchmark can always shut them all down.
"""

from __future__ import annotations

import collections
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["LOOPBACK", "BlackHole", "DnsSink", "Received", "Recorder", "Recording"]

LOOPBACK = "127.0.0.1"
_MAX_BODY = 8 * 1024 * 1024
_MAX_HELD_CONNECTIONS = 256
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Received:
    """One event as it reached a recorder, with the monotonic time it did."""

    at: float
    event: dict[str, Any]

    @property
    def telemetry_version(self) -> str:
        properties = self.event.get("properties")
        return str(properties.get("telemetry_version", "")) if properties else ""


class Recording:
    """The events every recorder received, safe to read while requests arrive."""

    def __init__(self) -> None:
        self._events: list[Received] = []
        self._changed = threading.Condition()

    def add(self, body: Any) -> None:
        """Keep the events of one request body, in either plugin's format."""
        if isinstance(body, dict) and isinstance(body.get("events"), list):
            events = [event for event in body["events"] if isinstance(event, dict)]
        elif isinstance(body, dict) and "event" in body:
            events = [body]  # 0.9.0 posts one event per request
        else:
            events = []
        now = time.monotonic()
        with self._changed:
            self._events.extend(Received(now, event) for event in events)
            self._changed.notify_all()

    def snapshot(self) -> list[Received]:
        with self._changed:
            return list(self._events)

    def wait_for(
        self, predicate: Callable[[Received], bool], seconds: float
    ) -> Received | None:
        """The first event ``predicate`` accepts, waiting at most ``seconds``."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                for received in self._events:
                    if predicate(received):
                        return received
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(min(remaining, _POLL_SECONDS))


class _Handler(BaseHTTPRequestHandler):
    """Reads one POST, records it, answers 200 with an empty JSON object."""

    timeout = 10  # a client that stalls mid-request frees its thread
    server: _RecordingServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_POST(self) -> None:  # http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= _MAX_BODY:
            self._reply(413)
            return
        raw = self.rfile.read(length)
        try:
            self.server.recording.add(json.loads(raw or b"null"))
        except ValueError:
            self._reply(400)
            return
        self._reply(200)

    def _reply(self, status: int) -> None:
        body = b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own results only."""


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, port: int, recording: Recording, context: ssl.SSLContext | None
    ) -> None:
        self.recording = recording
        self.context = context
        super().__init__((LOOPBACK, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hangs up mid-request (a killed sender) is expected."""

    def get_request(self) -> tuple[socket.socket, Any]:
        """Wrap accepted sockets for TLS, leaving the handshake to the handler thread.

        A handshake in the accepting thread would let one slow client stall all.
        """
        connection, address = super().get_request()
        if self.context is None:
            return connection, address
        wrapped = self.context.wrap_socket(
            connection, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address


class Recorder:
    """A recording endpoint on ``127.0.0.1:port`` (0 picks a free port)."""

    def __init__(
        self,
        recording: Recording,
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        context = None
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certfile=str(tls[0]), keyfile=str(tls[1]))
        self._server = _RecordingServer(port, recording, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"recorder-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class BlackHole:
    """Accepts connections on ``127.0.0.1:port`` and never reads or answers."""

    def __init__(self, port: int = 0) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, port))
        self._listener.listen(64)
        self._listener.settimeout(_POLL_SECONDS)
        self.port = self._listener.getsockname()[1]
        self.accepted = 0
        self._held: collections.deque[socket.socket] = collections.deque()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name=f"black-hole-{self.port}", daemon=True
        )
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)  # held open: the client waits for us
            while len(self._held) > _MAX_HELD_CONNECTIONS:
                self._held.popleft().close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()
        while self._held:
            self._held.popleft().close()


class DnsSink:
    """A DNS server on ``127.0.0.1:port`` (UDP) that counts queries, answers none."""

    def __init__(self, port: int = 53) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((LOOPBACK, port))
        self._socket.settimeout(_POLL_SECONDS)
        self.port = self._socket.getsockname()[1]
        self._queries: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name="dns-sink", daemon=True
        )
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                packet, _ = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._queries[_question_name(packet)] += 1

    def queries(self) -> collections.Counter[str]:
        """How often each name was asked about so far."""
        with self._lock:
            return collections.Counter(self._queries)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._socket.close()


def _question_name(packet: bytes) -> str:
    """The name asked about in a DNS query, for the diagnostics; never raises."""
    labels: list[str] = []
    position = 12  # past the fixed header
    while position < len(packet) and len(labels) < 64:
        length = packet[position]
        if length == 0 or length > 63:
            break
        labels.append(
            packet[position + 1 : position + 1 + length].decode("ascii", "replace")
        )
        position += 1 + length
    return ".".join(labels) or "?"
