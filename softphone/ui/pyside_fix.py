"""Work around PySide6 6.12.0's ``SignalInstance.emit``, which returns ``True`` without taking
a reference for it.

Every ``signal.emit(...)`` then drops one reference to ``True``. On Python 3.12+ ``True`` is
immortal and nothing happens; on 3.11 the count reaches zero after some thousands of emits
(the SIP bridge emits one per event) and the interpreter aborts: "Fatal Python error:
bool_dealloc: deallocating True or False", mid-session or at quit. The fix is applied only
when a probe shows the leak, so a fixed PySide6 is left alone.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_applied = False


def _incref(obj: object) -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def guard_signal_emit() -> bool:
    """Patch ``SignalInstance.emit`` if it leaks; returns whether it was patched."""
    global _applied
    if _applied or sys.version_info >= (3, 12):
        return _applied
    from PySide6.QtCore import QObject, Signal, SignalInstance

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    rounds = 16
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost < rounds:
        return False
    for _ in range(lost):  # give back what the probe took
        _incref(True)
    original = SignalInstance.emit

    def emit(self: Any, *args: Any) -> Any:
        result = original(self, *args)
        if result is True:
            _incref(True)  # the reference emit() should have returned
        return result

    SignalInstance.emit = emit  # type: ignore[method-assign]
    _applied = True
    return True
