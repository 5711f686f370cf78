"""A burst of 10 incoming calls in a few seconds: every one logged, the window responsive."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer

from softphone.sip.events import IncomingCall
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]

BURST = 10


class StallMeter:
    """The longest gap between ticks of a 5 ms timer: how long the event loop was blocked."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.monotonic()
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()

    def _on_tick(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def stop(self) -> None:
        self.timer.stop()


def test_burst_of_incoming_calls(qtbot: Any, app: Any, engine: Any,
                                 make_baresip: Any) -> None:
    """Ten calls in a few seconds, three ringing at a time (this PJSIP build takes at most
    four calls at once and refuses more with 486 before the app hears of them); the agent
    declines each from its card as the next ones arrive."""
    peers = [make_baresip(user=f"+7495700000{i}", auto_answer=False) for i in range(3)]
    db_call(qtbot, app, lambda s: s.create_contact("Known Caller",
                                                   phones=[("+74957000000", "work")]))
    seen: list[IncomingCall] = []
    app.bridge.sip_event.connect(
        lambda e: seen.append(e) if isinstance(e, IncomingCall) else None)
    window = app.window
    meter = StallMeter()
    started = time.monotonic()
    known_cards = 0
    for i in range(BURST):
        peers[i % 3].dial(engine_uri(engine))
        if i % 3 == 2 or i == BURST - 1:
            want = i + 1
            qtbot.waitUntil(lambda want=want: len(seen) == want, timeout=10_000)
            qtbot.waitUntil(lambda: bool(window.cards) and all(
                c.call.caller is not None for c in window.cards.values()), timeout=5000)
            known_cards += sum(c.name_label.text() == "Known Caller"
                               for c in window.cards.values())
            for card in list(window.cards.values()):
                qtbot.mouseClick(card.decline_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
    elapsed = time.monotonic() - started
    qtbot.waitUntil(lambda: not window.cards, timeout=5000)

    def all_logged() -> bool:
        rows = db_call(qtbot, app, lambda s: s.list_calls(limit=50))
        return len(rows) == BURST and all(r.outcome for r in rows)

    qtbot.waitUntil(all_logged, timeout=10_000)
    meter.stop()
    rows = db_call(qtbot, app, lambda s: s.list_calls(limit=50))
    assert {r.direction for r in rows} == {"in"}
    assert {r.outcome for r in rows} == {"rejected"}
    assert known_cards == 4  # calls 0, 3, 6, 9 came from the known number
    assert sum(1 for r in rows if r.contact_name == "Known Caller") == 4
    print(f"\n{BURST} calls handled in {elapsed:.2f} s; longest event-loop stall "
          f"{meter.longest * 1000:.0f} ms")
    assert elapsed < 15
    assert meter.longest < 0.25, f"the event loop stalled {meter.longest * 1000:.0f} ms"
