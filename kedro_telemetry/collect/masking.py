"""Turn a command line into words that are safe to send.

Only what Kedro itself defines survives: the command path, the names of options
that the resolved command really has, flags, help and version switches, and the
names of official starters. Every value a person typed becomes ``*****``.

The command tree is the running ``KedroCLI``: building a second one would
bootstrap the project again (the bench notes say what that cost 0.9.0).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from kedro_telemetry.collect.event import Properties

__all__ = ["MASK", "command_properties", "mask_command", "running_cli"]

MASK = "*****"

# Kept wherever they stand: they carry no value of the user's.
_ALWAYS_KEPT = frozenset({"--help", "-h", "--version", "-V"})

# Used when Kedro's own list cannot be read; Kedro's list wins when it can.
_KNOWN_STARTERS = frozenset(
    {
        "astro-airflow-iris",
        "databricks-iris",
        "spaceflights-pandas",
        "spaceflights-pandas-viz",
        "spaceflights-pyspark",
        "spaceflights-pyspark-viz",
        "support-agent-langgraph",
    }
)


def running_cli() -> click.Command | None:
    """The ``KedroCLI`` whose ``main`` is calling the hooks right now, if any.

    Kedro does not pass its CLI to ``before_command_run``, but the CLI is the
    ``self`` of the ``main`` frame a few levels up the stack.
    """
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if (
            frame.f_code.co_name == "main"
            and isinstance(candidate, click.Command)
            and hasattr(candidate, "get_command")
        ):
            return candidate
        frame = frame.f_back  # type: ignore[assignment]
    return None


def command_properties(root: click.Command | None, args: Sequence[str]) -> Properties:
    """``command`` and ``main_command``: the command line, every value masked."""
    masked = mask_command(root, args)
    return {
        "command": " ".join(("kedro", *masked)),
        "main_command": masked[0] if masked else "kedro",
    }


def mask_command(root: click.Command | None, args: Sequence[str]) -> list[str]:
    """The arguments of ``kedro <args>`` with every user value replaced by ``*****``.

    With no command tree (``root is None``) nothing can be recognised, so every
    argument but the help and version switches is masked.
    """
    masked: list[str] = []
    command = root
    context = _context_for(root, None, "kedro")
    position = 0
    while position < len(args):
        token = args[position]
        position += 1
        if token in _ALWAYS_KEPT:
            masked.append(token)
        elif command is None or context is None:
            masked.append(MASK)
        elif token == "--":
            masked.append(token)
            masked.extend(MASK for _ in args[position:])
            break
        elif token.startswith("-") and token != "-":
            position = _mask_option(command, token, args, position, masked)
        else:
            subcommand = _subcommand(command, context, token)
            if subcommand is not None:
                masked.append(token)
                context = _context_for(subcommand, context, token)
                command = subcommand
            else:
                masked.append(MASK)
                if _is_group(command):
                    # An unknown command: nothing after it can be recognised.
                    command = None
    return masked


def _mask_option(
    command: click.Command,
    token: str,
    args: Sequence[str],
    position: int,
    masked: list[str],
) -> int:
    """Append the safe form of one option and return where parsing goes on."""
    name, has_inline_value, inline_value = token.partition("=")
    option = _find_option(command, name)
    if option is None and not token.startswith("--") and len(token) > 2:
        # ``-pVALUE``: a short option glued to its value (which may hold "=").
        option = _find_option(command, token[:2])
        if option is not None and _takes_value(option):
            masked.extend((token[:2], MASK))
            return position
        option = None
    if option is None:
        masked.append(MASK)
        return position
    masked.append(name)
    if has_inline_value:
        masked.append(_safe_value(option, inline_value))
        return position
    if not _takes_value(option):
        return position
    for _ in range(max(option.nargs, 1)):
        if position >= len(args):
            break
        masked.append(_safe_value(option, args[position]))
        position += 1
    return position


def _safe_value(option: click.Option, value: str) -> str:
    if "--starter" in option.opts and value in _official_starters():
        return value
    return MASK


def _takes_value(option: click.Option) -> bool:
    return not (option.is_flag or option.count)


def _find_option(command: click.Command, name: str) -> click.Option | None:
    for parameter in _parameters(command):
        if isinstance(parameter, click.Option) and (
            name in parameter.opts or name in parameter.secondary_opts
        ):
            return parameter
    return None


def _parameters(command: click.Command) -> list[click.Parameter]:
    """A command's own parameters, and for a command collection its sources'."""
    parameters = list(command.params)
    for source in getattr(command, "sources", ()):
        parameters.extend(getattr(source, "params", ()))
    return parameters


def _is_group(command: click.Command) -> bool:
    return hasattr(command, "get_command")


def _subcommand(
    command: click.Command, context: click.Context, name: str
) -> click.Command | None:
    if not _is_group(command):
        return None
    try:
        found = command.get_command(context, name)  # type: ignore[attr-defined]
    except Exception:  # a plugin's lazy command that fails to import
        return None
    return found if isinstance(found, click.Command) else None


def _context_for(
    command: click.Command | None, parent: click.Context | None, name: str
) -> click.Context | None:
    if command is None:
        return None
    try:
        return click.Context(
            command, parent=parent, info_name=name, resilient_parsing=True
        )
    except Exception:
        return None


def _official_starters() -> frozenset[str]:
    """Kedro's own list of starter aliases, already imported by ``kedro new``."""
    from kedro_telemetry.collect.kedro_compat import official_starter_aliases

    return official_starter_aliases() or _KNOWN_STARTERS
