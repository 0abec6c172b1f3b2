"""The outbox, the disk queue between a command and its sender, in this process.

Real files through the plugin's own ``Outbox``: its caps (queueing makes room
by dropping the oldest; ``trim`` leaves temporaries alone; an event no reader
would accept is refused), and reads that the operating system fails for a
while, which never cost an event. The drain that applies the caps before it
posts: test_drain.py; commands and senders around the outbox: test_delivery.py.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest

from kedro_telemetry.files import FileTooLargeError
from kedro_telemetry.outbox import store
from kedro_telemetry.outbox.store import MAX_BYTES, Outbox
from tests.support.outbox import queue_records, synthetic_record

# The caps --------------------------------------------------------------------


UNUSED = "http://127.0.0.1:9/unused"


def test_trim_leaves_an_outbox_within_bounds_and_temporaries_alone(
    tmp_path: Path,
) -> None:
    keys = queue_records(Outbox(tmp_path / "outbox"), 3, UNUSED)
    temporary = tmp_path / "outbox" / ".tmp-00000000000000000000-abc.json-1-ff"
    temporary.write_bytes(b"x" * 10_000)
    exact = sum(path.stat().st_size for path in Outbox(tmp_path / "outbox").files())
    outbox = Outbox(tmp_path / "outbox", max_events=3, max_bytes=exact)
    assert outbox.trim() == 0
    assert [
        entry.event["idempotency_key"]
        for entry in outbox.read(100, remove_corrupt=True)
    ] == keys
    assert temporary.exists()


def test_put_keeps_a_full_outbox_at_the_event_cap(tmp_path: Path) -> None:
    """No sender needed: queueing itself makes room by dropping the oldest."""
    directory = tmp_path / "outbox"
    keys = queue_records(Outbox(directory), 50, UNUSED)
    newest = synthetic_record(UNUSED)
    Outbox(directory, max_events=50).put(newest)
    queued = [entry.event["idempotency_key"] for entry in Outbox(directory).read(100)]
    assert queued == [*keys[1:], newest["event"]["idempotency_key"]]


def test_put_keeps_the_outbox_under_the_byte_cap(tmp_path: Path) -> None:
    directory = tmp_path / "outbox"
    keys = queue_records(Outbox(directory), 30, UNUSED, padding=200)
    newest = synthetic_record(UNUSED, 200)
    Outbox(directory).put(newest)
    sizes = [path.stat().st_size for path in directory.iterdir()]
    assert sum(sizes) <= MAX_BYTES < sum(sizes) + max(sizes)  # no more than due
    queued = [entry.event["idempotency_key"] for entry in Outbox(directory).read(100)]
    assert queued == [*keys[-(len(sizes) - 1) :], newest["event"]["idempotency_key"]]


def test_put_refuses_an_event_no_reader_would_accept(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    with pytest.raises(FileTooLargeError):
        outbox.put(synthetic_record(UNUSED, padding=300))
    assert outbox.files() == []


# Reads the operating system fails --------------------------------------------


def refuse_reading(monkeypatch: pytest.MonkeyPatch, path: Path, code: int) -> None:
    """The operating system fails every ``open`` of ``path`` (the far edge)."""
    real_open = os.open

    def refusing(name: Any, *args: Any, **kwargs: Any) -> int:
        if Path(name) == path:
            raise OSError(code, os.strerror(code), str(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)


@pytest.mark.parametrize("code", [errno.EMFILE, errno.EIO, errno.EACCES])
def test_a_passing_read_error_never_costs_an_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """The operating system fails the read once (the far edge); the event stays."""
    outbox = Outbox(tmp_path / "outbox")
    [first, second] = queue_records(outbox, 2, UNUSED)
    failing = outbox.files()[0]
    with monkeypatch.context() as patch:
        refuse_reading(patch, failing, code)
        taken = outbox.read(100, remove_corrupt=True)
    assert [entry.event["idempotency_key"] for entry in taken] == [second]
    assert failing.exists()
    # This reader counts it no more (a sender must not loop on it); others do.
    assert (outbox.count(), Outbox(outbox.directory).count()) == (1, 2)
    assert [
        entry.event["idempotency_key"]
        for entry in outbox.read(100, remove_corrupt=True)
    ] == [
        first,
        second,
    ]
    assert outbox.count() == 2  # read at last: counted again


def test_a_reader_that_lives_on_tries_an_unreadable_file_again_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender serving a whole session leaves such a file alone only a while."""
    monkeypatch.setattr(store, "_UNREADABLE_SECONDS", 0.05)
    outbox = Outbox(tmp_path / "outbox")
    queue_records(outbox, 1, UNUSED)
    [failing] = outbox.files()
    refuse_reading(monkeypatch, failing, errno.EACCES)
    assert outbox.read(100, remove_corrupt=True) == []
    assert outbox.count() == 0
    time.sleep(0.1)
    assert outbox.count() == 1  # its time is up: the next pass reads it again
