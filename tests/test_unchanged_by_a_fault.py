"""A failure inside the plugin never changes the ``kedro`` command it watches.

Each internal step is made to raise ``RuntimeError`` in turn, inside a real
``kedro`` process in a consented project (``tests/support/kedro_with_fault.py``
patches the step, then calls Kedro's own ``main``). The command must keep the
baseline's exit code and stdout (the same command with the plugin's hooks
blocked), print no traceback, and the step must really have been reached, or
the test would prove nothing. Session runs without the CLI get the same
treatment for the steps of the project hooks. Bad input, the same way:
test_unchanged_by_bad_input.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.baseline import (
    Result,
    assert_unchanged_by_plugin,
    kedro_with_fault,
    python_with_fault,
)
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import state_dir_of
from tests.support.outbox import assert_nothing_sent, outbox_entries
from tests.support.snippets import SESSION_RUN

pytestmark = pytest.mark.slow  # every test runs a real kedro


# A failing step --------------------------------------------------------------


# What reaches Heap when the step fails: never more than with no fault, and
# nothing at all when consent itself cannot be known.
NOTHING = "nothing sent or queued"
QUEUED = "queued, not sent"
MASKED = "sent, every argument masked"
NO_STATISTICS = "sent without statistics"
STEPS = {
    "kedro_telemetry.consent:decide": NOTHING,
    "kedro_telemetry.collect.masking:running_cli": MASKED,
    "kedro_telemetry.collect.masking:mask_command": NOTHING,
    "kedro_telemetry.collect.event:build_event": NOTHING,
    "kedro_telemetry.collect.counts:count_properties": NO_STATISTICS,
    "kedro_telemetry.outbox.store:Outbox.put": NOTHING,
    "kedro_telemetry.outbox.wake:start_sender": QUEUED,
}


def short(step: str) -> str:
    return step.removeprefix("kedro_telemetry.")


def check_what_was_sent(
    outcome: str, receiver: HeapReceiver, state_dir: Path, command: str
) -> None:
    queued = [name for name in outbox_entries(state_dir) if name.endswith(".json")]
    if outcome in (NOTHING, QUEUED):
        # The outbox first: an event leaves it only after the receiver has it.
        assert len(queued) == (1 if outcome == QUEUED else 0)
        assert receiver.requests == []
        return
    [event] = receiver.wait_for(1)
    properties = event["properties"]
    assert event["event"] == "CLI command"
    if outcome == MASKED:
        assert properties["command"] == "kedro *****"
    else:
        assert properties["command"] == f"kedro {command}"
        assert "number_of_datasets" not in properties


# Each step under ``kedro run``: it reaches them all (``kedro info`` builds no
# catalog), in the same CLI hooks as any other command.
CASES = [("run", step) for step in STEPS]


@pytest.mark.parametrize(
    ("command", "step"), CASES, ids=[f"{c}-{short(s)}" for c, s in CASES]
)
def test_a_failing_step_leaves_the_command_unchanged(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    tmp_path: Path,
    baseline: Callable[[str], Result],
    *,
    command: str,
    step: str,
) -> None:
    marker = tmp_path / "reached"
    result = kedro_with_fault("fail", marker, [step], command, cwd=consented, env=env)

    assert marker.read_text().split() == [step], "the fault was never triggered"
    assert_unchanged_by_plugin(result, baseline(command))
    assert "RuntimeError" not in result.stderr
    check_what_was_sent(STEPS[step], receiver, state_dir_of(env), command)


# The first step of the project hooks, one in the middle and the last: a
# session run has one way of containing a failure, whatever the step.
SESSION_STEPS = (
    "kedro_telemetry.consent:decide",
    "kedro_telemetry.collect.project:metadata_at",
    "kedro_telemetry.outbox.store:Outbox.put",
)


@pytest.mark.parametrize("step", SESSION_STEPS, ids=short)
def test_a_failing_step_leaves_a_session_run_unchanged(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    tmp_path: Path,
    step: str,
) -> None:
    marker = tmp_path / "reached"
    result = python_with_fault(
        "fail", marker, [step], SESSION_RUN, cwd=consented, env=env
    )

    assert marker.read_text().split() == [step], "the fault was never triggered"
    assert result.returncode == 0, result.stderr
    assert "outputs: ['halved', 'report', 'shifted']" in result.stdout
    assert "Traceback" not in result.stderr
    # A session's event leaves only once it is complete: any fault costs it.
    assert_nothing_sent(receiver, state_dir_of(env))


def test_debug_mode_shows_the_whole_exception_of_a_failing_hook(
    consented: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """Without debug mode the checks above prove that nothing of this is shown."""
    step = "kedro_telemetry.collect.masking:mask_command"
    marker = tmp_path / "reached"
    debug = {**env, "KEDRO_TELEMETRY_DEBUG": "1"}
    result = kedro_with_fault("fail", marker, [step], "info", cwd=consented, env=debug)
    assert marker.read_text().split() == [step], "the fault was never triggered"
    assert result.returncode == 0, result.stderr
    assert "kedro-telemetry: after_command_run skipped" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert f"RuntimeError: injected fault in {step}" in result.stderr
