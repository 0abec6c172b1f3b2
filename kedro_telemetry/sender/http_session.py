"""The ``requests`` session the sender posts with, and whom it trusts.

``requests`` itself follows ``HTTPS_PROXY``, ``HTTP_PROXY`` and ``NO_PROXY``,
and a private certificate authority named by ``REQUESTS_CA_BUNDLE`` or
``CURL_CA_BUNDLE``. Many company machines name theirs the OpenSSL way
instead, in ``SSL_CERT_FILE`` or ``SSL_CERT_DIR``, which ``requests`` does not
read; the session takes those too, so that a machine behind a TLS-inspecting
proxy delivers without more set-up. The ``requests`` variables still win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import requests

__all__ = ["OPENSSL_TRUST_VARIABLES", "new_session", "openssl_trust"]

OPENSSL_TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def new_session() -> requests.Session:
    session = requests.Session()
    trusted = openssl_trust(os.environ)
    if trusted:
        # Used only when neither ``requests`` variable is set: ``requests``
        # gives those precedence over the session's own ``verify``.
        session.verify = trusted
    return session


def openssl_trust(environ: Mapping[str, str]) -> str | None:
    """The CA file or directory OpenSSL's variables name, if it exists."""
    for variable, exists in zip(
        OPENSSL_TRUST_VARIABLES, (os.path.isfile, os.path.isdir), strict=True
    ):
        path = environ.get(variable, "").strip()
        if path and exists(path):
            return path
    return None
