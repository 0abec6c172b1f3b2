"""Consent: asked once on a terminal, recorded in .telemetry, layered, env wins.

The decisions (the layers, the opt-out and CI variables, the file's reading)
are checked in this process; the real ``kedro`` command in a real project shows
each behaviour once, the prompt through a pseudo-terminal, the rest with no
terminal at all.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

import pexpect
import pytest

from kedro_telemetry import consent, environment
from tests.support.baseline import tree_digest
from tests.support.consent_files import (
    give_consent,
    user_wide_file,
    write_user_wide,
)
from tests.support.git_repos import init_repository
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import kedro, python_process, state_dir_of
from tests.support.outbox import assert_nothing_sent, queued_keys
from tests.support.processes import settle
from tests.support.terminal import QUESTION, on_terminal


@pytest.mark.slow
# An empty answer is the default, no ("n" itself is answered in test_bad_input).
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


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS", "TF_BUILD"])
def test_ci_services_are_recognised(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """In-process; the terminal below shows that CI is never asked."""
    for name in environment.CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert not environment.is_ci()
    monkeypatch.setenv(variable, "true")
    assert environment.is_ci()


@pytest.mark.slow
def test_ci_never_prompts_even_on_a_terminal(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    session = on_terminal("info", cwd=project, env={**env, "GITHUB_ACTIONS": "true"})
    session.expect(pexpect.EOF)
    assert QUESTION not in session.before
    assert not (project / ".telemetry").exists()
    assert_nothing_sent(receiver, state_dir_of(env))


def test_consented_ci_runs_are_marked_as_ci(
    in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: the field every event carries (``test_cli_event`` sends one)."""
    from kedro_telemetry.collect import machine

    assert machine.machine_properties()["is_ci_env"] == "false"
    monkeypatch.setenv("GITLAB_CI", "true")
    assert machine.machine_properties()["is_ci_env"] == "true"


@pytest.mark.slow
def test_no_prompt_outside_a_project_nor_for_the_plugins_own_commands(
    tmp_path: Path, project: Path, env: dict[str, str]
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for args, cwd in ((("info",), outside), (("telemetry", "status"), project)):
        session = on_terminal(*args, cwd=cwd, env=env)
        session.expect(pexpect.EOF)
        assert QUESTION not in session.before, args
    assert not (project / ".telemetry").exists()


OPT_OUT_VALUES = ["1", "true", "YES", "anything", " on "]
KEEP_ON_VALUES = ["0", "false", "No", "OFF", "n", "", "  "]


@pytest.mark.slow
def test_an_opt_out_variable_wins_silently_over_a_yes(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """One of the two variables; which values of either count is checked below."""
    give_consent(project)
    env = {**env, "KEDRO_DISABLE_TELEMETRY": "anything"}
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr
    assert_nothing_sent(receiver, state_dir_of(env))


@pytest.mark.parametrize("variable", ["DO_NOT_TRACK", "KEDRO_DISABLE_TELEMETRY"])
@pytest.mark.parametrize(
    ("value", "opts_out"),
    [(value, True) for value in OPT_OUT_VALUES]
    + [(value, False) for value in KEEP_ON_VALUES],
)
def test_which_values_of_an_opt_out_variable_switch_telemetry_off(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, opts_out: bool
) -> None:
    """The reading of the values, in-process; the commands above show its effect."""
    for name in ("DO_NOT_TRACK", "KEDRO_DISABLE_TELEMETRY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    assert environment.disabling_variable() == (variable if opts_out else None)


def test_outside_a_project_only_the_user_wide_setting_decides(
    in_process_home: dict[str, str],
) -> None:
    assert (consent.decide(None).consent, consent.decide(None).source) == (
        None,
        "undecided",
    )
    write_user_wide(in_process_home, True)
    assert (consent.decide(None).consent, consent.decide(None).source) == (
        True,
        "user",
    )


# Decisions follow the files, in a process that lives on ----------------------

LONG_LIVED = """
import sys
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
import kedro_telemetry

bootstrap_project(Path.cwd())
for cell in (1, 2):
    with KedroSession.create(project_path=Path.cwd()) as session:
        session.run()
    queued = kedro_telemetry.send_event("Notebook cell", {"cell": cell}, Path.cwd())
    print("queued:", queued, flush=True)
    sys.stdin.readline()  # the test changes the consent meanwhile
"""


def next_answer(stdout: IO[str]) -> str:
    """The next ``queued:`` line, past Kedro's own log lines on stdout."""
    for line in stdout:
        if line.startswith("queued:"):
            return line.strip()
    return "the process ended"


@pytest.mark.slow
def test_a_withdrawal_counts_at_once_in_a_long_lived_process(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    notebook = python_process(LONG_LIVED, cwd=consented, env=env)
    assert notebook.stdin is not None and notebook.stdout is not None
    with notebook:
        assert next_answer(notebook.stdout) == "queued: True"
        assert kedro("telemetry", "disable", cwd=consented, env=env).returncode == 0
        notebook.stdin.write("\n")
        notebook.stdin.flush()
        assert next_answer(notebook.stdout) == "queued: False"
        notebook.stdin.close()
        assert notebook.wait(timeout=120) == 0
    settle(env)
    sent = sorted(event["event"] for event in receiver.accepted)
    assert sent == ["Kedro project run", "Notebook cell"]
    assert queued_keys(state_dir_of(env)) == []


def test_a_decision_follows_every_change_of_its_files(
    project: Path, in_process_home: dict[str, str]
) -> None:
    """The layers in order, each change seen at once: nothing is remembered.

    The project's answer wins over the user-wide one either way; the user-wide
    one fills in; with neither, nobody decided (silent, nothing sent).
    """
    project_file = project / ".telemetry"

    def current() -> tuple[bool | None, str]:
        decision = consent.decide(project)
        return decision.consent, decision.source

    assert current() == (None, "undecided")
    write_user_wide(in_process_home, True)  # created
    assert current() == (True, "user")
    give_consent(project, False)  # created, above the user's
    assert current() == (False, "project")
    with project_file.open("w") as handle:  # edited in place, not replaced
        handle.write("consent: true\n")
    assert current() == (True, "project")
    write_user_wide(in_process_home, False)
    assert current() == (True, "project")
    project_file.unlink()  # removed
    assert current() == (False, "user")
    user_wide_file(in_process_home).unlink()
    assert current() == (None, "undecided")


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
    session = on_terminal("info", cwd=project, env=env)
    session.expect_exact(QUESTION)
    session.sendline("n")
    session.expect(pexpect.EOF)
    output = session.before.replace("\r\n", " ")
    assert (GIT_WARNING in output) is not ignored
    if not ignored:
        assert output.count(GIT_WARNING) == 1
        assert "Add .telemetry to the project's .gitignore" in output
    assert (project / ".gitignore").read_bytes() == gitignore_before

    if not ignored:
        again = kedro("info", cwd=project, env=env)  # answered: no prompt, no warning
        assert GIT_WARNING not in again.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"consent: true", True),  # as `kedro new --telemetry yes` writes it
        (b"consent: true\n", True),  # as this plugin writes it
        (b"consent: false\n", False),
        (b"consent: True\n", True),  # the forms below go through YAML
        (b"consent: no\n", False),
        (b"consent: true  # said yes in May\n", True),
        (b"consent: true\nconsent: false\n", False),
        (b"consent: 'true'\n", None),
        (b" consent: true\n", True),
        (b"consent: true\r\n", True),
    ],
)
def test_the_plain_one_line_answer_reads_as_yaml_would(
    tmp_path: Path, content: bytes, expected: bool | None
) -> None:
    path = tmp_path / ".telemetry"
    path.write_bytes(content)
    found = consent.read_consent_file(path)
    assert found.consent is expected
    state = consent.FileState.INVALID if expected is None else consent.FileState.DECIDED
    assert found.state == state
