"""A company network on 127.0.0.1: a forward proxy and a private CA.

A receiver behind HTTPS is ``HeapReceiver(tls=ca.server_context())``.
"""

from __future__ import annotations

import http.client
import select
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ForwardProxy", "PrivateCA"]


def _openssl(*arguments: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make certificates")
    subprocess.run([openssl, *arguments], check=True, capture_output=True, timeout=120)


class PrivateCA:
    """A throwaway CA, and a certificate for 127.0.0.1 that it signed."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.certificate = directory / "ca.pem"
        self.server_certificate = directory / "server.pem"
        self.server_key = directory / "server.key"
        ca_key, request = directory / "ca.key", directory / "server.csr"
        extensions = directory / "san.cnf"
        extensions.write_text("subjectAltName=IP:127.0.0.1\n")
        key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
        _openssl(
            "req", "-x509", *key, "-days", "2", "-subj", "/CN=Throwaway Company CA",
            "-keyout", str(ca_key), "-out", str(self.certificate),
        )  # fmt: skip
        _openssl(
            "req", *key, "-subj", "/CN=127.0.0.1",
            "-keyout", str(self.server_key), "-out", str(request),
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", str(request), "-days", "2",
            "-CA", str(self.certificate), "-CAkey", str(ca_key), "-CAcreateserial",
            "-extfile", str(extensions), "-out", str(self.server_certificate),
        )  # fmt: skip

    def server_context(self) -> ssl.SSLContext:
        """For a server that shows the certificate this CA signed."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_certificate, self.server_key)
        return context


class ForwardProxy:
    """An HTTP proxy: forwards absolute-URI requests and tunnels ``CONNECT``.

    ``seen`` lists what went through it: ``"POST http://..."`` or
    ``"CONNECT host:port"``.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen.append(f"POST {self.path}")
                target = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream = http.client.HTTPConnection(
                    target.hostname or "", target.port or 80, timeout=10
                )
                headers = {"Content-Type": self.headers.get("Content-Type", "")}
                upstream.request("POST", target.path, body=body, headers=headers)
                answer = upstream.getresponse()
                content = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                upstream.close()

            def do_CONNECT(self) -> None:
                seen.append(f"CONNECT {self.path}")
                host, _, port = self.path.rpartition(":")
                with socket.create_connection((host, int(port)), timeout=10) as far:
                    self.send_response(200, "Connection established")
                    self.end_headers()
                    _pipe(self.connection, far)
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _pipe(near: socket.socket, far: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [near, far]
    while True:
        readable, _, _ = select.select(sockets, [], [], 10)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (far if source is near else near).sendall(data)
