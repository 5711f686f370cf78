"""The office: colleagues found on the LAN (mDNS/DNS-SD) and a shared contact database."""

from __future__ import annotations

import sys


def import_asyncio_without_ssl() -> None:
    """Import asyncio (presence runs zeroconf on it) without letting it load ``ssl``.

    asyncio imports ``ssl`` only to offer TLS transports, which mDNS never uses, and ``ssl``
    with OpenSSL costs ~4.5 MiB for the app's whole run (bench/bench_startup.py). asyncio takes
    a failed ``import ssl`` as "no TLS here". Afterwards ``ssl`` imports normally for anyone
    else; only asyncio's own TLS transports stay off in this process (nothing here uses them).
    Nothing changes when asyncio or ssl was imported before.
    """
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]
    try:
        import asyncio  # noqa: F401
    finally:
        if "ssl" in sys.modules and sys.modules["ssl"] is None:
            del sys.modules["ssl"]


import_asyncio_without_ssl()
