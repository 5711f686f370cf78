"""Helpers for bulk work (reading a big file, importing it)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_bulk_depth = 0  # how many bulk jobs run now (any thread)
_bulk_lock = threading.Lock()


def bulk_work_running() -> bool:
    """Whether some thread is in ``paused_gc`` now (a collector elsewhere can hold back)."""
    return _bulk_depth > 0


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection during bulk work.

    Reading or importing 100,000 rows allocates millions of objects that stay alive until the
    work ends; the cyclic collector would walk the ever larger heap again and again (a third
    of the CPU time of such an import) and find no garbage. Reference counting still frees
    everything as usual; collection resumes afterwards. Nested use and other threads are
    fine: it is switched back on only by whoever switched it off.
    """
    global _bulk_depth
    with _bulk_lock:
        _bulk_depth += 1
    try:
        if not gc.isenabled():
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            gc.enable()
    finally:
        with _bulk_lock:
            _bulk_depth -= 1
