"""Helpers for the delivery tests: the outbox on disk, the detached senders, flushes.

Everything here looks at the real artefacts the plugin leaves behind (the outbox
directory, the sender's lock, live ``python -m kedro_telemetry.sender``
processes found through ``/proc``) rather than at the plugin's internals.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro_telemetry import environment
from kedro_telemetry.outbox.delivery_log import DeliveryLog
from kedro_telemetry.outbox.lock import SenderLock
from kedro_telemetry.outbox.store import Outbox
from kedro_telemetry.sender.drain import Drain, Report
from kedro_telemetry.sender.heap import HeapDestination
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import Answer, HeapReceiver
from tests.support.kedro_env import kedro, state_dir_of

__all__ = [
    "KEDRO",
    "QUEUE_ONE",
    "FlushResult",
    "Senders",
    "TimedReceiver",
    "TimedRun",
    "assert_nothing_stored_twice",
    "consent",
    "drain_here",
    "flush",
    "keys_answered_ok",
    "max_overlap",
    "put_records",
    "queued_keys",
    "refusing_port",
    "run_in_parallel",
    "settle",
    "stray_files",
    "synthetic_record",
    "wait_until",
]

KEDRO = str(Path(sys.executable).with_name("kedro"))
SENDER_MODULE = b"kedro_telemetry.sender"
SLOW_ANSWER_SECONDS = 6.0  # longer than any read timeout a short flush allows
# ``queue(key)`` queues an event through the plugin's own ``queue_event``, as a
# ``kedro`` command does when it ends, without the second of Kedro's start-up.
QUEUE_ONE = """
def queue(key):
    from datetime import datetime, timezone
    from kedro_telemetry.outbox.wake import queue_event as deliver
    from kedro_telemetry.events import build_event

    deliver(build_event("CLI command", identity="0" * 64,
                        properties={"command": "kedro info"},
                        timestamp=datetime.now(timezone.utc), idempotency_key=key))
"""

_FLUSH_LINE = re.compile(r"Sent (\d+) event\(s\); (\d+) left in the outbox\.")


def consent(project: Path) -> None:
    """Record the project's yes, as ``kedro telemetry enable`` would."""
    give_consent(project)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` at the ceiling."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting until {what}")
        time.sleep(0.1)


# The outbox on disk -----------------------------------------------------------


def outbox_dir(state_dir: Path) -> Path:
    return state_dir / "outbox"


def synthetic_record(endpoint: str, padding: int = 0) -> dict[str, Any]:
    """A small valid record; ``padding`` adds that many 1,000-character properties."""
    properties: dict[str, Any] = {"command": "kedro info"}
    properties.update({f"pad_{i:03d}": "x" * 1000 for i in range(padding)})
    return {
        "endpoint": endpoint,
        "app_id": environment.DEFAULT_APP_ID,
        "event": {
            "identity": "0" * 64,
            "event": "CLI command",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "idempotency_key": uuid.uuid4().hex,
            "properties": properties,
        },
    }


def put_records(
    outbox: Outbox, count: int, endpoint: str, padding: int = 0
) -> list[str]:
    """Queue ``count`` records with the real ``Outbox.put``; return their keys.

    As commands would have left them, with no sender started for them.
    """
    keys = []
    for _ in range(count):
        record = synthetic_record(endpoint, padding)
        outbox.put(record)
        keys.append(record["event"]["idempotency_key"])
    return keys


def drain_here(outbox: Outbox, seconds: float) -> Report:
    """One drain of ``outbox`` in this process, over real HTTP, for ``seconds``.

    The loop every sender and ``kedro telemetry flush`` run, with its real
    ``requests`` session, real clock and real backoff; its delivery log sits
    beside the outbox.
    """
    return Drain(
        outbox,
        DeliveryLog(outbox.directory.parent),
        deadline=time.monotonic() + seconds,
        destination=HeapDestination(),
    ).run()


def queued_records(state_dir: Path) -> list[dict[str, Any]]:
    """The queued records, oldest first, read as the sender would see them."""
    directory = outbox_dir(state_dir)
    if not directory.is_dir():
        return []
    records = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json") and not name.startswith("."):
            with contextlib.suppress(FileNotFoundError):
                records.append(json.loads((directory / name).read_text()))
    return records


def queued_keys(state_dir: Path) -> list[str]:
    return [record["event"]["idempotency_key"] for record in queued_records(state_dir)]


def stray_files(state_dir: Path) -> list[str]:
    """Temporary or unreadable files anywhere in the state directory."""
    strays = []
    for path in state_dir.rglob("*"):
        if path.name.startswith(".tmp-"):
            strays.append(str(path))
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text())
            except ValueError:
                strays.append(str(path))
    return strays


# The detached senders ---------------------------------------------------------


class Senders:
    """The detached senders started from one test's isolated environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self._marker = f"XDG_STATE_HOME={env['XDG_STATE_HOME']}".encode()
        self.state_dir = state_dir_of(env)

    def pids(self) -> set[int]:
        """Live sender processes whose environment is this test's (zombies excluded)."""
        found: set[int] = set()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
                if SENDER_MODULE not in cmdline:
                    continue
                environ = Path(entry.path, "environ").read_bytes().split(b"\0")
            except OSError:
                continue  # gone meanwhile, or not ours to read
            if self._marker in environ:
                found.add(int(entry.name))
        return found

    def lock_is_held(self) -> bool:
        """Whether some process holds the sender lock right now."""
        lock = SenderLock(self.state_dir / "sender.lock")
        if lock.acquire():
            lock.release()
            return False
        return True

    @contextlib.contextmanager
    def lock_held_by_test(self) -> Iterator[None]:
        """Hold the sender lock, as a busy sender would: new senders give up at once."""
        lock = SenderLock(self.state_dir / "sender.lock")
        assert lock.acquire(wait_seconds=30), "the sender lock stayed busy"
        try:
            yield
        finally:
            lock.release()

    def wait_until_gone(self, seconds: float = 60.0) -> None:
        wait_until(lambda: not self.pids(), "every sender has exited", seconds)

    def stop_all(self) -> None:
        """End this test's leftover senders, each by its own pid."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def settle(env: dict[str, str]) -> Senders:
    """Wait until every sender started from ``env`` has exited.

    A ``kedro`` command that returned has started its sender already (``Popen``
    returns once the child runs), and a sender exits only after the endpoint
    answered: from then on, what the receiver holds is final. When no sender
    was started, this returns at once.
    """
    senders = Senders(env)
    senders.wait_until_gone()
    return senders


def queue_without_sending(
    project: Path, env: dict[str, str], senders: Senders, count: int
) -> list[str]:
    """Run ``kedro info`` ``count`` times while the lock is busy; return the new keys.

    Each command queues its event and starts a sender, which finds the lock
    taken and leaves; the events wait in the outbox for the test's next step.
    """
    before = queued_keys(senders.state_dir)
    with senders.lock_held_by_test():
        for _ in range(count):
            result = kedro("info", cwd=project, env=env)
            assert result.returncode == 0, result.stderr
        senders.wait_until_gone()
    after = queued_keys(senders.state_dir)
    added = [key for key in after if key not in before]
    assert len(set(added)) == count and after[: len(before)] == before, after
    return added


# Flushing ---------------------------------------------------------------------


@dataclass(frozen=True)
class FlushResult:
    sent: int
    left: int
    output: str


def flush(cwd: Path, env: dict[str, str], timeout: float) -> FlushResult:
    """Run ``kedro telemetry flush --timeout``.

    The process's ceiling is generous, yet under the 60 s a detached sender may
    take: a flush that ignored its ``--timeout`` would be stopped and fail.
    """
    result = kedro(
        "telemetry",
        "flush",
        "--timeout",
        str(timeout),
        cwd=cwd,
        env=env,
        timeout=timeout + 40,
    )
    assert result.returncode == 0, result.stderr
    match = _FLUSH_LINE.search(result.stdout)
    assert match, result.stdout
    return FlushResult(int(match[1]), int(match[2]), result.stdout + result.stderr)


# What the endpoint saw --------------------------------------------------------


def keys_answered_ok(receiver: HeapReceiver) -> Counter[str]:
    """How often each key was posted in a request the receiver answered 200."""
    counts: Counter[str] = Counter()
    for body in list(receiver.requests):
        if isinstance(body, dict) and isinstance(body.get("events"), list):
            counts.update(str(event.get("idempotency_key")) for event in body["events"])
        elif isinstance(body, dict):
            counts[str(body.get("idempotency_key"))] += 1
    return counts


def assert_nothing_stored_twice(receiver: HeapReceiver) -> None:
    """No event was posted again after a 200 had told the sender it was stored."""
    twice = {key: n for key, n in keys_answered_ok(receiver).items() if n > 1}
    assert twice == {}, f"re-posted after Heap accepted them: {twice}"


class TimedReceiver(HeapReceiver):
    """A receiver that also notes when each request arrived, and can answer slowly.

    ``Answer(behaviour="slow")`` waits ``SLOW_ANSWER_SECONDS`` before reading the
    request, then stores it and answers like a normal answer of its status.
    ``Answer(behaviour="cut")`` stores the events, starts a 200 answer and
    resets the connection halfway through it.
    """

    def __init__(self, port: int = 0) -> None:
        self._cut = threading.local()  # read by the handler class the parent builds
        super().__init__(port)
        self.arrivals: list[float] = []

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def _next_answer(self) -> Answer:
        answer = super()._next_answer()
        with self._lock:
            self.arrivals.append(time.monotonic())
        self._cut.active = answer.behaviour == "cut"
        if answer.behaviour == "slow":
            self._stopping.wait(SLOW_ANSWER_SECONDS)
        if answer.behaviour in ("slow", "cut"):
            return Answer(answer.status, headers=answer.headers)
        return answer

    def _handler_class(self) -> type[Any]:
        base = super()._handler_class()
        cut = self._cut

        class CuttingHandler(base):  # type: ignore[valid-type, misc]
            def _reply(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                if not getattr(cut, "active", False):
                    super()._reply(status, body, headers)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "64")
                self.end_headers()
                self.wfile.write(b'{"half": ')
                self.wfile.flush()
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

        return CuttingHandler


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A local port that refuses every connection: bound, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# Running commands side by side ------------------------------------------------


@dataclass(frozen=True)
class TimedRun:
    started: float
    ended: float
    result: subprocess.CompletedProcess[str]


def run_in_parallel(
    count: int, workers: int, project: Path, env: dict[str, str], *args: str
) -> list[TimedRun]:
    """Run ``kedro *args`` ``count`` times, ``workers`` at a time."""

    def one(_: int) -> TimedRun:
        started = time.monotonic()
        result = kedro(*args, cwd=project, env=env, timeout=300)
        return TimedRun(started, time.monotonic(), result)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(count)))


def max_overlap(runs: list[TimedRun]) -> int:
    """The largest number of runs that were in progress at the same moment."""
    starts = [(run.started, 1) for run in runs]
    edges = sorted(starts + [(run.ended, -1) for run in runs])
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak
