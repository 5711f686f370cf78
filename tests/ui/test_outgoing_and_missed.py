"""Click-to-call from a contact card, and a missed call that leaves the inbox after a
connected call-back: real engine, real baresip, real store."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.sip.events import CallState
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_click_to_call_from_contact_card(qtbot: Any, app: Any, engine: Any,
                                         make_baresip: Any, peer_port: int) -> None:
    # Numbers are dialled on the account's domain: the peer listens there.
    peer = make_baresip(user="+74955550011", auto_answer=True, port=peer_port)
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Carol Diaz", company="Globex", phones=[("+7 495 555-00-11", "mobile")]))
    window = app.window
    window.tabs.setCurrentWidget(window.contacts)
    card = window.contacts.card
    qtbot.waitUntil(lambda: card.contact is not None and card.contact.id == contact.id
                    and bool(card.phone_buttons), timeout=5000)
    assert card.name_label.text() == "Carol Diaz"
    qtbot.mouseClick(card.phone_buttons[0], Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: window.phone_page.currentWidget() is window.call_panel,
                    timeout=5000)
    calls = window.workflow.calls()
    assert len(calls) == 1
    assert calls[0].remote_uri == f"sip:+74955550011@127.0.0.1:{peer.port}"
    qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking", timeout=5000)
    qtbot.waitUntil(lambda: window.call_panel.name_label.text() == "Carol Diaz", timeout=2000)
    qtbot.mouseClick(window.call_panel.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.phone_page.currentWidget() is window.wrapup, timeout=5000)
    qtbot.mouseClick(window.wrapup.skip_button, Qt.MouseButton.LeftButton)
    assert window.phone_page.currentWidget() is window.idle_page

    def logged() -> bool:
        rows = db_call(qtbot, app, lambda s: s.list_calls(contact_id=contact.id))
        return bool(rows) and rows[0].outcome is not None

    qtbot.waitUntil(logged, timeout=5000)
    row = db_call(qtbot, app, lambda s: s.list_calls(contact_id=contact.id))[0]
    assert row.direction == "out" and row.outcome == "answered"
    assert row.contact_name == "Carol Diaz"


def test_missed_call_lands_in_inbox_and_leaves_after_call_back(qtbot: Any, app: Any,
                                                               engine: Any,
                                                               make_baresip: Any,
                                                               peer_port: int) -> None:
    peer = make_baresip(user="+74951112233", auto_answer=False, port=peer_port)
    window = app.window
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(window.cards), timeout=10_000)
    peer.hangup()  # the caller gives up: missed
    qtbot.waitUntil(lambda: not window.cards, timeout=10_000)
    inbox = window.missed
    qtbot.waitUntil(lambda: len(inbox.items) == 1, timeout=5000)
    assert inbox.items[0].number == "+74951112233"
    assert window.tabs.tabText(window.tabs.indexOf(inbox)) == "Missed (1)"
    row = db_call(qtbot, app, lambda s: s.list_calls())[0]
    assert row.outcome == "missed" and row.direction == "in"

    window.tabs.setCurrentWidget(inbox)
    qtbot.mouseClick(inbox.callback_button, Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_INCOMING", timeout=10)
    peer.accept()
    qtbot.waitUntil(lambda: any(c.state == CallState.CONFIRMED
                                for c in window.workflow.calls()), timeout=10_000)
    qtbot.waitUntil(lambda: not inbox.items, timeout=5000)
    assert window.tabs.tabText(window.tabs.indexOf(inbox)) == "Missed"
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=5000)
