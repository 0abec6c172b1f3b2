"""Timing one ``kedro`` process, and keeping this project's senders from piling up.

The wall time is that of the ``kedro`` process alone: its output goes to a file,
so the detached sender this project starts (which closes every descriptor of
Kedro's) cannot hold the measurement open. That sender is, however, a process
of ours on a 2-core machine: before the next measurement it is given a grace
period to finish and is then killed by its pid, and the outbox is emptied, so
neither its CPU nor its queue leaks into the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from venvs import Venv

__all__ = ["Timing", "Workspace", "settle_senders", "time_command", "time_kedro"]

_COMMAND_TIMEOUT = 90.0  # 0.9.0 needs ~10.5 s when the network hangs
_POLL_SECONDS = 0.05
_SENDER_MODULE = "kedro_telemetry.sender"


@dataclass
class Workspace:
    """Where one venv runs: its project copy, its home, its base environment."""

    venv: Venv
    project: Path
    home: Path
    env: dict[str, str] = field(repr=False)

    @property
    def state_dir(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"]) / "kedro-telemetry"

    @property
    def output_file(self) -> Path:
        return self.project.parent / "last-output.txt"


@dataclass(frozen=True)
class Timing:
    """Wall seconds of one ``kedro`` process, and the CPU seconds it used itself.

    The CPU time leaves out what other tenants of a shared machine do to the
    wall time, and what the detached sender uses: it is never our child to wait
    for, so its usage is never added to ours.
    """

    wall: float
    cpu: float


def time_kedro(
    workspace: Workspace, args: list[str], extra_env: dict[str, str]
) -> Timing:
    """Time ``kedro args`` from start to exit; a failing command stops everything.

    A command that fails would measure an error path, not the plugin.
    """
    return time_command(workspace, [str(workspace.venv.kedro), *args], extra_env)


def time_command(
    workspace: Workspace, command: list[str], extra_env: dict[str, str]
) -> Timing:
    """Time ``command`` in the workspace's project; see :func:`time_kedro`.

    The wait is a blocking ``wait4``, not ``subprocess.run(timeout=...)``:
    with a timeout, ``Popen.wait`` polls with sleeps of up to 50 ms, which
    would round every measurement to 50 ms, more than the effects measured
    here. A watchdog thread enforces the timeout instead.
    """
    with open(workspace.output_file, "wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=workspace.project,
            env={**workspace.env, **extra_env},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        watchdog = threading.Timer(_COMMAND_TIMEOUT, process.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if elapsed >= _COMMAND_TIMEOUT:
        raise TimeoutError(f"venv {workspace.venv.key}: {' '.join(command)} hung")
    if process.returncode != 0:
        tail = workspace.output_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(
            f"venv {workspace.venv.key}: {' '.join(command)} exited "
            f"{process.returncode}:\n{tail}"
        )
    return Timing(elapsed, usage.ru_utime + usage.ru_stime)


def settle_senders(workspace: Workspace, grace: float) -> int:
    """Give this workspace's senders ``grace`` s, kill the rest, empty the outbox.

    Returns how many had to be killed, which the diagnostics report.
    """
    deadline = time.monotonic() + grace
    while _senders(workspace) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    stragglers = _senders(workspace)
    for pid in stragglers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while _senders(workspace) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    shutil.rmtree(workspace.state_dir / "outbox", ignore_errors=True)
    return len(stragglers)


def _senders(workspace: Workspace) -> list[int]:
    """Live ``python -m kedro_telemetry.sender`` processes started from ``workspace``.

    A process counts only if it runs this venv's interpreter and carries this
    workspace's state directory in its environment: nobody else's process is
    ever touched.
    """
    marker = f"XDG_STATE_HOME={workspace.env['XDG_STATE_HOME']}".encode()
    interpreters = str(workspace.venv.path / "bin").encode() + b"/"
    found: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes().split(b"\0")
            if _SENDER_MODULE.encode() not in argv or not argv[0].startswith(
                interpreters
            ):
                continue
            if marker not in Path(entry.path, "environ").read_bytes().split(b"\0"):
                continue
            if _is_zombie(Path(entry.path, "stat")):
                continue
        except OSError:
            continue  # exited while we looked
        found.append(int(entry.name))
    return found


def _is_zombie(stat_file: Path) -> bool:
    # The state follows the parenthesised command name, which may hold spaces.
    return stat_file.read_text().rpartition(")")[2].split()[0] == "Z"
