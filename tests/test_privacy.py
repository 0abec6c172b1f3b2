"""Nothing personal leaves the machine, and nothing at all before consent.

- Masking, property-based: command lines generated from the real Kedro command
  tree of a real project (paths, options in ``--opt value``, ``--opt=value`` and
  ``-oVALUE`` forms, flags, positional values, unknown options and commands,
  help switches, official starters) are masked to exactly the expected words;
  no secret survives, and every kept word is one Kedro defines.
- End to end: after consented commands carrying secrets, not one byte the
  receiver got holds the host name, the user name, the project's path, name or
  package, nor any of the secrets.
- Consent first: with no consent (no file and no terminal: nobody is asked)
  or with consent false, no event is built, queued or sent and no answer is
  written on any path (the CLI, the project hooks, a session run without the
  CLI, the public API), and the project's
  statistics (the 0.2.2 regression) are never even computed; a spy on every
  collecting step proves it, and the same spy with consent proves it watches.
  Both kinds of no (``consent.decide`` tells them apart, and its tests show
  that neither collects) are shared out among the paths, one real run each.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kedro.framework.cli.cli import KedroCLI

from kedro_telemetry.collect.masking import MASK, mask_command
from tests.support.baseline import Result, python_with_fault
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import (
    PACKAGE,
    PROJECT_NAME,
    kedro,
    python_code,
    state_dir_of,
)
from tests.support.outbox import assert_nothing_sent
from tests.support.terminal import QUESTION

ALWAYS_KEPT = ("--help", "-h", "--version", "-V")
SECRET_PREFIX = "s3cret"


# The command tree ---------------------------------------------------------------


@dataclass
class Node:
    """One command of the tree, with what can follow it."""

    command: click.Command
    children: dict[str, Node] = field(default_factory=dict)
    value_options: list[click.Option] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "get_command")


def _visit(command: click.Command, context: click.Context) -> Node:
    node = Node(command)
    parameters = list(command.params)
    for source in getattr(command, "sources", ()):
        parameters.extend(source.params)
    for option in parameters:
        if not isinstance(option, click.Option):
            continue
        if option.is_flag or option.count:
            node.flags.extend([*option.opts, *option.secondary_opts])
        else:
            node.value_options.append(option)
    if node.is_group:
        for name in command.list_commands(context):  # type: ignore[attr-defined]
            child = command.get_command(context, name)  # type: ignore[attr-defined]
            if child is not None:
                child_context = click.Context(
                    child, parent=context, info_name=name, resilient_parsing=True
                )
                node.children[name] = _visit(child, child_context)
    return node


@dataclass
class Tree:
    root: Node
    vocabulary: frozenset[str]  # every word that may be sent as it is
    starters: tuple[str, ...]


@pytest.fixture(scope="module")
def kedro_cli(project_template: Path) -> Iterator[click.Command]:
    """The real ``KedroCLI`` of the project, as ``kedro`` itself builds it.

    Building it bootstraps the project in this process; the changes that would
    leak into later subprocesses (``PYTHONPATH``, ``sys.path``) are undone.
    """
    saved_path, saved_pythonpath = list(sys.path), os.environ.get("PYTHONPATH")
    cli = KedroCLI(project_path=project_template)
    sys.path[:] = saved_path
    if saved_pythonpath is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved_pythonpath
    yield cli


@pytest.fixture(scope="module")
def tree(kedro_cli: click.Command) -> Tree:
    root = _visit(kedro_cli, click.Context(kedro_cli, info_name="kedro"))
    from kedro.framework.cli import starters  # imported by the walk above

    official = tuple(sorted(starters._OFFICIAL_STARTER_SPECS_DICT))
    words: set[str] = set(ALWAYS_KEPT) | {MASK, "--", *official}
    stack = [root]
    while stack:
        node = stack.pop()
        words.update(node.children)
        words.update(node.flags)
        for option in node.value_options:
            words.update([*option.opts, *option.secondary_opts])
        stack.extend(node.children.values())
    assert {"run", "catalog", "describe-datasets", "--params"} <= words
    assert official, "Kedro lists its official starters"
    return Tree(root, frozenset(words), official)


# Generated command lines ----------------------------------------------------------

_SECRET_ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\x00"
)


@dataclass
class Case:
    """A command line, what masking must make of it, and the secrets it holds."""

    args: list[str] = field(default_factory=list)
    # per output word: the one accepted word, or the set of accepted words
    expected: list[str | frozenset[str]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def add(self, tokens: list[str], expected: list[str | frozenset[str]]) -> None:
        self.args.extend(tokens)
        self.expected.extend(expected)


@st.composite
def secrets(draw: st.DrawFn) -> str:
    return f"{SECRET_PREFIX}-" + draw(
        st.text(_SECRET_ALPHABET, min_size=1, max_size=12)
    )


def _is_starter_option(option: click.Option) -> bool:
    return "--starter" in option.opts


@st.composite
def _value_fragment(draw: st.DrawFn, node: Node, tree: Tree, case: Case) -> None:
    starter_options = [o for o in node.value_options if _is_starter_option(o)]
    if starter_options and draw(st.booleans()):  # rare otherwise: explore it more
        option = draw(st.sampled_from(starter_options))
    else:
        option = draw(st.sampled_from(node.value_options))
    names = [*option.opts, *option.secondary_opts]
    name = draw(st.sampled_from(names))
    values = []
    for _ in range(max(option.nargs, 1)):
        if _is_starter_option(option) and draw(st.booleans()):
            values.append(draw(st.sampled_from(tree.starters)))
        else:
            values.append(draw(secrets()))
            case.secrets.append(values[-1])
    kept = [value if value in tree.starters else MASK for value in values]
    single = option.nargs == 1
    short = len(name) == 2 and name[1] != "-"
    form = draw(st.sampled_from(["space", "equals", "glued"] if single else ["space"]))
    if form == "equals":
        case.add([f"{name}={values[0]}"], [name, kept[0]])
    elif form == "glued" and short:
        # ``-sVALUE``: a starter glued to ``-s`` may be kept or masked, never changed
        case.add([name + values[0]], [name, frozenset({MASK, kept[0]})])
    else:
        case.add([name, *values], [name, *kept])


@st.composite
def _fragments(draw: st.DrawFn, node: Node, tree: Tree, case: Case) -> None:
    """What may follow the command ``node``: options, flags, values, strangers."""
    kinds = ["unknown-option", "unknown-option=", "switch"]
    if node.value_options:
        kinds += ["value", "value", "value"]
    if node.flags:
        kinds.append("flag")
    if not node.is_group:
        kinds.append("positional")
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=6)):
        if kind == "value":
            draw(_value_fragment(node, tree, case))
        elif kind == "flag":
            flag = draw(st.sampled_from(node.flags))
            case.add([flag], [flag])
        elif kind == "switch":
            switch = draw(st.sampled_from(ALWAYS_KEPT))
            case.add([switch], [switch])
        elif kind == "positional":
            case.secrets.append(draw(secrets()))
            case.add([case.secrets[-1]], [MASK])
        elif kind == "unknown-option":
            case.secrets.append("--" + draw(secrets()))
            case.add([case.secrets[-1]], [MASK])
        else:
            value = draw(secrets())
            case.secrets.append(value)
            case.add([f"--{SECRET_PREFIX}-option={value}"], [MASK])


@st.composite
def command_lines(draw: st.DrawFn, tree: Tree) -> Case:
    case = Case()
    node = tree.root
    while node.children and draw(st.integers(0, 5)) > 0:
        if draw(st.integers(0, 9)) == 0:
            switch = draw(st.sampled_from(ALWAYS_KEPT))
            case.add([switch], [switch])
        name = draw(st.sampled_from(sorted(node.children)))
        case.add([name], [name])
        node = node.children[name]

    draw(_fragments(node, tree, case))

    ending = draw(st.sampled_from(["none", "none", "unknown", "separator"]))
    if (ending == "unknown" and node.is_group) or ending == "separator":
        # after an unknown command nothing is recognised; after ``--`` all is a value
        head = draw(secrets()) if ending == "unknown" else "--"
        tail = draw(
            st.lists(
                st.one_of(secrets(), st.sampled_from(sorted(tree.vocabulary))),
                max_size=5,
            )
        )
        case.secrets.extend(word for word in [head, *tail] if word.startswith("s3"))
        kept_in_tail = ALWAYS_KEPT if ending == "unknown" else ()
        case.add(
            [head, *tail],
            [MASK if head != "--" else "--"]
            + [word if word in kept_in_tail else MASK for word in tail],
        )
    return case


def matches(masked: list[str], expected: list[str | frozenset[str]]) -> bool:
    return len(masked) == len(expected) and all(
        word in accepted if isinstance(accepted, frozenset) else word == accepted
        for word, accepted in zip(masked, expected, strict=True)
    )


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_masking_keeps_only_kedros_own_words(
    kedro_cli: click.Command, tree: Tree, data: st.DataObject
) -> None:
    case = data.draw(command_lines(tree))

    masked = mask_command(kedro_cli, case.args)

    assert matches(masked, case.expected), (case.args, masked, case.expected)
    sent = " ".join(masked)
    assert SECRET_PREFIX not in sent
    assert not [secret for secret in case.secrets if secret in sent]
    assert set(masked) <= tree.vocabulary, set(masked) - tree.vocabulary


def test_the_generator_reaches_every_command_and_every_form(tree: Tree) -> None:
    """The property above is only as good as what it explores.

    Derandomised everywhere, not only in CI: a random run of 500 examples can
    miss one of the commands, and a check that fails by chance checks nothing.
    """
    reached: set[str] = set()
    forms: set[str] = set()

    @settings(max_examples=500, deadline=None, database=None, derandomize=True)
    @given(case=command_lines(tree))
    def explore(case: Case) -> None:
        path = []
        node = tree.root
        for word in case.args:
            if word in node.children:
                path.append(word)
                node = node.children[word]
            elif not word.startswith("-"):
                break
        reached.add(" ".join(path))
        for word in case.args:
            if "=" in word and word.startswith("-"):
                forms.add("equals")
            elif word in tree.starters:
                forms.add("starter")
            elif word == "--":
                forms.add("separator")
            elif word.startswith(f"--{SECRET_PREFIX}"):
                forms.add("unknown option")

    explore()
    assert {"run", "catalog describe-datasets", "new", "telemetry enable"} <= reached
    assert forms == {"equals", "starter", "separator", "unknown option"}


# End to end ---------------------------------------------------------------------------


def _appears(word: str, body: bytes) -> bool:
    """``word`` in ``body``; short words only as whole words, so hashes cannot match."""
    text = body.decode("utf-8").lower()
    word = word.lower()
    if len(word) >= 6:
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


@pytest.mark.slow
def test_no_byte_sent_names_the_host_the_user_the_project_or_a_secret(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    secrets = ["s3cret-key", "s3cret-value-9f2", "s3cret-command", "s3cret-flag-7"]
    run = kedro(
        "run",
        "--params=s3cret-key=s3cret-value-9f2",
        "--env",
        "local",
        "--pipeline=reporting",
        "-r",
        "SequentialRunner",
        cwd=project,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    unknown = kedro(
        "s3cret-command", "--s3cret-flag-7=s3cret-value-9f2", cwd=project, env=env
    )
    assert unknown.returncode == 2

    events = receiver.wait_for(2)
    assert len(events) == 2
    assert {event["properties"]["command"] for event in events} == {
        "kedro run --params ***** --env ***** --pipeline ***** -r *****",
        "kedro ***** *****",
    }
    personal = [
        socket.gethostname(),
        getpass.getuser(),
        # Their plain hashes too: keyed ones cannot be found by hashing guesses.
        hashlib.sha256(socket.gethostname().encode()).hexdigest(),
        hashlib.sha256(getpass.getuser().encode()).hexdigest(),
        str(project),
        str(project.resolve()),
        project.name,
        PROJECT_NAME,
        PACKAGE,
        "spaceship",
        "reporting",
        "SequentialRunner",
        *secrets,
    ]
    assert receiver.raw_bodies
    for body in receiver.raw_bodies:
        assert [word for word in personal if _appears(word, body)] == []


# Consent first ----------------------------------------------------------------------

# Every step that reads the machine or the project, builds, queues or sends.
COLLECTING_STEPS = (
    "kedro_telemetry.collect.machine:machine_properties",
    "kedro_telemetry.collect.machine:host_identity",
    "kedro_telemetry.collect.project:project_properties",
    "kedro_telemetry.collect.project:metadata_at",
    "kedro_telemetry.collect.counts:count_properties",
    "kedro_telemetry.collect.masking:mask_command",
    "kedro_telemetry.collect.event:build_event",
    "kedro_telemetry.outbox.wake:queue_event",
    "kedro_telemetry.outbox.store:Outbox.put",
    "kedro_telemetry.outbox.wake:start_sender",
)

# ``kedro *argv`` as the command runs it (``.format(argv=[...])``).
CLI = """
import sys
from kedro.framework.cli.cli import main
sys.argv = ["kedro", *{argv!r}]
main()
"""

SESSION_RUN = """
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path.cwd())
with KedroSession.create(project_path=Path.cwd()) as session:
    session.run()
"""

CATALOG_ONLY = """
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path.cwd())
with KedroSession.create(project_path=Path.cwd()) as session:
    catalog = session.load_context().catalog
    print(sorted(catalog.keys()))
"""

PUBLIC_API = """
from pathlib import Path
from kedro_telemetry import send_event
print("sent:", send_event("Plugin ping", {"feature": "x"}, project_path=Path.cwd()))
print("sent:", send_event("Plugin ping", {"feature": "x"}))
"""

# The project's pipelines note in a file every read made from kedro_telemetry's code;
# Kedro itself reads them too when it builds a catalog (to validate parameters).
RECORDING_REGISTRY = """
import os
import traceback

from kedro.pipeline import Pipeline, node


def double(start: int) -> int:
    return start * 2


def add(doubled: int, start: int) -> int:
    return doubled + start


class WatchedPipelines(dict):
    def _note(self, what):
        callers = [frame.filename for frame in traceback.extract_stack()]
        reader = "kedro_telemetry" if any(
            os.sep + "kedro_telemetry" + os.sep in name for name in callers
        ) else "kedro"
        with open(os.environ["REGISTRY_MARKER"], "a") as marker:
            marker.write(f"{reader} {what}\\n")

    def __getitem__(self, key):
        self._note("getitem")
        return super().__getitem__(key)

    def __len__(self):
        self._note("len")
        return super().__len__()


def register_pipelines():
    numbers = Pipeline(
        [
            node(double, "params:start", "doubled", name="double"),
            node(add, ["doubled", "params:start"], "total", name="add"),
        ]
    )
    return WatchedPipelines({"__default__": numbers, "numbers": numbers})
"""


def pipeline_readers(env: dict[str, str]) -> set[str]:
    marker = Path(env["REGISTRY_MARKER"])
    lines = marker.read_text().splitlines() if marker.exists() else []
    return {line.split()[0] for line in lines}


def api_answers(result: Result) -> list[str]:
    return [
        line.split()[1] for line in result.stdout.splitlines() if line[:5] == "sent:"
    ]


def steps_reached(marker: Path) -> set[str]:
    return set(marker.read_text().split()) if marker.exists() else set()


def spied(code: str, marker: Path, cwd: Path, env: dict[str, str]) -> Result:
    """``code`` behind a spy on every collecting step, noting them in ``marker``."""
    return python_with_fault("spy", marker, COLLECTING_STEPS, code, cwd=cwd, env=env)


# Both kinds of no (no file, and ``consent: false``), shared out among the paths.
NOT_CONSENTED = {
    "cli-run-no-file": (None, CLI.format(argv=["run"])),
    "cli-info-consent-false": (False, CLI.format(argv=["info"])),
    "session-run-no-file": (None, SESSION_RUN),
    "api-consent-false": (False, PUBLIC_API),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("consent", "code"), NOT_CONSENTED.values(), ids=NOT_CONSENTED.keys()
)
def test_without_consent_nothing_is_collected_on_any_path(
    project: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    tmp_path: Path,
    *,
    consent: bool | None,
    code: str,
) -> None:
    """Without a terminal nobody is asked either, and no answer is written."""
    if consent is not None:
        give_consent(project, consent)
    marker = tmp_path / "steps"
    result = spied(code, marker, project, env)
    assert result.returncode == 0, result.stderr
    if code is PUBLIC_API:
        assert api_answers(result) == ["False", "False"]

    assert steps_reached(marker) == set()
    assert_nothing_sent(receiver, state_dir_of(env))
    assert QUESTION not in result.stdout + result.stderr
    assert (project / ".telemetry").exists() is (consent is not None)


@pytest.mark.slow
def test_with_consent_the_cli_spy_sees_every_step(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """The control: the same spy, with consent, sees the steps it must not see above."""
    marker = tmp_path / "steps"
    run = spied(CLI.format(argv=["run"]), marker, consented, env)
    assert run.returncode == 0, run.stderr

    assert steps_reached(marker) == set(COLLECTING_STEPS) - {
        "kedro_telemetry.collect.project:metadata_at"  # the CLI has Kedro's metadata
    }
    assert len(receiver.wait_for(1)) == 1


@pytest.mark.slow
def test_with_consent_the_session_spy_sees_the_project_read(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """The control of the session case: a session run without the CLI collects.

    Its event, once, with the project's size: test_entry_points.py.
    """
    marker = tmp_path / "steps"
    result = spied(SESSION_RUN, marker, consented, env)
    assert result.returncode == 0, result.stderr

    [event] = receiver.wait_for(1)
    assert event["event"] == "Kedro project run"
    assert "command" not in event["properties"]
    assert "kedro_telemetry.collect.project:metadata_at" in steps_reached(marker)


@pytest.mark.slow
def test_a_consented_plugin_event_is_sent(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The control of the API case: the project's yes lets a plugin's event through."""
    result = python_code(PUBLIC_API, cwd=consented, env=env)
    assert api_answers(result) == ["True", "False"], result.stderr
    [event] = receiver.wait_for(1)
    assert event["event"] == "Plugin ping"


@pytest.fixture
def recording_project(project: Path, env: dict[str, str], tmp_path: Path) -> Path:
    """The project, with a registry that notes in a file each time it is loaded."""
    registry = project / "src" / PACKAGE / "pipeline_registry.py"
    registry.write_text(RECORDING_REGISTRY)
    env["REGISTRY_MARKER"] = str(tmp_path / "registry")
    return project


@pytest.mark.slow
def test_without_consent_the_pipelines_are_never_counted(
    recording_project: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """kedro-telemetry 0.2.2 counted the project before asking.

    A session that only builds its catalog runs the plugin's catalog hook; Kedro
    reads the pipelines itself there, and the plugin must not.
    """
    marker = tmp_path / "steps"
    result = spied(CATALOG_ONLY, marker, recording_project, env)
    assert result.returncode == 0, result.stderr
    assert "doubled" in result.stdout  # the catalog was really built

    assert pipeline_readers(env) == {"kedro"}
    assert steps_reached(marker) == set()
    assert_nothing_sent(receiver, state_dir_of(env))


@pytest.mark.slow
def test_with_consent_the_plugin_counts_the_pipelines(
    recording_project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The control: with consent the plugin does read them, and reports."""
    give_consent(recording_project)
    result = python_code(CATALOG_ONLY, cwd=recording_project, env=env)
    assert result.returncode == 0, result.stderr

    assert pipeline_readers(env) == {"kedro", "kedro_telemetry"}
    [event] = receiver.wait_for(1)
    assert event["properties"]["number_of_pipelines"] == 2
