"""A dial-box suggestion chosen with the keyboard (Down, Enter) dials the chosen number once,
the box is cleared as after any dial, and no "not a phone number" message shows (issue 14
item 9). Real window, real engine, real baresip answering the number."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.sip.events import CallState
from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_suggestion_chosen_with_enter(qtbot: Any, app: Any, make_baresip: Any,
                                      peer_port: int) -> None:
    peer = make_baresip(user="+74955550077", auto_answer=True, port=peer_port)
    window = app.window
    db_call(qtbot, app, lambda s: s.create_contact(
        "Yuri Quist", company="Initech", phones=[("+7 495 555-00-77", "work")]))
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    field = window.dial_field
    window.activateWindow()
    field.setFocus()
    qtbot.keyClicks(field, "Yuri")
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=5000)
    assert any("Yuri Quist" in s for s in field.suggestions())
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=5000)
    calls = window.workflow.calls()
    assert len(calls) == 1 and calls[0].number.replace(" ", "").replace("-", "") \
        == "+74955550077", [c.number for c in calls]
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: any(c.state == CallState.CONFIRMED
                                for c in window.workflow.calls()), timeout=5000)
    assert field.text() == ""
    assert not any("not a phone number" in m for m in messages), messages
    assert "not a phone number" not in window.statusBar().currentMessage()
    assert len(window.workflow.calls()) == 1
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=5000)
