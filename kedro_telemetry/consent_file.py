"""Reading and writing the small YAML files that hold a consent.

``.telemetry``, the user-wide ``telemetry.yml`` and the machine-wide policy
all say ``consent: true`` or ``consent: false``; the answers for projects
whose ``.telemetry`` git tracks are a mapping of project paths to the same
two values. Reading never raises: every fault is a state, and a file in a
bad state decides nothing.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from kedro_telemetry.files import read_small_file, write_atomically

__all__ = [
    "ConsentFile",
    "FileState",
    "read_consent_file",
    "read_project_answer",
    "reason",
    "write_consent_file",
    "write_project_answer",
]

# A consent file is one short line; anything much larger is not ours. The
# answers file holds one line per project the person answered for.
_CONSENT_FILE_LIMIT = 64 * 1024
_ANSWERS_FILE_LIMIT = 4 * 1024 * 1024


class FileState:
    """What a consent file's content amounts to (plain text constants)."""

    MISSING = "missing"
    DECIDED = "decided"
    INVALID = "invalid"  # a regular file whose content is not a valid choice
    UNUSABLE = "unusable"  # a directory, a dangling link, unreadable, too large


class ConsentFile:
    """What one consent file says, and why it says nothing when it does not.

    ``state`` is one of the ``FileState`` constants.
    """

    __slots__ = ("consent", "path", "problem", "state")

    def __init__(
        self, path: Path, state: str, consent: bool | None = None, problem: str = ""
    ) -> None:
        self.path = path
        self.state = state
        self.consent = consent
        self.problem = problem

    def __repr__(self) -> str:
        return f"ConsentFile({self.path!r}, {self.state!r}, {self.consent!r})"


def read_consent_file(path: Path) -> ConsentFile:
    """Read a file holding ``consent: true|false`` without ever raising."""
    content = _read_mapping(path, _CONSENT_FILE_LIMIT)
    if isinstance(content, ConsentFile):
        return content
    return _consent_in(path, content.get("consent"), "`consent`")


def read_project_answer(path: Path, project: str) -> ConsentFile:
    """The answer kept in the answers file ``path`` for the project ``project``."""
    content = _read_mapping(path, _ANSWERS_FILE_LIMIT)
    if isinstance(content, ConsentFile):
        return content
    if project not in content:
        return ConsentFile(path, FileState.MISSING)
    return _consent_in(path, content[project], "the answer for this project")


def write_consent_file(path: Path, consent: bool) -> None:
    """Record ``consent`` in ``path`` atomically, keeping any other keys it holds."""
    _update_mapping(path, _CONSENT_FILE_LIMIT, "consent", consent)


def write_project_answer(path: Path, project: str, consent: bool) -> None:
    """Record the answer for ``project`` in the answers file, keeping the others."""
    _update_mapping(path, _ANSWERS_FILE_LIMIT, project, consent)


def reason(error: OSError) -> str:
    """The short reason of an ``OSError``, for a message to a person."""
    return error.strerror or type(error).__name__


def _consent_in(path: Path, value: Any, what: str) -> ConsentFile:
    if not isinstance(value, bool):
        return ConsentFile(
            path, FileState.INVALID, problem=f"{what} is not true or false"
        )
    return ConsentFile(path, FileState.DECIDED, consent=value)


def _read_mapping(path: Path, limit: int) -> dict[Any, Any] | ConsentFile:
    """The file's mapping, or the state that says why there is none."""
    try:
        data = read_small_file(path, limit)
    except FileNotFoundError:
        if path.is_symlink():
            return ConsentFile(path, FileState.UNUSABLE, problem="a link to nothing")
        return ConsentFile(path, FileState.MISSING)
    except OSError as error:
        return ConsentFile(path, FileState.UNUSABLE, problem=reason(error))
    content = _parse_mapping(data)
    if content is None:
        return ConsentFile(path, FileState.INVALID, problem="not a YAML mapping")
    return content


def _update_mapping(path: Path, limit: int, key: str, consent: bool) -> None:
    import yaml

    content: dict[Any, Any] = {}
    with contextlib.suppress(OSError):
        content = _parse_mapping(read_small_file(path, limit)) or {}
    content[key] = consent
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(content, default_flow_style=False, sort_keys=False)
    write_atomically(path, text.encode("utf-8"), mode=0o644)


# What this plugin and Kedro write (Kedro without the final newline); the YAML
# parser reads anything else, and is imported only then.
_PLAIN_ANSWERS = {b"consent: true": True, b"consent: false": False}


def _parse_mapping(data: bytes) -> dict[Any, Any] | None:
    """The file's YAML mapping, or ``None`` when it holds anything else."""
    plain = _PLAIN_ANSWERS.get(data.rstrip(b"\n"))
    if plain is not None:
        return {"consent": plain}
    import yaml

    try:
        content = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    return content if isinstance(content, dict) else None
