"""Running a command as PID 1 of its own PID namespace: a container, without Docker.

``unshare --pid --fork --mount-proc CMD`` makes ``CMD`` the init of a new PID
namespace with its own ``/proc``, which is what ``docker run --rm image CMD``
does. When ``CMD`` exits, the kernel kills every other process of the
namespace, and ``unshare`` returns only once they are all gone: after it
returns, nothing started inside can still send anything.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

__all__ = ["in_pid_namespace", "pid_namespaces_unavailable"]


def in_pid_namespace(argv: Sequence[str]) -> list[str]:
    """``argv`` as the init (PID 1) of a fresh PID namespace."""
    return ["unshare", "--pid", "--fork", "--mount-proc", *argv]


@functools.cache
def pid_namespaces_unavailable() -> str:
    """Empty when a PID namespace can be made here, else why not (a skip reason)."""
    if shutil.which("unshare") is None:
        return "util-linux `unshare` is not installed"
    if os.geteuid() != 0:
        return "making a PID namespace needs root"
    try:
        probe = subprocess.run(
            in_pid_namespace(["sh", "-c", 'test "$$" = 1']),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError as error:
        return f"cannot start unshare: {error}"
    if probe.returncode != 0:
        return f"no PID namespace here: {probe.stderr.strip() or probe.returncode}"
    return ""
