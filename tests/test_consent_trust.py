"""Whose yes counts, end to end: a yes that came with ``git clone``, and a
machine-wide policy.

Real ``kedro`` commands in a real project that is a real git repository; the
decisions themselves are tested in-process in test_consent_sources.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.support.baseline import Result
from tests.support.consent_files import give_consent, write_consent
from tests.support.git_repos import commit_all, git, init_repository
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import isolated_environment, kedro, state_dir_of
from tests.support.outbox import assert_nothing_sent, outbox_entries
from tests.support.processes import settle
from tests.support.restrictions import UidRunner, room_for_another_uid
from tests.support.terminal import QUESTION, on_terminal


def answers_file(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "kedro" / "telemetry-projects.yml"


@pytest.fixture
def clone(project: Path, tmp_path: Path) -> Path:
    """A colleague's clone of a project whose author committed ``consent: true``."""
    give_consent(project)
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
    assert "git tracks it" in asked
    assert str(answers_file(env)) in asked
    session.sendline("y")
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0
    assert yaml.safe_load(answers_file(env).read_text()) == {
        str(clone): {"consent": True, "version": 1}
    }
    assert git("status", "--porcelain", cwd=clone) == ""  # no tracked file changed

    again = on_terminal("info", cwd=clone, env=env)  # not asked a second time
    again.expect(pexpect.EOF)
    assert QUESTION not in again.before
    settle(env)
    assert len(receiver.accepted) == 2

    disabled = kedro("telemetry", "disable", cwd=clone, env=env)
    assert "for you alone" in disabled.stdout
    assert yaml.safe_load(answers_file(env).read_text()) == {
        str(clone): {"consent": False}
    }
    assert git("status", "--porcelain", cwd=clone) == ""


@pytest.mark.slow
def test_a_machine_policy_no_wins_silently_and_status_names_it(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    policy = write_consent(Path(env["KEDRO_TELEMETRY_POLICY_FILE"]), False)
    give_consent(project)
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr
    assert_nothing_sent(receiver, state_dir_of(env))
    report = kedro("telemetry", "status", cwd=project, env=env).stdout
    assert f"disabled by the machine-wide policy {policy}" in report

    write_consent(policy, True)
    (project / ".telemetry").unlink()
    report = kedro("telemetry", "status", cwd=project, env=env).stdout
    assert "not decided yet" in report
    assert "cannot consent for you, so it is ignored" in report


# Two people, one project directory (a team server, a JupyterHub volume) ----------


@dataclass
class SharedDirectory:
    """One project that two real users work in, each with a home of their own.

    Alice is this process's user (root) and owns the project's files; Bob is
    another uid. Bob cannot start this environment's interpreter again for a
    detached sender, so what he queues is delivered by a flush with his env.
    """

    project: Path
    alice: dict[str, str]
    bob: dict[str, str]
    runner: UidRunner

    def as_bob(self, *args: str) -> Result:
        return self.runner.kedro(*args, cwd=self.project, env=self.bob)

    def deliver_bobs(self) -> None:
        flushed = kedro(
            "telemetry", "flush", "--timeout", "10", cwd=self.project, env=self.bob
        )
        assert flushed.returncode == 0, flushed.stderr


@pytest.fixture
def shared(project_template: Path, receiver: HeapReceiver) -> Iterator[SharedDirectory]:
    with room_for_another_uid("kedro-telemetry-shared-") as (runner, root):
        project = shutil.copytree(project_template, root / "team" / "spaceship-log")
        homes = {}
        for person in ("alice", "bob"):
            homes[person] = isolated_environment(root / person)
            homes[person]["KEDRO_TELEMETRY_ENDPOINT"] = receiver.url
        runner.give(root / "bob")
        yield SharedDirectory(project, homes["alice"], homes["bob"], runner)


@pytest.mark.slow
def test_in_a_shared_directory_a_yes_counts_only_for_its_owner(
    shared: SharedDirectory, receiver: HeapReceiver
) -> None:
    telemetry = shared.project / ".telemetry"
    write_consent(telemetry, True, version=1)  # Alice's answer

    result = shared.as_bob("info")
    assert result.returncode == 0, result.stderr
    assert "Kedro-Telemetry" not in result.stderr  # no terminal: not asked
    assert_nothing_sent(receiver, state_dir_of(shared.bob))
    status = shared.as_bob("telemetry", "status").stdout
    assert "Usage data is not collected here (not decided yet)." in status
    assert "says yes, but it belongs to the user root" in status

    # Bob says yes for himself: Alice's file stays as she left it.
    enabled = shared.as_bob("telemetry", "enable")
    assert "for you alone" in enabled.stdout, enabled.stderr
    assert telemetry.read_text() == "consent: true\nversion: 1\n"
    assert shared.as_bob("info").returncode == 0
    assert kedro("info", cwd=shared.project, env=shared.alice).returncode == 0
    shared.deliver_bobs()
    settle(shared.alice)
    events = receiver.wait_for(2)
    assert len(events) == 2
    assert len({event["identity"] for event in events}) == 2  # two keys, two homes
    assert len({event["properties"]["username"] for event in events}) == 2

    # Alice says no: Bob's enable cannot turn it back into a yes for her.
    assert (
        kedro("telemetry", "disable", cwd=shared.project, env=shared.alice).returncode
        == 0
    )
    assert shared.as_bob("telemetry", "enable").returncode == 0
    assert telemetry.read_text() == "consent: false\n"
    refused = shared.as_bob("info")
    assert "you have opted out" in refused.stderr  # a no counts from anyone
    assert kedro("info", cwd=shared.project, env=shared.alice).returncode == 0
    settle(shared.alice)
    assert outbox_entries(state_dir_of(shared.bob)) == []
    assert len(receiver.wait_for(3, seconds=1)) == 2  # nothing since Alice's no
