"""What the outbox and the delivery log hold, in words for ``status`` and ``show``.

Only reads. The files may have been edited by hand, so every value is checked
for its type before it is shown; an ``OSError`` is left to the caller, which
says what it could not read and goes on.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kedro_telemetry.outbox.delivery_log import DeliveryLog
from kedro_telemetry.outbox.store import MAX_EVENTS, Outbox

__all__ = [
    "EVENTS",
    "as_row",
    "dropped_summary",
    "last_delivery",
    "row_line",
    "waiting_summary",
]


def dropped_summary() -> str:
    """How many of the last events were given up, by reason."""
    reasons = Counter(_text(entry.get("reason")) for entry in _dropped())
    if not reasons:
        return "none"
    return "; ".join(
        f"{count} {reason or 'for no known reason'}"
        for reason, count in reasons.items()
    )


def last_delivery() -> str:
    """When Heap last accepted an event, or ``never``."""
    delivered = _delivered()
    last = _text(delivered[-1].get("delivered_at")) if delivered else ""
    return last or "never"


def waiting_summary() -> str:
    """How many events wait; files that are no readable event are not counted.

    Such a file is removed by the next sender once it is proven corrupt, or
    read by it once a passing error (a permission, an I/O error) is gone.
    """
    outbox = Outbox.default()
    files = outbox.count()
    readable = len(outbox.read(MAX_EVENTS)) if files else 0
    if readable == files:
        return str(readable)
    return f"{readable} (and {files - readable} unreadable file(s))"


def _waiting_events() -> list[dict[str, Any]]:
    return [entry.event for entry in Outbox.default().read(MAX_EVENTS)]


def _delivered() -> list[dict[str, Any]]:
    return DeliveryLog.default().read()


def _dropped() -> list[dict[str, Any]]:
    return DeliveryLog.default().read_dropped()


def as_row(state: str, event: dict[str, Any]) -> dict[str, Any]:
    """The event with its state first; a ``state`` key of its own cannot win."""
    return {"state": state, **{k: v for k, v in event.items() if k != "state"}}


def row_line(row: dict[str, Any]) -> str:
    """One line per event, from whatever the (maybe hand-edited) files hold."""
    properties = row.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    when = (
        _text(row.get("delivered_at"))
        or _text(row.get("dropped_at"))
        or _text(row.get("timestamp"))
    )
    what = (
        _text(properties.get("command"))
        or _text(properties.get("main_command"))
        or _text(row.get("command"))
    )
    line = f"{row['state']:<9}  {when:<32}  {_text(row.get('event'))}: {what}"
    reason = _text(row.get("reason"))
    return f"{line} ({reason})" if reason else line


def _text(value: Any) -> str:
    """``value`` if it is text; a hand edit may have put anything there."""
    return value if isinstance(value, str) else ""


# Each state ``show`` lists, and how its events are read.
EVENTS = {
    "waiting": _waiting_events,
    "delivered": _delivered,
    "dropped": _dropped,
}
