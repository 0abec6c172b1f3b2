"""Which setting decides: ``consent.decide`` on real files, and what commands do.

The ordered sources (the opt-out variables, the maintainers' CI, the machine
policy, the project's ``.telemetry``, the user-wide file), how a file is read
(YAML's one-line answer and the fourteen broken files of
``tests/BAD_INPUT.md``), homes that cannot be used, and that every change of
a file counts at once are checked in this process; a real ``kedro`` shows
each behaviour a person sees once. Whose yes counts (git, another user, an
older version) is in test_whose_yes.py; the question in test_consent_question.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from kedro_telemetry import consent, environment, files
from tests.support.consent_files import (
    BAD_FILE_IDS,
    BAD_FILES,
    PYTHON_TAG_MARKER,
    BadFile,
    decided,
    give_consent,
    snapshot,
    user_wide_file,
    write_consent,
    write_user_wide,
)
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import kedro, python_process, state_dir_of
from tests.support.outbox import queued_keys
from tests.support.processes import settle
from tests.support.snippets import LONG_LIVED

# The order of the sources ---------------------------------------------------


def test_a_policy_no_wins_over_every_file_silently(in_home: Path) -> None:
    write_consent(in_home / ".telemetry", True)
    write_consent(files.user_consent_file(), True)
    write_consent(files.policy_file(), False)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (False, "policy")
    assert decision.silent
    assert str(files.policy_file()) in decision.describe()


def test_a_policy_yes_is_nobodys_consent(in_home: Path) -> None:
    write_consent(files.policy_file(), True)
    decision = consent.decide(in_home)
    assert (decision.consent, decision.source) == (None, "undecided")
    [note] = decision.notes
    assert "cannot consent for you" in note
    write_consent(in_home / ".telemetry", True)
    assert decided(in_home) == (True, "project")


def test_the_opt_out_variables_come_before_the_policy(
    in_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_consent(files.policy_file(), False)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    assert consent.decide(in_home).describe() == (
        "disabled by the environment variable DO_NOT_TRACK"
    )


@pytest.mark.parametrize(
    ("owner", "collects"),
    [("kedro-org", False), ("Kedro-Org", False), ("someone-else", True), ("", True)],
)
def test_the_maintainers_own_ci_collects_nothing(
    in_home: Path, monkeypatch: pytest.MonkeyPatch, owner: str, collects: bool
) -> None:
    write_consent(in_home / ".telemetry", True)
    monkeypatch.setenv("GITHUB_REPOSITORY_OWNER", owner)
    decision = consent.decide(in_home)
    assert decision.collects is collects
    if not collects:
        assert decision.silent
        assert "Kedro maintainers' own CI" in decision.describe()


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI"])
def test_ci_services_are_recognised_and_every_event_says_so(
    in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """``is_ci_env``, the field every event carries (``test_cli_event`` sends one).

    The terminal in test_consent_question.py shows that CI is never asked.
    """
    from kedro_telemetry.collect import machine

    for name in environment.CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert not environment.is_ci()
    assert machine.machine_properties()["is_ci_env"] == "false"
    monkeypatch.setenv(variable, "true")
    assert environment.is_ci()
    assert machine.machine_properties()["is_ci_env"] == "true"


OPT_OUT_VALUES = ["1", "true", "YES", "anything", " on "]
KEEP_ON_VALUES = ["0", "false", "No", "OFF", "n", "", "  "]


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


@pytest.mark.slow
def test_an_opt_out_variable_or_a_policy_no_wins_silently_over_a_yes(
    consented: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    """A silent no: an opt-out variable, then the machine policy ``status`` names.

    Which values of either variable count: above. A policy's yes is nobody's.
    """
    opted_out = {**env, "KEDRO_DISABLE_TELEMETRY": "anything"}
    result = kedro("info", cwd=consented, env=opted_out)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr

    policy = write_consent(Path(env["KEDRO_TELEMETRY_POLICY_FILE"]), False)
    result = kedro("info", cwd=consented, env=env)
    assert result.returncode == 0
    assert "Kedro-Telemetry" not in result.stderr
    silent()
    report = kedro("telemetry", "status", cwd=consented, env=env).stdout
    assert f"disabled by the machine-wide policy {policy}" in report

    write_consent(policy, True)
    (consented / ".telemetry").unlink()
    report = kedro("telemetry", "status", cwd=consented, env=env).stdout
    assert "not decided yet" in report
    assert "cannot consent for you, so it is ignored" in report


# Reading the files -----------------------------------------------------------


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


@pytest.mark.parametrize("bad", BAD_FILES, ids=BAD_FILE_IDS)
def test_a_broken_project_consent_file_is_no_choice_and_is_left_alone(
    in_home: Path, bad: BadFile
) -> None:
    consent_file = in_home / ".telemetry"
    bad.make(consent_file)
    before = snapshot(consent_file)

    found = consent.read_consent_file(consent_file)
    decision = consent.decide(in_home)

    assert (found.state, found.consent) == (bad.state, None)
    assert found.problem
    assert (decision.consent, decision.source) == (None, "undecided")
    assert not decision.collects
    assert snapshot(consent_file) == before
    assert not (in_home / PYTHON_TAG_MARKER).exists()


@pytest.mark.parametrize("bad", BAD_FILES, ids=BAD_FILE_IDS)
def test_a_broken_user_wide_file_is_no_choice_and_hides_no_project_choice(
    in_home: Path, env: dict[str, str], bad: BadFile
) -> None:
    consent_file = user_wide_file(env)
    bad.make(consent_file)
    before = snapshot(consent_file)

    undecided = consent.decide(in_home)
    assert (undecided.consent, undecided.source) == (None, "undecided")
    give_consent(in_home)  # the layers stay independent: the project's yes counts
    decided = consent.decide(in_home)
    assert (decided.consent, decided.source) == (True, "project")
    assert snapshot(consent_file) == before
    assert not (in_home / PYTHON_TAG_MARKER).exists()


def test_a_home_that_cannot_be_created_or_none_at_all_is_no_choice(
    in_home: Path,
    in_process_home: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """In-process: no user-wide choice can be read there, so nobody decided.

    First ``HOME`` lies under a regular file; then ``HOME`` is unset and there
    is no passwd entry either: the operating system's answer is the far edge,
    played here as Python gives it for a uid without a passwd entry.
    """
    occupied = tmp_path / "occupied"
    occupied.write_text("a file where the home's parent should be\n")
    for name in list(in_process_home):
        if name.startswith("XDG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(occupied / "home"))

    decision = consent.decide(in_home)

    assert (decision.consent, decision.source) == (None, "undecided")
    assert occupied.read_text() == "a file where the home's parent should be\n"

    def no_passwd_entry() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("HOME")
    monkeypatch.setattr(Path, "home", staticmethod(no_passwd_entry))

    decision = consent.decide(in_home)

    assert (decision.consent, decision.source) == (None, "undecided")


# Every change counts at once, in a process that lives on ---------------------


def test_a_decision_follows_every_change_of_its_files(
    in_home: Path, in_process_home: dict[str, str]
) -> None:
    """The layers in order, each change seen at once: nothing is remembered.

    The project's answer wins over the user-wide one either way; the user-wide
    one fills in; with neither, nobody decided (silent, nothing sent). Outside
    a project only the user-wide setting decides.
    """
    project_file = in_home / ".telemetry"

    assert decided(in_home) == decided(None) == (None, "undecided")
    write_user_wide(in_process_home, True)  # created
    assert decided(in_home) == decided(None) == (True, "user")
    give_consent(in_home, False)  # created, above the user's
    assert decided(in_home) == (False, "project")
    assert decided(None) == (True, "user")
    with project_file.open("w") as handle:  # edited in place, not replaced
        handle.write("consent: true\n")
    assert decided(in_home) == (True, "project")
    write_user_wide(in_process_home, False)
    assert decided(in_home) == (True, "project")
    project_file.unlink()  # removed
    assert decided(in_home) == (False, "user")
    user_wide_file(in_process_home).unlink()
    assert decided(in_home) == (None, "undecided")


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
