"""A Heap-compatible track endpoint on 127.0.0.1 that checks every request.

Tests and ``make demo`` post to it instead of Heap. Each body is held against
the contract in ``shared/spec/event-contract.md``: a violation is answered with
400, like Heap, and recorded in ``violations`` so a test can insist on none.
The answers can be scripted to play an outage, a rate limit, a black hole, a
slow answer or a connection cut halfway. It also keeps each request's raw bytes
and the moment it arrived.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "Answer",
    "HeapReceiver",
    "assert_nothing_stored_twice",
    "contract_violations",
    "keys_answered_ok",
    "refusing_port",
]

_TOP_LEVEL_SINGLE = {
    "app_id",
    "identity",
    "event",
    "timestamp",
    "idempotency_key",
    "properties",
}
_EVENT_KEYS = _TOP_LEVEL_SINGLE - {"app_id"}


def contract_violations(body: Any) -> list[str]:
    """Everything in ``body`` that Heap's track API would refuse."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems: list[str] = []
    if not isinstance(body.get("app_id"), str) or not body.get("app_id"):
        problems.append("app_id is missing")
    if "events" in body:
        batch = body["events"]
        if set(body) != {"app_id", "events"}:
            problems.append(
                f"unexpected bulk keys: {sorted(set(body) - {'app_id', 'events'})}"
            )
        if not isinstance(batch, list) or not 1 <= len(batch) <= 1000:
            return [*problems, "events must be a list of 1 to 1,000 events"]
        for index, event in enumerate(batch):
            problems += [
                f"events[{index}]: {p}" for p in _event_violations(event, _EVENT_KEYS)
            ]
    else:
        problems += _event_violations(
            {k: v for k, v in body.items() if k != "app_id"}, _EVENT_KEYS
        )
    return problems


def _event_violations(event: Any, expected_keys: set[str]) -> list[str]:
    if not isinstance(event, dict):
        return ["an event is not an object"]
    problems = []
    if set(event) != expected_keys:
        problems.append(f"keys {sorted(event)} are not {sorted(expected_keys)}")
    identity, name = event.get("identity"), event.get("event")
    if not isinstance(identity, str) or not 0 < len(identity) <= 255:
        problems.append("identity must be a string of 1 to 255 characters")
    if not isinstance(name, str) or not 0 < len(name) <= 1024:
        problems.append("event must be a string of 1 to 1,024 characters")
    if not isinstance(event.get("idempotency_key"), str) or not event.get(
        "idempotency_key"
    ):
        problems.append("idempotency_key must be a non-empty string")
    problems += _timestamp_violations(event.get("timestamp"))
    properties = event.get("properties")
    if not isinstance(properties, dict):
        return [*problems, "properties must be an object"]
    for key, value in properties.items():
        if len(key) >= 1024:
            problems.append(f"property name {key[:40]!r}... is too long")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            problems.append(f"property {key!r} is a {type(value).__name__}")
        elif isinstance(value, str) and len(value) >= 1024:
            problems.append(f"property {key!r} is too long")
    return problems


def _timestamp_violations(stamp: Any) -> list[str]:
    if not isinstance(stamp, str):
        return ["timestamp must be a string"]
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return [f"timestamp {stamp!r} is not ISO 8601"]
    offset = parsed.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        return [f"timestamp {stamp!r} is not in UTC"]
    return []


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status, with a ``behaviour`` other than ``normal``.

    ``hang``: never answers. ``reset``: resets the connection before answering.
    ``garbage``: stores the events and answers 200 with a body that is no JSON.
    ``slow``: waits ``seconds`` before it reads the request, then answers as
    usual. ``cut``: stores the events, starts a 200 answer and resets the
    connection halfway through it.
    """

    status: int = 200
    behaviour: str = "normal"
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 6.0  # longer than any read timeout a short flush allows


OK = Answer()


class HeapReceiver:
    """A threaded HTTP server that records what a Heap endpoint would store."""

    def __init__(
        self,
        port: int = 0,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        lenient: bool = False,
    ):
        """``tls`` serves HTTPS (the benchmark's stand-in for heapanalytics.com);
        ``lenient`` answers 200 to bodies outside our contract, as Heap does to
        0.9.0's events (which carry no idempotency key): they are kept in
        ``requests`` only."""
        self._script: deque[Answer] = deque()
        self._default = OK
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._on_event = on_event
        self.requests: list[Any] = []  # every parsed body, in arrival order
        self.accepted: list[
            dict[str, Any]
        ] = []  # events Heap would have stored, deduplicated
        self.posted_keys: list[
            str
        ] = []  # every idempotency_key posted, repeats included
        self.violations: list[str] = []
        self.raw_bodies: list[bytes] = []  # every request body, as it came
        self.arrivals: list[float] = []  # when each request came (monotonic)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._lenient = lenient
        self._tls = tls is not None
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/api/track"

    def __enter__(self) -> HeapReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, *answers: Answer, then: Answer | None = None) -> None:
        """Answer the next requests with ``answers``, later ones with ``then``."""
        with self._lock:
            self._script.extend(answers)
            if then is not None:
                self._default = then

    def accepted_keys(self) -> set[str]:
        with self._lock:
            return {event["idempotency_key"] for event in self.accepted}

    def wait_for(self, count: int, seconds: float = 20.0) -> list[dict[str, Any]]:
        """The accepted events, once at least ``count`` arrived or the time is up."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.accepted) >= count:
                    break
            time.sleep(0.05)
        with self._lock:
            return list(self.accepted)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def _next_answer(self) -> Answer:
        with self._lock:
            self.arrivals.append(time.monotonic())
            return self._script.popleft() if self._script else self._default

    def _record(self, body: Any) -> list[str]:
        problems = contract_violations(body)
        with self._lock:
            self.requests.append(body)
            events = self._events_of(body)
            self.posted_keys += [str(e.get("idempotency_key")) for e in events]
            if problems and self._lenient:
                return []
            if problems:
                self.violations += problems
                return problems
            known = {event["idempotency_key"] for event in self.accepted}
            for event in events:
                if event["idempotency_key"] not in known:  # Heap stores a key once
                    known.add(event["idempotency_key"])
                    self.accepted.append(event)
                    if self._on_event:
                        self._on_event(event)
        return []

    @staticmethod
    def _events_of(body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            return []
        if isinstance(body.get("events"), list):
            return [e for e in body["events"] if isinstance(e, dict)]
        return [{k: v for k, v in body.items() if k != "app_id"}]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                answer = receiver._next_answer()
                if answer.behaviour == "slow":
                    receiver._stopping.wait(answer.seconds)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    receiver.raw_bodies.append(raw)
                if answer.behaviour == "hang":
                    receiver._stopping.wait(120)
                    return
                if answer.behaviour == "reset":
                    self._reset()
                    return
                if (
                    self.headers.get("Content-Type", "").split(";")[0]
                    != "application/json"
                ):
                    self._reply(400, b"Content-Type must be application/json")
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._reply(400, b"invalid JSON")
                    return
                if answer.status != 200:
                    with receiver._lock:
                        receiver.posted_keys += [
                            str(e.get("idempotency_key"))
                            for e in receiver._events_of(body)
                        ]
                    self._reply(answer.status, b"scripted failure", answer.headers)
                    return
                problems = receiver._record(body)
                if problems:
                    self._reply(400, "; ".join(problems).encode())
                elif answer.behaviour == "garbage":
                    self._reply(200, b"\x00\xffnot json at all")
                elif answer.behaviour == "cut":
                    self.send_response(200)
                    self.send_header("Content-Length", "64")
                    self.end_headers()
                    self.wfile.write(b'{"half": ')
                    self.wfile.flush()
                    self._reset()
                else:
                    self._reply(200, b"")

            def _reset(self) -> None:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

            def _reply(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler


# What the endpoint saw, and an endpoint that is not there ----------------------


def keys_answered_ok(receiver: HeapReceiver) -> Counter[str]:
    """How often each key was posted in a request the receiver answered 200."""
    counts: Counter[str] = Counter()
    for body in list(receiver.requests):
        if isinstance(body, dict) and isinstance(body.get("events"), list):
            counts.update(str(event.get("idempotency_key")) for event in body["events"])
        elif isinstance(body, dict):
            counts[str(body.get("idempotency_key"))] += 1
    return counts


def accepted_in_order(receiver: HeapReceiver) -> list[str]:
    """The keys of the events the receiver accepted, in the order they came."""
    return [event["idempotency_key"] for event in receiver.accepted]


def assert_delivered_exactly(receiver: HeapReceiver, keys: list[str]) -> None:
    """``keys`` and nothing else were stored, each once."""
    assert sorted(accepted_in_order(receiver)) == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert_nothing_stored_twice(receiver)


def assert_nothing_stored_twice(receiver: HeapReceiver) -> None:
    """No event was posted again after a 200 had told the sender it was stored."""
    twice = {key: n for key, n in keys_answered_ok(receiver).items() if n > 1}
    assert twice == {}, f"re-posted after Heap accepted them: {twice}"


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A local port that refuses every connection: bound, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
