"""Where nothing outlives the command (a container), the event is sent before it ends.

Each test runs the real command as PID 1 of its own PID namespace (``unshare
--pid --fork --mount-proc``, as ``docker run --rm`` does). When PID 1 exits the
kernel kills the rest of the namespace, and ``unshare`` returns only once all
of it is gone: so whatever the receiver holds when ``unshare`` returns was sent
by the command itself, and nothing more can arrive afterwards.

Timing (at most a second added, even when the endpoint never answers) belongs
to ``make bench``; these tests prove the behaviour.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kedro_telemetry import environment
from tests.support.baseline import assert_unchanged_by_plugin
from tests.support.heap_receiver import Answer, HeapReceiver
from tests.support.kedro_env import KEDRO_EXECUTABLE, kedro_without_hooks, run
from tests.support.namespaces import in_pid_namespace, pid_namespaces_unavailable
from tests.support.outbox import queued_keys
from tests.support.snippets import SESSION_RUN

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(pid_namespaces_unavailable()),
        reason=f"needs a PID namespace: {pid_namespaces_unavailable()}",
    ),
]

DETECTED = (
    "from kedro_telemetry.outbox.containers import ends_with_this_process; "
    "print(ends_with_this_process())"
)


def kedro_as_pid_1(
    *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run(in_pid_namespace([KEDRO_EXECUTABLE, *args]), cwd=cwd, env=env)


def test_kedro_info_as_pid_1_delivers_its_event_before_the_namespace_ends(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    state_dir: Path,
    baseline: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = kedro_as_pid_1("info", cwd=consented, env=env)

    assert_unchanged_by_plugin(result, baseline("info"))
    # No waiting here: everything in the namespace is gone by now.
    [event] = receiver.accepted
    assert event["event"] == "CLI command"
    assert event["properties"]["command"] == "kedro info"
    assert queued_keys(state_dir) == []


def test_a_session_run_as_pid_1_delivers_before_the_namespace_ends(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, state_dir: Path
) -> None:
    result = run(
        in_pid_namespace([sys.executable, "-c", SESSION_RUN]), cwd=consented, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("outputs: ")
    [event] = receiver.accepted
    assert event["event"] == "Kedro project run"
    assert event["properties"]["number_of_nodes"] > 0
    assert queued_keys(state_dir) == []


def test_an_endpoint_that_never_answers_leaves_the_command_as_it_was(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    state_dir: Path,
) -> None:
    receiver.answer(then=Answer(behaviour="hang"))
    # Its own baseline: stderr too must be Kedro's, in this very project.
    baseline = kedro_without_hooks("info", cwd=consented, env=env)
    result = kedro_as_pid_1("info", cwd=consented, env=env)

    assert_unchanged_by_plugin(result, baseline)
    assert result.stderr.strip() == baseline.stderr.strip()
    assert receiver.request_count >= 1, "the command never tried to send"
    assert receiver.accepted == []
    [_] = queued_keys(state_dir)  # kept for a later command to send


def test_the_wait_can_be_turned_off(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, state_dir: Path
) -> None:
    env[environment.NO_WAIT_VARIABLE] = "1"
    result = kedro_as_pid_1("info", cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    # As anywhere else, a detached sender was started; the namespace's end
    # killed it while it waited for the command to exit.
    assert receiver.accepted == []
    [_] = queued_keys(state_dir)


@pytest.mark.parametrize(
    ("init", "expected"),
    [
        ("", "True"),  # we are PID 1
        ("sh", "True"),  # PID 1 is a shell that runs us and then exits
        ("systemd", "False"),  # PID 1 is a system init that outlives us
    ],
)
def test_what_counts_as_a_container(
    init: str, expected: str, env: dict[str, str], tmp_path: Path
) -> None:
    probe = [sys.executable, "-c", DETECTED]
    if init:
        # A shell under the init's name: ``/proc/1/comm`` is what is read.
        named = tmp_path / init
        shutil.copy(shutil.which("sh") or "/bin/sh", named)
        # The trailing ``true`` keeps the shell from exec-ing the probe.
        probe = [str(named), "-c", f'"{sys.executable}" -c "{DETECTED}"; true']
    result = run(in_pid_namespace(probe), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_an_ordinary_process_is_not_in_a_container(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run([sys.executable, "-c", DETECTED], cwd=tmp_path, env=env)
    assert result.stdout.strip() == "False", result.stderr
