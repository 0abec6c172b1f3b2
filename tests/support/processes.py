"""Processes a test starts or watches: detached senders, flushes, parallel commands.

Everything here looks at the real artefacts the plugin leaves behind (the
sender's lock, live ``python -m kedro_telemetry.sender`` processes found
through ``/proc``) rather than at the plugin's internals.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kedro_telemetry.outbox.lock import SenderLock
from tests.support.kedro_env import kedro, state_dir_of

__all__ = [
    "QUEUE_ONE",
    "FlushResult",
    "Senders",
    "TimedRun",
    "flush",
    "max_overlap",
    "run_in_parallel",
    "settle",
    "wait_until",
]

SENDER_MODULE = b"kedro_telemetry.sender"
# ``queue(key)`` queues an event through the plugin's own ``queue_event``, as a
# ``kedro`` command does when it ends, without the second of Kedro's start-up.
QUEUE_ONE = """
def queue(key):
    from datetime import datetime, timezone
    from kedro_telemetry.outbox.wake import queue_event as deliver
    from kedro_telemetry.collect.event import build_event

    deliver(build_event("CLI command", identity="0" * 64,
                        properties={"command": "kedro info"},
                        timestamp=datetime.now(timezone.utc), idempotency_key=key))
"""

_FLUSH_LINE = re.compile(r"Sent (\d+) event\(s\); (\d+) left in the outbox\.")


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` at the ceiling."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting until {what}")
        time.sleep(0.1)


class Senders:
    """The detached senders started from one test's isolated environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self._marker = f"XDG_STATE_HOME={env['XDG_STATE_HOME']}".encode()
        self.state_dir = state_dir_of(env)

    def pids(self) -> set[int]:
        """Live sender processes whose environment is this test's (zombies excluded)."""
        found: set[int] = set()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
                if SENDER_MODULE not in cmdline:
                    continue
                environ = Path(entry.path, "environ").read_bytes().split(b"\0")
            except OSError:
                continue  # gone meanwhile, or not ours to read
            if self._marker in environ:
                found.add(int(entry.name))
        return found

    def lock_is_held(self) -> bool:
        """Whether some process holds the sender lock right now."""
        lock = SenderLock(self.state_dir / "sender.lock")
        if lock.acquire():
            lock.release()
            return False
        return True

    def wait_until_gone(self, seconds: float = 60.0) -> None:
        wait_until(lambda: not self.pids(), "every sender has exited", seconds)

    def stop_all(self) -> None:
        """End this test's leftover senders, each by its own pid."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def settle(env: dict[str, str]) -> Senders:
    """Wait until every sender started from ``env`` has exited.

    A ``kedro`` command that returned has started its sender already (``Popen``
    returns once the child runs), and a sender exits only after the endpoint
    answered: from then on, what the receiver holds is final. When no sender
    was started, this returns at once.
    """
    senders = Senders(env)
    senders.wait_until_gone()
    return senders


@dataclass(frozen=True)
class FlushResult:
    sent: int
    left: int
    output: str


def flush(cwd: Path, env: dict[str, str], timeout: float) -> FlushResult:
    """Run ``kedro telemetry flush --timeout``.

    The process's ceiling is generous, yet under the 60 s a detached sender may
    take: a flush that ignored its ``--timeout`` would be stopped and fail.
    """
    result = kedro(
        "telemetry",
        "flush",
        "--timeout",
        str(timeout),
        cwd=cwd,
        env=env,
        timeout=timeout + 40,
    )
    assert result.returncode == 0, result.stderr
    match = _FLUSH_LINE.search(result.stdout)
    assert match, result.stdout
    return FlushResult(int(match[1]), int(match[2]), result.stdout + result.stderr)


# Running commands side by side ------------------------------------------------


@dataclass(frozen=True)
class TimedRun:
    started: float
    ended: float
    result: subprocess.CompletedProcess[str]


def run_in_parallel(
    count: int, workers: int, project: Path, env: dict[str, str], *args: str
) -> list[TimedRun]:
    """Run ``kedro *args`` ``count`` times, ``workers`` at a time."""

    def one(_: int) -> TimedRun:
        started = time.monotonic()
        result = kedro(*args, cwd=project, env=env, timeout=300)
        return TimedRun(started, time.monotonic(), result)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(count)))


def max_overlap(runs: list[TimedRun]) -> int:
    """The largest number of runs that were in progress at the same moment."""
    starts = [(run.started, 1) for run in runs]
    edges = sorted(starts + [(run.ended, -1) for run in runs])
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak
