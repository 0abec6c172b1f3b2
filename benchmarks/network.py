"""The servers of one benchmark run, arranged per scenario.

Port 443 plays Heap for 0.9.0: a TLS recorder when the network is healthy, a
black hole when it hangs. This project is pointed at its own local servers
through ``KEDRO_TELEMETRY_ENDPOINT``; in the hanging-DNS scenario the URL names
a host only the (silent) nameserver could resolve.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from namespace import UNRESOLVABLE_HOST, map_heap_host
from servers import LOOPBACK, BlackHole, DnsSink, Recorder, Recording
from tls import Certificates

__all__ = ["ENDPOINTS", "Network", "Tally"]

ENDPOINTS = ("healthy", "black-hole", "hanging-dns")
_HTTPS_PORT = 443
_DNS_PORT = 53


@dataclass(frozen=True)
class Tally:
    """Counters that show what the plugins really did during a scenario."""

    events: Counter[str]  # by telemetry_version
    dns_queries: Counter[str]  # by name asked
    held_connections: int

    def since(self, earlier: Tally) -> Tally:
        return Tally(
            self.events - earlier.events,
            self.dns_queries - earlier.dns_queries,
            self.held_connections - earlier.held_connections,
        )


class Network:
    """Starts every server on 127.0.0.1 and stops them all in :meth:`stop`."""

    def __init__(self, hosts_file: Path, certificates: Certificates) -> None:
        self._hosts_file = hosts_file
        self._certificates = certificates
        self.recording = Recording()
        self._port443: Recorder | BlackHole | None = None
        self._retired_held = 0  # connections held by port-443 black holes now gone
        self.http = Recorder(self.recording)
        try:
            self.black_hole = BlackHole()
            try:
                self.dns = DnsSink(_DNS_PORT)
            except BaseException:
                self.black_hole.stop()
                raise
        except BaseException:
            self.http.stop()
            raise

    def configure(self, endpoint: str) -> dict[str, str]:
        """Arrange servers and hosts file for ``endpoint``; return the env to add."""
        if endpoint not in ENDPOINTS:
            raise ValueError(endpoint)
        self._serve_443(black_hole=endpoint == "black-hole")
        map_heap_host(self._hosts_file, mapped=endpoint != "hanging-dns")
        url = {
            "healthy": f"http://{LOOPBACK}:{self.http.port}/api/track",
            "black-hole": f"http://{LOOPBACK}:{self.black_hole.port}/api/track",
            "hanging-dns": f"http://{UNRESOLVABLE_HOST}:{self.http.port}/api/track",
        }[endpoint]
        return {
            "KEDRO_TELEMETRY_ENDPOINT": url,
            "REQUESTS_CA_BUNDLE": str(self._certificates.bundle),
        }

    def tally(self) -> Tally:
        held = self.black_hole.accepted + self._retired_held
        if isinstance(self._port443, BlackHole):
            held += self._port443.accepted
        versions = Counter(r.telemetry_version for r in self.recording.snapshot())
        return Tally(versions, self.dns.queries(), held)

    def stop(self) -> None:
        """Stop every server; safe to call twice."""
        for server in (self._port443, self.dns, self.black_hole, self.http):
            if server is not None:
                server.stop()
        self._port443 = None

    def _serve_443(self, *, black_hole: bool) -> None:
        """Put a black hole or a TLS recorder on port 443, whichever is asked."""
        if isinstance(self._port443, BlackHole if black_hole else Recorder):
            return
        if isinstance(self._port443, BlackHole):
            self._retired_held += self._port443.accepted
        if self._port443 is not None:
            self._port443.stop()
            self._port443 = None
        if black_hole:
            self._port443 = BlackHole(_HTTPS_PORT)
        else:
            tls = (self._certificates.server_cert, self._certificates.server_key)
            self._port443 = Recorder(self.recording, _HTTPS_PORT, tls)
