"""A private network and resolver for the measurements, so nothing leaves the machine.

The measuring half of the benchmark re-runs itself under ``unshare --mount
--net``: a new network namespace that has only a loopback interface, and a
private mount namespace in which ``/etc/resolv.conf`` and ``/etc/hosts`` are
bind-mounted from files under ``.bench/net``. The host's own files and network
are never touched, and 0.9.0, which always posts to the real Heap, cannot
reach it: its requests go to the local servers or nowhere.

* ``resolv.conf`` names 127.0.0.1 as the only nameserver, where a
  :class:`servers.DnsSink` swallows queries: any name not in ``hosts`` hangs in
  resolution, as it would behind a broken resolver.
* ``hosts`` maps ``heapanalytics.com`` to 127.0.0.1, except in the hanging-DNS
  scenario; it is rewritten in place, which the bind mount shows at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from servers import LOOPBACK
from tls import HEAP_HOST

__all__ = [
    "INSIDE_FLAG",
    "UNRESOLVABLE_HOST",
    "check_resolution_hangs",
    "enter",
    "map_heap_host",
    "set_up",
]

INSIDE_FLAG = "--inside-namespace"
# A name no hosts file lists, so that resolving it always asks the nameserver.
UNRESOLVABLE_HOST = "telemetry.example.invalid"
_COMMAND_TIMEOUT = 30.0


def enter(script: Path, argv: list[str]) -> None:
    """Replace this process with the same script inside new namespaces; no return."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        raise SystemExit(
            "The benchmark needs `unshare` and root to build a private network "
            "namespace; without one, 0.9.0 would post to the real Heap."
        )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(
        unshare,
        [
            unshare,
            "--mount",
            "--net",
            "--",
            sys.executable,
            str(script),
            INSIDE_FLAG,
            *argv,
        ],
    )


def set_up(net_dir: Path) -> Path:
    """Bring loopback up, mount our resolver and hosts files; return the hosts file."""
    net_dir.mkdir(parents=True, exist_ok=True)
    _run(_tool("ip"), "link", "set", "lo", "up")
    resolv = net_dir / "resolv.conf"
    resolv.write_text(f"nameserver {LOOPBACK}\n")
    original = net_dir / "hosts.original"
    original.write_text(_without_heap(Path("/etc/hosts").read_text(encoding="utf-8")))
    hosts = net_dir / "hosts"
    hosts.write_text(original.read_text())
    # Private propagation: these mounts stay inside this namespace.
    _run(_tool("mount"), "--make-rprivate", "/")
    _run(_tool("mount"), "--bind", str(resolv), "/etc/resolv.conf")
    _run(_tool("mount"), "--bind", str(hosts), "/etc/hosts")
    return hosts


def map_heap_host(hosts: Path, mapped: bool) -> None:
    """Point ``heapanalytics.com`` at 127.0.0.1, or leave it to the hanging resolver.

    Written in place (same inode), since the bind mount follows the inode.
    """
    content = (hosts.parent / "hosts.original").read_text(encoding="utf-8")
    if mapped:
        content += f"{LOOPBACK}\t{HEAP_HOST}\n"
    with open(hosts, "r+", encoding="utf-8") as handle:
        handle.truncate(0)
        handle.write(content)


def check_resolution_hangs(name: str, seconds: float = 3.0) -> bool:
    """Whether resolving ``name`` is still pending after ``seconds`` (it should be)."""
    try:
        subprocess.run(
            [_tool("getent"), "hosts", name],
            capture_output=True,
            timeout=seconds,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return True
    return False


def _without_heap(hosts_text: str) -> str:
    """The host's ``/etc/hosts`` minus any line about Heap, which we decide on."""
    lines = [line for line in hosts_text.splitlines() if HEAP_HOST not in line]
    return "\n".join(lines) + "\n"


def _tool(name: str) -> str:
    """System tools live in sbin, which a minimal PATH may lack."""
    found = shutil.which(name) or shutil.which(
        name, path="/usr/sbin:/sbin:/usr/bin:/bin"
    )
    if found is None:
        raise SystemExit(f"the benchmark needs `{name}`")
    return found


def _run(*command: str) -> None:
    subprocess.run(
        command, check=True, capture_output=True, timeout=_COMMAND_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
