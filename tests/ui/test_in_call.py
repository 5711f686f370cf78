"""In-call controls against a real peer: keypad digits from the keyboard, hold, recording,
call waiting (hold and answer, switch back, hang up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.sip.events import CallState
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def _talking(window: Any) -> bool:
    return any(c.state == CallState.CONFIRMED for c in window.workflow.calls())


def test_keypad_hold_and_recording(qtbot: Any, app: Any, make_baresip: Any,
                                   peer_port: int) -> None:
    peer = make_baresip(user="+74955550022", auto_answer=True, port=peer_port)
    window = app.window
    qtbot.keyClicks(window.dial_field, "+7 495 555-00-22")
    qtbot.keyClick(window.dial_field, Qt.Key.Key_Return)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: _talking(window), timeout=5000)
    panel = window.call_panel
    qtbot.waitUntil(lambda: panel.hold_button.isEnabled(), timeout=2000)

    peer.wait_event("CALL_RTPESTAB", timeout=10)  # our RTP arrives: RFC 4733 digits can too
    panel.setFocus()
    before = len(peer.events)
    qtbot.keyClick(panel, Qt.Key.Key_5)
    ev = peer.wait_event("CALL_DTMF_START", timeout=5, since=before)
    assert ev.get("param") == "5"

    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.record_indicator.isVisible(), timeout=5000)
    path = window.workflow.calls()[0].recording_path
    assert path

    qtbot.mouseClick(panel.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.workflow.calls()[0].muted, timeout=5000)
    qtbot.mouseClick(panel.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.workflow.calls()[0].muted, timeout=5000)

    qtbot.mouseClick(panel.hold_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state_label.text() == "On hold", timeout=5000)
    qtbot.mouseClick(panel.hold_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state_label.text() == "Talking", timeout=5000)

    qtbot.mouseClick(panel.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.phone_page.currentWidget() is window.wrapup, timeout=5000)

    def logged() -> bool:
        rows = db_call(qtbot, app, lambda s: s.list_calls())
        return bool(rows) and rows[0].outcome == "answered"

    qtbot.waitUntil(logged, timeout=5000)
    row = db_call(qtbot, app, lambda s: s.list_calls())[0]
    assert row.direction == "out"
    assert row.recording_path == path and Path(path).exists()
    assert row.quality is not None


def test_call_waiting_hold_and_answer_then_switch(qtbot: Any, app: Any, engine: Any,
                                                  make_baresip: Any, peer_port: int) -> None:
    first = make_baresip(user="+74955550033", auto_answer=True, port=peer_port)
    second = make_baresip(user="+74955550044", auto_answer=False)
    window = app.window
    first_id = window.dial("+74955550033")
    first.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: _talking(window), timeout=5000)

    second.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(window.cards), timeout=10_000)
    card = next(iter(window.cards.values()))
    assert card.heading.text() == "Call waiting"
    assert card.swap_button.isVisible()
    qtbot.mouseClick(card.answer_button, Qt.MouseButton.LeftButton)
    second.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: not window.cards, timeout=5000)
    first_call = window.workflow.call(first_id)
    qtbot.waitUntil(lambda: window.workflow.call(first_id).held, timeout=5000)
    assert first_call is not None
    panel = window.call_panel
    qtbot.waitUntil(lambda: panel.others.count() == 1, timeout=5000)
    assert panel.conference_button.isEnabled()

    # switch back to the first call: the second goes on hold
    panel.others.setCurrentRow(0)
    panel._on_other_call_activated(panel.others.item(0))
    qtbot.waitUntil(lambda: not window.workflow.call(first_id).held, timeout=5000)
    second_id = next(c.call_id for c in window.workflow.calls() if c.call_id != first_id)
    qtbot.waitUntil(lambda: window.workflow.call(second_id).held, timeout=5000)
    assert panel.current is not None and panel.current.call_id == first_id

    qtbot.mouseClick(panel.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.workflow.calls()) == 1, timeout=5000)
    # the wrap-up waits while a call is still up
    assert window.phone_page.currentWidget() is panel
    window.phone.hangup(second_id)
    qtbot.waitUntil(lambda: window.phone_page.currentWidget() is window.wrapup, timeout=5000)

    def both_logged() -> bool:
        rows = db_call(qtbot, app, lambda s: s.list_calls())
        return len(rows) == 2 and all(r.outcome == "answered" for r in rows)

    qtbot.waitUntil(both_logged, timeout=5000)
