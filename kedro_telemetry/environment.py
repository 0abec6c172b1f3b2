"""What the process environment says about telemetry.

Every environment variable the plugin reads is named here, so that the table
of them in ``docs/companies.md`` (held to the code by ``tests/test_docs.py``),
``kedro telemetry status`` and the code agree.
"""

from __future__ import annotations

import math
import os

__all__ = [
    "APP_ID_VARIABLE",
    "CI_VARIABLES",
    "DEBUG_VARIABLE",
    "DEFAULT_APP_ID",
    "DEFAULT_ENDPOINT",
    "ENDPOINT_VARIABLE",
    "LEGACY_APP_ID_VARIABLE",
    "MAINTAINERS_CI_VARIABLE",
    "NO_WAIT_VARIABLE",
    "OPT_OUT_VARIABLES",
    "REPORTED_VARIABLE",
    "SENDER_IDLE_VARIABLE",
    "app_id",
    "debug_enabled",
    "disabling_variable",
    "endpoint",
    "endpoint_problem",
    "is_ci",
    "is_maintainers_ci",
    "mark_reported",
    "sender_idle_seconds",
    "take_reported_marker",
    "unmark_reported",
    "wait_allowed",
]

OPT_OUT_VARIABLES = ("DO_NOT_TRACK", "KEDRO_DISABLE_TELEMETRY")
ENDPOINT_VARIABLE = "KEDRO_TELEMETRY_ENDPOINT"
APP_ID_VARIABLE = "KEDRO_TELEMETRY_APP_ID"
# kedro-telemetry 0.9.0's name for the same; the newer name wins.
LEGACY_APP_ID_VARIABLE = "HEAP_APPID_DEV"
# GitHub Actions sets it to the repository's owner; ``kedro-org`` is the Kedro
# maintainers' own CI, whose runs are not users' (kedro-plugins #1178).
MAINTAINERS_CI_VARIABLE = "GITHUB_REPOSITORY_OWNER"
_MAINTAINERS = "kedro-org"
DEBUG_VARIABLE = "KEDRO_TELEMETRY_DEBUG"
# Set by a reported ``kedro`` command for the processes it starts; holds the
# command's process id only (a number the kernel reuses, nothing about the user).
REPORTED_VARIABLE = "KEDRO_TELEMETRY_REPORTED"
# Where nothing of ours outlives the command (a container), the command waits
# up to a second to send its event; this variable turns that wait off.
NO_WAIT_VARIABLE = "KEDRO_TELEMETRY_NO_WAIT"

DEFAULT_ENDPOINT = "https://heapanalytics.com/api/track"
DEFAULT_APP_ID = "2388822444"  # the Kedro project's production Heap app

# Values that people write to mean "off"; anything else non-empty means "on".
_FALSY_WORDS = frozenset({"0", "false", "no", "off", "n"})

# One variable per CI service; each is set by the service on every job.
CI_VARIABLES = (
    "CI",  # the common convention (GitHub, GitLab, CircleCI, Travis, Buildkite...)
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BITBUCKET_BUILD_NUMBER",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "CIRCLECI",
    "TRAVIS",
    "BUILDKITE",
    "TF_BUILD",  # Azure Pipelines
    "TEAMCITY_VERSION",
)


def _is_truthy(value: str | None) -> bool:
    if value is None:
        return False
    value = value.strip()
    return bool(value) and value.lower() not in _FALSY_WORDS


def disabling_variable() -> str | None:
    """The name of the opt-out variable that switches telemetry off, if any."""
    for name in OPT_OUT_VARIABLES:
        if _is_truthy(os.environ.get(name)):
            return name
    return None


def debug_enabled() -> bool:
    """Debug mode prints each event on stderr instead of queueing it."""
    return _is_truthy(os.environ.get(DEBUG_VARIABLE))


def endpoint() -> str:
    """Heap's track URL, or the one a test, the EU data centre or a relay names.

    A variable that is set counts as written, even when empty: an empty value
    is an endpoint that cannot work (see ``endpoint_problem``), never a quiet
    way back to Heap's own, which a company that routes through a relay would
    not expect.
    """
    configured = os.environ.get(ENDPOINT_VARIABLE)
    return DEFAULT_ENDPOINT if configured is None else configured.strip()


def app_id() -> str:
    """The Heap app that receives the events."""
    for name in (APP_ID_VARIABLE, LEGACY_APP_ID_VARIABLE):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return DEFAULT_APP_ID


def is_ci() -> bool:
    """Whether a known CI service runs this process."""
    return any(_is_truthy(os.environ.get(name)) for name in CI_VARIABLES)


def is_maintainers_ci() -> bool:
    """Whether this runs in the Kedro maintainers' own CI (GitHub's owner names
    are case-insensitive)."""
    owner = os.environ.get(MAINTAINERS_CI_VARIABLE, "").strip().lower()
    return owner == _MAINTAINERS


def mark_reported(pid: int) -> None:
    """Tell the child processes of this command that it is already reported.

    ``kedro ipython``, ``kedro jupyter`` and ``kedro viz run --include-hooks``
    start processes that load the project again; they inherit this variable.
    """
    os.environ[REPORTED_VARIABLE] = str(pid)


def unmark_reported(pid: int) -> None:
    """Leave the environment as the command found it, once its children ran."""
    if os.environ.get(REPORTED_VARIABLE) == str(pid):
        del os.environ[REPORTED_VARIABLE]


def take_reported_marker() -> bool:
    """Whether a reported parent command covers this process's first session.

    The marker is removed on reading: only the first session is the parent's;
    later ones (``%reload_kedro``, a new ``KedroSession``) and the processes
    started from here afterwards are the user's own, and report.
    """
    return os.environ.pop(REPORTED_VARIABLE, None) is not None


def wait_allowed() -> bool:
    """Whether a command whose sender could not outlive it may wait (1 s at most)."""
    return not _is_truthy(os.environ.get(NO_WAIT_VARIABLE))


# How long the background sender waits for the next command's event.
SENDER_IDLE_VARIABLE = "KEDRO_TELEMETRY_SENDER_IDLE"
DEFAULT_SENDER_IDLE_SECONDS = 60.0
_MAX_SENDER_IDLE_SECONDS = 300.0


def sender_idle_seconds() -> float:
    """Seconds the background sender stays for the next event (0 to 300)."""
    try:
        seconds = float(os.environ.get(SENDER_IDLE_VARIABLE, "").strip())
    except ValueError:
        return DEFAULT_SENDER_IDLE_SECONDS
    if math.isnan(seconds):
        return DEFAULT_SENDER_IDLE_SECONDS
    return min(max(seconds, 0.0), _MAX_SENDER_IDLE_SECONDS)


def endpoint_problem(url: str) -> str:
    """Why events could never be sent to ``url``, or "" when they could.

    Only an absolute ``http`` or ``https`` URL with a host (and a valid port)
    can work; anything else would keep its events queued for good.
    """
    from urllib.parse import urlsplit

    if not url:
        return "the endpoint is empty"
    if any(character.isspace() or ord(character) < 32 for character in url):
        return "the endpoint contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as error:
        return f"the endpoint is not a URL ({error})"
    if parts.scheme not in ("http", "https"):
        return "the endpoint is not an http or https URL"
    if not parts.hostname:
        return "the endpoint names no host"
    return ""
