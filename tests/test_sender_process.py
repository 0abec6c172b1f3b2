"""The detached sender waits for the command that started it to exit.

Importing ``requests`` costs the sender a quarter of a second of CPU; started
while Kedro is still shutting down, it would compete with Kedro for the cores.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.consent_files import give_consent
from tests.support.heap_receiver import Answer, HeapReceiver
from tests.support.kedro_env import kedro, modules_at_exit, python_process
from tests.support.processes import QUEUE_ONE, wait_until

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
