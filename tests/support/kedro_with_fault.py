"""Run ``kedro`` with steps of kedro-telemetry replaced: made to fail, or spied on.

    python kedro_with_fault.py fail|spy MARKER TARGET[,TARGET...] [kedro args...]

Each TARGET is ``module:attribute`` or ``module:Class.method`` (``os:fsync`` works
too). Its replacement first appends the target's name to the MARKER file, so a
test can prove the step was really reached, and then either raises
``RuntimeError`` (``fail``) or calls the original (``spy``). Names that modules of
kedro_telemetry imported with ``from ... import`` are rebound as well.

``python -c`` snippets reuse :func:`install` after putting this directory on
``sys.path``.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_MODULES = (
    "api",
    "consent",
    "outbox.wake",
    "counts",
    "events",
    "files",
    "hooks",
    "machine",
    "masking",
    "outbox.store",
    "project",
    "actions",
)


def install(mode: str, marker: str, targets: list[str]) -> None:
    """Replace every target; ``mode`` is ``fail`` or ``spy``."""
    if mode not in ("fail", "spy"):
        raise SystemExit(f"unknown mode {mode!r}")
    plugin = [
        importlib.import_module(f"kedro_telemetry.{name}") for name in _PLUGIN_MODULES
    ]
    for target in targets:
        module_name, _, attribute_path = target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *parents, name = attribute_path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = getattr(owner, name)
        replacement = _replacement(mode, marker, target, original)
        setattr(owner, name, replacement)
        if not parents:
            for module in plugin:
                if getattr(module, name, None) is original:
                    setattr(module, name, replacement)


def _replacement(
    mode: str, marker: str, target: str, original: Callable[..., Any]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def replaced(*args: Any, **kwargs: Any) -> Any:
        with open(marker, "a", encoding="utf-8") as handle:
            handle.write(target + "\n")
        if mode == "fail":
            raise RuntimeError(f"injected fault in {target}")
        return original(*args, **kwargs)

    return replaced


if __name__ == "__main__":
    mode, marker, targets, *kedro_args = sys.argv[1:]
    install(mode, marker, targets.split(","))
    sys.argv = ["kedro", *kedro_args]
    from kedro.framework.cli.cli import main

    sys.exit(main())
