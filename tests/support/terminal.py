"""Run ``kedro`` on a pseudo-terminal, where the plugin may ask its question."""

from __future__ import annotations

from pathlib import Path

import pexpect

from tests.support.kedro_env import KEDRO_EXECUTABLE

__all__ = ["QUESTION", "answer", "on_terminal"]

QUESTION = "Share anonymous usage data?"


def on_terminal(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> pexpect.spawn:
    """Start ``kedro *args`` with stdin, stdout and stderr on a pseudo-terminal."""
    return pexpect.spawn(
        KEDRO_EXECUTABLE,
        list(args),
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=timeout,
        dimensions=(50, 200),
    )


def answer(session: pexpect.spawn, reply: str) -> tuple[str, str]:
    """Wait for the question, give ``reply``, and see the command end well.

    Returns what was shown before the question and after it, each on one line.
    """
    session.expect_exact(QUESTION)
    asked = " ".join(session.before.split())
    session.sendline(reply)
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0
    return asked, " ".join(session.before.split())
