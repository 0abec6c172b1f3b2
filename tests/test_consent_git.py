"""Whether git tracks a ``.telemetry``: git's own answer, in real repositories.

Every repository is made by the ``git`` command, in the layouts that a reader
of git's index would get wrong (a split index, index version 4, a sparse
index, ``feature.manyFiles``, a worktree, a submodule, a project in a
subdirectory); the answers are held against ``git ls-files``. Each file is
asked about once, in the state the test made.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kedro_telemetry import consent
from kedro_telemetry.consent import git as consent_git
from tests.support.consent_files import write_consent
from tests.support.git_repos import commit_all, git, init_repository

pytestmark = pytest.mark.slow  # every test starts git


def repository_with_project(root: Path, *config: str) -> Path:
    """A repository whose ``sub/project/.telemetry`` (a yes) is committed."""
    repository = init_repository(root)
    for option in config:
        git("config", *option.split("=", 1), cwd=repository)
    project = repository / "sub" / "project"
    project.mkdir(parents=True)
    write_consent(project / ".telemetry", True)
    (repository / "README.md").write_text("# readme\n")
    commit_all(repository)
    return repository


def untracked_yes(root: Path) -> Path:
    """A fresh repository's ``.telemetry`` saying yes, never added to git."""
    return write_consent(init_repository(root) / ".telemetry", True)


def listed_by_git(path: Path) -> bool:
    output = git("ls-files", "--", path.name, cwd=path.parent)
    return bool(output.strip())


def test_a_split_index_keeps_the_committed_yes_tracked(tmp_path: Path) -> None:
    repository = repository_with_project(tmp_path / "repo", "core.splitIndex=true")
    git("update-index", "--split-index", cwd=repository)
    shared = [
        path for path in (repository / ".git").iterdir() if "sharedindex" in path.name
    ]
    assert shared  # most entries now live in the shared index, behind a link
    committed = repository / "sub" / "project" / ".telemetry"
    assert listed_by_git(committed)
    assert consent_git.tracks(committed) is True
    # The case: the yes that came with the repository counts for nobody.
    decision = consent.decide(committed.parent)
    assert not decision.collects
    assert any("git tracks it" in note for note in decision.notes)


@pytest.mark.parametrize(
    "config",
    [("index.version=4",), ("feature.manyFiles=true",), ("index.sparse=true",)],
    ids=["index-v4", "many-files", "sparse-index"],
)
def test_each_index_layout_tells_tracked_from_untracked(
    tmp_path: Path, config: tuple[str, ...]
) -> None:
    repository = repository_with_project(tmp_path / "repo", *config)
    if "index.sparse=true" in config:
        git("sparse-checkout", "set", "--cone", "--sparse-index", "sub", cwd=repository)
    write_consent(repository / ".telemetry", True)  # the same name, untracked
    assert consent_git.tracks(repository / "sub" / "project" / ".telemetry") is True
    assert consent_git.tracks(repository / ".telemetry") is False
    assert consent_git.tracks(repository / "sub" / ".telemetry") is False


def test_a_worktree_a_submodule_and_a_subdirectory_are_answered_by_git(
    tmp_path: Path,
) -> None:
    repository = repository_with_project(tmp_path / "repo")
    worktree = tmp_path / "worktree"
    git("worktree", "add", "--quiet", str(worktree), cwd=repository)
    assert (worktree / ".git").is_file()
    assert consent_git.tracks(worktree / "sub" / "project" / ".telemetry") is True
    (worktree / "sub" / "other").mkdir()
    assert consent_git.tracks(worktree / "sub" / "other" / ".telemetry") is False

    outer = init_repository(tmp_path / "outer")
    git(
        "-c", "protocol.file.allow=always",
        "submodule", "add", "--quiet", str(repository), "inner",
        cwd=outer,
    )  # fmt: skip
    inner = outer / "inner"
    assert (inner / ".git").is_file()
    assert consent_git.tracks(inner / "sub" / "project" / ".telemetry") is True
    (inner / "sub" / "project" / "new").mkdir()
    assert consent_git.tracks(inner / "sub" / "project" / "new" / ".telemetry") is False


def test_a_staged_or_conflicted_file_counts_as_tracked(tmp_path: Path) -> None:
    repository = init_repository(tmp_path / "repo")
    (repository / "staged").mkdir()
    (repository / "staged" / ".telemetry").write_text("consent: true\n")
    git("add", "staged/.telemetry", cwd=repository)
    assert consent_git.tracks(repository / "staged" / ".telemetry") is True

    (repository / ".telemetry").write_text("consent: false\n")
    commit_all(repository, "base")
    git("checkout", "--quiet", "-b", "other", cwd=repository)
    (repository / ".telemetry").write_text("consent: false  # theirs\n")
    commit_all(repository, "other")
    git("checkout", "--quiet", "main", cwd=repository)
    (repository / ".telemetry").write_text("consent: true  # mine\n")
    commit_all(repository, "main")
    result = git("merge", "other", "--no-edit", "--quiet", cwd=repository, check=False)
    assert "CONFLICT" in result
    assert consent_git.tracks(repository / ".telemetry") is True


def test_without_git_on_the_path_a_work_tree_is_a_doubt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    telemetry = untracked_yes(tmp_path / "repo")
    alone = tmp_path / "alone"
    alone.mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert consent_git.tracks(telemetry) is None
    # Outside any work tree git has nothing to say, and is not needed.
    assert consent_git.tracks(alone / ".telemetry") is False


def test_a_git_that_hangs_is_a_doubt_within_its_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    telemetry = untracked_yes(tmp_path / "repo")
    hanging_git = tmp_path / "bin" / "git"
    hanging_git.parent.mkdir()
    hanging_git.write_text("#!/bin/sh\nsleep 30\n")
    hanging_git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{hanging_git.parent}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    assert consent_git.tracks(telemetry) is None
    assert time.monotonic() - started < 10  # git's timeout, not the sleep


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand a repository over")
def test_a_repository_another_user_owns_is_a_doubt(tmp_path: Path) -> None:
    """Git refuses to read it (``safe.directory``); that refusal is no answer."""
    telemetry = untracked_yes(tmp_path / "repo")
    for folder, directories, names in os.walk(telemetry.parent):
        for name in [*directories, *names, "."]:
            os.lchown(os.path.join(folder, name), 54321, 54321)
    assert consent_git.tracks(telemetry) is None
