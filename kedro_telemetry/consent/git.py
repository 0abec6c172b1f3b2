"""What git says about a project's ``.telemetry``, asked of git itself.

A yes that git tracks came with the repository: whoever clones it would find
it, so it is nobody's answer there. Git alone knows what it tracks (split
and sparse indexes, worktrees, submodules, whatever it adds next), so the
plugin asks it with a small plumbing command and reads only the exit code.
``consent`` asks only when a ``.telemetry`` says yes and belongs to the
person running the command, so a command whose answer is no, or comes from
elsewhere, never starts git.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cachetools import TTLCache

__all__ = ["tracks", "would_track"]

# Git answers in milliseconds, even for a large repository; a git that takes
# longer (a network file system, a hung hook) leaves the answer in doubt.
_TIMEOUT_SECONDS = 1.0

# A long-lived process (a notebook kernel, a tool calling ``send_event`` in a
# loop) may decide many times a second. Git's answer is kept a few seconds
# while the file and the repository's index keep their state (a clone or a
# checkout writes a new file; ``git add`` a new index). Only a worktree's or a
# submodule's index, which lives elsewhere, can change unseen for that long.
ANSWER_SECONDS = 10.0

# What changes whenever a file is written, replaced, created or removed: an
# atomic write is a new inode; an edit in place changes the size or the
# modification time, in nanoseconds. A file that cannot be stat'ed has its
# error number instead.
Signature = tuple[int, int, int, int] | str
_answers: TTLCache[tuple[str, Signature, Signature], bool] = TTLCache(
    64, ANSWER_SECONDS
)


def tracks(path: Path) -> bool | None:
    """Whether git tracks ``path``; ``None`` when git cannot say.

    ``False`` at once outside a git work tree. ``None`` (doubt) when git is
    not installed, times out, or fails, for instance on a repository that
    another user owns (git's ``safe.directory`` check).
    """
    dot_git = _dot_git(path.parent)
    if dot_git is None:
        return False
    index = dot_git / "index" if dot_git.is_dir() else dot_git
    key = (os.fspath(path), signature(path), signature(index))
    if key in _answers:
        return _answers[key]
    code = _git(path, "ls-files", "--error-unmatch", "--", path.name)
    answer = {0: True, 1: False}.get(code) if code is not None else None
    if answer is not None:
        _answers[key] = answer
    return answer


def signature(path: Path) -> Signature:
    """The state of ``path`` that tells whether git's answer about it still holds."""
    try:
        info = os.stat(path)
    except OSError as error:
        return f"unreadable: {error.errno}"
    return info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev


def would_track(path: Path) -> bool:
    """Whether ``git add`` would pick ``path`` up: in a work tree and not ignored.

    A courtesy after the question (a warning that a committed yes counts for
    nobody), so any doubt is a no.
    """
    if _dot_git(path.parent) is None:
        return False
    return _git(path, "check-ignore", "--quiet", "--", path.name) == 1


def _dot_git(directory: Path) -> Path | None:
    """The nearest ``.git`` at or above ``directory``: git could see it then.

    Not a verdict, only a way to leave git unstarted where it has nothing to
    say; ``GIT_DIR`` names a repository from anywhere, so git is asked then.
    """
    named = os.environ.get("GIT_DIR")
    if named:
        return Path(named)
    for folder in (directory, *directory.parents):
        if (folder / ".git").exists():
            return folder / ".git"
    return None


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
