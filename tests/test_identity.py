"""The keyed hashes of the person's names, and the key they are made with.

In-process, on real files in the test's own home: the key is the person's,
made on their machine, kept readable by them alone, and the hashes cannot be
recomputed from a guessed name without it.
"""

from __future__ import annotations

import hashlib
import stat
import threading
from pathlib import Path

import pytest

from kedro_telemetry import files
from kedro_telemetry.collect.identity import keyed_hash
from tests.support.kedro_env import python_code


@pytest.fixture
def home(in_process_home: dict[str, str]) -> dict[str, str]:
    return in_process_home


def test_the_key_is_made_once_kept_private_and_gives_stable_hashes(
    home: dict[str, str],
) -> None:
    secret = files.identity_secret_file()
    assert not secret.exists()
    first = keyed_hash("host", "vm")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(bytes.fromhex(secret.read_text())) == 32
    assert keyed_hash("host", "vm") == first  # the next command, the next session
    assert first != hashlib.sha256(b"vm").hexdigest()  # no guess can be tested
    assert keyed_hash("user", "vm") != first  # one field says nothing of another
    assert secret.read_text().strip() not in first


def test_two_people_on_one_machine_have_unrelated_hashes(
    home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = keyed_hash("user", "jovyan")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "bob" / ".config"))
    assert keyed_hash("user", "jovyan") != alice


def test_processes_that_make_the_key_at_once_agree_on_one(home: dict[str, str]) -> None:
    hashes: list[str] = []
    threads = [
        threading.Thread(target=lambda: hashes.append(keyed_hash("host", "vm")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(hashes)) == 1
    assert [p.name for p in files.identity_secret_file().parent.iterdir()] == [
        "telemetry-secret"
    ]


def test_a_damaged_key_is_replaced(home: dict[str, str]) -> None:
    secret = files.identity_secret_file()
    secret.parent.mkdir(parents=True)
    secret.write_text("not hex at all\n")
    first = keyed_hash("host", "vm")
    assert len(bytes.fromhex(secret.read_text())) == 32
    assert keyed_hash("host", "vm") == first


@pytest.mark.slow
def test_where_no_key_can_be_kept_each_process_has_its_own(
    env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "read-only-config"
    config.mkdir()
    (config / "kedro").write_text("a file where the directory would be")
    env = {**env, "XDG_CONFIG_HOME": str(config), "KEDRO_TELEMETRY_DEBUG": "1"}
    code = (
        "from kedro_telemetry.collect.identity import keyed_hash\n"
        "print(keyed_hash('host', 'vm'), keyed_hash('host', 'vm'))"
    )
    runs = [python_code(code, cwd=tmp_path, env=env) for _ in range(2)]
    hashes = [run.stdout.split() for run in runs]
    assert [len(set(pair)) for pair in hashes] == [1, 1]  # stable within a process
    assert hashes[0] != hashes[1]  # and never joined with another's
    assert all("this process uses its own" in run.stderr for run in runs)
    assert (config / "kedro").read_text() == "a file where the directory would be"
