"""``consent.decide`` in-process: each source of the ordered list, on real files.

The environment is the test's isolated one; git repositories are real ones.
The commands that show these decisions to people are in test_consent.py.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from kedro_telemetry import collect, consent, environment, files
from kedro_telemetry.consent.records import write_answer
from tests.support.consent_files import write_consent
from tests.support.git_repos import git, init_repository


@pytest.fixture
def project(tmp_path: Path, in_process_home: dict[str, str]) -> Path:
    """A directory standing for a project: ``decide`` only reads its files."""
    path = tmp_path / "work" / "spaceship-log"
    path.mkdir(parents=True)
    return path


def decided(project: Path | None) -> tuple[bool | None, str]:
    decision = consent.decide(project)
    return decision.consent, decision.source


def test_a_policy_no_wins_over_every_file_silently(project: Path) -> None:
    write_consent(project / ".telemetry", True)
    write_consent(files.user_consent_file(), True)
    write_consent(files.policy_file(), False)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (False, "policy")
    assert decision.silent
    assert str(files.policy_file()) in decision.describe()


def test_a_policy_yes_is_nobodys_consent(project: Path) -> None:
    write_consent(files.policy_file(), True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "cannot consent for you" in note
    write_consent(project / ".telemetry", True)
    assert decided(project) == (True, "project")


def test_the_opt_out_variables_come_before_the_policy(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_consent(files.policy_file(), False)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    assert consent.decide(project).describe() == (
        "disabled by the environment variable DO_NOT_TRACK"
    )


@pytest.mark.parametrize(
    ("owner", "collects"),
    [("kedro-org", False), ("Kedro-Org", False), ("someone-else", True), ("", True)],
)
def test_the_maintainers_own_ci_collects_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, owner: str, collects: bool
) -> None:
    write_consent(project / ".telemetry", True)
    monkeypatch.setenv("GITHUB_REPOSITORY_OWNER", owner)
    decision = consent.decide(project)
    assert decision.collects is collects
    if not collects:
        assert decision.silent
        assert "Kedro maintainers' own CI" in decision.describe()


def test_the_newer_app_id_variable_wins_over_0_9_0s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KEDRO_TELEMETRY_APP_ID", raising=False)
    monkeypatch.delenv("HEAP_APPID_DEV", raising=False)
    assert environment.app_id() == environment.DEFAULT_APP_ID
    monkeypatch.setenv("HEAP_APPID_DEV", "111")
    assert environment.app_id() == "111"
    monkeypatch.setenv("KEDRO_TELEMETRY_APP_ID", "222")
    assert environment.app_id() == "222"


# A yes that came with the repository -----------------------------------------


def repository_of(project: Path) -> Path:
    """The project as a subdirectory of a git work tree, as in a monorepo."""
    return init_repository(project.parent)


@pytest.mark.slow
def test_a_tracked_yes_does_not_count_and_says_why(project: Path) -> None:
    """Git is asked at every decision: tracking or untracking counts at once."""
    write_consent(project / ".telemetry", True)
    repository = repository_of(project)
    assert decided(project) == (True, "project")  # not tracked: it counts
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "git tracks it" in note
    write_consent(files.user_consent_file(), True)  # the person's own, user-wide yes
    assert decided(project) == (True, "user")
    git("rm", "--cached", "--quiet", "spaceship-log/.telemetry", cwd=repository)
    assert decided(project) == (True, "project")


@pytest.mark.slow
def test_a_tracked_no_is_honoured(project: Path) -> None:
    write_consent(project / ".telemetry", False)
    repository = repository_of(project)
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    write_consent(files.user_consent_file(), True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (False, "project")
    assert not decision.silent  # the reminder on stderr, as for any project no


@pytest.mark.slow
def test_your_own_answer_for_a_tracked_project_comes_before_the_user_wide_one(
    project: Path,
) -> None:
    write_consent(project / ".telemetry", True)
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository_of(project))
    write_consent(files.user_consent_file(), False)
    answers = files.project_answers_file()
    write_answer(answers, consent.answer_key(project), True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (True, "own-answer")
    assert decision.describe().endswith(f"kept in {answers}")


@pytest.mark.slow
def test_an_unreadable_index_is_a_doubt_and_a_doubt_is_no_yes(project: Path) -> None:
    write_consent(project / ".telemetry", True)
    repository = repository_of(project)
    (repository / ".git" / "index").write_bytes(b"DIRC garbage")
    decision = consent.decide(project)
    assert decision.consent is None
    assert "git could not say" in decision.notes[0]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def person_says_yes(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """The far edge only: a terminal on both ends, and a person who says yes.

    Called in the test's body (pytest sets its own streams between a fixture
    and the test); returns the list of the questions asked, as worded.
    """
    asked: list[str] = []

    def confirm(text: str, **options: object) -> bool:
        asked.append(text)
        return True

    def at_terminal() -> list[str]:
        monkeypatch.setattr(sys, "stdin", Terminal())
        monkeypatch.setattr(sys, "stderr", Terminal())
        monkeypatch.setattr(click, "confirm", confirm)
        return asked

    return at_terminal


@pytest.mark.slow
def test_an_invalid_tracked_file_is_never_overwritten_by_the_answer(
    project: Path, person_says_yes: Callable[[], list[str]]
) -> None:
    """The question's answer goes to the answers file, as for a tracked yes."""
    write_consent(project / ".telemetry", "maybe")
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository_of(project))
    person_says_yes()
    decision = consent.decide(project, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert (project / ".telemetry").read_text() == "consent: maybe\n"
    assert decided(project) == (True, "own-answer")


# Whose yes: a file another user owns -----------------------------------------

OTHER_UID = 54321
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="handing a file to another user needs root"
)


def someone_elses(path: Path, value: bool | str) -> None:
    """``path`` saying ``value``, owned by another user (the answer is theirs)."""
    os.chown(write_consent(path, value), OTHER_UID, OTHER_UID)


@needs_root
def test_another_users_yes_is_theirs_and_status_says_so(project: Path) -> None:
    someone_elses(project / ".telemetry", True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert f"belongs to the user with id {OTHER_UID}" in note
    # Their own settings decide for them, in their order.
    write_consent(files.user_consent_file(), True)
    assert decided(project) == (True, "user")
    write_answer(files.project_answers_file(), consent.answer_key(project), False)
    assert decided(project) == (False, "own-answer")


@needs_root
def test_asked_beside_another_users_yes_you_answer_for_yourself(
    project: Path, person_says_yes: Callable[[], list[str]]
) -> None:
    someone_elses(project / ".telemetry", True)
    asked = person_says_yes()
    decision = consent.decide(project, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert f"it belongs to the user with id {OTHER_UID}" in asked[0]
    assert (project / ".telemetry").read_text() == "consent: true\n"  # theirs, kept
    assert (project / ".telemetry").stat().st_uid == OTHER_UID
    assert decided(project) == (True, "own-answer")


@needs_root
def test_another_users_no_counts_for_everyone(project: Path) -> None:
    someone_elses(project / ".telemetry", False)
    write_consent(files.user_consent_file(), True)
    assert decided(project) == (False, "project")


@needs_root
def test_enable_and_disable_never_rewrite_another_users_answer(project: Path) -> None:
    for value in (True, False, "maybe"):
        someone_elses(project / ".telemetry", value)
        destination, key = consent.answer_destination(project)
        assert destination == files.project_answers_file()
        assert key == consent.answer_key(project)
    (project / ".telemetry").unlink()
    assert consent.answer_destination(project) == (project / ".telemetry", None)
    write_consent(project / ".telemetry", True)  # this user's own file
    assert consent.answer_destination(project) == (project / ".telemetry", None)


# Whose yes: what it agreed to --------------------------------------------------


@pytest.mark.parametrize("where", ["project", "own-answer", "user"])
def test_a_yes_to_an_older_version_is_no_yes_to_a_newer_one(
    project: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "project":
        write_consent(project / ".telemetry", True)  # no version: 1
    elif where == "own-answer":
        answers = files.project_answers_file()
        write_answer(answers, consent.answer_key(project), True)
    else:
        write_consent(files.user_consent_file(), True, version=1)
    assert decided(project) == (True, where)

    monkeypatch.setattr(collect, "CONSENT_VERSION", 2)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "says yes to what version 1 of the plugin sent; version 2" in note
    assert "sends more, so it does not count until you answer again" in note


def test_the_question_comes_again_and_says_what_is_new(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    person_says_yes: Callable[[], list[str]],
) -> None:
    write_consent(project / ".telemetry", True)
    asked = person_says_yes()
    monkeypatch.setattr(collect, "CONSENT_VERSION", 2)
    monkeypatch.setitem(collect.NEW_IN_VERSION, 2, "the name of the IDE you use")
    decision = consent.decide(project, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert "it now sends more: the name of the IDE you use." in " ".join(
        asked[0].split()
    )
    assert (project / ".telemetry").read_text() == "consent: true\nversion: 2\n"
    assert decided(project) == (True, "project")
    assert len(asked) == 1  # answered: not asked again


def test_a_no_needs_no_version_and_a_newer_yes_covers_an_older_plugin(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "CONSENT_VERSION", 3)
    write_consent(project / ".telemetry", False)
    assert decided(project) == (False, "project")
    write_consent(project / ".telemetry", True, version=4)
    assert decided(project) == (True, "project")
    (project / ".telemetry").write_text("consent: true\nversion: nine\n")  # oldest
    assert decided(project) == (None, "undecided")
