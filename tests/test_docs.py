"""The docs hold to the code: links resolve, shown commands run, variables match.

The README, CONTRIBUTING.md, ARCHITECTURE.md and docs/*.md are read as GitHub
renders them. Three promises are checked here, in this process:

- every relative link and ``#anchor`` leads somewhere (GitHub's heading slugs);
- every fenced ``console`` block either runs here, command by command, with
  every output line it shows, or says it is only an example: the line before
  its fence is ``<!-- example -->``;
- the one table of environment variables (between ``<!-- environment:start -->``
  and ``<!-- environment:end -->``) names exactly the variables the code reads.
"""

from __future__ import annotations

import ast
import configparser
import importlib
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kedro_telemetry"
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "ARCHITECTURE.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
EXAMPLE_MARK = "<!-- example -->"
TABLE_START, TABLE_END = "<!-- environment:start -->", "<!-- environment:end -->"
# A commit hash: hex with a digit and a letter; the seed's hash prefixes end
# with "..." in the README's table and are not one.
COMMIT_HASH = re.compile(
    r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b(?!\.\.\.)"
)
# How the docs write the person's home and project in shown output.
SHOWN_HOME = "/home/ada"


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


# --- Reading Markdown ------------------------------------------------------


@dataclass
class Fence:
    info: str
    lines: list[str]
    line_before: str  # the last non-blank line before the opening fence
    number: int  # the opening fence's line number, from 1


def fences(text: str) -> list[Fence]:
    """The fenced code blocks of ``text``, with the line just before each."""
    found: list[Fence] = []
    current: Fence | None = None
    before = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if current is None:
            if line.startswith("```"):
                current = Fence(line[3:].strip(), [], before, number)
            elif line.strip():
                before = line.strip()
        elif line.startswith("```"):
            found.append(current)
            current = None
            before = ""
        else:
            current.lines.append(line)
    assert current is None, "a fenced block is never closed"
    return found


def prose(text: str) -> str:
    """``text`` without its fenced blocks and inline code spans."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if not inside:
            kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation gone, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    result: set[str] = set()
    inside = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            inside = not inside
        match = None if inside else re.match(r"#{1,6} (.+?)#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
    return result


def relative_links(page: Path) -> Iterator[str]:
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(page.read_text())):
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            yield target


def tables(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each Markdown table row's first cell, with the row's line number."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("|") and not re.match(r"\|\s*-", line):
            yield number, line.split("|")[1:2]


# --- Links ------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_github_slugs_are_computed_as_github_does() -> None:
    assert slug("The `kedro telemetry` commands") == "the-kedro-telemetry-commands"
    assert slug("A relay, or Heap's EU data") == "a-relay-or-heaps-eu-data"
    assert slug("Saying yes, no, or changing your mind") == (
        "saying-yes-no-or-changing-your-mind"
    )


# --- Console blocks -----------------------------------------------------------


def console_blocks() -> list[tuple[Path, Fence]]:
    return [
        (page, fence)
        for page in PAGES
        for fence in fences(page.read_text())
        if fence.info == "console"
    ]


def commands_of(fence: Fence) -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of a block, with the output lines shown under it."""
    shown: list[tuple[str, list[str]]] = []
    for line in fence.lines:
        if line.startswith("$ "):
            shown.append((line[2:].strip(), []))
        elif line.strip():
            assert shown, f"output before any command: {line!r}"
            shown[-1][1].append(line)
    return shown


def telemetry_group() -> click.Group:
    """``kedro telemetry``, found the way Kedro finds it: by the entry point."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    entry_points = config["options.entry_points"]["kedro.global_commands"]
    module, _, name = entry_points.split("=", 1)[1].strip().partition(":")
    group = getattr(importlib.import_module(module), name)
    telemetry = group.commands["telemetry"]
    assert isinstance(telemetry, click.Group)
    return telemetry


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, flags=re.MULTILINE))


def test_every_console_block_runs_here_or_is_marked_as_an_example() -> None:
    blocks = console_blocks()
    assert blocks, "no console block found: the reader of fences is broken"
    unmarked = [
        f"{page_id(page)}:{fence.number}: {command}"
        for page, fence in blocks
        if fence.line_before != EXAMPLE_MARK
        for command, _ in commands_of(fence)
        if not command.startswith("kedro telemetry ")
    ]
    assert unmarked == [], "mark these blocks <!-- example -->, or run them here"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_example_mark_always_stands_before_a_console_block(page: Path) -> None:
    text = page.read_text()
    marked = [fence for fence in fences(text) if fence.line_before == EXAMPLE_MARK]
    assert all(fence.info == "console" for fence in marked)
    marks = [line for line in text.splitlines() if line.strip() == EXAMPLE_MARK]
    assert len(marks) == len(marked)


def test_commands_shown_as_examples_exist() -> None:
    """An example is not run, but its ``make`` target and telemetry options are real."""
    telemetry = telemetry_group()
    wrong = []
    targets = make_targets()
    for _, fence in console_blocks():
        for command, _ in commands_of(fence):
            words = shlex.split(command)
            if words[:1] == ["make"]:
                wrong += [w for w in words[1:] if "=" not in w and w not in targets]
            if words[:2] == ["kedro", "telemetry"]:
                sub = telemetry.commands.get(words[2]) if len(words) > 2 else None
                if sub is None:
                    wrong.append(command)
                    continue
                options = {o for p in sub.params for o in p.opts}
                wrong += [w for w in words[3:] if w[:1] == "-" and w not in options]
    assert wrong == []


@pytest.fixture
def shown_project(
    in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A throwaway Kedro project under the isolated home, the working directory."""
    project = Path(in_process_home["HOME"]) / "projects" / "spaceship-log"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        "[tool.kedro]\n"
        'package_name = "spaceship_log"\n'
        'project_name = "spaceship-log"\n'
        'kedro_init_version = "1.7.0"\n'
    )
    monkeypatch.chdir(project)
    return project


def test_runnable_console_blocks_run_as_shown(shown_project: Path) -> None:
    telemetry = telemetry_group()
    home = str(shown_project.parent.parent)
    runnable = [
        (page, fence)
        for page, fence in console_blocks()
        if fence.line_before != EXAMPLE_MARK
    ]
    assert runnable, "no console block runs: the README's example is gone"
    for page, fence in runnable:
        for command, shown in commands_of(fence):
            where = f"{page_id(page)}:{fence.number}: {command}"
            args = shlex.split(command)[2:]
            result = CliRunner().invoke(telemetry, args, catch_exceptions=False)
            assert result.exit_code == 0, f"{where}\n{result.output}"
            output = result.output.replace(home, SHOWN_HOME).splitlines()
            missing = [line for line in shown if line not in output]
            assert missing == [], f"{where} did not print these lines:\n{output}"


# --- Environment variables ------------------------------------------------------

_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]")


def _names_in(node: ast.AST) -> set[str]:
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and _VARIABLE_NAME.fullmatch(n.value)
    }


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _names_variables(targets: list[ast.expr]) -> bool:
    return any(
        isinstance(t, ast.Name) and re.search(r"_VARIABLES?$", t.id) for t in targets
    )


def variables_read_by_the_code() -> set[str]:
    """Names the package reads from the environment, found in its source.

    Two ways are seen, so that a module moved or renamed does not hide one:
    a name written where it is read (``os.environ.get("X")``, ``os.getenv("X")``,
    ``environ["X"]``), and a module constant that names variables
    (``..._VARIABLE = "X"``, ``..._VARIABLES = ("X", "Y")``).
    """
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args:
                function = node.func
                if isinstance(function, ast.Attribute) and (
                    function.attr == "getenv"
                    or (
                        function.attr in ("get", "pop", "setdefault")
                        and _is_environ(function.value)
                    )
                ):
                    found |= _names_in(node.args[0])
            elif isinstance(node, ast.Subscript) and _is_environ(node.value):
                found |= _names_in(node.slice)
            elif isinstance(node, ast.Assign) and _names_variables(node.targets):
                found |= _names_in(node.value)
            elif isinstance(node, ast.AnnAssign) and _names_variables([node.target]):
                found |= _names_in(node.value) if node.value else set()
    return found


def variable_table() -> tuple[Path, list[list[str]]]:
    """The page holding the one table, and the names in each of its rows."""
    [page] = [p for p in PAGES if TABLE_START in p.read_text()]
    table = page.read_text().split(TABLE_START)[1].split(TABLE_END)[0]
    rows = [
        re.findall(r"`([^`]+)`", cells[0])
        for _, cells in tables(table)
        if cells and cells[0].strip() != "variable"
    ]
    return page, rows


def test_the_scan_sees_the_variables_it_must() -> None:
    """Without this, an empty scan and an empty table would agree."""
    read = variables_read_by_the_code()
    assert {"DO_NOT_TRACK", "KEDRO_TELEMETRY_ENDPOINT", "GITHUB_ACTIONS"} <= read


def test_the_table_names_exactly_the_variables_the_code_reads() -> None:
    _, rows = variable_table()
    listed = [name for row in rows for name in row]
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    read = variables_read_by_the_code()
    assert sorted(read - set(listed)) == [], "read by the code, not in the table"
    assert sorted(set(listed) - read) == [], "in the table, not read by the code"


def test_no_other_table_lists_a_variable_the_code_reads() -> None:
    read = variables_read_by_the_code()
    table_page, _ = variable_table()
    elsewhere = []
    for page in PAGES:
        text = page.read_text()
        if page == table_page:
            start, rest = text.split(TABLE_START)
            text = start + rest.split(TABLE_END)[1]
        for number, cells in tables(text):
            names = set(re.findall(r"`([^`]+)`", cells[0] if cells else ""))
            elsewhere += [f"{page_id(page)}:{number}: {n}" for n in names & read]
    assert elsewhere == []


# --- One place for each thing, and the README's bounds ---------------------------


def test_the_field_table_is_in_one_place() -> None:
    holders = [page_id(p) for p in PAGES if "<!-- fields:start -->" in p.read_text()]
    assert holders == ["docs/privacy.md"]


def test_the_long_description_is_the_readme_alone() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["long_description"].strip() == "file: README.md"


def test_the_readme_is_short_and_carries_nothing_that_dates() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    assert re.findall(r"\b20\d\d-\d\d-\d\d\b", text) == []  # dates
    assert re.findall(r"\bload(?: average)? \d", text) == []  # machine loads
    assert re.findall(r"\b\d+ tests\b", text) == []  # test counts
    assert COMMIT_HASH.findall(text) == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_no_page_is_over_its_bound(page: Path) -> None:
    assert len(page.read_text().splitlines()) <= 250
