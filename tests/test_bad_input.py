"""Bad input never changes a ``kedro`` command and never makes the plugin send.

What the plugin makes of each of the fourteen broken consent files is decided
by ``consent.read_consent_file`` and ``consent.decide``: checked in-process,
file by file, for both the project's file and the user-wide one. The real
``kedro`` then proves, once per behaviour, what a person sees: a broken file
(invalid or unusable) leaves the command as it is with
the plugin's hooks blocked (the same exit code, the same stdout, timestamps
and durations aside, no traceback), nothing is queued, posted or written, and
the file itself is left exactly as it was; on a pseudo-terminal, a file with
invalid content is asked about again, an unusable one is neither asked about
nor overwritten. Unusable homes, read-only projects and odd ``pyproject.toml``
files are real ``kedro`` runs too.

``tests/BAD_INPUT.md`` is the table of what the plugin does in every case here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from kedro_telemetry import consent
from tests.support.baseline import (
    BASELINE_SCRIPT,
    PYTHON,
    Result,
    assert_unchanged_by_plugin,
    normalised,
)
from tests.support.consent_files import give_consent, user_wide_file
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import (
    KEDRO_EXECUTABLE,
    isolated_environment,
    kedro,
    kedro_without_hooks,
    run,
)
from tests.support.outbox import assert_nothing_sent
from tests.support.processes import settle
from tests.support.restrictions import (
    UidRunner,
    in_read_only_project,
    read_only_mounts_work,
    room_for_another_uid,
)
from tests.support.terminal import QUESTION, on_terminal

INVALID = "invalid"  # a regular file whose content is no choice: asked again
UNUSABLE = "unusable"  # not a readable small regular file: never asked, never written
# Any of these values stays on the machine only if the plugin leaves it alone.
_PYTHON_TAG_MARKER = "python-tag-was-executed"


@dataclass(frozen=True)
class BadFile:
    """One way a consent file can be broken."""

    name: str
    make: Callable[[Path], None]
    state: str


def _content(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _huge(path: Path) -> None:
    """10 MB that begin with a valid ``consent: true``: honouring it would send."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(b"consent: true\n")
        handle.write((b"#" * 1023 + b"\n") * (10 * 1024))


def _directory(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "consent").write_text("consent: true\n")


def _dangling_link(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.parent / "no-such-file")


def _named_pipe(path: Path) -> None:
    """A FIFO: opening it for reading waits for a writer that never comes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _device_link(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/zero")


BAD_FILES = [
    BadFile("empty", _content(b""), INVALID),
    BadFile("invalid-yaml", _content(b"consent: [\n"), INVALID),
    BadFile("binary", _content(bytes(range(256)) * 16), INVALID),
    BadFile("yaml-list", _content(b"- consent: true\n"), INVALID),
    BadFile("consent-string-true", _content(b'consent: "true"\n'), INVALID),
    BadFile("consent-1", _content(b"consent: 1\n"), INVALID),
    BadFile("consent-null", _content(b"consent: null\n"), INVALID),
    BadFile(
        "deeply-nested",
        _content(b"consent: " + b"[" * 1000 + b"]" * 1000 + b"\n"),
        INVALID,
    ),
    BadFile(
        "python-tag",
        _content(
            b"consent: !!python/object/apply:os.system "
            + f"['touch {_PYTHON_TAG_MARKER}']\n".encode()
        ),
        INVALID,
    ),
    BadFile("huge-10MB", _huge, UNUSABLE),
    BadFile("directory", _directory, UNUSABLE),
    BadFile("dangling-symlink", _dangling_link, UNUSABLE),
    BadFile("named-pipe", _named_pipe, UNUSABLE),
    BadFile("link-to-dev-zero", _device_link, UNUSABLE),
]
BAD_FILE_IDS = [bad.name for bad in BAD_FILES]


def bad_file(name: str) -> BadFile:
    [found] = [bad for bad in BAD_FILES if bad.name == name]
    return found


def snapshot(path: Path) -> str:
    """What ``path`` is, precisely enough to see any change made to it."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return f"link to {os.readlink(path)}"
    if stat.S_ISDIR(info.st_mode):
        return f"directory holding {sorted(os.listdir(path))}"
    if stat.S_ISFIFO(info.st_mode):
        return "named pipe"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"file {info.st_size} {digest} {info.st_mtime_ns}"


def assert_nothing_written_or_sent(receiver: HeapReceiver, state_dir: Path) -> None:
    """Without consent the plugin neither sends, queues nor creates its directory."""
    assert_nothing_sent(receiver, state_dir)
    assert not state_dir.exists(), sorted(os.listdir(state_dir))


@pytest.fixture(scope="module")
def quiet_receiver() -> Iterator[HeapReceiver]:
    """One receiver for the many cases that must send nothing (saves a restart each)."""
    with HeapReceiver() as running:
        yield running
    assert running.requests == []
    assert running.violations == []


@pytest.fixture
def silent(
    env: dict[str, str], quiet_receiver: HeapReceiver, state_dir: Path
) -> Callable[[], None]:
    """Sends this test's commands to ``quiet_receiver``; returns the silence check."""
    env["KEDRO_TELEMETRY_ENDPOINT"] = quiet_receiver.url
    return lambda: assert_nothing_written_or_sent(quiet_receiver, state_dir)


# What the plugin makes of each broken file, in-process ---------------------


@pytest.fixture
def in_home(in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process in the test's isolated home and in a scratch directory.

    The directory is the current one, so a YAML tag that ran a shell command
    would leave its marker there.
    """
    place = Path(in_process_home["HOME"]).parent / "project"
    place.mkdir()
    monkeypatch.chdir(place)
    return place


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
    assert not (in_home / _PYTHON_TAG_MARKER).exists()


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
    assert not (in_home / _PYTHON_TAG_MARKER).exists()


# Broken consent files, with the real command ----------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "command"),
    # A pipe used to hang ``kedro`` forever; a YAML tag must never run.
    [("named-pipe", "run"), ("python-tag", "info")],
)
def test_a_broken_project_consent_file_changes_nothing(
    project: Path,
    env: dict[str, str],
    silent: Callable[[], None],
    baseline: Callable[[str], Result],
    *,
    name: str,
    command: str,
) -> None:
    consent_file = project / ".telemetry"
    bad_file(name).make(consent_file)
    before = snapshot(consent_file)

    result = kedro(command, cwd=project, env=env, timeout=60)

    assert_unchanged_by_plugin(result, baseline(command))
    silent()
    assert snapshot(consent_file) == before
    assert not (project / _PYTHON_TAG_MARKER).exists()


# Broken consent files on a terminal -------------------------------------------


@pytest.mark.slow
def test_an_invalid_project_consent_file_is_asked_about_again(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    bad_file("invalid-yaml").make(project / ".telemetry")

    session = on_terminal("info", cwd=project, env=env, timeout=60)
    session.expect_exact(QUESTION)
    session.sendline("n")
    session.expect(pexpect.EOF)
    session.close()

    assert session.exitstatus == 0
    assert "Traceback" not in session.before
    assert (project / ".telemetry").read_text() == "consent: false\n"
    silent()


@pytest.mark.slow
def test_an_unusable_project_consent_file_is_never_asked_about_nor_overwritten(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
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


# A project that cannot be written ---------------------------------------------

needs_read_only_mount = pytest.mark.skipif(
    bool(read_only_mounts_work()), reason=read_only_mounts_work() or "works"
)


@pytest.mark.slow
@needs_read_only_mount
def test_a_read_only_project_changes_nothing(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    baseline = run(
        in_read_only_project(project, [PYTHON, BASELINE_SCRIPT, "run"]),
        cwd=project,
        env=env,
    )
    result = run(
        in_read_only_project(project, [KEDRO_EXECUTABLE, "run"]), cwd=project, env=env
    )

    assert not list(project.rglob("__pycache__")), "the project was not read-only"
    assert_unchanged_by_plugin(result, baseline)
    silent()
    assert not (project / ".telemetry").exists()


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
    session.expect_exact(QUESTION)
    session.sendline("y")
    session.expect(pexpect.EOF)
    session.close()

    assert session.exitstatus == 0
    output = " ".join(session.before.split())
    assert "could not save your answer" in output
    assert "it applies to this command only" in output
    assert "Traceback" not in output
    assert not (project / ".telemetry").exists()
    [event] = receiver.wait_for(1)
    assert event["properties"]["command"] == "kedro info"


# Homes that cannot be used ----------------------------------------------------


def _without_xdg(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if not name.startswith("XDG_")}


def test_a_home_that_cannot_be_created_or_none_at_all_is_no_choice(
    project: Path,
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

    decision = consent.decide(project)

    assert (decision.consent, decision.source) == (None, "undecided")
    assert occupied.read_text() == "a file where the home's parent should be\n"

    def no_passwd_entry() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("HOME")
    monkeypatch.setattr(Path, "home", staticmethod(no_passwd_entry))

    decision = consent.decide(project)

    assert (decision.consent, decision.source) == (None, "undecided")


@pytest.mark.slow
def test_a_home_that_cannot_be_created_changes_nothing(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """``HOME`` lies under a regular file, and no XDG variable points elsewhere.

    With the project's yes: the event cannot be queued, the command is Kedro's.
    """
    occupied = tmp_path / "occupied"
    occupied.write_text("a file where the home's parent should be\n")
    home_env = {**_without_xdg(env), "HOME": str(occupied / "home")}

    baseline = kedro_without_hooks("run", cwd=consented, env=home_env)
    result = kedro("run", cwd=consented, env=home_env)
    assert_unchanged_by_plugin(result, baseline)

    assert receiver.wait_for(1, seconds=1) == []
    assert receiver.requests == []
    assert occupied.read_text() == "a file where the home's parent should be\n"


@dataclass
class NamelessUser:
    """A uid with no passwd entry, and a project and home that belong to it."""

    runner: UidRunner
    root: Path
    project: Path
    env: dict[str, str]


@pytest.fixture
def nameless(project_template: Path, receiver: HeapReceiver) -> Iterator[NamelessUser]:
    with room_for_another_uid("kedro-telemetry-nameless-") as (runner, root):
        project = shutil.copytree(project_template, root / "spaceship-log")
        env = isolated_environment(root)
        env["KEDRO_TELEMETRY_ENDPOINT"] = receiver.url
        for name in ("USER", "LOGNAME", "LNAME", "USERNAME"):
            env.pop(name, None)
        runner.give(root)
        yield NamelessUser(runner, root, project, env)


def consent_as(nameless: NamelessUser) -> None:
    """The project's yes, in a file that belongs to the nameless uid."""
    give_consent(nameless.project)
    consent_file = nameless.project / ".telemetry"
    os.lchown(consent_file, nameless.runner.uid, nameless.runner.uid)


@pytest.mark.slow
def test_a_uid_without_a_user_name_is_reported_as_anonymous(
    nameless: NamelessUser, receiver: HeapReceiver
) -> None:
    consent_as(nameless)

    baseline = nameless.runner.kedro_without_hooks(
        "info", cwd=nameless.project, env=nameless.env
    )
    result = nameless.runner.kedro("info", cwd=nameless.project, env=nameless.env)
    assert_unchanged_by_plugin(result, baseline)
    # That uid cannot start this environment's interpreter again for the detached
    # sender (it lives under root's private home): deliver what it queued as root.
    flushed = kedro(
        "telemetry", "flush", "--timeout", "10", cwd=nameless.root, env=nameless.env
    )
    assert flushed.returncode == 0, flushed.stderr

    [event] = receiver.wait_for(1)
    assert event["properties"]["username"] == "anonymous"
    assert event["properties"]["command"] == "kedro info"


@pytest.mark.slow
def test_no_home_at_all_changes_nothing_and_the_api_answers_false(
    nameless: NamelessUser, receiver: HeapReceiver
) -> None:
    """``HOME`` and the XDG variables unset, and no passwd entry to fall back on.

    With the project's yes: the event cannot be queued, the command is Kedro's,
    and another plugin's ``send_event`` answers ``False`` rather than raise.
    """
    env = {
        name: value
        for name, value in _without_xdg(nameless.env).items()
        if name != "HOME"
    }
    consent_as(nameless)
    code = (
        "from kedro_telemetry import send_event\n"
        "print('sent:', send_event('Plugin ping', {'n': 1}, project_path='.'))\n"
        "print('sent:', send_event('Plugin ping', {'n': 1}))\n"
    )

    baseline = nameless.runner.kedro_without_hooks("run", cwd=nameless.project, env=env)
    result = nameless.runner.kedro("run", cwd=nameless.project, env=env)
    api = nameless.runner.run([PYTHON, "-c", code], cwd=nameless.project, env=env)

    assert_unchanged_by_plugin(result, baseline)
    assert api.returncode == 0, api.stderr
    answers = [line for line in api.stdout.splitlines() if line[:5] == "sent:"]
    assert answers == ["sent: False", "sent: False"]
    assert receiver.wait_for(1, seconds=1) == []
    assert receiver.requests == []


# pyproject.toml that cannot be read as Kedro expects ---------------------------


@pytest.mark.slow
def test_a_pyproject_that_is_not_toml_fails_in_kedro_before_any_hook(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    """Kedro itself refuses the file while building its CLI: no hook is reached."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.kedro\nbroken = \n")
    give_consent(project)

    baseline = kedro_without_hooks("info", cwd=project, env=env)
    result = kedro("info", cwd=project, env=env)

    assert result.returncode == baseline.returncode != 0
    assert normalised(result.stdout) == normalised(baseline.stdout)
    assert result.stderr.count("Traceback") == baseline.stderr.count("Traceback")
    assert "kedro_telemetry" not in result.stderr
    silent()


@pytest.mark.slow
def test_a_pyproject_that_is_not_text_is_no_project(
    consented: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    """Kedro cannot decode it, so it sees no project; the project's consent is moot.

    ``kedro info`` works outside a project too, so the plugin's hooks do run.
    """
    (consented / "pyproject.toml").write_bytes(b"[tool.kedro]\n\xff\xfe\x00garbage\n")

    baseline = kedro_without_hooks("info", cwd=consented, env=env)
    result = kedro("info", cwd=consented, env=env)

    assert_unchanged_by_plugin(result, baseline)
    silent()


ODD_TYPES = 'project_name = 42\ntools = 7\nexample_pipeline = ["x", 1]\n'


def _with_odd_types(project: Path) -> None:
    """Valid TOML, accepted by Kedro, with numbers and lists where text is expected."""
    pyproject = project / "pyproject.toml"
    lines = [
        line
        for line in pyproject.read_text().splitlines()
        if not line.startswith(("project_name", "tools", "example_pipeline"))
    ]
    pyproject.write_text("\n".join(lines) + "\n" + ODD_TYPES)


@pytest.mark.slow
def test_a_pyproject_with_odd_types_still_yields_its_one_event(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """Kedro runs such a project, so the plugin reports it: text where text is due."""
    _with_odd_types(project)
    give_consent(project)

    baseline = kedro_without_hooks("run", cwd=project, env=env)
    result = kedro("run", cwd=project, env=env)

    assert_unchanged_by_plugin(result, baseline)
    events = receiver.wait_for(1)
    settle(env)  # every sender has exited: a second event would be here by now
    assert len(receiver.accepted) == 1, json.dumps(receiver.accepted)
    properties = events[0]["properties"]
    assert properties["project_name"] == hashlib.sha256(b"42").hexdigest()
    assert properties["number_of_nodes"] == 9
