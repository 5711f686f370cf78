"""Host name lookups off the SIP thread.

PJSIP without a DNS server configured resolves names with the blocking ``gethostbyname`` on
the SIP thread: an unreachable DNS server would freeze every call for seconds. The session
checks a name here first (on a short-lived daemon thread) and only hands it to PJSIP once it
is known to resolve, so PJSIP's own lookup is answered from a warm cache or fails fast.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
import time
from collections.abc import Callable

ResolvedFn = Callable[[str | None], None]  # None: resolved; else an error message

_POSITIVE_TTL = 60.0
_NEGATIVE_TTL = 5.0


@functools.lru_cache(maxsize=64)  # every dial asks; ipaddress parses with Python code
def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class HostResolver:
    """Resolves names on daemon threads; results are posted back through ``post``."""

    def __init__(self, post: Callable[[Callable[[], None]], None]) -> None:
        self._post = post
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._addresses: dict[str, tuple[str, ...]] = {}  # last addresses a name had

    def needs_lookup(self, host: str) -> bool:
        if not host or is_ip_literal(host) or host == "localhost":
            return False
        with self._lock:
            cached = self._cache.get(host.lower())
        return not (cached and cached[0] > time.monotonic() and cached[1] is None)

    def addresses(self, host: str) -> tuple[str, ...]:
        """The addresses ``host`` had at its last successful lookup (the literal itself for an
        IP address; empty when it was never resolved)."""
        if is_ip_literal(host):
            return (host.strip("[]"),)
        with self._lock:
            return self._addresses.get(host.lower(), ())

    def resolve(self, host: str, done: ResolvedFn, fresh: bool = False) -> None:
        """Call ``done(None)`` (resolved) or ``done(message)`` later, on the SIP thread.
        ``fresh``: ask the system again even when a recent answer is cached."""
        key = host.lower()
        with self._lock:
            cached = None if fresh else self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            error = cached[1]
            self._post(lambda: done(error))
            return

        def lookup() -> None:
            error: str | None = None
            addresses: tuple[str, ...] = ()
            try:
                infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
                addresses = tuple(sorted({str(info[4][0]) for info in infos}))
            except OSError as exc:
                error = f"cannot resolve {host}: {exc.strerror or exc}"
            ttl = _POSITIVE_TTL if error is None else _NEGATIVE_TTL
            with self._lock:
                self._cache[key] = (time.monotonic() + ttl, error)
                if addresses:
                    self._addresses[key] = addresses
            self._post(lambda: done(error))

        threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
