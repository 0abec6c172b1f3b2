"""Taking turns at the outbox, in-process: the lock, the look again, the idle wait.

The outbox and the lock are real files; the HTTP session is the far edge,
replaced by one that stores what it is sent.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kedro_telemetry import environment
from kedro_telemetry.outbox.delivery_log import DeliveryLog
from kedro_telemetry.outbox.lock import SenderLock
from kedro_telemetry.outbox.store import Outbox
from kedro_telemetry.sender.drain import Drain, Report
from kedro_telemetry.sender.heap import HeapDestination
from kedro_telemetry.sender.serve import serve
from tests.support.fakes import FakeClock, FakeResponse
from tests.support.outbox import synthetic_record

ENDPOINT = "https://heap.example/api/track"


class StoringSession:
    """A Heap that stores every event it is posted; thread-safe."""

    def __init__(self) -> None:
        self.stored: Counter[str] = Counter()
        self.posts = 0
        self._lock = threading.Lock()

    def post(self, url: str, *, json: dict[str, Any], **_: Any) -> Any:
        with self._lock:
            self.posts += 1
            self.stored.update(event["idempotency_key"] for event in json["events"])

        return FakeResponse(200)


class Place:
    """One user's outbox, lock and Heap, with the serving the plugin does."""

    def __init__(self, root: Path) -> None:
        self.outbox = Outbox(root / "outbox")
        self.log = DeliveryLog(root)
        self.lock_path = root / "sender.lock"
        self.session = StoringSession()
        self.servers: list[threading.Thread] = []
        self.served: list[Report] = []

    def drain(self, seconds: float, outbox: Outbox, stop: Callable[[], bool]) -> Report:
        return Drain(
            outbox,
            self.log,
            deadline=time.monotonic() + seconds,
            destination=HeapDestination(self.session),  # type: ignore[arg-type]
            stop_requested=stop,
        ).run()

    def command(self, idle: float) -> str:
        """What a command does: queue its event, then serve if the lock is free."""
        record = synthetic_record(ENDPOINT)
        Outbox(self.outbox.directory).put(record)
        lock = SenderLock(self.lock_path)
        if lock.acquire():
            server = threading.Thread(target=self.serve, args=(lock, idle))
            self.servers.append(server)
            server.start()
        return str(record["event"]["idempotency_key"])

    def serve(self, lock: SenderLock, idle: float) -> None:
        self.served.append(
            serve(
                lock,
                self.outbox,
                pass_seconds=10.0,
                idle_seconds=idle,
                until=time.monotonic() + 60.0,
                stop_requested=lambda: False,
                on_stranded=lambda: pytest.fail("no event should be stranded"),
                drain=self.drain,
            )
        )

    def finish(self) -> None:
        for server in self.servers:
            server.join(30)


def test_a_session_of_commands_is_served_by_one_holder_and_every_event_arrives_once(
    tmp_path: Path,
) -> None:
    place = Place(tmp_path)
    keys = []
    for _ in range(6):
        keys.append(place.command(idle=1.0))
        time.sleep(0.1)
    place.finish()
    assert len(place.servers) == 1
    assert place.session.stored == Counter({key: 1 for key in keys})
    assert place.outbox.count() == 0


def test_an_event_queued_while_the_holder_is_leaving_is_not_stranded(
    tmp_path: Path,
) -> None:
    """Commands land at random moments around holders that leave almost at once."""
    place = Place(tmp_path)
    randomness = random.Random(15)
    keys = []
    for _ in range(150):
        keys.append(place.command(idle=0.002))
        # Now and then a pause far beyond the idle time, so holders do leave
        # in between even on a loaded machine.
        time.sleep(randomness.choice((0.0, 0.0005, 0.001, 0.003, 0.02)))
    place.finish()
    assert place.outbox.count() == 0, "an event was left in the outbox"
    assert place.session.stored == Counter({key: 1 for key in keys})
    assert len(place.servers) > 1  # holders did leave in between: the race was run


def test_a_flush_request_ends_an_idle_holder_s_wait(tmp_path: Path) -> None:
    place = Place(tmp_path)
    asked = threading.Event()
    lock = SenderLock(place.lock_path)
    assert lock.acquire()
    started = time.monotonic()
    server = threading.Thread(
        target=lambda: serve(
            lock,
            place.outbox,
            pass_seconds=10.0,
            idle_seconds=30.0,
            until=time.monotonic() + 60.0,
            stop_requested=asked.is_set,
            on_stranded=lambda: None,
            drain=place.drain,
        )
    )
    server.start()
    time.sleep(0.2)
    asked.set()
    server.join(5)
    assert not server.is_alive() and time.monotonic() - started < 5
    assert SenderLock(place.lock_path).acquire()  # the holder let go


def test_an_event_after_the_holder_s_time_is_up_gets_a_sender_of_its_own(
    tmp_path: Path,
) -> None:
    """The holder's clock is a fake one, so its time is up exactly as it arrives."""
    place = Place(tmp_path)
    lock = SenderLock(place.lock_path)
    assert lock.acquire()
    stranded: list[bool] = []
    clock = FakeClock()

    def drain_then_a_newcomer(seconds: float, outbox: Outbox, stop: Any) -> Report:
        report = place.drain(seconds, outbox, stop)
        outbox.put(synthetic_record(ENDPOINT))
        clock.now = 10.0  # the holder's time ends as the newcomer arrives
        return report

    serve(
        lock,
        place.outbox,
        pass_seconds=10.0,
        idle_seconds=0.0,
        until=10.0,
        stop_requested=lambda: False,
        on_stranded=lambda: stranded.append(True),
        drain=drain_then_a_newcomer,
        clock=clock,
        sleep=clock.sleep,
    )
    assert place.outbox.count() == 1
    assert stranded == [True]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("", 60.0), ("5", 5.0), ("0", 0.0), ("-3", 0.0), ("9999", 300.0), ("x", 60.0)],
)
def test_the_idle_time_is_read_within_its_bounds(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: float
) -> None:
    monkeypatch.setenv(environment.SENDER_IDLE_VARIABLE, value)
    assert environment.sender_idle_seconds() == seconds
