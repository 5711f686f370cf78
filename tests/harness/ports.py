"""Free ports for tests, so they can run beside each other and beside a running app."""

from __future__ import annotations

import random
import socket
import threading

_lock = threading.Lock()
_handed_out: set[int] = set()


def _is_free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port(count: int = 1, step: int = 1) -> int:
    """A port P such that P, P+step, ... P+(count-1)*step are free for UDP and TCP."""
    with _lock:
        for _ in range(2000):
            base = random.randrange(20000, 60000 - count * step)
            ports = [base + i * step for i in range(count)]
            if any(p in _handed_out for p in ports):
                continue
            if all(_is_free(p) for p in ports):
                _handed_out.update(ports)
                return base
    raise RuntimeError("no free port range found")
