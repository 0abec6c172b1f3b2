"""The one drain: post the outbox, oldest first, until it is empty or time is up.

Every way of sending (the detached sender, ``kedro telemetry flush``) runs
this loop, through ``serve``. It works under one deadline that covers DNS,
connecting, waiting for an answer and backing off, and it leaves what it could
not send for the next drain. Retries follow what can succeed later (see
``heap``); each event keeps its ``idempotency_key`` through every retry.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kedro_telemetry.environment import endpoint_problem
from kedro_telemetry.logs import LOGGER_NAME
from kedro_telemetry.outbox.delivery_log import DeliveryLog
from kedro_telemetry.outbox.store import MAX_AGE_SECONDS, Entry, Outbox
from kedro_telemetry.sender.heap import (
    BATCH_SIZE,
    Fate,
    HeapDestination,
    Outcome,
)

__all__ = ["Drain", "Report", "drain_within"]

_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 15.0

logger = logging.getLogger(LOGGER_NAME)

# One endpoint and app id: events bound for one fail or succeed together.
_Target = tuple[str, str]


@dataclass
class Report:
    """What one drain did, for ``flush`` to tell and for the sender's log."""

    sent: int = 0
    dropped: int = 0
    left: int = 0
    problem: str = ""
    # The outbox files it posted, whatever the answer: events it has seen.
    attempted: set[str] = field(default_factory=set)

    @property
    def outbox_empty(self) -> bool:
        return self.left == 0

    def add(self, other: Report) -> None:
        """Fold a later drain's report into this one."""
        self.sent += other.sent
        self.dropped += other.dropped
        self.left = other.left
        self.problem = other.problem
        self.attempted |= other.attempted


class Drain:
    """Posts the outbox in bulk requests, until it is empty or ``deadline`` passes.

    ``clock`` and ``sleep`` are the real ones unless a test passes a fake, as it
    may pass a ``destination`` over a fake HTTP session.
    """

    def __init__(
        self,
        outbox: Outbox,
        delivery_log: DeliveryLog,
        *,
        deadline: float,
        destination: HeapDestination | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        stop_requested: Callable[[], bool] = lambda: False,
    ) -> None:
        self._outbox = outbox
        self._log = delivery_log
        self._deadline = deadline
        self._destination = destination or HeapDestination()
        self._clock = clock
        self._sleep = sleep
        self._stop_requested = stop_requested
        self.report = Report()

    def run(self) -> Report:
        """Send, back off, send again, until done or out of time.

        A target that fails holds back only its own events: the events bound
        for another endpoint (it changed meanwhile) still go. A target that
        said "not now" is left for this run; one that said "later" rests for
        the backoff, and the other targets go on meanwhile.
        """
        attempt = 0
        wait = 0.0
        held: set[_Target] = set()  # not again in this run
        resting: set[_Target] = set()  # again after the pause
        while self._remaining() > 0 and not self._stop_requested():
            self._outbox.trim()
            entries = self._take_except(held | resting)
            if not entries:
                if not resting or wait >= self._remaining():
                    break
                self._pause(wait)
                attempt += 1
                resting.clear()
                continue
            target = entries[0].destination
            batch = [entry for entry in entries if entry.destination == target]
            outcome = self._send(batch)
            if outcome.fate is Fate.HOLD:
                self.report.problem = outcome.reason
                held.add(target)
            elif outcome.fate is Fate.RETRY:
                self.report.problem = outcome.reason
                pause = self._wait_before_retry(outcome, attempt)
                wait = max(wait, pause) if resting else pause
                resting.add(target)
            else:
                attempt = 0
        self.report.left = self._outbox.count()
        if self.report.outbox_empty:
            self.report.problem = ""
        return self.report

    def _pause(self, seconds: float) -> None:
        """Back off in short naps, so that a stop request is heard within 0.1 s."""
        end = self._clock() + seconds
        while not self._stop_requested() and (left := end - self._clock()) > 0:
            self._sleep(min(0.1, left))

    def _take_except(self, skipped: set[_Target]) -> list[Entry]:
        """The oldest events bound elsewhere than ``skipped``; a batch at most."""
        entries = self._outbox.read(BATCH_SIZE, remove_corrupt=True)
        if (
            skipped
            and len(entries) == BATCH_SIZE  # there may be more behind them
            and all(entry.destination in skipped for entry in entries)
        ):
            # As many as the outbox's caps allow.
            entries = self._outbox.read(self._outbox.max_events, remove_corrupt=True)
        kept = [entry for entry in entries if entry.destination not in skipped]
        return self._sendable(kept[:BATCH_SIZE])

    def _sendable(self, entries: list[Entry]) -> list[Entry]:
        """``entries`` less the events no drain could ever send, which are dropped.

        An event bound for an endpoint that cannot work (queued by an older
        release, or by hand) would wait forever, and so would one that failed
        for a month; both go, each with a line in the dropped log.
        """
        now = time.time()
        kept = []
        for entry in entries:
            reason = endpoint_problem(entry.destination[0])
            if not reason and entry.age_seconds(now) > MAX_AGE_SECONDS:
                reason = "not delivered within 30 days"
            if reason:
                self._drop([entry], reason)
            else:
                kept.append(entry)
        return kept

    def _send(self, batch: list[Entry]) -> Outcome:
        """Post ``batch``; if Heap will never take it, split it to drop only the bad."""
        remaining = self._remaining()
        if remaining <= 0:
            return Outcome(Fate.RETRY, "out of time")
        endpoint, app_id = batch[0].destination
        events = [entry.event for entry in batch]
        self.report.attempted.update(entry.path.name for entry in batch)
        outcome = self._destination.post(endpoint, app_id, events, remaining)
        if outcome.fate is Fate.STORED:
            self._outbox.remove(batch)
            self._log.add([entry.event for entry in batch], _utc_now())
            self.report.sent += len(batch)
        elif outcome.fate is Fate.NEVER and len(batch) == 1:
            self._drop(batch, f"rejected by the endpoint: {outcome.reason}")
        elif outcome.fate is Fate.NEVER:
            middle = len(batch) // 2
            for half in (batch[:middle], batch[middle:]):
                half_outcome = self._send(half)
                if half_outcome.fate not in (Fate.STORED, Fate.NEVER):
                    return half_outcome
        return outcome

    def _wait_before_retry(self, outcome: Outcome, attempt: int) -> float:
        if outcome.retry_after is not None:
            return outcome.retry_after
        backoff = min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0**attempt)
        return backoff * (0.5 + random.random() / 2)  # jitter: senders do not align

    def _drop(self, entries: list[Entry], reason: str) -> None:
        """Give ``entries`` up: out of the outbox, into the dropped log."""
        self._outbox.remove(entries)
        self.report.dropped += len(entries)
        for entry in entries:
            logger.warning(
                "dropped event %s: %s", entry.event.get("idempotency_key"), reason
            )
        self._log.add_dropped([entry.event for entry in entries], reason, _utc_now())

    def _remaining(self) -> float:
        return self._deadline - self._clock()


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def drain_within(
    seconds: float,
    outbox: Outbox,
    stop_requested: Callable[[], bool] = lambda: False,
) -> Report:
    """Drain ``outbox`` for at most ``seconds``, name resolution included.

    ``requests`` has no timeout for name resolution, so the drain runs in a
    daemon thread that is abandoned at the deadline; an abandoned request is
    harmless, since an event leaves the outbox only after Heap stored it.
    """
    drain = Drain(
        outbox,
        DeliveryLog.default(),
        deadline=time.monotonic() + seconds,
        stop_requested=stop_requested,
    )
    worker = threading.Thread(
        target=drain.run, name="kedro-telemetry-drain", daemon=True
    )
    worker.start()
    worker.join(seconds + 1.0)
    if worker.is_alive():
        report = drain.report
        report.left = outbox.count()
        report.problem = report.problem or "the endpoint did not answer in time"
    return drain.report
