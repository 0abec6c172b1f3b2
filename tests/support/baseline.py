"""A command beside its baseline, and the ways ``kedro`` is run to compare them.

The baseline is the same command with the plugin's hooks blocked: the plugin
changes neither its exit code nor its stdout. Also here: ``kedro`` or a
``python -c`` snippet with steps of the plugin made to fail or spied on, and a
digest of a project tree, to show that nothing in it changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.support.kedro_env import python_code, run

__all__ = [
    "BASELINE_SCRIPT",
    "FAULT_SCRIPT",
    "PYTHON",
    "Result",
    "assert_unchanged_by_plugin",
    "kedro_with_fault",
    "normalised",
    "python_with_fault",
    "tree_digest",
]

SUPPORT = Path(__file__).parent
PYTHON = sys.executable
FAULT_SCRIPT = str(SUPPORT / "kedro_with_fault.py")
BASELINE_SCRIPT = str(SUPPORT / "kedro_without_hooks.py")

Result = subprocess.CompletedProcess[str]

# Rich prints the time only when it changed since the previous line.
_TIMESTAMP = re.compile(r"^\[\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\]", re.MULTILINE)
_DURATION = re.compile(r"\b\d+(?:\.\d+)? ?(?:sec|seconds|ms)\b")


def normalised(output: str) -> list[str]:
    """Lines of ``output`` with timestamps and durations replaced, spacing collapsed.

    Only what changes from one run to the next is neutralised; every word stays.
    """
    output = _TIMESTAMP.sub("", output)
    output = _DURATION.sub("<duration>", output)
    return [" ".join(line.split()) for line in output.splitlines()]


def assert_unchanged_by_plugin(result: Result, baseline: Result) -> None:
    """Same exit code and stdout as the baseline, and no traceback on stderr."""
    assert result.returncode == baseline.returncode, (result.stdout, result.stderr)
    assert normalised(result.stdout) == normalised(baseline.stdout), result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def tree_digest(
    root: Path, *, skip: Callable[[Path], bool] = lambda _: False
) -> dict[str, str]:
    """A digest per path under ``root``: content and mode for files, kind for others."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if skip(relative):
            continue
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            digest[str(relative)] = f"link -> {os.readlink(path)}"
        elif stat.S_ISDIR(info.st_mode):
            digest[str(relative)] = f"dir {stat.S_IMODE(info.st_mode):o}"
        else:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
            digest[str(relative)] = f"file {stat.S_IMODE(info.st_mode):o} {content}"
    return digest


def kedro_with_fault(
    mode: str,
    marker: Path,
    targets: Sequence[str],
    *args: str,
    cwd: Path,
    env: dict[str, str],
) -> Result:
    """``kedro *args`` with ``targets`` failing (``fail``) or spied on (``spy``)."""
    argv = [PYTHON, FAULT_SCRIPT, mode, str(marker), ",".join(targets), *args]
    return run(argv, cwd=cwd, env=env)


def python_with_fault(
    mode: str,
    marker: Path,
    targets: Sequence[str],
    code: str,
    *,
    cwd: Path,
    env: dict[str, str],
) -> Result:
    """``python -c code`` with ``targets`` failing or spied on, as in ``kedro``."""
    prelude = (
        f"import sys\nsys.path.insert(0, {str(SUPPORT)!r})\n"
        "from kedro_with_fault import install\n"
        f"install({mode!r}, {str(marker)!r}, {list(targets)!r})\n"
    )
    return python_code(prelude + textwrap.dedent(code), cwd=cwd, env=env)
