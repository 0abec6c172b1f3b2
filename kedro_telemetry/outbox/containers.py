"""Whether a process started by this one can outlive it.

The detached sender relies on outliving the ``kedro`` command that queued the
event. In a throwaway container it cannot: when the container's first process
(PID 1 of its PID namespace) exits, the kernel kills every other process of
the namespace, the sender included, and the container's files go with it.

Two signals say so, both false on an ordinary machine:

* ``os.getpid() == 1``: this process is the init of its own PID namespace, as
  in ``docker run --rm image kedro run``, a Kubernetes or Argo pod whose
  command is ``kedro``, or ``unshare --pid --fork kedro info``.
* ``os.getppid() == 1`` and PID 1 is a minimal init that exits with its one
  child: ``docker run --init`` (tini, docker-init), dumb-init, podman's
  catatonit, Argo's argoexec, or a shell running the container's command
  (``sh -c "kedro run"``). On an ordinary Linux machine PID 1 is systemd or
  init, which outlives us.

Anything else (macOS, Windows, a parent that is not PID 1) counts as a machine
where the sender outlives the command. Left out on purpose: ``getppid() == 0``
(the parent is outside our PID namespace) is also true of ``docker exec``,
where the container and so the sender live on; a wrong "yes" would make every
such command wait for the network.
"""

from __future__ import annotations

import logging
import os
import sys

from kedro_telemetry.logs import LOGGER_NAME

__all__ = ["CONTAINER_INITS", "ends_with_this_process"]

# The ``comm`` names of inits that exit as soon as their one child does.
CONTAINER_INITS = frozenset(
    {
        "tini",
        "docker-init",  # Docker's --init is tini under this name
        "dumb-init",
        "catatonit",  # podman --init
        "argoexec",  # Argo Workflows' emissary wraps the step's command
        "sh",
        "bash",
        "dash",
        "ash",
        "busybox",
    }
)
_INIT_PID = 1

logger = logging.getLogger(LOGGER_NAME)


def ends_with_this_process(platform: str = sys.platform) -> bool:
    """Whether every process we start is killed when this one exits (a container)."""
    if not platform.startswith("linux"):
        return False  # containers run Linux; elsewhere PID 1 is launchd or absent
    if os.getpid() == _INIT_PID:
        return True
    return os.getppid() == _INIT_PID and _init_name() in CONTAINER_INITS


def _init_name() -> str:
    """The command name of PID 1 in our namespace, or "" when it cannot be read."""
    try:
        with open(f"/proc/{_INIT_PID}/comm", encoding="utf-8", errors="replace") as f:
            return f.read(64).strip()
    except OSError:
        logger.debug("could not read the name of PID 1", exc_info=True)
        return ""
