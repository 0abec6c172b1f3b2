"""The far edge of the sending code, faked: Heap's answers and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answerer", "FakeClock", "FakeResponse", "ScriptedSession", "SkippingClock"]


@dataclass
class FakeResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""


Answerer = Callable[[str, list[dict[str, Any]]], FakeResponse]


class ScriptedSession:
    """Answers each post with ``answer(endpoint, events)``; remembers every post."""

    def __init__(self, answer: Answerer) -> None:
        self._answer = answer
        self.posts: list[tuple[str, list[str]]] = []

    def post(self, url: str, *, json: dict[str, Any], **options: Any) -> FakeResponse:
        assert options["allow_redirects"] is False
        keys = [event["idempotency_key"] for event in json["events"]]
        self.posts.append((url, keys))
        return self._answer(url, json["events"])


class FakeClock:
    """Time that passes only when the sender sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds
        self.slept += seconds


class SkippingClock:
    """Real time, but a sleep passes at once: it moves the clock on instead.

    For a drain over real HTTP: the time a request takes counts toward the
    drain's deadline, the backoff between requests costs no wall time.
    """

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.skipped += seconds
