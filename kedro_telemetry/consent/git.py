"""What git says about a project's ``.telemetry``, asked of git itself.

A yes that git tracks came with the repository: whoever clones it would find
it, so it is nobody's answer there. Git alone knows what it tracks (split
and sparse indexes, worktrees, submodules, whatever it adds next), so the
plugin asks it with a small plumbing command and reads only the exit code.
``consent`` asks only when a ``.telemetry`` says yes and belongs to the
person running the command, so a command whose answer is no, or comes from
elsewhere, never starts git; and it asks at every decision, since git answers
in about a millisecond and nothing it said can then go stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["tracks", "would_track"]

# Git answers in milliseconds, even for a large repository; a git that takes
# longer (a network file system, a hung hook) leaves the answer in doubt.
_TIMEOUT_SECONDS = 1.0


def tracks(path: Path) -> bool | None:
    """Whether git tracks ``path``; ``None`` when git cannot say.

    ``False`` at once outside a git work tree. ``None`` (doubt) when git is
    not installed, times out, or fails, for instance on a repository that
    another user owns (git's ``safe.directory`` check).
    """
    if not _in_work_tree(path.parent):
        return False
    code = _git(path, "ls-files", "--error-unmatch", "--", path.name)
    return {0: True, 1: False}.get(code) if code is not None else None


def would_track(path: Path) -> bool:
    """Whether ``git add`` would pick ``path`` up: in a work tree and not ignored.

    A courtesy after the question (a warning that a committed yes counts for
    nobody), so any doubt is a no.
    """
    if not _in_work_tree(path.parent):
        return False
    return _git(path, "check-ignore", "--quiet", "--", path.name) == 1


def _in_work_tree(directory: Path) -> bool:
    """Whether git could see ``directory`` at all: a ``.git`` in it or above.

    Not a verdict, only a way to leave git unstarted where it has nothing to
    say; ``GIT_DIR`` names a repository from anywhere, so git is asked then.
    """
    if os.environ.get("GIT_DIR"):
        return True
    return any((folder / ".git").exists() for folder in (directory, *directory.parents))


def _git(path: Path, *args: str) -> int | None:
    """Git's exit code for ``args`` beside ``path``; ``None`` when it did not run."""
    options: dict[str, Any] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NO_WINDOW
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=path.parent,
            # Git may refresh its index as it reads; these commands need not.
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_TIMEOUT_SECONDS,
            check=False,
            **options,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.returncode
