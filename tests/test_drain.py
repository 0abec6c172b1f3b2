"""The drain every sender and flush runs, in this process.

Its decisions through its injectable session, clock and sleep: the network
endpoint is the far edge, a scripted session stands in for it, and a fake
clock moves only when the drain sleeps, so backoff and deadlines are checked
exactly, without waiting. Then the same drain over real HTTP to the local
receiver: a 500 retried under the same key, and the outbox's caps applied
before anything is posted. The outbox and the delivery log are real files;
real commands and senders against a receiver: test_delivery.py and
test_endpoint_faults.py.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from kedro_telemetry.outbox.delivery_log import DeliveryLog
from kedro_telemetry.outbox.store import MAX_BYTES, Outbox
from kedro_telemetry.sender.drain import Drain, Report
from kedro_telemetry.sender.heap import HeapDestination
from tests.support.fakes import Answerer, FakeClock, FakeResponse, ScriptedSession
from tests.support.heap_receiver import Answer, HeapReceiver, assert_delivered_exactly
from tests.support.outbox import drain_here, queue_records, queued_keys

HEAP = "https://heap.example/api/track"
RELAY = "https://relay.example/api/track"


@dataclass
class Drained:
    report: Report
    session: ScriptedSession
    clock: FakeClock
    outbox: Outbox
    log: DeliveryLog

    def waiting(self) -> list[str]:
        return [entry.event["idempotency_key"] for entry in self.outbox.read(10**5)]

    def delivered(self) -> list[str]:
        return [str(event["idempotency_key"]) for event in self.log.read()]


@pytest.fixture
def queue(tmp_path: Path) -> Callable[..., list[str]]:
    """Queue ``count`` events bound for ``endpoint``; return their keys."""

    def put(count: int, endpoint: str = HEAP) -> list[str]:
        return queue_records(Outbox(tmp_path / "outbox"), count, endpoint)

    return put


@pytest.fixture
def drain(tmp_path: Path) -> Callable[..., Drained]:
    """Run one drain of the real outbox against ``answer``, on the fake clock."""

    def run(answer: Answerer, deadline: float = 60.0) -> Drained:
        outbox = Outbox(tmp_path / "outbox")
        log = DeliveryLog(tmp_path)
        session = ScriptedSession(answer)
        clock = FakeClock()
        sender = Drain(
            outbox,
            log,
            deadline=deadline,
            destination=HeapDestination(session),  # type: ignore[arg-type]
            clock=clock,
            sleep=clock.sleep,
        )
        return Drained(sender.run(), session, clock, outbox, log)

    return run


def ok(_: str, __: list[dict[str, Any]]) -> FakeResponse:
    return FakeResponse(200)


def then_ok(*first: FakeResponse) -> Answerer:
    """Answer the first posts with ``first``, every later one with 200."""
    script = list(first)
    return lambda _, __: script.pop(0) if script else FakeResponse(200)


def test_a_400_is_split_until_only_the_bad_events_are_dropped(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    keys = queue(8)
    bad = {keys[2], keys[5]}

    def heap(_: str, events: list[dict[str, Any]]) -> FakeResponse:
        if bad & {event["idempotency_key"] for event in events}:
            return FakeResponse(400, text="invalid property")
        return FakeResponse(200)

    done = drain(heap)
    assert (done.report.sent, done.report.dropped, done.report.left) == (6, 2, 0)
    assert done.waiting() == []
    assert sorted(done.delivered()) == sorted(set(keys) - bad)
    # Halves of halves, down to single events only where a bad one hides.
    sizes = [len(posted) for _, posted in done.session.posts]
    assert sizes == [8, 4, 2, 2, 1, 1, 4, 2, 1, 1, 2]
    singles = [posted for _, posted in done.session.posts if len(posted) == 1]
    assert singles == [[keys[2]], [keys[3]], [keys[4]], [keys[5]]]
    assert done.clock.slept == 0  # a 400 is never retried


def test_a_bad_event_alone_is_dropped_without_a_split(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    [key] = queue(1)
    done = drain(lambda _, __: FakeResponse(400, text="no"))
    assert done.session.posts == [(HEAP, [key])]
    assert (done.report.sent, done.report.dropped, done.waiting()) == (0, 1, [])
    [dropped] = done.log.read_dropped()
    assert dropped["reason"] == "rejected by the endpoint: HTTP 400 'no'"


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured(
    queue: Callable[..., list[str]], drain: Callable[..., Drained], status: int
) -> None:
    keys = queue(3)
    done = drain(then_ok(FakeResponse(status, {"Retry-After": "7"})))
    assert done.clock.slept == pytest.approx(7.0)
    assert done.session.posts == [(HEAP, keys), (HEAP, keys)]  # same keys again
    assert (done.report.sent, done.report.left, done.report.problem) == (3, 0, "")


def test_retry_after_as_an_http_date_is_honoured(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    queue(1)
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    header = email.utils.format_datetime(later, usegmt=True)
    done = drain(then_ok(FakeResponse(429, {"Retry-After": header})))
    # The date has whole seconds, and the real clock moved while the test ran.
    assert 28.0 <= done.clock.slept <= 30.0
    assert done.report.sent == 1


def test_a_retry_after_beyond_the_deadline_ends_the_run_at_once(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    keys = queue(2)
    done = drain(then_ok(FakeResponse(503, {"Retry-After": "3600"})), deadline=60)
    assert done.clock.slept == 0
    assert done.session.posts == [(HEAP, keys)]
    assert done.waiting() == keys
    assert not done.report.outbox_empty and done.report.problem == "HTTP 503"


@pytest.mark.parametrize("status", [301, 302, 307, 401, 403, 404, 410])
def test_a_refusal_keeps_the_events_and_is_not_retried_in_this_run(
    queue: Callable[..., list[str]], drain: Callable[..., Drained], status: int
) -> None:
    keys = queue(2)
    done = drain(lambda _, __: FakeResponse(status, {"Location": "https://x"}))
    assert done.session.posts == [(HEAP, keys)]
    assert done.waiting() == keys
    assert done.clock.slept == 0
    assert done.report.problem == f"HTTP {status}" and done.report.left == 2


def test_a_network_error_is_retried_with_backoff_under_the_same_keys(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    keys = queue(2)
    failures = [requests.ConnectionError("refused"), requests.Timeout("slow")]

    def flaky(_: str, __: list[dict[str, Any]]) -> FakeResponse:
        if failures:
            raise failures.pop(0)
        return FakeResponse(200)

    done = drain(flaky)
    assert done.session.posts == [(HEAP, keys)] * 3
    assert 0 < done.clock.slept <= 0.5 + 1.0  # two backoffs, jittered
    assert (done.report.sent, done.waiting()) == (2, [])


@pytest.mark.parametrize("failure", [404, 503])
def test_one_failing_destination_does_not_hold_back_another(
    queue: Callable[..., list[str]], drain: Callable[..., Drained], failure: int
) -> None:
    stuck = queue(3, RELAY)  # the oldest events, bound for a failing relay
    fine = queue(2, HEAP)

    def endpoints(url: str, _: list[dict[str, Any]]) -> FakeResponse:
        return FakeResponse(failure if url == RELAY else 200)

    done = drain(endpoints, deadline=30)
    assert (HEAP, fine) in done.session.posts
    assert sorted(done.delivered()) == sorted(fine)
    assert done.waiting() == stuck
    assert done.report.left == 3 and done.report.problem == f"HTTP {failure}"
    if failure == 404:
        assert [url for url, _ in done.session.posts].count(RELAY) == 1


def test_the_deadline_bounds_a_run_against_an_endpoint_that_keeps_failing(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    keys = queue(2)
    done = drain(lambda _, __: FakeResponse(502), deadline=20)
    assert done.clock.now <= 20.0
    assert 2 <= len(done.session.posts) < 20  # backed off, exponentially
    assert done.waiting() == keys
    assert not done.report.outbox_empty and done.report.problem == "HTTP 502"


def test_a_drain_out_of_time_posts_nothing(
    queue: Callable[..., list[str]], drain: Callable[..., Drained]
) -> None:
    keys = queue(1)
    done = drain(ok, deadline=0)
    assert done.session.posts == []
    assert done.waiting() == keys


@pytest.mark.parametrize("endpoint", ["", "ftp://x", "not a url", "http://[::1"])
def test_an_event_bound_for_an_endpoint_that_cannot_work_is_dropped_and_logged(
    queue: Callable[..., list[str]], drain: Callable[..., Drained], endpoint: str
) -> None:
    queue(1, endpoint)
    fine = queue(1)
    done = drain(ok)
    assert done.session.posts == [(HEAP, fine)]
    assert (done.report.sent, done.report.dropped, done.waiting()) == (1, 1, [])
    [dropped] = done.log.read_dropped()
    assert dropped["reason"].startswith("the endpoint")
    assert dropped["command"] == "kedro info"


def test_an_event_queued_more_than_30_days_ago_is_dropped_and_logged(
    queue: Callable[..., list[str]], drain: Callable[..., Drained], tmp_path: Path
) -> None:
    [old] = queue(1)
    [path] = (tmp_path / "outbox").glob(f"*{old}*")
    month_ago = time.time_ns() - 31 * 24 * 3600 * 10**9
    path.rename(path.with_name(f"{month_ago:020d}-{path.name.split('-', 1)[1]}"))
    fresh = queue(1)
    done = drain(ok)
    assert done.session.posts == [(HEAP, fresh)]
    assert done.report.dropped == 1
    assert [entry["reason"] for entry in done.log.read_dropped()] == [
        "not delivered within 30 days"
    ]


# Over real HTTP ---------------------------------------------------------------


def test_a_500_is_retried_and_the_event_stored_once(
    tmp_path: Path, receiver: HeapReceiver
) -> None:
    receiver.answer(Answer(500), then=Answer())
    outbox = Outbox(tmp_path / "outbox")
    [key] = queue_records(outbox, 1, receiver.url)
    report = drain_here(outbox, 30)
    assert (report.sent, report.left) == (1, 0)
    assert receiver.posted_keys == [key, key]  # the same key on the retry
    assert_delivered_exactly(receiver, [key])


def test_a_drain_trims_an_outbox_over_the_event_cap_before_sending(
    tmp_path: Path, receiver: HeapReceiver
) -> None:
    """The drain every sender and flush runs, in this process, over real HTTP.

    A cap above one bulk request (1,000 events), so that batches are cut too.
    """
    cap = 1200
    keys = queue_records(Outbox(tmp_path / "outbox"), cap + 50, receiver.url)
    result = drain_here(Outbox(tmp_path / "outbox", max_events=cap), 120)
    assert (result.sent, result.left) == (cap, 0)
    assert receiver.posted_keys == keys[50:]  # the 50 oldest were never posted
    assert len(receiver.accepted) == cap
    assert queued_keys(tmp_path) == []


def test_a_drain_trims_an_outbox_over_the_byte_cap_before_sending(
    tmp_path: Path, receiver: HeapReceiver
) -> None:
    keys = queue_records(Outbox(tmp_path / "outbox"), 30, receiver.url, padding=200)
    sizes = [path.stat().st_size for path in sorted((tmp_path / "outbox").iterdir())]
    assert sum(sizes) > MAX_BYTES
    dropped = next(n for n in range(len(sizes)) if sum(sizes[n:]) <= MAX_BYTES)
    assert dropped > 0

    result = drain_here(Outbox(tmp_path / "outbox"), 120)
    assert (result.sent, result.left) == (len(keys) - dropped, 0)
    assert receiver.posted_keys == keys[dropped:]
    assert queued_keys(tmp_path) == []
