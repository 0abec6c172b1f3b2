"""The detached sender: ``python -m kedro_telemetry.sender_process``.

Started by ``spawn`` with the sender lock handed down. It waits for the
command that started it to exit, drains the outbox, then stays up to
``idle_seconds`` for the next commands' events, asleep but for a directory
listing twice a second, and exits. It never lives more than ``LIFE_SECONDS``
plus one drain; an event that comes later gets a fresh sender.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

__all__ = ["LIFE_SECONDS", "PASS_SECONDS", "main"]

# How long one drain may try, DNS, retries and backoff included.
PASS_SECONDS = 60.0
# After this, no new drain starts: the next event gets a fresh sender.
LIFE_SECONDS = 600.0


def main(arguments: list[str]) -> int:
    """Entry point; never raises, always exits 0.

    ``--after PID`` names the command that started us, ``--lock-fd N`` the
    sender lock it handed down (POSIX), ``--no-idle`` makes us leave as soon
    as the outbox is empty (a container, where our parent waits for us).
    """
    started = time.monotonic()
    from kedro_telemetry import environment, files, logs
    from kedro_telemetry.outbox import Outbox
    from kedro_telemetry.sender_lock import SenderLock, holder_asked_to_yield

    logger = logs.file_logger(files.sender_log_file())
    try:
        parent, descriptor, idle = _parse(arguments)
        lock = SenderLock.default()
        # Windows hands no lock down: take it now, before waiting, so that the
        # other senders of a burst see it taken and leave at once.
        if (descriptor is None or not lock.adopt(descriptor)) and not lock.acquire():
            return 0  # the holder looks at the outbox after its release
        logger.info("sender %d started", os.getpid())
        if parent is not None:
            from kedro_telemetry.parent_wait import wait_for_parent

            wait_for_parent(parent, give_up=holder_asked_to_yield)
        from kedro_telemetry.turns import serve

        report = serve(
            lock,
            Outbox.default(),
            pass_seconds=PASS_SECONDS,
            idle_seconds=environment.sender_idle_seconds() if idle else 0.0,
            until=started + LIFE_SECONDS,
            stop_requested=holder_asked_to_yield,
            on_stranded=_start_a_fresh_sender,
        )
        logger.info(
            "sender %d done: sent %d, dropped %d, left %d%s",
            os.getpid(),
            report.sent,
            report.dropped,
            report.left,
            f" ({report.problem})" if report.problem else "",
        )
    except Exception:
        logger.exception("the sender stopped on an unexpected error")
    return 0


def _start_a_fresh_sender() -> None:
    """For an event that came after our time was up (see ``turns.serve``)."""
    from kedro_telemetry.spawn import wake_sender

    wake_sender()


def _parse(arguments: list[str]) -> tuple[int | None, int | None, bool]:
    """``--after PID``, ``--lock-fd N`` and ``--no-idle``; anything else is ignored."""
    values: dict[str, int] = {}
    for flag, value in itertools.pairwise(arguments):
        if flag in ("--after", "--lock-fd") and value.isdigit():
            values[flag] = int(value)
    return values.get("--after"), values.get("--lock-fd"), "--no-idle" not in arguments


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
