"""A burst of commands: how many senders it starts, and what they cost in CPU.

A scheduler that starts many ``kedro`` commands at once should start about one
sender, not one per command. Senders are detached and outlive the commands, so
their CPU never shows in a command's own usage; to count and time them
exactly, the burst runs in a helper process (this file, run as a script) that
makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``): every
sender orphaned by its command is re-parented to the helper, which reaps it
with ``wait4`` and so gets its CPU time and learns that it existed, however
briefly it lived.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BurstResult", "run_burst"]

_PR_SET_CHILD_SUBREAPER = 36
_REAP_CEILING = 120.0  # a sender's own deadline is 60 s


@dataclass(frozen=True)
class BurstResult:
    """What one burst did; the CPU figures are user+sys seconds."""

    commands: int
    senders: int
    sender_cpu: float
    command_cpu: float
    delivered: int
    last_arrival: float  # seconds from the burst's start to its last event


def run_burst(
    kedro: Path, project: Path, env: dict[str, str], commands: int, recording: Any
) -> BurstResult:
    """Start ``commands`` ``kedro info`` at once and follow every process they leave.

    ``recording`` is the benchmark's :class:`servers.Recording`; the endpoint in
    ``env`` must point at it, and nothing else may post meanwhile.
    """
    spec = {"kedro": str(kedro), "project": str(project), "env": env, "n": commands}
    before = len(recording.snapshot())
    started = time.monotonic()
    helper = subprocess.run(
        [sys.executable, __file__, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=_REAP_CEILING + 120,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    tally = json.loads(helper.stdout)
    if tally["failed"]:
        raise RuntimeError(f"{tally['failed']} of the burst's commands failed")
    arrived = recording.snapshot()[before:]
    return BurstResult(
        commands=commands,
        senders=tally["senders"],
        sender_cpu=tally["sender_cpu"],
        command_cpu=tally["command_cpu"],
        delivered=len(arrived),
        last_arrival=max((item.at for item in arrived), default=started) - started,
    )


def _helper(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the burst as a subreaper; reap commands and senders until none is left."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    commands = {
        subprocess.Popen(
            [spec["kedro"], "info"],
            cwd=spec["project"],
            env=spec["env"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).pid
        for _ in range(spec["n"])
    }
    tally = {"senders": 0, "sender_cpu": 0.0, "command_cpu": 0.0, "failed": 0}
    deadline = time.monotonic() + _REAP_CEILING
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return tally  # nobody left: every command and every sender is done
        if pid == 0:
            if time.monotonic() > deadline:
                _kill_children()
            time.sleep(0.01)
            continue
        cpu = usage.ru_utime + usage.ru_stime
        if pid in commands:
            tally["command_cpu"] += cpu
            tally["failed"] += os.waitstatus_to_exitcode(status) != 0
        else:
            tally["senders"] += 1
            tally["sender_cpu"] += cpu


def _kill_children() -> None:
    """Past the ceiling: kill whatever is still our child, each by its pid."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[1] == me:
            os.kill(int(entry.name), signal.SIGKILL)


if __name__ == "__main__":
    print(json.dumps(_helper(json.loads(sys.argv[1]))))
