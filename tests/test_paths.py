"""Each platform's directories and the policy file, with the platform given.

These run on any machine: ``files`` takes the platform and the environment
as parameters, so Windows' and macOS' paths are checked here on Linux.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import pytest

from kedro_telemetry import files

WINDOWS = {
    "USERPROFILE": r"C:\Users\ada",
    "LOCALAPPDATA": r"C:\Users\ada\AppData\Local",
    "APPDATA": r"C:\Users\ada\AppData\Roaming",
    "PROGRAMDATA": r"D:\ProgramData",
}
POSIX = {"HOME": "/home/ada"}


def windows(path: Path) -> PureWindowsPath:
    return PureWindowsPath(str(path))


def test_windows_paths() -> None:
    assert windows(files.state_dir("win32", WINDOWS)) == PureWindowsPath(
        r"C:\Users\ada\AppData\Local\kedro-telemetry"
    )
    assert windows(files.user_consent_file("win32", WINDOWS)) == PureWindowsPath(
        r"C:\Users\ada\AppData\Roaming\kedro\telemetry.yml"
    )
    assert windows(files.project_answers_file("win32", WINDOWS)) == PureWindowsPath(
        r"C:\Users\ada\AppData\Roaming\kedro\telemetry-projects.yml"
    )
    assert windows(files.policy_file("win32", WINDOWS)) == PureWindowsPath(
        r"D:\ProgramData\kedro\telemetry.yml"
    )
    assert windows(files.policy_file("win32", {})) == PureWindowsPath(
        r"C:\ProgramData\kedro\telemetry.yml"
    )


def test_macos_paths() -> None:
    assert files.state_dir("darwin", POSIX) == Path(
        "/home/ada/Library/Application Support/kedro-telemetry"
    )
    assert files.user_consent_file("darwin", POSIX) == Path(
        "/home/ada/.config/kedro/telemetry.yml"
    )
    assert files.policy_file("darwin", POSIX) == Path("/etc/kedro/telemetry.yml")


def test_linux_paths() -> None:
    assert files.state_dir("linux", POSIX) == Path(
        "/home/ada/.local/state/kedro-telemetry"
    )
    assert files.user_consent_file("linux", POSIX) == Path(
        "/home/ada/.config/kedro/telemetry.yml"
    )
    assert files.project_answers_file("linux", POSIX) == Path(
        "/home/ada/.config/kedro/telemetry-projects.yml"
    )
    assert files.policy_file("linux", POSIX) == Path("/etc/kedro/telemetry.yml")


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_absolute_xdg_directories_win_on_every_platform(platform: str) -> None:
    environ = {
        **POSIX,
        **WINDOWS,
        "XDG_STATE_HOME": "/xdg/state",
        "XDG_CONFIG_HOME": "/xdg/config",
    }
    assert files.state_dir(platform, environ) == Path("/xdg/state/kedro-telemetry")
    assert files.user_consent_file(platform, environ) == Path(
        "/xdg/config/kedro/telemetry.yml"
    )


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_a_relative_xdg_directory_is_ignored(platform: str) -> None:
    environ = {**POSIX, "XDG_CONFIG_HOME": "relative/config"}
    assert files.user_consent_file(platform, environ) == Path(
        "/home/ada/.config/kedro/telemetry.yml"
    )


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_the_policy_file_can_be_moved(platform: str) -> None:
    environ = {**WINDOWS, files.POLICY_FILE_VARIABLE: "/images/policy.yml"}
    assert files.policy_file(platform, environ) == Path("/images/policy.yml")


def test_the_defaults_are_this_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ada")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    import sys

    assert files.state_dir() == files.state_dir(sys.platform, {"HOME": "/home/ada"})
