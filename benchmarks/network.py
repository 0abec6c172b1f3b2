"""A private network for the measuring half, so that nothing leaves the machine.

:func:`enter` re-runs the benchmark under ``unshare --mount --net``: a network
namespace with only loopback, and a mount namespace of its own in which
``/etc/resolv.conf`` and ``/etc/hosts`` are bind-mounted from ``.bench/net``.
0.9.0 always posts to ``https://heapanalytics.com``: here that name is
127.0.0.1, where a TLS receiver serves a certificate of our own, which
``REQUESTS_CA_BUNDLE`` trusts beside certifi's roots. The only nameserver is a
socket on 127.0.0.1:53 that never reads, so a name missing from ``hosts``
hangs, as behind a broken resolver. This project posts to plain-HTTP receivers
named by ``KEDRO_TELEMETRY_ENDPOINT``. The receivers are tests/support's.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

from tests.support.heap_receiver import Answer, HeapReceiver

__all__ = ["ENDPOINTS", "INSIDE_FLAG", "Network", "enter"]

INSIDE_FLAG = "--inside-namespace"
ENDPOINTS = ("healthy", "black-hole", "hanging-dns")
_HEAP_HOST = "heapanalytics.com"
_UNRESOLVABLE = "telemetry.example.invalid"  # in no hosts file: always asks DNS
_SILENT = Answer(behaviour="hang")


def enter(module: str, argv: list[str]) -> None:
    """Replace this process with ``python -m module`` in new namespaces; no return."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        raise SystemExit(
            "The benchmark needs `unshare` and root for a private network "
            "namespace; without one, 0.9.0 would post to the real Heap."
        )
    sys.stdout.flush()
    sys.stderr.flush()
    command = [sys.executable, "-m", module, INSIDE_FLAG, *argv]
    os.execvp("unshare", ["unshare", "--mount", "--net", "--", *command])


class Network:
    """Loopback, resolver, hosts file and receivers; :meth:`stop` ends them all."""

    def __init__(self, net_dir: Path, certifi_bundle: Path) -> None:
        net_dir.mkdir(parents=True, exist_ok=True)
        cert, key = net_dir / "heap.pem", net_dir / "heap.key"
        if not cert.exists():
            subject = f"-subj /CN={_HEAP_HOST} -addext subjectAltName=DNS:{_HEAP_HOST}"
            command = f"openssl req -x509 -newkey rsa:2048 -nodes -days 30 {subject}"
            _run(*command.split(), "-keyout", str(key), "-out", str(cert))
        self.bundle = net_dir / "bundle.pem"
        self.bundle.write_text(certifi_bundle.read_text() + cert.read_text())
        _run("ip", "link", "set", "lo", "up")
        (net_dir / "resolv.conf").write_text("nameserver 127.0.0.1\n")
        original = Path("/etc/hosts").read_text(encoding="utf-8").splitlines()
        self._hosts_base = "".join(f"{x}\n" for x in original if _HEAP_HOST not in x)
        self._hosts = net_dir / "hosts"
        self._hosts.write_text(self._hosts_base)
        _run("mount", "--make-rprivate", "/")  # these mounts stay in here
        _run("mount", "--bind", str(net_dir / "resolv.conf"), "/etc/resolv.conf")
        _run("mount", "--bind", str(self._hosts), "/etc/hosts")
        self._dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._dns.bind(("127.0.0.1", 53))  # never read: every query hangs
        self.arrivals: list[float] = []  # when each of this project's events came
        arrived = lambda _: self.arrivals.append(time.monotonic())  # noqa: E731
        self.healthy = HeapReceiver(on_event=arrived).__enter__()
        self.silent = HeapReceiver().__enter__()
        self.silent.answer(then=_SILENT)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(str(cert), str(key))
        self.heap = HeapReceiver(443, tls=tls, lenient=True).__enter__()

    def configure(self, endpoint: str) -> dict[str, str]:
        """Arrange the receivers and hosts file; return the environment to add."""
        self.heap.answer(then=_SILENT if endpoint == "black-hole" else Answer())
        hosts = self._hosts_base
        if endpoint != "hanging-dns":
            hosts += f"127.0.0.1\t{_HEAP_HOST}\n"
        with open(self._hosts, "r+", encoding="utf-8") as handle:  # same inode
            handle.truncate(0)
            handle.write(hosts)
        url = {
            "healthy": self.healthy.url,
            "black-hole": self.silent.url,
            "hanging-dns": self.healthy.url.replace("127.0.0.1", _UNRESOLVABLE),
        }[endpoint]
        return {"KEDRO_TELEMETRY_ENDPOINT": url, "REQUESTS_CA_BUNDLE": str(self.bundle)}

    def since(self, moment: float) -> list[float]:
        """When each event from this project arrived after ``moment``, in order."""
        return [at for at in list(self.arrivals) if at >= moment]

    def preflight(self, python_b: str) -> None:
        """Refuse to measure unless the network behaves as each scenario claims."""
        self.configure("hanging-dns")
        for name in (_UNRESOLVABLE, _HEAP_HOST):
            try:
                _run("getent", "hosts", name, timeout=3)
            except subprocess.TimeoutExpired:
                continue
            raise SystemExit(f"resolving {name} did not hang: the DNS rows are void")
        self.configure("healthy")
        post = f"requests.post('https://{_HEAP_HOST}', json=0, verify='{self.bundle}')"
        _run(python_b, "-c", f"import requests; assert {post}.status_code == 200")
        print("preflight: DNS hangs, local heapanalytics.com answers", file=sys.stderr)

    def stop(self) -> None:
        for receiver in (self.heap, self.silent, self.healthy):
            receiver.stop()
        self._dns.close()


def _run(*command: str, timeout: float = 60) -> None:
    tool = shutil.which(command[0]) or shutil.which(command[0], path="/usr/sbin:/sbin")
    argv = [tool or command[0], *command[1:]]
    subprocess.run(argv, check=True, capture_output=True, timeout=timeout)
