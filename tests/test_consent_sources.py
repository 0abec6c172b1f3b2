"""``consent.decide`` in-process: each source of the ordered list, on real files.

The environment is the test's isolated one; git repositories are real ones.
The commands that show these decisions to people are in test_consent.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kedro_telemetry import consent, environment, files
from kedro_telemetry.decision import Decision
from tests.support.git_repos import git, init_repository


@pytest.fixture
def isolated(in_process_home: dict[str, str]) -> dict[str, str]:
    """This process in the test's isolated environment (see ``conftest``)."""
    return in_process_home


@pytest.fixture
def project(tmp_path: Path, isolated: dict[str, str]) -> Path:
    """A directory standing for a project: ``decide`` only reads its files."""
    path = tmp_path / "work" / "spaceship-log"
    path.mkdir(parents=True)
    return path


def say(path: Path, value: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"consent: {str(value).lower()}\n")


def decided(project: Path | None) -> tuple[bool | None, str]:
    decision = consent.decide(project)
    return decision.consent, decision.source


def test_the_sources_are_one_ordered_list_with_their_own_words() -> None:
    names = [source.name for source in consent.SOURCES]
    assert names == [
        "environment",
        "maintainers-ci",
        "policy",
        "project",
        "own-answer",
        "user",
        "prompt",
    ]
    project = consent.SOURCES[3]
    decision = Decision(True, project.name, "/p/.telemetry", project.wording)
    assert decision.describe() == (
        "enabled by the project's .telemetry file /p/.telemetry"
    )


def test_a_policy_no_wins_over_every_file_silently(project: Path) -> None:
    say(project / ".telemetry", True)
    say(files.user_consent_file(), True)
    say(files.policy_file(), False)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (False, "policy")
    assert decision.silent
    assert str(files.policy_file()) in decision.describe()


def test_a_policy_yes_is_nobodys_consent(project: Path) -> None:
    say(files.policy_file(), True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "cannot consent for you" in note
    say(project / ".telemetry", True)
    assert decided(project) == (True, "project")


def test_the_opt_out_variables_come_before_the_policy(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    say(files.policy_file(), False)
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
    say(project / ".telemetry", True)
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
    say(project / ".telemetry", True)
    repository = repository_of(project)
    assert decided(project) == (True, "project")  # not tracked: it counts
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "git tracks it" in note
    say(files.user_consent_file(), True)  # the person's own, user-wide yes
    assert decided(project) == (True, "user")


@pytest.mark.slow
def test_a_tracked_no_is_honoured(project: Path) -> None:
    say(project / ".telemetry", False)
    repository = repository_of(project)
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    say(files.user_consent_file(), True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (False, "project")
    assert not decision.silent  # the reminder on stderr, as for any project no


@pytest.mark.slow
def test_your_own_answer_for_a_tracked_project_comes_before_the_user_wide_one(
    project: Path,
) -> None:
    from kedro_telemetry.consent_file import write_project_answer

    say(project / ".telemetry", True)
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository_of(project))
    say(files.user_consent_file(), False)
    answers = files.project_answers_file()
    write_project_answer(answers, consent.project_key(project), True)
    decision = consent.decide(project)
    assert (decision.consent, decision.source) == (True, "own-answer")
    assert decision.describe().endswith(f"kept in {answers}")


@pytest.mark.slow
def test_an_unreadable_index_is_a_doubt_and_a_doubt_is_no_yes(project: Path) -> None:
    say(project / ".telemetry", True)
    repository = repository_of(project)
    (repository / ".git" / "index").write_bytes(b"DIRC garbage")
    decision = consent.decide(project)
    assert decision.consent is None
    assert "could not be read" in decision.notes[0]


@pytest.mark.slow
def test_a_long_lived_process_sees_every_change_of_the_index(project: Path) -> None:
    """From the second decision on the memo answers; a change still counts."""
    say(project / ".telemetry", True)
    repository = repository_of(project)
    for _ in range(3):
        assert decided(project) == (True, "project")
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository)
    for _ in range(2):
        assert decided(project) == (None, "undecided")
    git("rm", "--cached", "--quiet", "spaceship-log/.telemetry", cwd=repository)
    assert decided(project) == (True, "project")


def test_a_project_outside_any_repository_keeps_its_yes(project: Path) -> None:
    say(project / ".telemetry", True)
    assert decided(project) == (True, "project")


@pytest.mark.slow
def test_an_invalid_tracked_file_is_never_overwritten_by_the_answer(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question's answer goes to the answers file, as for a tracked yes."""
    import io
    import sys

    import click

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    (project / ".telemetry").write_text("consent: maybe\n")
    git("add", "--force", "spaceship-log/.telemetry", cwd=repository_of(project))
    # The far edge only: a terminal on both ends, and a person who says yes.
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(click, "confirm", lambda *args, **kwargs: True)
    decision = consent.decide(project, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert (project / ".telemetry").read_text() == "consent: maybe\n"
    assert decided(project) == (True, "own-answer")
