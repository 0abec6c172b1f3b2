"""Running the plugin under restrictions: a read-only project, a nameless uid.

As a uid with no passwd entry (no user name, maybe no home), or in a private
mount namespace where the project is read-only; each with the reason when this
machine cannot do it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.baseline import BASELINE_SCRIPT, PYTHON, Result
from tests.support.kedro_env import KEDRO_EXECUTABLE, run

__all__ = [
    "UidRunner",
    "in_read_only_project",
    "needs_read_only_mount",
    "read_only_mounts_work",
    "room_for_another_uid",
    "uid_runner",
]


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


# Skips, with the reason, where no read-only project can be made.
needs_read_only_mount = pytest.mark.skipif(
    bool(read_only_mounts_work()), reason=read_only_mounts_work() or "works"
)


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
        return self.run([PYTHON, KEDRO_EXECUTABLE, *args], cwd=cwd, env=env)

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


@contextlib.contextmanager
def room_for_another_uid(prefix: str) -> Iterator[tuple[UidRunner, Path]]:
    """A working :class:`UidRunner` and a directory its uid can enter, or a skip.

    The directory is not under pytest's own temporary one, which is private
    to root; it is removed at the end.
    """
    runner = uid_runner()
    if isinstance(runner, str):
        pytest.skip(runner)
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        os.chmod(root, 0o755)
        yield runner, root
    finally:
        shutil.rmtree(root, ignore_errors=True)
