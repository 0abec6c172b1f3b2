"""The sender lock passes to a child process with no moment where nobody holds it.

A command that finds the lock free takes it and hands it to the sender it
starts (the child inherits the descriptor). These tests use real processes
and the real lock file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kedro_telemetry.outbox.lock import SenderLock

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not SenderLock.CAN_HAND_DOWN, reason="Windows locks cannot be handed down"
    ),
]

# Adopts the descriptor named on the command line, says whether that worked,
# and holds the lock until its stdin closes.
CHILD = """
import sys
from pathlib import Path
from kedro_telemetry.outbox.lock import SenderLock
lock = SenderLock(Path(sys.argv[1]))
print(lock.adopt(int(sys.argv[2])), flush=True)
sys.stdin.read()
"""


def held_by_someone(path: Path) -> bool:
    probe = SenderLock(path)
    if probe.acquire():
        probe.release()
        return False
    return True


def start_child(path: Path, descriptor: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(descriptor)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        pass_fds=(descriptor,),
    )


def finish(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.close()
    assert child.wait(timeout=60) == 0
    child.stdout.close()


def test_a_child_keeps_the_lock_its_parent_handed_down(tmp_path: Path) -> None:
    path = tmp_path / "sender.lock"
    lock = SenderLock(path)
    assert lock.acquire()
    descriptor = lock.descriptor()
    assert descriptor is not None
    child = start_child(path, descriptor)
    lock.release()  # the parent lets go of its copy at once
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "True"
    assert held_by_someone(path)  # by the child alone now
    finish(child)
    assert not held_by_someone(path)


def test_a_descriptor_of_another_file_is_not_adopted(tmp_path: Path) -> None:
    path = tmp_path / "sender.lock"
    path.touch()
    other = os.open(tmp_path / "other", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        child = start_child(path, other)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "False"
        assert not held_by_someone(path)
        finish(child)
    finally:
        os.close(other)
