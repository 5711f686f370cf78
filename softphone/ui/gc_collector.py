"""Cyclic garbage collection on the GUI thread only.

Python runs the cyclic collector in whichever thread happens to allocate when a threshold is
crossed: the DB worker, the SIP thread, a zeroconf thread. A Qt object (a widget, a signal
connection's closure holding one) that ends up in a reference cycle is then destroyed on that
thread, and Qt crashes (seen: a segfault "Garbage-collecting" in the DB worker while it opened
the store, collecting a closed window's leftovers). So while the app runs, automatic collection
is off and this timer collects on the GUI thread, generation by generation as Python would.

pjsua2 objects never wait for this collector: the SIP layer keeps strong references and drops
them on its own thread (softphone/sip/session.py), as PJSIP requires.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

from softphone.crm.bulk import bulk_work_running

log = logging.getLogger("softphone.ui")

CHECK_INTERVAL_MS = 200


class MainThreadCollector(QObject):
    """Turns automatic collection off while started; collects from a timer on this thread."""

    def __init__(self, parent: QObject | None = None,
                 interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._owns_gc = False
        self.collections = [0, 0, 0]

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if self._timer.isActive():
            return
        self._owns_gc = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect what is left here, on the GUI thread, then give collection back."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        gc.collect()
        if self._owns_gc:
            gc.enable()
        self._owns_gc = False

    def check(self) -> None:
        if gc.isenabled() and not bulk_work_running():  # a bulk job gave it back meanwhile
            self._owns_gc = True
            gc.disable()
        t0, t1, t2 = gc.get_threshold()
        c0, c1, c2 = gc.get_count()
        if c0 <= t0:
            return
        # A bulk import holds millions of live objects: walking them all again would stall
        # the window for a long time and free nothing (see softphone.crm.bulk.paused_gc).
        if bulk_work_running():
            gc.collect(0)
            self.collections[0] += 1
            return
        generation = 2 if c2 > t2 else 1 if c1 > t1 else 0
        gc.collect(generation)
        self.collections[generation] += 1
