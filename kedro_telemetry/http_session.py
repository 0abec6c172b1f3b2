"""The ``requests`` session the sender posts with, and whom it trusts.

``requests`` already follows ``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY`` and
a private certificate authority named by ``REQUESTS_CA_BUNDLE`` (or
``CURL_CA_BUNDLE``).
"""

from __future__ import annotations

import requests

__all__ = ["new_session"]


def new_session() -> requests.Session:
    return requests.Session()
