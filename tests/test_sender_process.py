"""The detached sender: it waits for its command to exit, then serves a session.

Importing ``requests`` costs the sender a quarter of a second of CPU; started
while Kedro is still shutting down, it would compete with Kedro for the cores.
Once at work, one sender serves a working session, asleep between commands:
real ``kedro`` commands, the real detached sender, a real receiver; the idle
time is shortened through its variable so that the tests do not wait a minute.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kedro_telemetry import environment
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import (
    Answer,
    HeapReceiver,
    assert_nothing_stored_twice,
)
from tests.support.kedro_env import kedro, modules_at_exit, python_process
from tests.support.processes import QUEUE_ONE, Senders, wait_until

pytestmark = pytest.mark.slow

PARENT = (
    QUEUE_ONE
    + """
import sys
queue("k-1")
print("queued", flush=True)
sys.stdin.readline()  # live until the test says so
"""
)


def test_the_sender_starts_work_only_once_its_parent_has_exited(
    env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    parent = python_process(PARENT, cwd=tmp_path, env=env)
    assert parent.stdout is not None and parent.stdin is not None
    assert parent.stdout.readline().strip() == "queued"
    assert receiver.wait_for(1, seconds=1.5) == []  # the parent still runs

    parent.stdin.close()
    assert parent.wait(timeout=60) == 0
    [event] = receiver.wait_for(1, seconds=30)
    assert event["idempotency_key"] == "k-1"
    assert datetime.fromisoformat(event["timestamp"]) <= datetime.now(timezone.utc)


def test_flush_takes_over_from_a_sender_that_is_backing_off(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    receiver.answer(Answer(429, headers={"Retry-After": "50"}), then=Answer())
    assert kedro("info", cwd=project, env=env).returncode == 0
    # The background sender got its 429 and now rests for 50 seconds...
    wait_until(lambda: bool(receiver.posted_keys), "the background sender posted")
    # ...but a person waiting on flush does not have to wait for it.
    result = kedro("telemetry", "flush", "--timeout", "20", cwd=project, env=env)
    assert "Sent 1 event(s); 0 left in the outbox." in result.stdout, result.stdout
    assert len(receiver.accepted) == 1


def test_the_foreground_never_imports_the_sending_path(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    result, modules = modules_at_exit("info", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert modules & {"requests", "urllib3"} == set()
    assert [name for name in modules if name.startswith("kedro_telemetry.sender")] == []
    assert "kedro_telemetry.tracker" in modules
    assert len(receiver.wait_for(1)) == 1  # the command was really reported


# A session of commands ---------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def test_a_session_of_commands_is_served_by_one_sender_that_sleeps_between_them(
    project: Path, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    give_consent(project)
    env[environment.SENDER_IDLE_VARIABLE] = "30"
    seen: set[int] = set()
    for count in range(1, 4):
        assert kedro("info", cwd=project, env=env).returncode == 0
        receiver.wait_for(count, seconds=30)
        seen |= senders.pids()
        time.sleep(0.5)
    assert len(receiver.accepted) == 3
    assert_nothing_stored_twice(receiver)
    [sender] = seen  # one sender for the three commands, still waiting
    assert senders.pids() == {sender}

    before = cpu_seconds(sender)
    time.sleep(3.0)
    assert cpu_seconds(sender) - before <= 0.03  # asleep: at most 1 % of its wait


def test_a_sender_leaves_once_its_idle_time_is_over(
    project: Path, env: dict[str, str], receiver: HeapReceiver, senders: Senders
) -> None:
    give_consent(project)
    env[environment.SENDER_IDLE_VARIABLE] = "3"
    assert kedro("info", cwd=project, env=env).returncode == 0
    receiver.wait_for(1, seconds=30)
    assert senders.pids(), "the sender left at once instead of waiting"
    senders.wait_until_gone(seconds=3 + 10)
