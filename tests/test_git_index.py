"""``git_index``: what git tracks, read from real indexes that git wrote.

Every repository here is made by the ``git`` command; the answers are held
against ``git ls-files``. In-process and fast, apart from the one index of
100,000 files.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kedro_telemetry.git_index import Tracked, locate, tracks
from tests.support.git_repos import commit_all, git, init_repository, stage_many


def tracked(path: Path) -> Tracked:
    location = locate(path)
    assert location is not None
    return tracks(location)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    repository = init_repository(tmp_path / "repo")
    for name in (".gitignore", "README.md", "src/a.py", "sub/project/notes.txt"):
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(f"# {name}\n")
    (repository / "sub" / "project" / ".telemetry").write_text("consent: true\n")
    (repository / ".telemetry").write_text("consent: true\n")
    git("add", "sub/project/.telemetry", ".gitignore", "README.md", cwd=repository)
    return repository


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_each_index_version_tells_tracked_from_untracked(
    repository: Path, version: str
) -> None:
    git("update-index", "--index-version", version, cwd=repository)
    assert tracked(repository / "sub" / "project" / ".telemetry") == Tracked.YES
    # The same name one directory up is not the same entry.
    assert tracked(repository / ".telemetry") == Tracked.NO
    assert tracked(repository / "sub" / ".telemetry") == Tracked.NO
    assert tracked(repository / "README.md") == Tracked.YES
    assert tracked(repository / "src" / "a.py") == Tracked.NO


@pytest.mark.slow
def test_extended_entries_of_version_3_are_read(repository: Path) -> None:
    git("add", "--intent-to-add", "src/a.py", cwd=repository)  # an extended flag
    assert (repository / ".git" / "index").read_bytes()[4:8] == b"\x00\x00\x00\x03"
    assert tracked(repository / "src" / "a.py") == Tracked.YES
    assert tracked(repository / "sub" / "project" / ".telemetry") == Tracked.YES


@pytest.mark.slow
def test_a_path_of_more_than_4095_bytes_is_found(repository: Path) -> None:
    long_name = "/".join(["d" * 200] * 21) + "/.telemetry"  # 4,231 bytes
    stage_many(repository, [long_name, "zz/.telemetry"])
    for version in ("2", "4"):
        git("update-index", "--index-version", version, cwd=repository)
        assert tracked(repository / long_name) == Tracked.YES
        assert tracked(repository / "zz" / ".telemetry") == Tracked.YES


@pytest.mark.slow
def test_conflicted_entries_count_as_tracked(repository: Path) -> None:
    commit_all(repository, "base")
    git("checkout", "--quiet", "-b", "other", cwd=repository)
    (repository / ".telemetry").write_text("consent: false\n")
    commit_all(repository, "other")
    git("checkout", "--quiet", "main", cwd=repository)
    (repository / ".telemetry").write_text("consent: true  # mine\n")
    commit_all(repository, "main")
    result = git("merge", "other", "--no-edit", "--quiet", cwd=repository, check=False)
    assert "CONFLICT" in result
    assert tracked(repository / ".telemetry") == Tracked.YES


@pytest.mark.slow
def test_a_worktree_and_a_submodule_are_read_through_their_gitdir_file(
    repository: Path, tmp_path: Path
) -> None:
    commit_all(repository)
    worktree = tmp_path / "worktree"
    git("worktree", "add", "--quiet", str(worktree), cwd=repository)
    assert (worktree / ".git").is_file()
    assert tracked(worktree / "sub" / "project" / ".telemetry") == Tracked.YES
    (worktree / "untracked.txt").write_text("")
    assert tracked(worktree / "untracked.txt") == Tracked.NO

    outer = init_repository(tmp_path / "outer")
    git(
        "-c", "protocol.file.allow=always",
        "submodule", "add", "--quiet", str(repository), "inner",
        cwd=outer,
    )  # fmt: skip
    inner = outer / "inner"
    assert (inner / ".git").is_file()
    assert tracked(inner / "sub" / "project" / ".telemetry") == Tracked.YES
    assert tracked(inner / "src" / "nothing.py") == Tracked.NO


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2", "4"])
def test_a_sha256_repository_is_read_with_its_longer_object_ids(
    tmp_path: Path, version: str
) -> None:
    repository = tmp_path / "sha256"
    repository.mkdir()
    git("init", "--quiet", "--object-format=sha256", str(repository), cwd=tmp_path)
    stage_many(repository, [f"f{i:03d}" for i in range(50)] + ["sub/.telemetry"])
    git("update-index", "--index-version", version, cwd=repository)
    assert tracked(repository / "sub" / ".telemetry") == Tracked.YES
    assert tracked(repository / "f049") == Tracked.YES
    assert tracked(repository / "other" / ".telemetry") == Tracked.NO


def test_outside_a_work_tree_there_is_no_index(tmp_path: Path) -> None:
    assert locate(tmp_path / "alone" / ".telemetry") is None


@pytest.mark.slow
def test_a_repository_without_an_index_tracks_nothing(tmp_path: Path) -> None:
    repository = init_repository(tmp_path / "fresh")
    assert tracked(repository / ".telemetry") == Tracked.NO


@pytest.mark.parametrize(
    "content",
    [b"", b"DIRC", b"DIRC\x00\x00\x00\x05\x00\x00\x00\x01", b"not an index at all"],
    ids=["empty", "header-only", "version-5", "garbage"],
)
def test_an_index_that_cannot_be_parsed_is_a_doubt(
    repository: Path, content: bytes
) -> None:
    (repository / ".git" / "index").write_bytes(content)
    assert tracked(repository / "sub" / "project" / ".telemetry") == Tracked.UNKNOWN


@pytest.mark.slow
def test_a_truncated_index_is_a_doubt_never_a_no(repository: Path) -> None:
    index = repository / ".git" / "index"
    stage_many(repository, [f"f{i:04d}" for i in range(300)] + ["zz/.telemetry"])
    data = index.read_bytes()
    index.write_bytes(data[: len(data) // 2])
    assert tracked(repository / "zz" / ".telemetry") == Tracked.UNKNOWN


def test_a_gitdir_file_that_names_nothing_readable_is_a_doubt(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").write_bytes(b"\xff\xfe not text")
    location = locate(project / ".telemetry")
    assert location is not None
    assert tracks(location) == Tracked.UNKNOWN


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2", "4"])
def test_an_index_of_100_000_files_is_read_right_and_fast(
    tmp_path: Path, version: str
) -> None:
    repository = init_repository(tmp_path / "big")
    names = [f"src/pkg{i // 1000:03d}/module_{i:06d}.py" for i in range(100_000)]
    names += ["projects/kept/.telemetry", "src/pkg050/.telemetry"]
    stage_many(repository, names)
    git("update-index", "--index-version", version, cwd=repository)
    listed = set(git("ls-files", cwd=repository).splitlines())
    probes = [
        "projects/kept/.telemetry",
        "src/pkg050/.telemetry",
        "src/pkg099/module_099999.py",
        ".telemetry",
        "projects/other/.telemetry",
        "src/pkg050/module_050000.py/.telemetry",
        "zzz/.telemetry",
    ]
    slowest = 0.0
    for probe in probes:
        started = time.perf_counter()
        answer = tracked(repository / probe)
        slowest = max(slowest, time.perf_counter() - started)
        assert answer is (Tracked.YES if probe in listed else Tracked.NO), probe
    # About 25 ms on a shared 2-core machine; the bound only catches a
    # walk gone quadratic, not a busy neighbour.
    assert slowest < 0.5
