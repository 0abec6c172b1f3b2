"""What every event carries about the person, the machine and this process.

Q: Can the maintainers tell whose machine this is?
A: No. ``identity`` and ``username`` are keyed hashes (see ``identity``):
   equal names count once, and without the person's key, which never leaves
   the machine, no guess at a name can be checked.
"""

from __future__ import annotations

import getpass
import socket
import sys

from kedro_telemetry import environment
from kedro_telemetry.collect.event import Properties
from kedro_telemetry.collect.identity import keyed_hash
from kedro_telemetry.version import __version__

__all__ = ["host_identity", "machine_properties"]


def host_identity() -> str:
    """The event's ``identity``: the keyed hash of the host name."""
    try:
        hostname = socket.gethostname()
    except OSError:
        hostname = ""
    return keyed_hash("host", hostname or "unknown-host")


def machine_properties() -> Properties:
    """The properties every event carries, read from this process."""
    return {
        "username": _username(),
        "project_version": _kedro_version(),
        "telemetry_version": __version__,
        "python_version": sys.version,
        "os": sys.platform,
        "is_ci_env": "true" if environment.is_ci() else "false",
    }


def _username() -> str:
    """The keyed hash of the login name, or ``anonymous`` when none is known."""
    try:
        login = getpass.getuser()
    except Exception:  # KeyError or OSError when no name is known for the uid
        return "anonymous"
    return keyed_hash("user", login) if login else "anonymous"


def _kedro_version() -> str:
    try:
        from kedro import __version__ as version
    except Exception:
        return "unknown"
    return str(version)
