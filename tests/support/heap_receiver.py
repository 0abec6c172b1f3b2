"""A Heap-compatible track endpoint on 127.0.0.1 that checks every request.

Tests and ``make demo`` post to it instead of Heap. Each body is held against
the contract in ``shared/spec/event-contract.md``: a violation is answered with
400, like Heap, and recorded in ``violations`` so a test can insist on none.
The answers can be scripted to play an outage, a rate limit or a black hole.

Run ``python -m tests.support.heap_receiver --port 8123`` to watch events arrive.
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Answer", "HeapReceiver", "contract_violations"]

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
    """One scripted answer: a status, or one of ``hang``, ``reset``, ``garbage``."""

    status: int = 200
    behaviour: str = "normal"
    headers: dict[str, str] = field(default_factory=dict)


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
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._lenient = lenient
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/track"

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

    def _next_answer(self) -> Answer:
        with self._lock:
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
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if answer.behaviour == "hang":
                    receiver._stopping.wait(120)
                    return
                if answer.behaviour == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
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
                else:
                    self._reply(200, b"")

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8123)
    arguments = parser.parse_args()

    def show(event: dict[str, Any]) -> None:
        print(json.dumps(event, indent=2), flush=True)

    with HeapReceiver(arguments.port, on_event=show) as receiver:
        print(f"Listening on {receiver.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
