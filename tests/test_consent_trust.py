"""Whose yes counts, end to end: a yes that came with ``git clone``, and a
machine-wide policy.

Real ``kedro`` commands in a real project that is a real git repository; the
decisions themselves are tested in-process in test_consent_sources.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.support.git_repos import commit_all, git, init_repository
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import kedro, state_dir_of
from tests.support.outbox import assert_nothing_sent
from tests.support.processes import settle
from tests.support.terminal import QUESTION, on_terminal


def answers_file(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "kedro" / "telemetry-projects.yml"


@pytest.fixture
def clone(project: Path, tmp_path: Path) -> Path:
    """A colleague's clone of a project whose author committed ``consent: true``."""
    (project / ".telemetry").write_text("consent: true\n")
    init_repository(project)
    commit_all(project, "the author's project, .telemetry included")
    destination = tmp_path / "colleague" / "spaceship-log"
    destination.parent.mkdir()
    git("clone", "--quiet", str(project), str(destination), cwd=destination.parent)
    shutil.rmtree(project / ".git")  # only the clone is a repository now
    return destination


@pytest.mark.slow
def test_a_yes_that_came_with_git_clone_sends_nothing(
    clone: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    result = kedro("info", cwd=clone, env=env)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr
    assert_nothing_sent(receiver, state_dir_of(env))
    report = kedro("telemetry", "status", cwd=clone, env=env).stdout
    assert "Usage data is not collected here (not decided yet)." in report
    assert "Not counted: the project's .telemetry" in report
    assert "git tracks it" in report


@pytest.mark.slow
def test_the_colleagues_own_yes_is_kept_outside_the_repository(
    clone: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    session = on_terminal("info", cwd=clone, env=env)
    session.expect_exact(QUESTION)
    asked = session.before.replace("\r\n", " ")
    assert "is tracked by git" in asked
    assert str(answers_file(env)) in asked
    session.sendline("y")
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0
    assert yaml.safe_load(answers_file(env).read_text()) == {str(clone): True}
    assert git("status", "--porcelain", cwd=clone) == ""  # no tracked file changed

    again = on_terminal("info", cwd=clone, env=env)  # not asked a second time
    again.expect(pexpect.EOF)
    assert QUESTION not in again.before
    settle(env)
    assert len(receiver.accepted) == 2

    disabled = kedro("telemetry", "disable", cwd=clone, env=env)
    assert "for you alone" in disabled.stdout
    assert yaml.safe_load(answers_file(env).read_text()) == {str(clone): False}
    assert git("status", "--porcelain", cwd=clone) == ""


@pytest.mark.slow
def test_a_tracked_no_is_honoured_with_the_usual_reminder(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    (project / ".telemetry").write_text("consent: false\n")
    init_repository(project)
    commit_all(project)
    result = kedro("info", cwd=project, env=env)
    assert "you have opted out" in result.stderr
    assert_nothing_sent(receiver, state_dir_of(env))


@pytest.mark.slow
def test_a_machine_policy_no_wins_silently_and_status_names_it(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    policy = Path(env["KEDRO_TELEMETRY_POLICY_FILE"])
    policy.parent.mkdir(parents=True)
    policy.write_text("consent: false\n")
    (project / ".telemetry").write_text("consent: true\n")
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr
    assert_nothing_sent(receiver, state_dir_of(env))
    report = kedro("telemetry", "status", cwd=project, env=env).stdout
    assert f"disabled by the machine-wide policy {policy}" in report

    policy.write_text("consent: true\n")
    (project / ".telemetry").unlink()
    report = kedro("telemetry", "status", cwd=project, env=env).stdout
    assert "not decided yet" in report
    assert "cannot consent for you, so it is ignored" in report
