"""Run something once the phone listens for SIP (or its start has failed).

The app opens its instance server this way: a process that finds the app running (a second
start, ``softphone dial``, ``softphone status``, a script that restarts it) can rely on the
phone being reachable. It matters most after a crash: the far end of a call the crash cut off
hangs up with a BYE that only a listening app answers (481 at once); unanswered, the far end
keeps the call, and its call slot, for the BYE's 32 s of retransmissions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Slot

from softphone.sip.events import EngineError, EngineStarted


class WhenPhoneListens(QObject):
    """Calls ``action`` once, on the UI thread: at once when there is no engine or it already
    runs, else at its EngineStarted, or at the EngineError of a start that failed (the
    engine gives up after its start timeout, so this never waits for ever)."""

    def __init__(self, bridge: Any, engine: Any, action: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._action: Callable[[], None] | None = action
        # connected before looking at the engine: a start in between is seen either way
        bridge.sip_event.connect(self._on_sip_event)
        if engine is None or getattr(engine, "running", True):
            self._run()

    @Slot(object)
    def _on_sip_event(self, event: Any) -> None:
        if isinstance(event, EngineStarted) or (
                isinstance(event, EngineError) and event.command == "start"):
            self._run()

    def _run(self) -> None:
        action, self._action = self._action, None
        if action is None:
            return
        with contextlib.suppress(RuntimeError, TypeError):
            self._bridge.sip_event.disconnect(self._on_sip_event)
        action()
