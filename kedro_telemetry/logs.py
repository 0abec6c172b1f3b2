"""The plugin's one logger, and the one place that says where it writes.

In a Kedro process it writes to stderr and never to Kedro's stdout: Kedro's
default logging sends the root logger to stdout, so this logger does not
propagate. The detached sender has no terminal; there it writes to a small
file in the state directory instead.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from kedro_telemetry import environment

__all__ = ["LOGGER_NAME", "file_logger", "stderr_logger"]

LOGGER_NAME = "kedro_telemetry"

# The sender's log is kept under this size; the one before it is ``.1``.
_LOG_FILE_LIMIT = 256 * 1024


def stderr_logger() -> logging.Logger:
    """The logger, writing to stderr (warnings, or everything in debug mode)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        level = logging.DEBUG if environment.debug_enabled() else logging.WARNING
        _configure(logger, logging.StreamHandler(sys.stderr), level, "kedro-telemetry:")
    return logger


def file_logger(path: Path) -> logging.Logger:
    """The logger, writing to ``path``; past its size bound it becomes ``.1``.

    Any failure leaves the logger without a destination, never the sender
    without a logger.
    """
    logger = logging.getLogger(LOGGER_NAME)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_LOG_FILE_LIMIT, backupCount=1, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    level = logging.DEBUG if environment.debug_enabled() else logging.INFO
    _configure(logger, handler, level, "%(asctime)s %(levelname)s")
    return logger


def _configure(
    logger: logging.Logger, handler: logging.Handler, level: int, prefix: str
) -> None:
    handler.setFormatter(logging.Formatter(f"{prefix} %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
