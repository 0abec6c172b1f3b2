"""One background sender serves a working session, asleep between commands.

Real ``kedro`` commands, the real detached sender, a real receiver; the idle
time is shortened through its variable so that the tests do not wait a minute.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kedro_telemetry import environment
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver, assert_nothing_stored_twice
from tests.support.kedro_env import kedro
from tests.support.processes import Senders

pytestmark = pytest.mark.slow

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
