"""A private certificate authority, so 0.9.0 can post to a local "heapanalytics.com".

0.9.0 always posts to ``https://heapanalytics.com/api/track``. Inside the
benchmark's network namespace that name points at 127.0.0.1, where a recorder
serves a certificate from this authority; ``REQUESTS_CA_BUNDLE`` names a bundle
of certifi's usual roots plus this authority, so the client still loads a full
trust store, as it would for the real Heap.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HEAP_HOST", "Certificates", "make_certificates"]

HEAP_HOST = "heapanalytics.com"
_DAYS = "30"
_LEAF_EXTENSIONS = f"""\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:{HEAP_HOST}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class Certificates:
    """The server's chain and key, and the bundle clients should trust."""

    server_cert: Path
    server_key: Path
    bundle: Path


def make_certificates(directory: Path, certifi_bundle: Path) -> Certificates:
    """Create (or reuse) the authority, the server certificate and the bundle."""
    directory.mkdir(parents=True, exist_ok=True)
    certificates = Certificates(
        directory / "server.pem", directory / "server.key", directory / "bundle.pem"
    )
    if all(path.exists() for path in vars(certificates).values()):
        return certificates
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", _DAYS,
        "-keyout", ca_key, "-out", ca_cert, "-subj", "/CN=kedro-telemetry bench CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    request = directory / "server.csr"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={HEAP_HOST}",
        "-keyout", certificates.server_key, "-out", request,
    )  # fmt: skip
    extensions = directory / "server.ext"
    extensions.write_text(_LEAF_EXTENSIONS)
    _openssl(
        "x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key,
        "-CAcreateserial", "-days", _DAYS, "-extfile", extensions,
        "-out", certificates.server_cert,
    )  # fmt: skip
    certificates.bundle.write_text(certifi_bundle.read_text() + ca_cert.read_text())
    return certificates


def _openssl(*args: str | Path) -> None:
    subprocess.run(
        ["openssl", *map(str, args)],
        check=True,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
