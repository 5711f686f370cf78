"""Helpers for bulk work (reading a big file, importing it)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection during bulk work.

    Reading or importing 100,000 rows allocates millions of objects that stay alive until the
    work ends; the cyclic collector would walk the ever larger heap again and again (a third
    of the CPU time of such an import) and find no garbage. Reference counting still frees
    everything as usual; collection resumes afterwards. Nested use and other threads are
    fine: it is switched back on only by whoever switched it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
