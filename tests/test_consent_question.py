"""The question on a terminal, and where its answer goes.

Real ``kedro`` commands on a pseudo-terminal: the question is asked once and
its answer recorded in ``.telemetry`` (or kept for this command only, in a
read-only project); nobody is asked in CI, outside a project or by the
plugin's own commands; a broken file is asked about again when its content is
no choice and left alone when it cannot be used; git's view of ``.telemetry``
is told once. A newer plugin asking again is played in this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pytest

from kedro_telemetry import collect, consent
from tests.support.baseline import tree_digest
from tests.support.consent_files import bad_file, decided, snapshot, write_consent
from tests.support.git_repos import init_repository
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import KEDRO_EXECUTABLE, kedro
from tests.support.processes import settle
from tests.support.restrictions import in_read_only_project, needs_read_only_mount
from tests.support.terminal import QUESTION, answer, on_terminal


@pytest.mark.slow
# An empty answer is the default, no ("n" itself is answered below).
@pytest.mark.parametrize(("answer", "recorded"), [("y", "true"), ("", "false")])
def test_the_prompt_records_the_answer_and_is_not_asked_again(
    project: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    answer: str,
    recorded: str,
) -> None:
    """The answer's ``.telemetry`` is the only file the command adds or changes."""
    before = tree_digest(project)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # Kedro's own caches aside
    session = on_terminal("info", cwd=project, env=env)
    session.expect_exact(QUESTION)
    assert "kedro telemetry enable --global" in session.before.replace("\r\n", " ")
    time.sleep(1.5)  # a person reading the question
    answered_at = datetime.now(timezone.utc)
    session.sendline(answer)
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0
    version = "version: 1\n" if answer == "y" else ""
    assert (project / ".telemetry").read_text() == f"consent: {recorded}\n{version}"
    after = tree_digest(project)
    assert after.pop(".telemetry").startswith("file 644 ")
    assert after == before

    second = on_terminal("info", cwd=project, env=env)
    second.expect(pexpect.EOF)
    assert QUESTION not in second.before
    # A yes counts from the command that asked: both commands are reported.
    expected = 2 if answer == "y" else 0
    settle(env)  # every sender has exited: no event can arrive later
    assert len(receiver.accepted) == expected
    if expected:  # the first event carries the command's start, not the answer's
        first = min(event["timestamp"] for event in receiver.accepted)
        assert datetime.fromisoformat(first) < answered_at - timedelta(seconds=1)


@pytest.mark.slow
def test_nobody_is_asked_in_ci_outside_a_project_by_our_commands_or_about_a_directory(
    tmp_path: Path, project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    """Even on a terminal; nothing is written or sent either.

    A ``.telemetry`` that cannot be used (a directory) is neither asked about
    nor overwritten.
    """
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    in_ci = {**env, "GITHUB_ACTIONS": "true"}
    cases = [
        (("info",), project, in_ci),
        (("info",), outside, env),
        (("telemetry", "status"), project, env),
    ]
    for args, cwd, environment_of in cases:
        session = on_terminal(*args, cwd=cwd, env=environment_of)
        session.expect(pexpect.EOF)
        assert QUESTION not in session.before, (args, cwd)
    assert not (project / ".telemetry").exists()

    consent_file = project / ".telemetry"
    bad_file("directory").make(consent_file)
    before = snapshot(consent_file)
    session = on_terminal("info", cwd=project, env=env, timeout=60)
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0
    assert QUESTION not in session.before
    assert "Traceback" not in session.before
    assert snapshot(consent_file) == before
    silent()


def git_project(project: Path, ignored: bool) -> None:
    """Make ``project`` a git work tree whose ``.gitignore`` may list ``.telemetry``."""
    gitignore = project / ".gitignore"
    lines = gitignore.read_text().splitlines() if gitignore.exists() else []
    kept = [line for line in lines if line.strip() != ".telemetry"]
    gitignore.write_text("\n".join([*kept, *([".telemetry"] if ignored else [])]))
    init_repository(project)


GIT_WARNING = "git does not ignore"


@pytest.mark.slow
@pytest.mark.parametrize("ignored", [True, False], ids=["ignored", "not-ignored"])
def test_the_prompt_warns_once_when_git_would_track_the_answer(
    project: Path, env: dict[str, str], ignored: bool
) -> None:
    git_project(project, ignored)
    gitignore_before = (project / ".gitignore").read_bytes()
    _, output = answer(on_terminal("info", cwd=project, env=env), "n")
    assert (GIT_WARNING in output) is not ignored
    if not ignored:
        assert output.count(GIT_WARNING) == 1
        assert "Add .telemetry to the project's .gitignore" in output
    assert (project / ".gitignore").read_bytes() == gitignore_before

    if not ignored:
        again = kedro("info", cwd=project, env=env)  # answered: no prompt, no warning
        assert GIT_WARNING not in again.stderr


# Broken files and read-only projects -----------------------------------------


@pytest.mark.slow
def test_an_invalid_project_consent_file_is_asked_about_again(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    bad_file("invalid-yaml").make(project / ".telemetry")

    _, output = answer(on_terminal("info", cwd=project, env=env, timeout=60), "n")

    assert "Traceback" not in output
    assert (project / ".telemetry").read_text() == "consent: false\n"
    silent()


@pytest.mark.slow
@needs_read_only_mount
def test_a_read_only_project_keeps_the_answer_for_this_command_only(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    session = pexpect.spawn(
        "unshare",
        in_read_only_project(project, [KEDRO_EXECUTABLE, "info"])[1:],
        cwd=str(project),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    _, output = answer(session, "y")
    assert "could not save your answer" in output
    assert "it applies to this command only" in output
    assert "Traceback" not in output
    assert not (project / ".telemetry").exists()
    [event] = receiver.wait_for(1)
    assert event["properties"]["command"] == "kedro info"


# A newer plugin asks again ---------------------------------------------------


def test_the_question_comes_again_and_says_what_is_new(
    in_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    person_says_yes: Callable[[], list[str]],
) -> None:
    write_consent(in_home / ".telemetry", True)
    asked = person_says_yes()
    monkeypatch.setattr(collect, "CONSENT_VERSION", 2)
    monkeypatch.setitem(collect.NEW_IN_VERSION, 2, "the name of the IDE you use")
    decision = consent.decide(in_home, may_prompt=True)
    assert (decision.consent, decision.source) == (True, "prompt")
    assert "it now sends more: the name of the IDE you use." in " ".join(
        asked[0].split()
    )
    assert (in_home / ".telemetry").read_text() == "consent: true\nversion: 2\n"
    assert decided(in_home) == (True, "project")
    assert len(asked) == 1  # answered: not asked again
