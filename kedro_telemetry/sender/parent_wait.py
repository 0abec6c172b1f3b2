"""Waiting for the command that started the sender to exit.

Started while Kedro is still shutting down, the sender would compete with it
for the cores; so it waits first. On POSIX the parent's exit shows as
``getppid()`` changing (we are reparented). On Windows ``getppid()`` keeps the
parent's pid after it exits, so we wait on the parent's process handle.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

__all__ = ["wait_for_parent"]

# A notebook's kernel never exits: the sender stops waiting after this long.
PARENT_WAIT_SECONDS = 5.0


def wait_for_parent(
    parent_pid: int,
    limit: float = PARENT_WAIT_SECONDS,
    give_up: Callable[[], bool] = lambda: False,
) -> None:
    """Return once ``parent_pid`` has exited, ``limit`` passed or ``give_up()``."""
    deadline = time.monotonic() + limit
    if sys.platform == "win32":
        _wait_for_windows_process(parent_pid, deadline, give_up)
        return
    while os.getppid() == parent_pid and time.monotonic() < deadline:
        if give_up():
            return
        time.sleep(0.02)


def _wait_for_windows_process(
    pid: int, deadline: float, give_up: Callable[[], bool]
) -> None:
    """``OpenProcess(SYNCHRONIZE)``, then ``WaitForSingleObject`` in 0.1 s slices.

    If the process is already gone, OpenProcess fails and we go on at once; if
    its pid was reused meanwhile, we wait on a stranger, until the deadline.
    """
    if sys.platform == "win32":  # the branch mypy checks only for Windows
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
        kernel32.WaitForSingleObject.argtypes = (wintypes.HANDLE, wintypes.DWORD)
        kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
        synchronize, wait_timeout = 0x00100000, 0x102
        handle = kernel32.OpenProcess(synchronize, False, pid)
        if not handle:
            return
        try:
            while not give_up() and (left := deadline - time.monotonic()) > 0:
                slice_ms = int(min(left, 0.1) * 1000)
                if kernel32.WaitForSingleObject(handle, slice_ms) != wait_timeout:
                    return  # ended (or the handle failed: waiting longer is no use)
        finally:
            kernel32.CloseHandle(handle)
