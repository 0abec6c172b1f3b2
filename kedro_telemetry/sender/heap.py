"""Heap's track API as the drain sees it: one adapter, and Heap's wire rules.

The bulk form takes ``{"app_id": ..., "events": [...]}`` with at most
``BATCH_SIZE`` events. What an answer means for the events in it:

* 2xx: stored. Heap keeps one event per ``idempotency_key``, so a retry of an
  event it already has never counts twice.
* 400: Heap will never take this batch; the drain splits it to find the bad
  events and drops only those.
* 408, 429, 5xx and network errors: may succeed later (``Retry-After`` says
  when, in seconds or as an HTTP date).
* Anything else (3xx, 401, 403, 404, a certificate that does not verify): not
  now, and not by retrying in this run; the events stay queued for the next.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from kedro_telemetry.logs import LOGGER_NAME

if TYPE_CHECKING:
    import requests

__all__ = [
    "BATCH_SIZE",
    "Fate",
    "HeapDestination",
    "Outcome",
    "outcome_of",
    "parse_retry_after",
]

BATCH_SIZE = 1000
_CONNECT_TIMEOUT = 5.0
_READ_TIMEOUT = 10.0

logger = logging.getLogger(LOGGER_NAME)


class Fate(enum.Enum):
    """What becomes of the events of a request, after its answer."""

    STORED = "stored"  # remove them from the outbox
    NEVER = "never"  # Heap will never take them: drop the bad ones
    RETRY = "retry"  # may succeed later in this run
    HOLD = "hold"  # keep them queued, but do not try again in this run


class Outcome(NamedTuple):
    """Heap's answer to one request, as the drain acts on it."""

    fate: Fate
    reason: str = ""
    retry_after: float | None = None


class HeapDestination:
    """Heap's track API over HTTP, through one ``requests`` session."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session

    def post(
        self, endpoint: str, app_id: str, events: list[dict[str, Any]], seconds: float
    ) -> Outcome:
        """Post ``events`` within ``seconds``; never raises for network reasons."""
        import requests

        if self._session is None:
            from kedro_telemetry.sender.http_session import new_session

            self._session = new_session()
        timeout = (min(_CONNECT_TIMEOUT, seconds), min(_READ_TIMEOUT, seconds))
        try:
            response = self._session.post(
                endpoint,
                json={"app_id": app_id, "events": events},
                timeout=timeout,
                allow_redirects=False,  # a POST is never replayed to another host
            )
        except requests.RequestException as error:
            logger.debug("the post failed", exc_info=True)
            if isinstance(error, requests.exceptions.SSLError):
                # A certificate that does not verify will not verify in a second.
                return Outcome(Fate.HOLD, "network: SSLError")
            return Outcome(Fate.RETRY, f"network: {type(error).__name__}")
        return outcome_of(
            response.status_code, response.headers.get("Retry-After"), response.text
        )


def outcome_of(status: int, retry_after: str | None, text: str) -> Outcome:
    """What Heap's answer means for the events of the request."""
    if 200 <= status < 300:
        return Outcome(Fate.STORED)
    if status == 400:
        return Outcome(Fate.NEVER, f"HTTP 400 {text[:200]!r}")
    if status in (408, 429) or status >= 500:
        return Outcome(Fate.RETRY, f"HTTP {status}", parse_retry_after(retry_after))
    return Outcome(Fate.HOLD, f"HTTP {status}")


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds, in either of its two forms."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
