"""The plugin's one logger, which writes to stderr and never to Kedro's stdout.

Kedro's default logging sends the root logger to stdout, so this logger does
not propagate: diagnostics must never mix with a command's output.
"""

from __future__ import annotations

import logging
import sys

from kedro_telemetry import environment

__all__ = ["LOGGER_NAME", "stderr_logger"]

LOGGER_NAME = "kedro_telemetry"


def stderr_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("kedro-telemetry: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(
            logging.DEBUG if environment.debug_enabled() else logging.WARNING
        )
        logger.propagate = False
    return logger
