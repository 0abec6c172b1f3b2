"""Real git repositories for the tests, made with the ``git`` command itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["commit_all", "git", "git_env", "init_repository"]


def git_env() -> dict[str, str]:
    """No user or system configuration: the tests' own identity, nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Ada",
        GIT_AUTHOR_EMAIL="ada@example.com",
        GIT_COMMITTER_NAME="Ada",
        GIT_COMMITTER_EMAIL="ada@example.com",
    )
    return env


def git(*args: str, cwd: Path, stdin: str | None = None, check: bool = True) -> str:
    """Run ``git``; fail the test with git's own words if it fails.

    With ``check=False`` a failure is allowed, and its words are returned too.
    """
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=git_env(),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if not check:
        return result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    return result.stdout


def init_repository(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", "--initial-branch=main", str(path), cwd=path)
    return path


def commit_all(repository: Path, message: str = "work") -> None:
    git("add", "--all", "--force", cwd=repository)
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=repository)
