"""Where the plugin's files are; in a project it writes only ``.telemetry``, safely.

- ``platformdirs``' directories and the policy file, for this machine's
  platform (``platformdirs`` has its own tests for the others); the Windows
  policy path is named here, so it is checked on any machine.

- With consent, ``kedro run`` (every hook of the plugin at work) leaves every
  project file exactly as the same command leaves it with the plugin's hooks
  blocked (Kedro itself writes bytecode caches), ``pyproject.toml`` first, even
  when it holds a ``[tool.kedro_telemetry]`` table; after the question,
  ``.telemetry`` is the only new file (test_consent_question.py, with the prompt).
- ``write_atomically``: a failed or killed write leaves the old file whole, and
  a failure leaves no temporary file; the one a kill leaves is ignored by the
  outbox and removed once stale. A full disk is played by a tiny tmpfs.
- Outbox files are 0600 in a private directory, whatever the umask.
- Corrupt outbox files (garbage, wrong shape, huge, a pipe, a directory) are
  skipped and removed without stopping the queue: the detached sender delivers
  the good events.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest

from kedro_telemetry import files
from kedro_telemetry.files import remove_stale_temporaries, write_atomically
from kedro_telemetry.outbox.store import Outbox
from tests.support.baseline import PYTHON, tree_digest
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import Answer, HeapReceiver
from tests.support.kedro_env import KEDRO_EXECUTABLE, kedro, kedro_without_hooks, run
from tests.support.outbox import outbox_entries, synthetic_record

OLD = b"consent: false\n"
NEW = b"consent: true\n" + b"# padding\n" * 1000


def not_the_consent_file(relative: Path) -> bool:
    return relative == Path(".telemetry")


def fresh_copy(template: Path, destination: Path) -> Path:
    if destination.exists():
        shutil.rmtree(destination)
    return shutil.copytree(template, destination)


def only_name_left(directory: Path, name: str) -> None:
    assert sorted(os.listdir(directory)) == [name], "a temporary file lingers"


# Where the files are -----------------------------------------------------------


@pytest.fixture
def bare_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return tmp_path


def test_linux_paths_are_0_9_0_s(bare_home: Path) -> None:
    assert files.state_dir() == bare_home / ".local/state/kedro-telemetry"
    assert files.user_consent_file() == bare_home / ".config/kedro/telemetry.yml"
    assert files.project_answers_file() == (
        bare_home / ".config/kedro/telemetry-projects.yml"
    )
    assert files.policy_file("linux", {}) == Path("/etc/kedro/telemetry.yml")


def test_the_xdg_directories_win(
    bare_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/xdg/state")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/xdg/config")
    assert files.state_dir() == Path("/xdg/state/kedro-telemetry")
    assert files.user_consent_file() == Path("/xdg/config/kedro/telemetry.yml")


def test_a_relative_xdg_directory_is_ignored(
    bare_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    assert files.user_consent_file() == bare_home / ".config/kedro/telemetry.yml"


def test_no_home_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of ours is written relative to wherever a command runs."""
    monkeypatch.setattr("os.path.expanduser", lambda path: path)  # no passwd entry
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    with pytest.raises(files.NoHomeError):
        files.state_dir()


def test_the_windows_policy_file() -> None:
    environ = {"PROGRAMDATA": r"D:\ProgramData"}
    assert PureWindowsPath(str(files.policy_file("win32", environ))) == (
        PureWindowsPath(r"D:\ProgramData\kedro\telemetry.yml")
    )
    assert PureWindowsPath(str(files.policy_file("win32", {}))) == (
        PureWindowsPath(r"C:\ProgramData\kedro\telemetry.yml")
    )


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_the_policy_file_can_be_moved(platform: str) -> None:
    environ = {files.POLICY_FILE_VARIABLE: "/images/policy.yml"}
    assert files.policy_file(platform, environ) == Path("/images/policy.yml")


# Project files ------------------------------------------------------------------


def with_a_telemetry_table(project: Path) -> None:
    """A ``[tool.kedro_telemetry]`` table, as a person might add one."""
    with (project / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.kedro_telemetry]\nconsent = false\nidentity = "abc"\n')


@pytest.mark.slow
def test_a_consented_command_leaves_the_project_as_kedro_alone_would(
    project_template: Path, tmp_path: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """Both runs use the same path in turn: bytecode caches embed the source path.

    The project's ``pyproject.toml`` holds a ``[tool.kedro_telemetry]`` table,
    which the plugin never reads nor rewrites.
    """
    place = tmp_path / "work" / "spaceship-log"
    fresh_copy(project_template, place)
    with_a_telemetry_table(place)
    baseline = kedro_without_hooks("run", cwd=place, env=env)
    assert baseline.returncode == 0, baseline.stderr
    without_plugin = tree_digest(place)

    fresh_copy(project_template, place)
    with_a_telemetry_table(place)
    give_consent(place)
    pyproject_before = (place / "pyproject.toml").stat()
    result = kedro("run", cwd=place, env=env)
    assert result.returncode == 0, result.stderr

    assert receiver.wait_for(1) != [], "the plugin must have been at work"
    assert tree_digest(place, skip=not_the_consent_file) == without_plugin
    assert (place / ".telemetry").read_text() == "consent: true\n"  # as given
    pyproject_after = (place / "pyproject.toml").stat()
    assert pyproject_after.st_mtime_ns == pyproject_before.st_mtime_ns
    assert pyproject_after.st_ino == pyproject_before.st_ino


# write_atomically ---------------------------------------------------------------


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "private" / ".telemetry"
    path.parent.mkdir()
    path.write_bytes(OLD)
    return path


def _raising(error: BaseException) -> Callable[..., None]:
    def fail(*_: object) -> None:
        raise error

    return fail


# The operating system fails one step (the far edge), or the user interrupts it.
WRITE_FAULTS = {
    "failed-fsync": ("fsync", OSError(errno.ENOSPC, "No space left on device")),
    "failed-rename": ("replace", OSError(errno.EIO, "Input/output error")),
    "interrupt-mid-write": ("fsync", KeyboardInterrupt()),
}


@pytest.mark.parametrize("fault", WRITE_FAULTS.values(), ids=WRITE_FAULTS.keys())
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    old_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: tuple[str, BaseException],
) -> None:
    step, error = fault
    monkeypatch.setattr(files.os, step, _raising(error))
    with pytest.raises(type(error)):
        write_atomically(old_file, NEW)

    assert old_file.read_bytes() == OLD
    only_name_left(old_file.parent, old_file.name)


@pytest.mark.slow
def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """A real ENOSPC: a 64 KiB tmpfs in a private mount namespace cannot take 1 MB."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    disk = tmp_path / "disk"
    disk.mkdir()
    check = textwrap.dedent(
        """
        import json, os, sys
        from pathlib import Path, PureWindowsPath
        from kedro_telemetry.files import write_atomically
        path = Path(sys.argv[1]) / ".telemetry"
        path.write_bytes(b"consent: false\\n")
        try:
            write_atomically(path, b"x" * (1024 * 1024))
            error = None
        except OSError as raised:
            error = raised.errno
        print(json.dumps({"error": error, "content": path.read_text(),
                          "names": sorted(os.listdir(path.parent))}))
        """
    )
    mount = 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" -c "$3" "$1"'
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh",
         str(disk), PYTHON, check],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if result.returncode != 0 and "mount" in result.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome == {
        "error": errno.ENOSPC,
        "content": "consent: false\n",
        "names": [".telemetry"],
    }


def _killed_mid_write(target: Path, code: str) -> None:
    """Run ``code`` (which writes ``target``) and kill it just before the rename.

    ``os.replace`` is the one step every atomic write takes (outbox files skip
    the fsync), so stalling it stops the writer with its bytes written.
    """
    stall = textwrap.dedent(
        """
        import os, sys, time
        def stall(source, destination):
            print("writing", flush=True)
            time.sleep(120)
        os.replace = stall
        """
    )
    with subprocess.Popen(
        [PYTHON, "-c", stall + textwrap.dedent(code), str(target)],
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)


@pytest.mark.slow
def test_a_kill_mid_write_leaves_the_old_consent_file_whole(old_file: Path) -> None:
    _killed_mid_write(
        old_file,
        """
        from pathlib import Path, PureWindowsPath
        from kedro_telemetry.files import write_atomically
        write_atomically(Path(sys.argv[1]), b"consent: true\\n" * 1000)
        """,
    )
    assert old_file.read_bytes() == OLD
    [stray] = [name for name in os.listdir(old_file.parent) if name != old_file.name]
    assert stray.startswith(".tmp-.telemetry-")


@pytest.mark.slow
def test_a_kill_mid_queue_leaves_a_temporary_the_outbox_ignores_then_removes(
    tmp_path: Path,
) -> None:
    outbox_dir = tmp_path / "outbox"
    _killed_mid_write(
        outbox_dir,
        """
        from pathlib import Path, PureWindowsPath
        from kedro_telemetry.outbox.store import Outbox
        event = {"idempotency_key": "k", "properties": {}}
        Outbox(Path(sys.argv[1])).put({"endpoint": "e", "app_id": "a", "event": event})
        """,
    )
    outbox = Outbox(outbox_dir)
    [stray] = os.listdir(outbox_dir)
    assert stray.startswith(".tmp-")
    assert outbox.files() == [] and outbox.read(10, remove_corrupt=True) == []

    remove_stale_temporaries(outbox_dir)
    assert os.listdir(outbox_dir) == [stray], "a fresh temporary may be a live writer's"
    two_hours_ago = time.time() - 7200
    os.utime(outbox_dir / stray, (two_hours_ago, two_hours_ago))
    remove_stale_temporaries(outbox_dir)
    assert os.listdir(outbox_dir) == []


# The outbox on disk ---------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_outbox_files_are_private_whatever_the_umask(
    project: Path, env: dict[str, str], receiver: HeapReceiver, state_dir: Path
) -> None:
    """Under umask 0; the receiver answers 404, on which the sender keeps the event."""
    receiver.answer(then=Answer(404))
    give_consent(project)

    result = run([KEDRO_EXECUTABLE, "info"], cwd=project, env=env,
                 preexec_fn=lambda: os.umask(0))  # fmt: skip
    assert result.returncode == 0, result.stderr

    [queued] = (state_dir / "outbox").glob("*.json")
    assert mode_of(queued) == 0o600
    assert mode_of(state_dir / "outbox") == 0o700
    assert mode_of(state_dir) & 0o077 == 0, f"{mode_of(state_dir):o}"
    receiver.answer(then=Answer(200))  # the detached sender may still be posting
    flushed = kedro("telemetry", "flush", "--timeout", "10", cwd=project, env=env)
    assert "0 left in the outbox" in flushed.stdout, flushed.stdout + flushed.stderr
    assert len(receiver.wait_for(1)) == 1


@pytest.fixture
def corrupt_outbox(state_dir: Path, receiver: HeapReceiver) -> Path:
    """An outbox holding one good event among every kind of broken file."""
    outbox = state_dir / "outbox"
    outbox.mkdir(mode=0o700, parents=True)
    broken = {
        "00000000000000000001-garbage.json": b"\x00\xffnot json at all",
        "00000000000000000002-empty.json": b"",
        "00000000000000000003-list.json": b"[1, 2, 3]",
        "00000000000000000004-wrong-shape.json": b'{"endpoint": 1, "event": "x"}',
        "00000000000000000005-huge.json": b'{"pad": "' + b"x" * 400_000 + b'"}',
    }
    for name, content in broken.items():
        (outbox / name).write_bytes(content)
    os.mkfifo(outbox / "00000000000000000006-pipe.json")
    (outbox / "00000000000000000007-directory.json").mkdir()
    good = synthetic_record(receiver.url)
    good["event"]["idempotency_key"] = f"earlier-{uuid.uuid4().hex}"
    Outbox(outbox).put(good)
    (state_dir / "delivered.json").write_bytes(b"{not a list")
    return outbox


@pytest.mark.slow
def test_corrupt_outbox_files_are_skipped_and_the_good_events_still_arrive(
    project: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    corrupt_outbox: Path,
    state_dir: Path,
) -> None:
    give_consent(project)
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0, result.stderr

    events = receiver.wait_for(2)
    assert sorted(event["properties"]["command"] for event in events) == [
        "kedro info",
        "kedro info",
    ]
    assert [key[:8] for key in receiver.accepted_keys()].count("earlier-") == 1
    flushed = kedro("telemetry", "flush", "--timeout", "10", cwd=project, env=env)
    assert flushed.returncode == 0, flushed.stderr
    assert "Sent 0 event(s); 0 left in the outbox." in flushed.stdout, flushed.stdout
    assert outbox_entries(state_dir) == ["00000000000000000007-directory.json"]
    delivered = json.loads((state_dir / "delivered.json").read_text())
    assert {item["idempotency_key"] for item in delivered} == {
        event["idempotency_key"] for event in events
    }
