"""Masking against the real ``KedroCLI`` of a real project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kedro.framework.cli.cli import KedroCLI

from kedro_telemetry.collect.masking import MASK, mask_command


@pytest.fixture(scope="module")
def cli(project_template: Path) -> Iterator[KedroCLI]:
    yield KedroCLI(project_path=project_template)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], []),
        (["info"], ["info"]),
        (
            ["run", "--pipeline=ds", "--env=test"],
            ["run", "--pipeline", MASK, "--env", MASK],
        ),
        (
            ["run", "--pipeline", "ds", "--async"],
            ["run", "--pipeline", MASK, "--async"],
        ),
        (["run", "-p", "ds"], ["run", "-p", MASK]),
        (["run", "-pds"], ["run", "-p", MASK]),
        (["run", "--params=token=s3cret"], ["run", "--params", MASK]),
        (["run", "--no-such-option", "s3cret"], ["run", MASK, MASK]),
        (
            ["catalog", "describe-datasets", "-p", "x"],
            ["catalog", "describe-datasets", "-p", MASK],
        ),
        (["s3cret-command", "run", "--env", "x"], [MASK, MASK, MASK, MASK]),
        (["run", "--help"], ["run", "--help"]),
        (["-V"], ["-V"]),
        (["--version"], ["--version"]),
        (
            ["new", "--starter", "spaceflights-pandas"],
            ["new", "--starter", "spaceflights-pandas"],
        ),
        (
            ["new", "--starter=spaceflights-pyspark"],
            ["new", "--starter", "spaceflights-pyspark"],
        ),
        (["new", "--starter", "git+https://me:pw@host/x"], ["new", "--starter", MASK]),
        (["new", "--name", "Secret Project"], ["new", "--name", MASK]),
        (["run", "--", "a", "b"], ["run", "--", MASK, MASK]),
    ],
)
def test_values_are_masked_and_kedros_words_kept(
    cli: KedroCLI, args: list[str], expected: list[str]
) -> None:
    assert mask_command(cli, args) == expected


def test_without_a_command_tree_everything_but_help_is_masked() -> None:
    assert mask_command(None, ["run", "--env", "x", "--help"]) == [
        MASK,
        MASK,
        MASK,
        "--help",
    ]
