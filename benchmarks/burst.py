"""Many consented commands at once: how many senders they start, at what CPU.

Run as a script, this is a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``):
it starts the commands, every process they leave behind is re-parented to it,
and it reaps each with ``wait4``, which tells that it existed, however briefly,
and what CPU it used. It prints the tally as JSON once nobody is left.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from typing import Any

_PR_SET_CHILD_SUBREAPER = 36
_CEILING = 300.0  # a waiting sender leaves about a minute after its last event


def _helper(spec: dict[str, Any]) -> dict[str, Any]:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    quiet = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    commands = {
        subprocess.Popen(
            [spec["kedro"], "info"], cwd=spec["project"], env=spec["env"], **quiet
        ).pid
        for _ in range(spec["n"])
    }
    tally = {"senders": 0, "sender_cpu": 0.0, "command_cpu": 0.0, "failed": 0}
    deadline = time.monotonic() + _CEILING
    while time.monotonic() < deadline:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return tally  # nobody left: every command and what it started is done
        if pid == 0:
            time.sleep(0.01)
        elif pid in commands:
            tally["command_cpu"] += usage.ru_utime + usage.ru_stime
            tally["failed"] += os.waitstatus_to_exitcode(status) != 0
        else:
            tally["senders"] += 1
            tally["sender_cpu"] += usage.ru_utime + usage.ru_stime
    tally["failed"] += 1  # past the ceiling: the caller's cgroup ends what is left
    return tally


if __name__ == "__main__":
    print(json.dumps(_helper(json.loads(sys.argv[1]))))
