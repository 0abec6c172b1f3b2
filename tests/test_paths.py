"""Where the plugin's files are: ``platformdirs``' directories, and the policy file.

This machine's platform only (``platformdirs`` has its own tests for the
others); the Windows policy path is named here, so it is checked on any
machine.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import pytest

from kedro_telemetry import files


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return tmp_path


def test_linux_paths_are_0_9_0_s(home: Path) -> None:
    assert files.state_dir() == home / ".local/state/kedro-telemetry"
    assert files.user_consent_file() == home / ".config/kedro/telemetry.yml"
    assert files.project_answers_file() == (
        home / ".config/kedro/telemetry-projects.yml"
    )
    assert files.policy_file("linux", {}) == Path("/etc/kedro/telemetry.yml")


def test_the_xdg_directories_win(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/xdg/state")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/xdg/config")
    assert files.state_dir() == Path("/xdg/state/kedro-telemetry")
    assert files.user_consent_file() == Path("/xdg/config/kedro/telemetry.yml")


def test_a_relative_xdg_directory_is_ignored(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    assert files.user_consent_file() == home / ".config/kedro/telemetry.yml"


def test_no_home_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of ours is written relative to wherever a command runs."""
    monkeypatch.setattr("os.path.expanduser", lambda path: path)  # no passwd entry
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    with pytest.raises(files.NoHomeError):
        files.state_dir()


def test_the_windows_policy_file() -> None:
    environ = {"PROGRAMDATA": r"D:\ProgramData"}
    assert PureWindowsPath(str(files.policy_file("win32", environ))) == (
        PureWindowsPath(r"D:\ProgramData\kedro\telemetry.yml")
    )
    assert PureWindowsPath(str(files.policy_file("win32", {}))) == (
        PureWindowsPath(r"C:\ProgramData\kedro\telemetry.yml")
    )


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_the_policy_file_can_be_moved(platform: str) -> None:
    environ = {files.POLICY_FILE_VARIABLE: "/images/policy.yml"}
    assert files.policy_file(platform, environ) == Path("/images/policy.yml")
