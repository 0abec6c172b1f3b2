"""Helpers of the hardening suite (bad input, files, privacy, fault injection).

They compare a command with its baseline (the same command with the plugin's
hooks blocked), prove that nothing was sent, queued or written, hash project
trees, record the raw bytes a receiver got, and run ``kedro`` in unusual ways:
as a uid with no passwd entry, in a read-only project, or with one step of the
plugin made to fail.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.support import kedro_env
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import kedro, kedro_without_hooks

__all__ = [
    "FAULT_SCRIPT",
    "KEDRO_SCRIPT",
    "PYTHON",
    "RawRecordingReceiver",
    "UidRunner",
    "assert_nothing_sent",
    "assert_unchanged_by_plugin",
    "in_read_only_project",
    "kedro_with_fault",
    "normalised",
    "outbox_entries",
    "python_snippet",
    "run",
    "tree_digest",
    "uid_runner",
]

SUPPORT = Path(__file__).parent
PYTHON = sys.executable
KEDRO_SCRIPT = str(Path(sys.executable).with_name("kedro"))
FAULT_SCRIPT = str(SUPPORT / "kedro_with_fault.py")
BASELINE_SCRIPT = str(SUPPORT / "kedro_without_hooks.py")

Result = subprocess.CompletedProcess[str]

# Rich prints the time only when it changed since the previous line.
_TIMESTAMP = re.compile(r"^\[\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\]", re.MULTILINE)
_DURATION = re.compile(r"\b\d+(?:\.\d+)? ?(?:sec|seconds|ms)\b")


def normalised(output: str) -> list[str]:
    """Lines of ``output`` with timestamps and durations replaced, spacing collapsed.

    Only what changes from one run to the next is neutralised; every word stays.
    """
    output = _TIMESTAMP.sub("", output)
    output = _DURATION.sub("<duration>", output)
    return [" ".join(line.split()) for line in output.splitlines()]


def assert_unchanged_by_plugin(result: Result, baseline: Result) -> None:
    """Same exit code and stdout as the baseline, and no traceback on stderr."""
    assert result.returncode == baseline.returncode, (result.stdout, result.stderr)
    assert normalised(result.stdout) == normalised(baseline.stdout), result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def outbox_entries(state_dir: Path) -> list[str]:
    """Every name in the outbox directory, temporary files included."""
    outbox = state_dir / "outbox"
    return sorted(os.listdir(outbox)) if outbox.is_dir() else []


def assert_nothing_sent(receiver: HeapReceiver, state_dir: Path) -> None:
    """Nothing queued and nothing posted.

    Checked in this order, no waiting is needed: an event leaves the outbox only
    after the receiver recorded its request, so an event queued by a finished
    command is either still a file or already among the receiver's requests.
    """
    assert outbox_entries(state_dir) == []
    assert receiver.requests == []
    assert receiver.posted_keys == []


def tree_digest(
    root: Path, *, skip: Callable[[Path], bool] = lambda _: False
) -> dict[str, str]:
    """A digest per path under ``root``: content and mode for files, kind for others."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if skip(relative):
            continue
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            digest[str(relative)] = f"link -> {os.readlink(path)}"
        elif stat.S_ISDIR(info.st_mode):
            digest[str(relative)] = f"dir {stat.S_IMODE(info.st_mode):o}"
        else:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
            digest[str(relative)] = f"file {stat.S_IMODE(info.st_mode):o} {content}"
    return digest


# The suite's runner, with this module's tighter ceiling for a hung process.
run = functools.partial(kedro_env.run, timeout=120)


def kedro_with_fault(
    mode: str,
    marker: Path,
    targets: Sequence[str],
    *args: str,
    cwd: Path,
    env: dict[str, str],
) -> Result:
    """``kedro *args`` with ``targets`` failing (``fail``) or spied on (``spy``)."""
    return run(
        [PYTHON, FAULT_SCRIPT, mode, str(marker), ",".join(targets), *args],
        cwd=cwd,
        env=env,
    )


def python_snippet(code: str, *, cwd: Path, env: dict[str, str]) -> Result:
    """``python -c code`` in the project's interpreter; ``SUPPORT`` is importable."""
    prelude = f"import sys; sys.path.insert(0, {str(SUPPORT)!r})\n"
    return run([PYTHON, "-c", prelude + code], cwd=cwd, env=env)


def in_read_only_project(project: Path, argv: Sequence[str]) -> list[str]:
    """``argv`` run in a private mount namespace where ``project`` is read-only.

    The tests run as root, and root ignores permission bits; a read-only bind
    mount stops root too, and vanishes with the process.
    """
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" '
        '&& shift && exec "$@"'
    )
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        str(project),
        *argv,
    ]


@functools.cache
def read_only_mounts_work() -> str:
    """Empty when a read-only bind mount can be made here, else the reason."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare or mount is not installed"
    probe = Path(tempfile.mkdtemp(prefix="kedro-telemetry-ro-probe-"))
    try:
        attempt = 'touch "$0/written" 2>/dev/null; test ! -e "$0/written"'
        result = subprocess.run(
            in_read_only_project(probe, ["sh", "-c", attempt, str(probe)]),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError as error:
        return f"cannot start unshare: {error}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if result.returncode != 0:
        return f"no private read-only bind mount here: {result.stderr.strip()}"
    return ""


def baseline_and_plugin(
    *args: str, cwd: Path, env: dict[str, str]
) -> tuple[Result, Result]:
    """The command without the plugin's hooks, then with them."""
    return kedro_without_hooks(*args, cwd=cwd, env=env), kedro(*args, cwd=cwd, env=env)


class RawRecordingReceiver(HeapReceiver):
    """A :class:`HeapReceiver` that also keeps every request body as raw bytes."""

    def __init__(self) -> None:
        self.raw_bodies: list[bytes] = []
        super().__init__()

    def _handler_class(self) -> type[Any]:
        base = super()._handler_class()
        receiver = self

        class RawHandler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    receiver.raw_bodies.append(raw)
                self.rfile = io.BytesIO(raw)
                super().do_POST()

        return RawHandler


def _free_uid() -> int:
    """A uid that has no passwd entry, so no user name can be found for it."""
    uid = 54321
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


class UidRunner:
    """Runs the project's interpreter as a uid with no passwd entry.

    The virtual environment's ``python`` is a link into root's own home (mode
    0700), which another uid cannot enter, so the process is started from an
    interpreter file the uid can reach (``executable``) while ``argv[0]`` stays
    the environment's ``python``: Python then finds ``pyvenv.cfg`` and the
    environment's packages as usual.
    """

    def __init__(self, uid: int, interpreter: str) -> None:
        self.uid = uid
        self.interpreter = interpreter

    def _drop(self) -> None:
        os.setgid(self.uid)
        os.setgroups([])
        os.setuid(self.uid)

    def run(self, argv: Sequence[str], *, cwd: Path, env: dict[str, str]) -> Result:
        return run(
            argv, cwd=cwd, env=env, executable=self.interpreter, preexec_fn=self._drop
        )

    def kedro(self, *args: str, cwd: Path, env: dict[str, str]) -> Result:
        return self.run([PYTHON, KEDRO_SCRIPT, *args], cwd=cwd, env=env)

    def kedro_without_hooks(self, *args: str, cwd: Path, env: dict[str, str]) -> Result:
        return self.run([PYTHON, BASELINE_SCRIPT, *args], cwd=cwd, env=env)

    def give(self, path: Path) -> None:
        """Make ``path`` and everything under it belong to the uid."""
        for root, directories, files in os.walk(path):
            for name in [*directories, *files]:
                os.lchown(os.path.join(root, name), self.uid, self.uid)
        os.lchown(path, self.uid, self.uid)


@functools.cache
def uid_runner() -> UidRunner | str:
    """A working :class:`UidRunner`, or the reason why there cannot be one."""
    if os.getuid() != 0:
        return "changing uid needs root"
    uid = _free_uid()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        os.path.realpath(sys.executable),
        f"/usr/bin/{version}",
        f"/usr/local/bin/{version}",
    ]
    probe = (
        "import getpass, kedro, kedro_telemetry, yaml\n"
        "try:\n    getpass.getuser()\nexcept KeyError:\n    print('nameless')"
    )
    for interpreter in candidates:
        if not os.path.exists(interpreter):
            continue
        runner = UidRunner(uid, interpreter)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("USER", "LOGNAME", "LNAME", "USERNAME")
        }
        try:
            result = runner.run([PYTHON, "-c", probe], cwd=Path("/"), env=env)
        except OSError:
            continue
        if result.returncode == 0 and result.stdout.strip() == "nameless":
            return runner
    return "no Python interpreter that a uid without a passwd entry can start"
