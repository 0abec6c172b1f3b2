"""A command and everything it starts, counted until the last process has ended.

With a writable cgroup v2 hierarchy (Linux, root) each run gets a child cgroup of
its own. The command joins it before it starts (a shell writes its own pid to
``cgroup.procs``, then execs the command), so every process it starts, however
detached, is born inside: ``cpu.stat``'s ``usage_usec`` is the CPU of all of
them, and the run is over when ``cgroup.procs`` is empty. Without cgroup v2 the
fallback waits for the plugin's senders by pid (tests/support's sender scan)
and adds their CPU as ``/proc`` last showed it (a poll interval short at worst)
to the command's own.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Enclosure", "Timing", "cgroup_root"]

_POLL = 0.05
_SHELL_JOIN = 'echo 0 > "$0" && exec "$@"'
_numbers = itertools.count()


@dataclass(frozen=True)
class Timing:
    """One command: monotonic start and end, and the CPU seconds it used itself."""

    started: float
    ended: float
    cpu: float

    @property
    def wall(self) -> float:
        return self.ended - self.started


def cgroup_root() -> Path | None:
    """A cgroup v2 directory we may create children in, or None (also when
    ``BENCH_NO_CGROUP`` is set, to try the fallback)."""
    if os.environ.get("BENCH_NO_CGROUP"):
        return None
    with open("/proc/mounts", encoding="utf-8") as mounts:
        roots = [line.split()[1] for line in mounts if line.split()[2] == "cgroup2"]
    for root in roots:
        probe = Path(root, f"kedro-telemetry-bench-probe-{os.getpid()}")
        try:
            probe.mkdir()
            usable = (probe / "cpu.stat").exists()
            probe.rmdir()
        except OSError:
            continue
        if usable:
            return Path(root)
    return None


class Enclosure:
    """Runs commands inside one cgroup (or the fallback) and waits for them all."""

    root: Path | None = None  # set once by the benchmark from ``cgroup_root``

    def __init__(self, env: dict[str, str], output: Path) -> None:
        self._env, self._output = env, output
        self.path = None
        if self.root is not None:
            self.path = (
                self.root / f"kedro-telemetry-bench-{os.getpid()}-{next(_numbers)}"
            )
            self.path.mkdir()
        self._own_cpu = 0.0
        self._seen: dict[int, float] = {}  # fallback: CPU last seen per sender

    def __enter__(self) -> Enclosure:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
        if self.path is not None:
            self.path.rmdir()

    def run(
        self, argv: list[str], cwd: Path, extra: dict[str, str], timeout: float = 120
    ) -> Timing:
        """Run ``argv`` to its exit (not its descendants'); a failure stops the bench.

        A blocking ``wait4``, not ``subprocess.run(timeout=...)``, which polls in
        sleeps of up to 50 ms; a watchdog thread enforces the timeout instead.
        """
        if self.path is not None:
            argv = ["/bin/sh", "-c", _SHELL_JOIN, f"{self.path}/cgroup.procs", *argv]
        with open(self._output, "wb") as output:
            started = time.monotonic()
            process = subprocess.Popen(
                argv, cwd=cwd, env={**self._env, **extra}, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
            watchdog = threading.Timer(timeout, process.kill)
            watchdog.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                watchdog.cancel()
            ended = time.monotonic()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here
        if process.returncode != 0:
            tail = self._output.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{argv} exited {process.returncode}:\n{tail}")
        cpu = usage.ru_utime + usage.ru_stime
        self._own_cpu += cpu
        return Timing(started, ended, cpu)

    def pids(self) -> set[int]:
        """The live processes inside (fallback: the plugin's senders)."""
        if self.path is not None:
            text = (self.path / "cgroup.procs").read_text()
            return {int(pid) for pid in text.split()}
        from tests.support.processes import Senders

        found = Senders(self._env).pids()
        for pid in found:
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                if stat[0] != "Z":
                    ticks = int(stat[11]) + int(stat[12])
                    self._seen[pid] = ticks / os.sysconf("SC_CLK_TCK")
        return found

    def wait_empty(self, seconds: float) -> float | None:
        """The monotonic time the last process ended, or None after ``seconds``."""
        deadline = time.monotonic() + seconds
        while self.pids():
            if time.monotonic() > deadline:
                return None
            time.sleep(_POLL)
        return time.monotonic()

    def cpu(self) -> float:
        """CPU seconds of every process that ran inside so far."""
        if self.path is None:
            return self._own_cpu + sum(self._seen.values())
        stat = dict(
            line.split() for line in (self.path / "cpu.stat").read_text().splitlines()
        )
        return int(stat["usage_usec"]) / 1e6

    def kill(self) -> None:
        """End whatever is still inside, and wait until it has."""
        if self.path is not None:
            (self.path / "cgroup.kill").write_text("1")
        else:
            from tests.support.processes import Senders

            Senders(self._env).stop_all()
        self.wait_empty(10.0)
