"""The outbox on disk: records to queue, what a test reads back, one drain here.

Records are queued with the plugin's own ``Outbox.put`` and read back as plain
files, the way the sender would find them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from kedro_telemetry import environment
from kedro_telemetry.outbox.delivery_log import DeliveryLog
from kedro_telemetry.outbox.store import Outbox
from kedro_telemetry.sender.drain import Drain, Report
from kedro_telemetry.sender.heap import HeapDestination
from tests.support.fakes import SkippingClock
from tests.support.heap_receiver import HeapReceiver

__all__ = [
    "assert_nothing_sent",
    "drain_here",
    "outbox_entries",
    "queue_records",
    "queued_keys",
    "stray_files",
    "synthetic_record",
]


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


def queue_records(
    outbox: Outbox, count: int, endpoint: str, padding: int = 0
) -> list[str]:
    """Queue ``count`` records with the real ``Outbox.put``, oldest first; their keys.

    As commands would have left them, with no sender started for them. Each is
    put into an empty staging outbox (beside it, removed at the end) and moved
    into ``outbox``'s directory, so that neither the caps nor the sizing of a
    growing backlog come in.
    """
    directory = outbox.directory
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Outbox(directory.with_name(directory.name + "-staging"))
    keys = []
    for _ in range(count):
        record = synthetic_record(endpoint, padding)
        path = staging.put(record)
        path.rename(directory / path.name)
        keys.append(record["event"]["idempotency_key"])
    shutil.rmtree(staging.directory)
    return keys


def drain_here(
    outbox: Outbox, seconds: float, clock: SkippingClock | None = None
) -> Report:
    """One drain of ``outbox`` in this process, over real HTTP, for ``seconds``.

    The loop every sender and ``kedro telemetry flush`` run, with its real
    ``requests`` session; its backoff passes on a ``SkippingClock``, so it costs
    no wall time. Its delivery log sits beside the outbox.
    """
    clock = clock or SkippingClock()
    return Drain(
        outbox,
        DeliveryLog(outbox.directory.parent),
        deadline=clock() + seconds,
        destination=HeapDestination(),
        clock=clock,
        sleep=clock.sleep,
    ).run()


def outbox_entries(state_dir: Path) -> list[str]:
    """Every name in the outbox directory, temporary files included."""
    outbox = state_dir / "outbox"
    return sorted(os.listdir(outbox)) if outbox.is_dir() else []


def queued_keys(state_dir: Path) -> list[str]:
    """The queued events' keys, oldest first, read as the sender would see them."""
    directory = state_dir / "outbox"
    if not directory.is_dir():
        return []
    keys = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json") and not name.startswith("."):
            with contextlib.suppress(FileNotFoundError):
                record = json.loads((directory / name).read_text())
                keys.append(record["event"]["idempotency_key"])
    return keys


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


def assert_nothing_sent(receiver: HeapReceiver, state_dir: Path) -> None:
    """Nothing queued and nothing posted.

    Checked in this order, no waiting is needed: an event leaves the outbox only
    after the receiver recorded its request, so an event queued by a finished
    command is either still a file or already among the receiver's requests.
    """
    assert outbox_entries(state_dir) == []
    assert receiver.requests == []
    assert receiver.posted_keys == []
