"""Events get to Heap once each, late if need be, and never hold up a command.

Real ``kedro`` processes against the real local receiver, reading the real
outbox, lock and log the plugin leaves on disk. They prove that:

- events queued while the endpoint is down wait in the outbox and are all
  delivered, each stored once, when it is back (by a sender, the next command
  or ``kedro telemetry flush``);
- a 400 is dropped with its reason (and not its content) in ``sender.log``;
- a ``kedro info | cat`` pipeline and ``flush --timeout`` return while a
  sender still waits on an endpoint that never answers;
- commands running side by side each queue and deliver their own event.

The retry rules and the caps, in this process: test_drain.py and
test_outbox.py. Waiting is by polling with generous ceilings; no test asserts
an upper bound on how long anything took.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kedro_telemetry.collect import machine
from kedro_telemetry.collect.event import sha256_hex
from kedro_telemetry.outbox.store import Outbox
from tests.support.heap_receiver import (
    Answer,
    HeapReceiver,
    accepted_in_order,
    assert_delivered_exactly,
    refusing_port,
)
from tests.support.kedro_env import KEDRO_EXECUTABLE, PACKAGE, PROJECT_NAME, kedro
from tests.support.outbox import queue_records, queued_keys, stray_files
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


def wait_until_outbox_empty(state_dir: Path) -> None:
    wait_until(lambda: queued_keys(state_dir) == [], "the outbox is empty", 60)


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
        [latest] = set(accepted_in_order(receiver)) - set(during_outage)
        assert_delivered_exactly(receiver, [*during_outage, latest])
        assert receiver.violations == []


# Answers that mean "later" or "never" -----------------------------------------


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
    keys = accepted_in_order(receiver)
    assert len(keys) == 3
    assert_delivered_exactly(receiver, keys)
    assert len(receiver.posted_keys) == 3  # every answer was 200: nothing re-posted
    commands = {event["properties"]["command"] for event in receiver.accepted}
    assert commands == {"kedro info"}
    assert os.listdir(state_dir / "outbox") == []
    assert stray_files(state_dir) == []
