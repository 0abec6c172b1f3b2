"""The event and its properties: what a consented action sends, read only after a yes.

``kedro_telemetry.tracker`` gathers them into one event per user action;
``machine``, ``project`` and ``counts`` read the properties;
``masking`` masks the command line; ``identity`` keys the hashes of the
person's names; ``event`` gives the result Heap's shape.
"""

from __future__ import annotations

__all__ = ["CONSENT_VERSION", "NEW_IN_VERSION"]

# The version of "what is sent" that a yes agrees to, recorded with the yes.
# Raise it in the release that sends a new kind of data (a new field that says
# something new about the person, the machine or the project; not a new count
# of something already counted), and say in ``NEW_IN_VERSION`` what it adds:
# everyone who said yes before is asked again, with those words.
CONSENT_VERSION = 1

# What each version added, in words for the question, by version.
NEW_IN_VERSION: dict[int, str] = {}
