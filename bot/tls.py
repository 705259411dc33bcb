"""The TLS context every outgoing HTTPS client shares.

Loading the CA bundle costs tens of milliseconds; building it once per process
keeps start-up (and every test that starts an app) quick.
"""

from __future__ import annotations

import ssl
from functools import cache

import certifi


@cache
def client_context() -> ssl.SSLContext:
    """Verifies servers against certifi's CA bundle, as httpx does by default."""
    return ssl.create_default_context(cafile=certifi.where())


__all__ = ["client_context"]
