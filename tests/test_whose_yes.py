"""Whose yes counts: not one that came with ``git clone``, nor another person's,
nor one given to an older plugin that sent less.

``consent.decide`` in this process on real files and real git repositories
(root hands files to another uid), then real ``kedro`` commands: a
colleague's clone, and two people in one shared project directory. A no
counts from anyone. Git's own answer in every index layout: test_consent_git.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest
import yaml

from kedro_telemetry import collect, consent, files
from kedro_telemetry.consent.records import write_answer
from tests.support.baseline import Result
from tests.support.consent_files import decided, give_consent, write_consent
from tests.support.git_repos import commit_all, git, init_repository
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import isolated_environment, kedro, state_dir_of
from tests.support.outbox import assert_nothing_sent, outbox_entries
from tests.support.processes import settle
from tests.support.restrictions import UidRunner, room_for_another_uid
from tests.support.terminal import QUESTION, answer, on_terminal

# A yes that came with the repository -----------------------------------------


def repository_of(project: Path) -> Path:
    """The project as a subdirectory of a git work tree, as in a monorepo."""
    return init_repository(project.parent)


@pytest.mark.slow
def test_a_tracked_yes_does_not_count_and_says_why_but_a_tracked_no_does(
    in_home: Path,
) -> None:
    """Git is asked at every decision: tracking or untracking counts at once."""
    write_consent(in_home / ".telemetry", True)
    repository = repository_of(in_home)
    assert decided(in_home) == (True, "project")  # not tracked: it counts
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "git tracks it" in note
    write_consent(files.user_consent_file(), True)  # the person's own, user-wide yes
    assert decided(in_home) == (True, "user")
    git("rm", "--cached", "--quiet", "spaceship-log/.telemetry", cwd=repository)
    assert decided(in_home) == (True, "project")
    write_consent(in_home / ".telemetry", False)
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (False, "project")
    assert not decision.silent  # the reminder on stderr, as for any project no


@pytest.mark.slow
def test_your_own_answer_for_a_tracked_project_comes_before_the_user_wide_one(
    in_home: Path,
) -> None:
    write_consent(in_home / ".telemetry", True)
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository_of(in_home))
    write_consent(files.user_consent_file(), False)
    answers = files.project_answers_file()
    write_answer(answers, consent.answer_key(in_home), True)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (True, "own-answer")
    assert decision.describe().endswith(f"kept in {answers}")


@pytest.mark.slow
def test_an_unreadable_index_is_a_doubt_and_a_doubt_is_no_yes(in_home: Path) -> None:
    write_consent(in_home / ".telemetry", True)
    repository = repository_of(in_home)
    (repository / ".git" / "index").write_bytes(b"DIRC garbage")
    decision = consent.decide(in_home)
    assert decision.consent is None
    assert "git could not say" in decision.notes[0]


@pytest.mark.slow
def test_an_invalid_tracked_file_is_never_overwritten_by_the_answer(
    in_home: Path, person_says_yes: Callable[[], list[str]]
) -> None:
    """The question's answer goes to the answers file, as for a tracked yes."""
    write_consent(in_home / ".telemetry", "maybe")
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository_of(in_home))
    person_says_yes()
    decision = consent.decide(in_home, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert (in_home / ".telemetry").read_text() == "consent: maybe\n"
    assert decided(in_home) == (True, "own-answer")


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
def test_a_yes_that_came_with_git_clone_sends_nothing_until_the_colleague_says_yes(
    clone: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The colleague's own answer is kept outside the repository."""
    result = kedro("info", cwd=clone, env=env)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr
    assert_nothing_sent(receiver, state_dir_of(env))
    report = kedro("telemetry", "status", cwd=clone, env=env).stdout
    assert "Usage data is not collected here (not decided yet)." in report
    assert "Not counted: the project's .telemetry" in report
    assert "git tracks it" in report

    asked, _ = answer(on_terminal("info", cwd=clone, env=env), "y")
    assert "git tracks it" in asked
    assert str(answers_file(env)) in asked
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


# Whose yes: a file another user owns -----------------------------------------


OTHER_UID = 54321
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="handing a file to another user needs root"
)


def someone_elses(path: Path, value: bool | str) -> None:
    """``path`` saying ``value``, owned by another user (the answer is theirs)."""
    os.chown(write_consent(path, value), OTHER_UID, OTHER_UID)


@needs_root
def test_another_users_yes_is_theirs_and_their_no_counts_for_everyone(
    in_home: Path,
) -> None:
    someone_elses(in_home / ".telemetry", True)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert f"belongs to the user with id {OTHER_UID}" in note
    # Their own settings decide for them, in their order.
    write_consent(files.user_consent_file(), True)
    assert decided(in_home) == (True, "user")
    write_answer(files.project_answers_file(), consent.answer_key(in_home), False)
    assert decided(in_home) == (False, "own-answer")
    # A no counts from anyone, above this person's own settings.
    write_answer(files.project_answers_file(), consent.answer_key(in_home), True)
    someone_elses(in_home / ".telemetry", False)
    assert decided(in_home) == (False, "project")


@needs_root
def test_a_copied_project_directory_keeps_the_answer_of_whoever_owns_the_copy(
    in_home: Path,
) -> None:
    """A copy you make is yours (``cp -r``); one that keeps its owner is not."""
    original = in_home / "original"
    original.mkdir()
    someone_elses(original / ".telemetry", True)
    yours = shutil.copytree(original, in_home / "copied-by-you")
    os.chown(yours / ".telemetry", os.geteuid(), os.getegid())
    theirs = shutil.copytree(original, in_home / "copied-as-it-was")
    os.chown(theirs / ".telemetry", OTHER_UID, OTHER_UID)  # ``cp -a`` by root
    assert decided(yours) == (True, "project")
    assert decided(theirs) == (None, "undecided")


@needs_root
def test_asked_beside_another_users_yes_you_answer_for_yourself(
    in_home: Path, person_says_yes: Callable[[], list[str]]
) -> None:
    someone_elses(in_home / ".telemetry", True)
    asked = person_says_yes()
    decision = consent.decide(in_home, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert f"it belongs to the user with id {OTHER_UID}" in asked[0]
    assert (in_home / ".telemetry").read_text() == "consent: true\n"  # theirs, kept
    assert (in_home / ".telemetry").stat().st_uid == OTHER_UID
    assert decided(in_home) == (True, "own-answer")


@needs_root
def test_enable_and_disable_never_rewrite_another_users_answer(in_home: Path) -> None:
    for value in (True, False, "maybe"):
        someone_elses(in_home / ".telemetry", value)
        destination, key = consent.answer_destination(in_home)
        assert destination == files.project_answers_file()
        assert key == consent.answer_key(in_home)
    (in_home / ".telemetry").unlink()
    assert consent.answer_destination(in_home) == (in_home / ".telemetry", None)
    write_consent(in_home / ".telemetry", True)  # this user's own file
    assert consent.answer_destination(in_home) == (in_home / ".telemetry", None)


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


# Whose yes: what it agreed to ------------------------------------------------


@pytest.mark.parametrize("where", ["project", "own-answer", "user"])
def test_a_yes_to_an_older_version_is_no_yes_to_a_newer_one(
    in_home: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "project":
        write_consent(in_home / ".telemetry", True)  # no version: 1
    elif where == "own-answer":
        answers = files.project_answers_file()
        write_answer(answers, consent.answer_key(in_home), True)
    else:
        write_consent(files.user_consent_file(), True, version=1)
    assert decided(in_home) == (True, where)

    monkeypatch.setattr(collect, "CONSENT_VERSION", 2)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "says yes to what version 1 of the plugin sent; version 2" in note
    assert "sends more, so it does not count until you answer again" in note


def test_a_no_needs_no_version_and_a_newer_yes_covers_an_older_plugin(
    in_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "CONSENT_VERSION", 3)
    write_consent(in_home / ".telemetry", False)
    assert decided(in_home) == (False, "project")
    write_consent(in_home / ".telemetry", True, version=4)
    assert decided(in_home) == (True, "project")
    (in_home / ".telemetry").write_text("consent: true\nversion: nine\n")  # oldest
    assert decided(in_home) == (None, "undecided")
