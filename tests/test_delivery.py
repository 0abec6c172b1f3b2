"""Events get to Heap once each, late if need be, and never hold up a command.

The end-to-end tests drive real ``kedro`` processes against the real local
receiver and read the real outbox, lock and log the plugin leaves on disk; the
retry rules and the caps are checked in this process, by the drain every
sender and flush runs, over real HTTP and real files. They prove that:

- events queued while the endpoint is down wait in the outbox and are all
  delivered, each stored once, when it is back (by a sender, the next command
  or ``kedro telemetry flush``);
- a 500 is retried under the same key (``Retry-After`` and the other answers
  are in ``test_sender_paths``), a 400 is dropped with its reason (and not its
  content) in ``sender.log``;
- a ``kedro info | cat`` pipeline and ``flush --timeout`` return while a
  sender still waits on an endpoint that never answers;
- commands running side by side each queue and deliver their own event;
- the outbox is capped: ``Outbox.trim`` drops the oldest records, and the
  sender applies the caps before it posts.

Waiting is by polling with generous ceilings; no test asserts an upper bound
on how long anything took.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kedro_telemetry.collect import machine
from kedro_telemetry.collect.event import sha256_hex
from kedro_telemetry.files import FileTooLargeError
from kedro_telemetry.outbox import store
from kedro_telemetry.outbox.store import MAX_BYTES, Outbox
from tests.support.heap_receiver import (
    Answer,
    HeapReceiver,
    assert_nothing_stored_twice,
    refusing_port,
)
from tests.support.kedro_env import KEDRO_EXECUTABLE, PACKAGE, PROJECT_NAME, kedro
from tests.support.outbox import (
    drain_here,
    queue_records,
    queued_keys,
    stray_files,
    synthetic_record,
)
from tests.support.processes import (
    Senders,
    flush,
    max_overlap,
    run_in_parallel,
    wait_until,
)


def run_info(project: Path, env: dict[str, str], timeout: float = 180) -> None:
    result = kedro("info", cwd=project, env=env, timeout=timeout)
    assert result.returncode == 0, result.stderr


def accepted_keys(receiver: HeapReceiver) -> list[str]:
    return [event["idempotency_key"] for event in receiver.accepted]


def wait_until_outbox_empty(state_dir: Path) -> None:
    wait_until(lambda: queued_keys(state_dir) == [], "the outbox is empty", 60)


def assert_delivered_exactly(receiver: HeapReceiver, keys: list[str]) -> None:
    """``keys`` and nothing else were stored, each once."""
    assert sorted(accepted_keys(receiver)) == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert_nothing_stored_twice(receiver)


# Outage, then recovery --------------------------------------------------------


@pytest.mark.slow
def test_events_queued_during_an_outage_all_arrive_once_it_ends(
    consented: Path, env: dict[str, str], senders: Senders
) -> None:
    state_dir = senders.state_dir
    with refusing_port() as port:
        env["KEDRO_TELEMETRY_ENDPOINT"] = f"http://127.0.0.1:{port}/api/track"
        run_info(consented, env)
        during_outage = queued_keys(state_dir)
        assert len(during_outage) == 1
        # A sender is still at it, backing off, with every event kept.
        assert senders.pids()
    with HeapReceiver(port=port) as receiver:
        run_info(consented, env)
        receiver.wait_for(2, seconds=90)
        wait_until_outbox_empty(state_dir)
        senders.wait_until_gone()
        [latest] = set(accepted_keys(receiver)) - set(during_outage)
        assert_delivered_exactly(receiver, [*during_outage, latest])
        assert receiver.violations == []


# Answers that mean "later" or "never" -----------------------------------------


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


@pytest.mark.slow
def test_a_400_drops_the_event_and_logs_why_but_not_what(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    receiver.answer(Answer(400), then=Answer())
    run_info(consented, env)
    state_dir = senders.state_dir
    log = state_dir / "sender.log"
    wait_until(lambda: log.exists() and "rejected" in log.read_text(), "it is logged")
    senders.wait_until_gone()

    [key] = receiver.posted_keys  # posted once, never retried
    assert receiver.accepted == []
    assert queued_keys(state_dir) == []
    text = log.read_text()
    assert key in text
    assert "HTTP 400" in text and "scripted failure" in text
    payload_values = [
        machine.host_identity(),
        sha256_hex(PACKAGE),
        sha256_hex(PROJECT_NAME),
        "kedro info",
        "CLI command",
    ]
    assert [value for value in payload_values if value in text] == []


# An endpoint that never answers -----------------------------------------------


@pytest.mark.slow
def test_flush_with_a_short_timeout_gives_up_on_a_silent_endpoint_and_keeps_the_events(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    """Then a flush delivers the backlog, oldest first."""
    state_dir = senders.state_dir
    # Queued as commands would have left them, with no sender for them.
    backlog = queue_records(Outbox(state_dir / "outbox"), 2, receiver.url)
    receiver.answer(then=Answer(behaviour="hang"))
    stuck = flush(consented, env, timeout=2)
    assert (stuck.sent, stuck.left) == (0, 2)
    assert "Last problem:" in stuck.output
    assert receiver.request_count >= 1  # it did try
    assert queued_keys(state_dir) == backlog

    receiver.answer(then=Answer())
    healed = flush(consented, env, timeout=60)
    assert (healed.sent, healed.left) == (2, 0)
    assert receiver.posted_keys == backlog  # oldest first
    assert_delivered_exactly(receiver, backlog)


@pytest.mark.slow
def test_a_piped_command_ends_while_its_sender_still_waits(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    """The command, and ``| cat`` after it, end; the sender holds on to the lock."""
    receiver.answer(then=Answer(behaviour="hang"))
    pipeline = subprocess.run(
        ["sh", "-c", f'"{KEDRO_EXECUTABLE}" info | cat'],
        cwd=consented,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=45,  # below the sender's 60 s: a pipe held open by it fails here
        check=False,
    )
    alive_when_the_pipeline_ended = senders.pids()
    assert pipeline.returncode == 0, pipeline.stderr
    assert "kedro_telemetry" in pipeline.stdout  # cat did pass the output through
    assert alive_when_the_pipeline_ended, "the sender was gone before the pipe closed"

    wait_until(lambda: receiver.request_count >= 1, "the sender posted")
    assert senders.lock_is_held()
    assert alive_when_the_pipeline_ended & senders.pids()
    [key] = queued_keys(senders.state_dir)

    busy = flush(consented, env, timeout=2)
    assert (busy.sent, busy.left) == (0, 1)
    assert "another sender kept the outbox busy" in busy.output
    assert queued_keys(senders.state_dir) == [key]
    assert receiver.accepted == []


# Commands side by side --------------------------------------------------------


@pytest.mark.slow
def test_commands_side_by_side_deliver_one_distinct_event_each(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    state_dir = senders.state_dir
    # The flapping-endpoint test in test_endpoint_faults races twenty senders;
    # three commands, all at once, are enough here to have commands overlap.
    runs = run_in_parallel(3, 3, consented, env, "info")
    assert [run.result.returncode for run in runs] == [0] * 3
    assert max_overlap(runs) >= 2, "the commands did not run side by side"

    receiver.wait_for(3, seconds=120)
    wait_until_outbox_empty(state_dir)
    senders.wait_until_gone()
    keys = accepted_keys(receiver)
    assert len(keys) == 3
    assert_delivered_exactly(receiver, keys)
    assert len(receiver.posted_keys) == 3  # every answer was 200: nothing re-posted
    commands = {event["properties"]["command"] for event in receiver.accepted}
    assert commands == {"kedro info"}
    assert os.listdir(state_dir / "outbox") == []
    assert stray_files(state_dir) == []


# The outbox cap ---------------------------------------------------------------


UNUSED = "http://127.0.0.1:9/unused"


def test_trim_leaves_an_outbox_within_bounds_and_temporaries_alone(
    tmp_path: Path,
) -> None:
    keys = queue_records(Outbox(tmp_path / "outbox"), 3, UNUSED)
    temporary = tmp_path / "outbox" / ".tmp-00000000000000000000-abc.json-1-ff"
    temporary.write_bytes(b"x" * 10_000)
    exact = sum(path.stat().st_size for path in Outbox(tmp_path / "outbox").files())
    outbox = Outbox(tmp_path / "outbox", max_events=3, max_bytes=exact)
    assert outbox.trim() == 0
    assert [
        entry.event["idempotency_key"]
        for entry in outbox.read(100, remove_corrupt=True)
    ] == keys
    assert temporary.exists()


def test_put_keeps_a_full_outbox_at_the_event_cap(tmp_path: Path) -> None:
    """No sender needed: queueing itself makes room by dropping the oldest."""
    directory = tmp_path / "outbox"
    keys = queue_records(Outbox(directory), 50, UNUSED)
    newest = synthetic_record(UNUSED)
    Outbox(directory, max_events=50).put(newest)
    queued = [entry.event["idempotency_key"] for entry in Outbox(directory).read(100)]
    assert queued == [*keys[1:], newest["event"]["idempotency_key"]]


def test_put_keeps_the_outbox_under_the_byte_cap(tmp_path: Path) -> None:
    directory = tmp_path / "outbox"
    keys = queue_records(Outbox(directory), 30, UNUSED, padding=200)
    newest = synthetic_record(UNUSED, 200)
    Outbox(directory).put(newest)
    sizes = [path.stat().st_size for path in directory.iterdir()]
    assert sum(sizes) <= MAX_BYTES < sum(sizes) + max(sizes)  # no more than due
    queued = [entry.event["idempotency_key"] for entry in Outbox(directory).read(100)]
    assert queued == [*keys[-(len(sizes) - 1) :], newest["event"]["idempotency_key"]]


def test_put_refuses_an_event_no_reader_would_accept(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    with pytest.raises(FileTooLargeError):
        outbox.put(synthetic_record(UNUSED, padding=300))
    assert outbox.files() == []


@pytest.mark.parametrize("code", [errno.EMFILE, errno.EIO, errno.EACCES])
def test_a_passing_read_error_never_costs_an_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """The operating system fails the read once (the far edge); the event stays."""
    outbox = Outbox(tmp_path / "outbox")
    [first, second] = queue_records(outbox, 2, UNUSED)
    failing = outbox.files()[0]
    real_open = os.open

    def open_failing_once(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path) == failing:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", open_failing_once)
        taken = outbox.read(100, remove_corrupt=True)
    assert [entry.event["idempotency_key"] for entry in taken] == [second]
    assert failing.exists()
    # This reader counts it no more (a sender must not loop on it); others do.
    assert (outbox.count(), Outbox(outbox.directory).count()) == (1, 2)
    assert [
        entry.event["idempotency_key"]
        for entry in outbox.read(100, remove_corrupt=True)
    ] == [
        first,
        second,
    ]
    assert outbox.count() == 2  # read at last: counted again


def test_a_reader_that_lives_on_tries_an_unreadable_file_again_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender serving a whole session leaves such a file alone only a while."""
    monkeypatch.setattr(store, "_UNREADABLE_SECONDS", 0.05)
    outbox = Outbox(tmp_path / "outbox")
    queue_records(outbox, 1, UNUSED)
    [failing] = outbox.files()
    real_open = os.open

    def refused(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path) == failing:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    assert outbox.read(100, remove_corrupt=True) == []
    assert outbox.count() == 0
    time.sleep(0.1)
    assert outbox.count() == 1  # its time is up: the next pass reads it again


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
