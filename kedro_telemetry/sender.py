"""The only module that speaks HTTP: drains the outbox into Heap's track API.

It runs in a detached process started after a command ends (``python -m
kedro_telemetry.sender``), in the foreground for ``kedro telemetry flush``, or
in a thread of the command itself where nothing outlives it (``before_exit``).
Either way it works under one deadline that covers DNS, connecting, waiting for
an answer and backing off, and it leaves what it could not send for next time.

Retries follow what can succeed later: network errors, 408, 429 (honouring
``Retry-After``) and 5xx. A 400 means Heap will never take the event, so it is
dropped and the reason is logged. Each event keeps its ``idempotency_key``
through every retry, so Heap stores it once however often it is posted.
"""

from __future__ import annotations

import email.utils
import enum
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedro_telemetry import files
from kedro_telemetry.outbox import MAX_EVENTS, DeliveryLog, Entry, Outbox, SenderLock

if TYPE_CHECKING:  # ``requests`` costs a quarter of a second of CPU to import
    import requests

__all__ = [
    "BACKGROUND_DEADLINE_SECONDS",
    "BATCH_SIZE",
    "Report",
    "Sender",
    "deliver_outbox",
    "drain_in_turns",
    "flush",
    "main",
]

BATCH_SIZE = 1000  # Heap's bulk form takes at most 1,000 events a request
BACKGROUND_DEADLINE_SECONDS = 60.0
_CONNECT_TIMEOUT = 5.0
_READ_TIMEOUT = 10.0
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 15.0
_PARENT_WAIT_SECONDS = 5.0
_FLUSH_REQUEST_LIFETIME = 600.0
# How long a background sender keeps the lock after draining, for the commands
# of a burst that end a little later (see ``drain_in_turns``).
_LINGER_SECONDS = 1.0

logger = logging.getLogger("kedro_telemetry")


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # 400: never acceptable, drop
    RETRY = "retry"  # might succeed later
    REFUSED = "refused"  # other answers (401, 404, 3xx): keep, skip it this run


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: str = ""
    retry_after: float | None = None


@dataclass
class Report:
    """What one drain did, for ``flush`` to tell and for the log."""

    sent: int = 0
    dropped: int = 0
    left: int = 0
    finished: bool = True
    problem: str = ""


class Sender:
    """Posts the outbox, oldest first, in bulk requests, until empty or out of time."""

    def __init__(
        self,
        outbox: Outbox,
        delivery_log: DeliveryLog,
        *,
        deadline: float,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        stop_requested: Callable[[], bool] = lambda: False,
    ) -> None:
        self._outbox = outbox
        self._log = delivery_log
        self._deadline = deadline
        if session is None:
            import requests

            session = requests.Session()
        self._session = session
        self._clock = clock
        self._sleep = sleep
        self._stop_requested = stop_requested
        self.report = Report()

    def drain(self) -> Report:
        attempt = 0
        wait = 0.0
        # A destination that fails holds back only its own events: the events
        # for other endpoints (the endpoint changed meanwhile) still go.
        refused: set[tuple[str, str]] = set()  # not again in this run
        resting: set[tuple[str, str]] = set()  # again after the pause
        while self._remaining() > 0 and not self._stop_requested():
            self._outbox.trim()
            entries = self._take_except(refused | resting)
            if not entries:
                if not resting or wait >= self._remaining():
                    break
                self._pause(wait)
                attempt += 1
                resting.clear()
                continue
            destination = entries[0].destination
            batch = [entry for entry in entries if entry.destination == destination]
            outcome = self._send(batch)
            if outcome.verdict is Verdict.REFUSED:
                self.report.problem = outcome.reason
                refused.add(destination)
            elif outcome.verdict is Verdict.RETRY:
                self.report.problem = outcome.reason
                pause = self._wait_before_retry(outcome, attempt)
                wait = max(wait, pause) if resting else pause
                resting.add(destination)
            else:
                attempt = 0
        self.report.left = self._outbox.count()
        self.report.finished = self.report.left == 0
        if self.report.finished:
            self.report.problem = ""
        return self.report

    def _pause(self, seconds: float) -> None:
        """Back off, in short naps, so that a stop request is seen within 0.1 s."""
        end = self._clock() + seconds
        while not self._stop_requested() and (left := end - self._clock()) > 0:
            self._sleep(min(0.1, left))

    def _take_except(self, skipped: set[tuple[str, str]]) -> list[Entry]:
        """The oldest events bound elsewhere than ``skipped``; a batch at most."""
        entries = self._outbox.take(BATCH_SIZE)
        if (
            skipped
            and len(entries) == BATCH_SIZE  # there may be more behind them
            and all(entry.destination in skipped for entry in entries)
        ):
            entries = self._outbox.take(MAX_EVENTS)  # bounded by the outbox's caps
        kept = [entry for entry in entries if entry.destination not in skipped]
        return kept[:BATCH_SIZE]

    def _send(self, batch: list[Entry]) -> Outcome:
        """Post ``batch``; on a 400 split it to find and drop only the bad events."""
        endpoint, app_id = batch[0].destination
        outcome = self._post(endpoint, app_id, [entry.event for entry in batch])
        if outcome.verdict is Verdict.ACCEPTED:
            self._outbox.remove(batch)
            self._record_delivered(batch)
            self.report.sent += len(batch)
        elif outcome.verdict is Verdict.REJECTED and len(batch) == 1:
            self._outbox.remove(batch)
            self.report.dropped += 1
            logger.warning(
                "Heap rejected event %s; dropped it: %s",
                batch[0].event.get("idempotency_key"),
                outcome.reason,
            )
        elif outcome.verdict is Verdict.REJECTED:
            middle = len(batch) // 2
            for half in (batch[:middle], batch[middle:]):
                half_outcome = self._send(half)
                if half_outcome.verdict not in (Verdict.ACCEPTED, Verdict.REJECTED):
                    return half_outcome
        return outcome

    def _post(
        self, endpoint: str, app_id: str, events: list[dict[str, Any]]
    ) -> Outcome:
        remaining = self._remaining()
        if remaining <= 0:
            return Outcome(Verdict.RETRY, "out of time")
        timeout = (min(_CONNECT_TIMEOUT, remaining), min(_READ_TIMEOUT, remaining))
        import requests

        try:
            response = self._session.post(
                endpoint,
                json={"app_id": app_id, "events": events},
                timeout=timeout,
                allow_redirects=False,  # a POST is never replayed to another host
            )
        except requests.RequestException as error:
            return Outcome(Verdict.RETRY, f"network: {type(error).__name__}")
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(Verdict.ACCEPTED)
        if status == 400:
            return Outcome(Verdict.REJECTED, f"HTTP 400 {response.text[:200]!r}")
        if status in (408, 429) or status >= 500:
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            return Outcome(Verdict.RETRY, f"HTTP {status}", retry_after)
        return Outcome(Verdict.REFUSED, f"HTTP {status}")

    def _wait_before_retry(self, outcome: Outcome, attempt: int) -> float:
        if outcome.retry_after is not None:
            return outcome.retry_after
        backoff = min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0**attempt)
        return backoff * (0.5 + random.random() / 2)  # jitter: senders do not align

    def _record_delivered(self, batch: list[Entry]) -> None:
        try:
            self._log.add([entry.event for entry in batch], _utc_now())
        except OSError:
            logger.debug("could not update the delivery log", exc_info=True)

    def _remaining(self) -> float:
        return self._deadline - self._clock()


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds, in either of its two forms."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def deliver_outbox(
    seconds: float,
    outbox: Outbox | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> Report:
    """Drain the outbox for at most ``seconds``, DNS and all.

    ``requests`` has no timeout for name resolution, so the drain runs in a
    daemon thread and is abandoned at the deadline; an abandoned request is
    harmless, since an event leaves the outbox only after Heap accepted it.
    """
    outbox = outbox or Outbox.default()
    sender = Sender(
        outbox,
        DeliveryLog.default(),
        deadline=time.monotonic() + seconds,
        stop_requested=stop_requested,
    )
    worker = threading.Thread(
        target=sender.drain, name="kedro-telemetry-sender", daemon=True
    )
    worker.start()
    worker.join(seconds + 1.0)
    if worker.is_alive():
        report = sender.report
        report.finished = False
        report.left = outbox.count()
        report.problem = report.problem or "the endpoint did not answer in time"
        return report
    return sender.report


def drain_in_turns(
    deadline: float,
    stop_requested: Callable[[], bool] = lambda: False,
    lock: SenderLock | None = None,
    outbox: Outbox | None = None,
    linger: float = 0.0,
) -> list[Report]:
    """Drain under the sender lock, then look again once the lock is released.

    ``lock``, if given, is already held (by us, or handed down by the command
    that started us); otherwise it is taken here, and if someone else holds it
    we leave: they will look at the outbox after their release, as we do.

    The look after the release is what keeps an event from being stranded: a
    command that wrote its event and then found the lock taken started no
    sender, counting on whoever held it. So, after each release, any event that
    arrived since this turn began (not one that we already tried and that
    failed) is a reason to take the lock again and go on, until the deadline.

    ``linger`` keeps the lock that many seconds after a drain, watching for
    newcomers: the commands of a burst that end a little apart then find the
    lock taken and start no sender of their own.
    """
    outbox = outbox or Outbox.default()
    reports: list[Report] = []
    while (remaining := deadline - time.monotonic()) > 0 and not stop_requested():
        if lock is None:
            lock = SenderLock.default()
            if not lock.acquire():
                break  # a holder's look after its release covers our events
        try:
            seen = set(outbox.files())
            outbox.remove_stale_temporaries()
            reports.append(deliver_outbox(remaining, outbox, stop_requested))
            end = min(deadline, time.monotonic() + linger)
            while time.monotonic() < end and not stop_requested():
                if set(outbox.files()) - seen:
                    break
                time.sleep(0.1)
        finally:
            lock.release()
            lock = None
        if not set(outbox.files()) - seen:
            break
    if lock is not None:
        lock.release()  # held but unused: out of time, or a flush is waiting
    return reports


def _flush_request() -> Path:
    return files.state_dir() / "flush.request"


def _flush_is_waiting() -> bool:
    """Whether a ``kedro telemetry flush`` asked the background sender to step aside.

    A request older than any flush could wait is left over from a crash.
    """
    try:
        age = time.time() - _flush_request().stat().st_mtime
    except OSError:
        return False
    return age < _FLUSH_REQUEST_LIFETIME


def flush(seconds: float) -> Report:
    """Send the outbox now, in the foreground.

    A background sender that is backing off from a failing endpoint would keep
    the outbox locked for up to a minute; the request file asks it to stop at
    its next step, so the person waiting on ``flush`` gets the outbox at once.
    Like every holder of the lock, flush looks at the outbox after releasing
    it, and wakes a sender for any event queued meanwhile.
    """
    started = time.monotonic()
    lock = SenderLock.default()
    request = _flush_request()
    try:
        request.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        request.touch()
        acquired = lock.acquire(wait_seconds=seconds)
    finally:
        request.unlink(missing_ok=True)
    if not acquired:
        return Report(
            left=Outbox.default().count(),
            finished=False,
            problem="another sender kept the outbox busy",
        )
    outbox = Outbox.default()
    seen: set[Path] = set()
    try:
        seen = set(outbox.files())
        outbox.remove_stale_temporaries()
        return deliver_outbox(max(0.1, seconds - (time.monotonic() - started)), outbox)
    finally:
        lock.release()
        _wake_for_newcomers(outbox, seen)


def _wake_for_newcomers(outbox: Outbox, seen: set[Path]) -> None:
    """Start a sender for events queued while we held the lock (see ``wake_sender``)."""
    try:
        if set(outbox.files()) - seen:
            from kedro_telemetry.delivery import wake_sender

            wake_sender()
    except Exception:  # the flush itself is done: this must not undo its report
        logger.debug("could not wake a sender after the flush", exc_info=True)


def main(arguments: list[str]) -> int:
    """Entry point of the detached sender; never raises, always exits 0.

    ``--after PID`` names the command that started us, ``--lock-fd N`` the
    sender lock it handed down to us (POSIX).
    """
    started = time.monotonic()
    try:
        parent, descriptor = _parse(arguments)
        _log_to_file()
        logger.info("sender %d started", os.getpid())
        lock = SenderLock.default()
        # Windows hands no lock down: take it now, before waiting, so that the
        # other senders of a burst see it taken and leave at once.
        if (descriptor is None or not lock.adopt(descriptor)) and not lock.acquire():
            return 0  # the holder looks at the outbox after its release
        if parent is not None:
            wait_for_parent(parent, give_up=_flush_is_waiting)
        deadline = started + BACKGROUND_DEADLINE_SECONDS
        turns = drain_in_turns(
            deadline, _flush_is_waiting, lock, linger=_LINGER_SECONDS
        )
        for report in turns:
            _log_report(report)
    except Exception:
        logger.exception("the sender stopped on an unexpected error")
    return 0


def _parse(arguments: list[str]) -> tuple[int | None, int | None]:
    """``--after PID`` and ``--lock-fd N``, each optional; anything else is ignored."""
    values: dict[str, int] = {}
    for flag, value in zip(arguments[::2], arguments[1::2], strict=False):
        if flag in ("--after", "--lock-fd") and value.isdigit():
            values[flag] = int(value)
    return values.get("--after"), values.get("--lock-fd")


def _log_report(report: Report) -> None:
    if report.sent or report.dropped or report.left:
        logger.info(
            "sent %d, dropped %d, left %d%s",
            report.sent,
            report.dropped,
            report.left,
            f" ({report.problem})" if report.problem else "",
        )


def _log_to_file() -> None:
    """The detached sender has no terminal: its log goes to a small rotating file."""
    from logging.handlers import RotatingFileHandler

    directory = files.state_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        directory / "sender.log", maxBytes=256 * 1024, backupCount=1, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def wait_for_parent(
    parent_pid: int,
    limit: float = _PARENT_WAIT_SECONDS,
    give_up: Callable[[], bool] = lambda: False,
) -> None:
    """Let the ``kedro`` command that started us exit before we use any CPU.

    Importing ``requests`` alone takes a quarter of a second of CPU: started
    while Kedro shuts down, the sender would compete with it for the cores. A
    notebook's kernel never exits, hence the limit; ``give_up`` ends the wait
    early (a flush that wants the lock we hold).

    On POSIX the parent's exit shows as ``getppid()`` changing (we are
    reparented). On Windows ``getppid()`` keeps the parent's pid after it
    exits, so we wait on the parent's process handle instead.
    """
    deadline = time.monotonic() + limit
    if sys.platform == "win32":
        _wait_for_windows_process(parent_pid, deadline, give_up)
        return
    while os.getppid() == parent_pid and time.monotonic() < deadline:
        if give_up():
            return
        time.sleep(0.02)


def _wait_for_windows_process(
    pid: int, deadline: float, give_up: Callable[[], bool]
) -> None:
    """Wait for process ``pid`` to end, until ``deadline`` at most (Windows only).

    ``OpenProcess(SYNCHRONIZE)``, then ``WaitForSingleObject`` in 0.1 s slices
    so that ``give_up`` is heard. If the process is already gone, OpenProcess
    fails and we go on at once; if its pid was reused meanwhile, we wait on a
    stranger, until the deadline at most.
    """
    if sys.platform == "win32":  # the branch mypy checks only for Windows
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
        kernel32.WaitForSingleObject.argtypes = (wintypes.HANDLE, wintypes.DWORD)
        kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
        synchronize, wait_timeout = 0x00100000, 0x102
        handle = kernel32.OpenProcess(synchronize, False, pid)
        if not handle:
            return
        try:
            while not give_up() and (left := deadline - time.monotonic()) > 0:
                slice_ms = int(min(left, 0.1) * 1000)
                if kernel32.WaitForSingleObject(handle, slice_ms) != wait_timeout:
                    return  # ended (or the handle failed: waiting longer is no use)
        finally:
            kernel32.CloseHandle(handle)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
