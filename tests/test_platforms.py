"""What the detached start looks like on each platform, given as a parameter.

The start itself runs only on this machine's platform (Linux here); the
options it would use elsewhere are checked as data.
"""

from __future__ import annotations

import subprocess

import pytest

from kedro_telemetry.outbox.containers import ends_with_this_process
from kedro_telemetry.outbox.wake import SENDER_MODULE, sender_invocation


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_on_posix_a_detached_sender_gets_its_own_session_and_the_lock(
    platform: str,
) -> None:
    command, options = sender_invocation(
        lock_descriptor=7, detached=True, parent_pid=42, platform=platform
    )
    assert command[1:] == ["-m", SENDER_MODULE, "--after", "42", "--lock-fd", "7"]
    assert options["start_new_session"] is True
    assert options["pass_fds"] == (7,)
    assert "creationflags" not in options
    assert options["close_fds"] is True
    assert {options[name] for name in ("stdin", "stdout", "stderr")} == {
        subprocess.DEVNULL
    }


def test_on_windows_the_sender_takes_the_lock_itself_and_no_posix_option() -> None:
    """``Popen`` refuses ``pass_fds`` and ``start_new_session`` on Windows."""
    command, options = sender_invocation(
        lock_descriptor=None, detached=True, parent_pid=42, platform="win32"
    )
    assert command[1:] == ["-m", SENDER_MODULE, "--after", "42"]
    assert "start_new_session" not in options and "pass_fds" not in options


def test_in_a_container_the_sender_works_at_once_in_our_session() -> None:
    command, options = sender_invocation(
        lock_descriptor=7, detached=False, parent_pid=42, platform="linux"
    )
    assert "--after" not in command and "--no-idle" in command
    assert options["start_new_session"] is False


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_only_linux_has_throwaway_containers(platform: str) -> None:
    assert ends_with_this_process(platform) is False
