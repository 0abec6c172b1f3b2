"""What every event carries about the machine and this process.

Each property is one reader below, listed in ``READERS``; a new one is a
reader there and a row in the README's field table.

Q: Can the maintainers tell whose machine this is?
A: Not from the event alone. They see SHA-256 hashes, the same for every event
   from this host or login, which count machines and users; the names do not
   leave it. A hash is not secret, though: a default or guessable name
   (``ubuntu``, ``jovyan``, an organisation's naming scheme) is found by
   hashing candidates.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Callable

from kedro_telemetry import environment
from kedro_telemetry.events import Properties, sha256_hex
from kedro_telemetry.version import __version__

__all__ = ["READERS", "host_identity", "machine_properties"]


def host_identity() -> str:
    """The event's ``identity``: a SHA-256 of the host name."""
    try:
        hostname = socket.gethostname()
    except OSError:
        hostname = ""
    # SHA-256 of the host name: tells machines apart without sending the name;
    # a guessable name is found by hashing guesses.
    return sha256_hex(hostname or "unknown-host")


def username() -> Properties:
    try:
        login = getpass.getuser() or None
    except Exception:  # KeyError or OSError when no name is known for the uid
        login = None
    # SHA-256 of the login name: counts users without sending the name; a
    # common one (root, jovyan) is found by hashing guesses.
    return {"username": sha256_hex(login) if login else "anonymous"}


def kedro_version() -> Properties:
    try:
        from kedro import __version__ as version
    except Exception:
        return {"project_version": "unknown"}
    return {"project_version": str(version)}


def telemetry_version() -> Properties:
    return {"telemetry_version": __version__}


def python_version() -> Properties:
    return {"python_version": sys.version}


def operating_system() -> Properties:
    return {"os": sys.platform}


def ci_service() -> Properties:
    return {"is_ci_env": "true" if environment.is_ci() else "false"}


READERS: tuple[Callable[[], Properties], ...] = (
    username,
    kedro_version,
    telemetry_version,
    python_version,
    operating_system,
    ci_service,
)


def machine_properties() -> Properties:
    """The properties every event carries, read from this process."""
    properties: Properties = {}
    for reader in READERS:
        properties.update(reader())
    return properties
