"""A crowd of commands starts about one sender; a long-lived process keeps no zombie.

Both tests drive real processes that queue events through the plugin's own
``deliver`` (what a ``kedro`` command does when it ends, without the second
of Kedro start-up per process), against the real local receiver. Senders are
counted in the log each one writes when it starts.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kedro_telemetry.outbox.store import Outbox
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import (
    Answer,
    HeapReceiver,
    assert_nothing_stored_twice,
)
from tests.support.kedro_env import run
from tests.support.outbox import queue_records, queued_keys, synthetic_record
from tests.support.processes import QUEUE_ONE, FlushResult, Senders, flush, wait_until

pytestmark = pytest.mark.slow

_STARTED = re.compile(r"sender \d+ started")

# One command of the crowd: it queues its event when told to, and lives on
# until told to exit, as a command still shutting down would.
CROWD_MEMBER = (
    QUEUE_ONE
    + """
import sys
import kedro_telemetry.outbox.wake  # ready: the imports are done
from kedro_telemetry.outbox.lock import SenderLock
SenderLock.CAN_HAND_DOWN = sys.argv[2] == "hand-down"  # False: as on Windows
print("ready", flush=True)
sys.stdin.readline()
queue(sys.argv[1])
print("queued", flush=True)
sys.stdin.readline()
"""
)

# A notebook-like process: three rounds of five events, each round waiting
# until its events are sent; then it lists the children it still has. A child
# that exited but was never waited for is still listed, as a zombie.
LONG_LIVED = (
    QUEUE_ONE
    + """
import gc, os, pathlib, time

def children():
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == os.getpid():
            found.append(f"{entry.name}:{fields[0]}")  # pid:state (Z = zombie)
    return found

outbox = pathlib.Path(os.environ["XDG_STATE_HOME"], "kedro-telemetry", "outbox")
for round_number in range(3):
    for index in range(5):
        queue(f"key-{round_number}-{index}")
    deadline = time.monotonic() + 30  # three rounds stay within run()'s 180 s
    while (children() or list(outbox.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("children left:", children(), flush=True)
gc.collect()
"""
)


def senders_started(senders: Senders) -> int:
    """How many senders started for this test, from the line each one logs."""
    log = senders.state_dir / "sender.log"
    return len(_STARTED.findall(log.read_text())) if log.exists() else 0


@pytest.mark.parametrize("lock", ["hand-down", "no-hand-down"])
def test_a_crowd_of_twenty_commands_starts_one_sender_and_delivers_every_event(
    lock: str, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    """``no-hand-down`` plays Windows, where the sender takes the lock itself."""
    keys = [f"crowd-{n:02d}" for n in range(20)]
    crowd = [
        subprocess.Popen(
            [sys.executable, "-c", CROWD_MEMBER, key, lock],
            cwd=Path(env["HOME"]),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for key in keys
    ]
    try:
        for member in crowd:
            assert member.stdout is not None and member.stdout.readline() == "ready\n"
        for member in crowd:  # all at once, as a scheduler would start them
            assert member.stdin is not None
            member.stdin.write("go\n")
            member.stdin.flush()
        for member in crowd:
            assert member.stdout is not None
            assert member.stdout.readline() == "queued\n"
    finally:
        for member in crowd:
            assert member.stdin is not None
            member.stdin.close()
            member.wait(timeout=60)
            assert member.stdout is not None
            member.stdout.close()

    receiver.wait_for(20, seconds=120)
    senders.wait_until_gone()
    assert sorted(event["idempotency_key"] for event in receiver.accepted) == keys
    assert_nothing_stored_twice(receiver)
    assert queued_keys(senders.state_dir) == []
    if lock == "no-hand-down":
        # Each command probes the lock and releases it before its sender
        # starts, so most start one; every extra sender finds the lock taken
        # and leaves, and the events still arrive once each.
        assert 1 <= senders_started(senders) <= 20
        return
    # The first command hands the lock to its sender, which holds it while it
    # waits for that command to exit (the test keeps every command alive until
    # all have queued): the other nineteen find it taken and start none. A
    # second sender can only start if that wait ran out (5 s) on a very slow
    # machine before the last command queued; 0.9.x-style, it would be twenty.
    assert 1 <= senders_started(senders) <= 2


def test_a_long_lived_process_keeps_no_zombie_sender_and_no_resource_warning(
    env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    result = run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", LONG_LIVED],
        cwd=Path(env["HOME"]),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["children left: []"] * 3, result.stdout
    assert "ResourceWarning" not in result.stderr, result.stderr
    assert len(receiver.accepted) == 15
    assert_nothing_stored_twice(receiver)
    # One sender per round, each waited for by the process that started it.
    assert senders_started(senders) == 3
    wait_until(lambda: not senders.pids(), "every sender has exited")


def test_a_process_that_exits_right_after_queuing_still_starts_its_sender(
    env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    """The sender starts from a thread the interpreter does not wait for.

    Only the exit wait makes it finish: each process here ends on the very
    line that queues, with none of Kedro's teardown to give the thread time.
    Each finds the previous sender gone, so each must start its own.
    """
    for index in range(3):
        result = run(
            [sys.executable, "-c", QUEUE_ONE + f"queue('exit-{index}')"],
            cwd=Path(env["HOME"]),
            env=env,
        )
        assert result.returncode == 0, result.stderr
        wait_until(lambda: not senders.pids(), "the sender has exited")
        assert queued_keys(senders.state_dir) == [], f"round {index}: still queued"
    assert sorted(e["idempotency_key"] for e in receiver.accepted) == [
        "exit-0",
        "exit-1",
        "exit-2",
    ]
    assert senders_started(senders) == 3


def test_an_event_queued_while_a_flush_holds_the_outbox_is_sent_after_it(
    project: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    senders: Senders,
) -> None:
    """A command that finds the lock taken starts no sender: the holder must look.

    Here the holder is a flush whose only request hangs past its timeout. The
    second event is queued while it holds the lock, as a command that found
    the lock taken would leave it; once the flush lets go, it must wake a
    sender for it.
    """
    give_consent(project)
    # Queued as a command would have left it, with no sender for it.
    [first] = queue_records(Outbox(senders.state_dir / "outbox"), 1, receiver.url)
    receiver.answer(Answer(behaviour="slow"), then=Answer())
    done: list[FlushResult] = []
    flushing = threading.Thread(
        target=lambda: done.append(flush(project, env, timeout=3))
    )
    flushing.start()
    wait_until(lambda: receiver.request_count >= 1, "the flush posted")
    assert senders.lock_is_held()
    record = synthetic_record(receiver.url)
    record["event"]["idempotency_key"] = "queued-during-the-flush"
    Outbox(senders.state_dir / "outbox").put(record)
    flushing.join(timeout=120)
    [result] = done
    assert result.sent == 0 and result.left >= 1

    wait_until(
        lambda: "queued-during-the-flush" in receiver.accepted_keys(),
        "the event queued during the flush arrived",
        60,
    )
    assert receiver.accepted_keys() == {first, "queued-during-the-flush"}
    senders.wait_until_gone()
    assert queued_keys(senders.state_dir) == []
    assert senders_started(senders) == 1  # woken by the flush
