"""The consent files as a person or ``kedro telemetry`` would leave them, or broken.

One writer for every one of them (the project's ``.telemetry``, the user-wide
file, the machine policy), so a test says only where and what; and the
fourteen ways such a file can be broken (``BAD_FILES``, the rows of
``tests/BAD_INPUT.md``), with ``snapshot`` to see that nobody changed one.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kedro_telemetry import consent

__all__ = [
    "BAD_FILES",
    "BAD_FILE_IDS",
    "INVALID",
    "PYTHON_TAG_MARKER",
    "UNUSABLE",
    "BadFile",
    "bad_file",
    "decided",
    "give_consent",
    "snapshot",
    "user_wide_file",
    "write_consent",
    "write_user_wide",
]


def write_consent(path: Path, value: bool | str, version: int | None = None) -> Path:
    """``path`` saying ``consent: value``; a string is written as it is (valid or not).

    ``version`` is what a yes records since consent versions exist; without
    it, the file is a yes of version 1 (or an older plugin's).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = str(value).lower() if isinstance(value, bool) else value
    recorded = "" if version is None else f"version: {version}\n"
    path.write_text(f"consent: {text}\n{recorded}")
    return path


def give_consent(project: Path, value: bool | str = True) -> Path:
    """The project's answer, as ``kedro telemetry enable|disable`` records it."""
    return write_consent(project / ".telemetry", value)


def user_wide_file(env: dict[str, str]) -> Path:
    """Where ``kedro telemetry enable --global`` writes, in ``env``'s home."""
    return Path(env["XDG_CONFIG_HOME"]) / "kedro" / "telemetry.yml"


def write_user_wide(env: dict[str, str], value: bool | str) -> Path:
    return write_consent(user_wide_file(env), value)


def decided(project: Path | None) -> tuple[bool | None, str]:
    """What ``consent.decide`` makes of the files now, and which source said it."""
    decision = consent.decide(project)
    return decision.consent, decision.source


# Broken consent files ---------------------------------------------------------

INVALID = "invalid"  # a regular file whose content is no choice: asked again
UNUSABLE = "unusable"  # not a readable small regular file: never asked, never written

# Any of these values stays on the machine only if the plugin leaves it alone.
PYTHON_TAG_MARKER = "python-tag-was-executed"


@dataclass(frozen=True)
class BadFile:
    """One way a consent file can be broken."""

    name: str
    make: Callable[[Path], None]
    state: str


def _content(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _huge(path: Path) -> None:
    """10 MB that begin with a valid ``consent: true``: honouring it would send."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(b"consent: true\n")
        handle.write((b"#" * 1023 + b"\n") * (10 * 1024))


def _directory(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "consent").write_text("consent: true\n")


def _dangling_link(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.parent / "no-such-file")


def _named_pipe(path: Path) -> None:
    """A FIFO: opening it for reading waits for a writer that never comes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _device_link(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/zero")


BAD_FILES = [
    BadFile("empty", _content(b""), INVALID),
    BadFile("invalid-yaml", _content(b"consent: [\n"), INVALID),
    BadFile("binary", _content(bytes(range(256)) * 16), INVALID),
    BadFile("yaml-list", _content(b"- consent: true\n"), INVALID),
    BadFile("consent-string-true", _content(b'consent: "true"\n'), INVALID),
    BadFile("consent-1", _content(b"consent: 1\n"), INVALID),
    BadFile("consent-null", _content(b"consent: null\n"), INVALID),
    BadFile(
        "deeply-nested",
        _content(b"consent: " + b"[" * 1000 + b"]" * 1000 + b"\n"),
        INVALID,
    ),
    BadFile(
        "python-tag",
        _content(
            b"consent: !!python/object/apply:os.system "
            + f"['touch {PYTHON_TAG_MARKER}']\n".encode()
        ),
        INVALID,
    ),
    BadFile("huge-10MB", _huge, UNUSABLE),
    BadFile("directory", _directory, UNUSABLE),
    BadFile("dangling-symlink", _dangling_link, UNUSABLE),
    BadFile("named-pipe", _named_pipe, UNUSABLE),
    BadFile("link-to-dev-zero", _device_link, UNUSABLE),
]


BAD_FILE_IDS = [bad.name for bad in BAD_FILES]


def bad_file(name: str) -> BadFile:
    [found] = [bad for bad in BAD_FILES if bad.name == name]
    return found


def snapshot(path: Path) -> str:
    """What ``path`` is, precisely enough to see any change made to it."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return f"link to {os.readlink(path)}"
    if stat.S_ISDIR(info.st_mode):
        return f"directory holding {sorted(os.listdir(path))}"
    if stat.S_ISFIFO(info.st_mode):
        return "named pipe"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"file {info.st_size} {digest} {info.st_mtime_ns}"
