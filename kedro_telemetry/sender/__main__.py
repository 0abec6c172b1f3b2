"""The detached sender: ``python -m kedro_telemetry.sender``.

Started by ``outbox.wake`` with the sender lock handed down. It waits for the
command that started it to exit, drains the outbox, then stays up to
``idle_seconds`` for the next commands' events, asleep but for a directory
listing twice a second, and exits. It never lives more than ``LIFE_SECONDS``
plus one drain; an event that comes later gets a fresh sender.
"""

from __future__ import annotations

import argparse
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
    from kedro_telemetry.outbox.lock import SenderLock, holder_asked_to_yield
    from kedro_telemetry.outbox.store import Outbox

    logger = logs.file_logger(files.sender_log_file())
    try:
        options = _parse(arguments)
        descriptor = options.lock_fd
        lock = SenderLock.default()
        # Windows hands no lock down: take it now, before waiting, so that the
        # other senders of a burst see it taken and leave at once.
        if (descriptor is None or not lock.adopt(descriptor)) and not lock.acquire():
            return 0  # the holder looks at the outbox after its release
        logger.info("sender %d started", os.getpid())
        if options.after is not None:
            from kedro_telemetry.sender.parent_wait import wait_for_parent

            wait_for_parent(options.after, give_up=holder_asked_to_yield)
        from kedro_telemetry.sender.serve import serve

        report = serve(
            lock,
            Outbox.default(),
            pass_seconds=PASS_SECONDS,
            idle_seconds=0.0 if options.no_idle else environment.sender_idle_seconds(),
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
    """For an event that came after our time was up (see ``serve``)."""
    from kedro_telemetry.outbox.wake import wake_sender

    wake_sender()


def _parse(arguments: list[str]) -> argparse.Namespace:
    """``--after PID``, ``--lock-fd N`` and ``--no-idle``; others are ignored.

    A malformed value raises (``exit_on_error=False``) instead of exiting, so
    that ``main`` logs it in the sender's log.
    """
    parser = argparse.ArgumentParser(
        prog="kedro_telemetry.sender", add_help=False, exit_on_error=False
    )
    parser.add_argument("--after", type=int)
    parser.add_argument("--lock-fd", type=int)
    parser.add_argument("--no-idle", action="store_true")
    options, _ = parser.parse_known_args(arguments)
    return options


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
