"""Whatever the endpoint does wrong, no event is lost and none is stored twice.

Each fault is played by a real local server (or a real closed port, a real
unresolvable name): refused connections, connections reset before or during
the answer, a 200 with a body that is not JSON, a redirect to another host, an
answer slower than the read timeout, a host name that does not resolve (a
certificate that does not verify is in ``test_company_network``). The drain
that every sender and ``kedro telemetry flush`` run meets them in this process,
with its real ``requests`` session and backoff, over real outbox files.
Real processes and their detached senders meet an endpoint flapping under
twenty commands at once.

An event that the endpoint did not take stays in the outbox under the same
idempotency key and is delivered once the fault is gone; an event it took is
never posted again.
"""

from __future__ import annotations

import itertools
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kedro_telemetry.outbox.store import Outbox
from tests.support.heap_receiver import (
    Answer,
    HeapReceiver,
    accepted_in_order,
    assert_nothing_stored_twice,
    refusing_port,
)
from tests.support.kedro_env import run
from tests.support.outbox import drain_here, queue_records, queued_keys, stray_files
from tests.support.processes import QUEUE_ONE, Senders, flush, wait_until


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Outbox:
    """An outbox in this process; no proxy, so a request goes where its URL says."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)  # the default trust store
    return Outbox(tmp_path / "state" / "outbox")


def waiting(outbox: Outbox) -> list[str]:
    return queued_keys(outbox.directory.parent)


# Refused or unresolvable: the connection never gets going ------------


def test_a_refused_connection_keeps_the_event_until_the_endpoint_listens(
    outbox: Outbox,
) -> None:
    with refusing_port() as port:
        endpoint = f"http://127.0.0.1:{port}/api/track"
        backlog = queue_records(outbox, 1, endpoint)
        refused = drain_here(outbox, 2)
        assert (refused.sent, refused.left) == (0, 1)
        assert refused.problem == "network: ConnectionError"
        assert waiting(outbox) == backlog
    with HeapReceiver(port=port) as receiver:
        healed = drain_here(outbox, 30)
        assert (healed.sent, healed.left) == (1, 0)
        assert accepted_in_order(receiver) == backlog
        assert_nothing_stored_twice(receiver)
        assert receiver.violations == []


def test_a_host_name_that_does_not_resolve_fails_as_a_network_error_and_keeps_the_event(
    outbox: Outbox,
) -> None:
    backlog = queue_records(outbox, 1, "http://kedro-telemetry-test.invalid/api/track")
    # A lookup that hung would be cut by the deadline with the run's time spent.
    result = drain_here(outbox, 1)  # RFC 6761: .invalid never resolves
    assert (result.sent, result.left) == (0, 1)
    assert result.problem == "network: ConnectionError"
    assert waiting(outbox) == backlog


# The endpoint answers, but not as it should -----------------------------------


@pytest.mark.parametrize(
    "fault", ["reset", "cut"], ids=["reset-before-answer", "reset-mid-answer"]
)
def test_a_reset_connection_is_retried_and_the_event_stored_once(
    fault: str, outbox: Outbox, receiver: HeapReceiver
) -> None:
    receiver.answer(Answer(behaviour=fault), then=Answer())
    [key] = queue_records(outbox, 1, receiver.url)
    result = drain_here(outbox, 30)
    assert (result.sent, result.left) == (1, 0)
    assert receiver.request_count == 2  # the reset one, then one retry
    assert accepted_in_order(receiver) == [key]
    # Only the retry can have been answered in full.
    assert receiver.posted_keys[-1] == key


def test_a_200_with_a_garbage_body_counts_as_delivered_and_is_not_resent(
    outbox: Outbox, receiver: HeapReceiver
) -> None:
    receiver.answer(Answer(behaviour="garbage"), then=Answer())
    [first] = queue_records(outbox, 1, receiver.url)
    assert drain_here(outbox, 30).sent == 1
    assert waiting(outbox) == []

    [second] = queue_records(outbox, 1, receiver.url)
    assert drain_here(outbox, 30).sent == 1  # would pick up anything left behind
    assert receiver.posted_keys == [first, second]
    assert_nothing_stored_twice(receiver)


def test_a_redirect_to_another_host_is_not_followed_and_the_event_stays_queued(
    outbox: Outbox, receiver: HeapReceiver
) -> None:
    with HeapReceiver() as elsewhere:
        port = elsewhere.url.split(":")[2].split("/")[0]
        redirect = Answer(
            301, headers={"Location": f"http://localhost:{port}/api/track"}
        )
        receiver.answer(then=redirect)
        [key] = queue_records(outbox, 1, receiver.url)

        refused = drain_here(outbox, 5)
        assert (refused.sent, refused.left) == (0, 1)
        assert refused.problem == "HTTP 301"
        assert receiver.request_count == 1  # not retried in this run
        assert waiting(outbox) == [key]
        assert receiver.accepted == elsewhere.accepted == []

        receiver.answer(then=Answer())
        healed = drain_here(outbox, 30)
        assert (healed.sent, healed.left) == (1, 0)
        assert accepted_in_order(receiver) == [key]
        assert elsewhere.request_count == 0
        assert_nothing_stored_twice(receiver)


def test_an_answer_slower_than_the_read_timeout_is_retried_later_under_the_same_key(
    outbox: Outbox, receiver: HeapReceiver
) -> None:
    backlog = queue_records(outbox, 1, receiver.url)
    receiver.answer(Answer(behaviour="slow", seconds=1.5), then=Answer())
    impatient = drain_here(outbox, 0.5)  # its read timeout is what time is left
    assert (impatient.sent, impatient.left) == (0, 1)
    assert re.search(r"ReadTimeout|out of time", impatient.problem)
    assert waiting(outbox) == backlog

    later = drain_here(outbox, 30)
    assert (later.sent, later.left) == (1, 0)
    # The slow server did store its copy in the end: Heap keeps one per key.
    wait_until(lambda: len(receiver.requests) == 2, "the slow answer completed")
    assert receiver.posted_keys == backlog * 2
    assert accepted_in_order(receiver) == backlog
    assert waiting(outbox) == []


# Many commands against a flapping endpoint ------------------------------------


COMMANDS = 20


@pytest.mark.slow
def test_twenty_commands_against_a_flapping_endpoint_deliver_twenty_events_once(
    env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    """Twenty processes queue as a command does when it ends, five at a time.

    Without Kedro's start-up in each: what races is the senders they start,
    every answer of the cycle meeting several of them at the outbox.
    """
    flapping = [Answer(500), Answer(), Answer(behaviour="reset"), Answer()]
    script = itertools.islice(itertools.cycle(flapping), 200)
    receiver.answer(*script, then=Answer())
    keys = [f"flapping-{n:02d}" for n in range(COMMANDS)]
    home = Path(env["HOME"])

    def command(key: str) -> int:
        code = QUEUE_ONE + f"queue({key!r})"
        return run(
            [sys.executable, "-c", code], cwd=Path(env["HOME"]), env=env
        ).returncode

    with ThreadPoolExecutor(max_workers=5) as pool:
        assert list(pool.map(command, keys)) == [0] * COMMANDS

    for _ in range(10):
        if flush(home, env, timeout=30).left == 0:
            break
    senders.wait_until_gone()
    assert queued_keys(senders.state_dir) == []
    accepted = receiver.wait_for(COMMANDS)
    assert sorted(event["idempotency_key"] for event in accepted) == keys
    assert receiver.accepted == accepted  # settled above: nothing more comes
    assert_nothing_stored_twice(receiver)
    assert stray_files(senders.state_dir) == []
