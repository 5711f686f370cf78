"""An incoming call from a real peer (baresip), through the real engine, into the window."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.sip.events import IncomingCall
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def _card(app: Any) -> Any:
    cards = list(app.window.cards.values())
    return cards[0] if cards else None


def test_known_caller_answer_timer_wrapup_and_callback_task(qtbot: Any, app: Any,
                                                            engine: Any, make_baresip: Any
                                                            ) -> None:
    # Stored in national format; the caller presents the E.164 form.
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Ann Lee", company="Acme", phones=[("8 (495) 123-45-67", "work")]))
    peer = make_baresip(user="+74951234567", auto_answer=False)
    arrived: list[float] = []
    app.bridge.sip_event.connect(
        lambda e: arrived.append(time.monotonic()) if isinstance(e, IncomingCall) else None)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
    qtbot.waitUntil(lambda: _card(app) is not None
                    and _card(app).name_label.text() == "Ann Lee", timeout=1000)
    assert time.monotonic() - arrived[0] < 1.0
    card = _card(app)
    assert card.isVisible()
    assert card.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert "Acme" in card.company_label.text()
    assert "full number" in card.why_label.text() or "national" in card.why_label.text()

    qtbot.mouseClick(card.answer_button, Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    panel = app.window.call_panel
    qtbot.waitUntil(lambda: app.window.phone_page.currentWidget() is panel, timeout=5000)
    assert panel.name_label.text() == "Ann Lee"
    at_answer = panel.timer_label.text()
    assert at_answer in ("0:00", "0:01")
    qtbot.waitUntil(lambda: panel.timer_label.text() not in (at_answer, ""), timeout=3000)
    assert not app.window.cards

    peer.hangup()
    wrapup = app.window.wrapup
    qtbot.waitUntil(lambda: app.window.phone_page.currentWidget() is wrapup, timeout=10_000)
    assert wrapup.title_label.text() == "Ann Lee"
    qtbot.mouseClick(wrapup.outcome_buttons["Interested"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(wrapup.note_edit, "Wants a quote for 20 seats")
    qtbot.mouseClick(wrapup.callback_1d, Qt.MouseButton.LeftButton)

    def saved() -> bool:
        calls = db_call(qtbot, app, lambda s: s.list_calls(contact_id=contact.id))
        w = calls[0].wrapup if calls else None
        return w is not None and w.note == "Wants a quote for 20 seats"

    qtbot.waitUntil(saved, timeout=5000)
    call = db_call(qtbot, app, lambda s: s.list_calls(contact_id=contact.id))[0]
    assert call.direction == "in" and call.outcome == "answered"
    assert call.wrapup.outcome == "Interested"
    assert call.talk_seconds is not None and call.answered_at is not None
    tasks = db_call(qtbot, app, lambda s: s.open_tasks(contact_id=contact.id))
    assert [t.kind for t in tasks] == ["call_back"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone().date()
    assert tasks[0].due_at.astimezone().date() == tomorrow
    assert tasks[0].call_id == call.id


def test_unknown_caller_create_contact_from_card(qtbot: Any, app: Any, engine: Any,
                                                 make_baresip: Any) -> None:
    peer = make_baresip(user="+74959876543", auto_answer=False)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: _card(app) is not None
                    and _card(app).unknown_box.isVisible(), timeout=10_000)
    card = _card(app)
    assert "not in your contacts" in card.why_label.text()
    qtbot.mouseClick(card.create_button, Qt.MouseButton.LeftButton)
    card.new_name.clear()
    qtbot.keyClicks(card.new_name, "Boris New")
    card.with_deal.setChecked(True)
    qtbot.keyClicks(card.deal_title, "Pilot")
    qtbot.mouseClick(card.save_contact_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.name_label.text() == "Boris New", timeout=5000)
    # answering still works after the card was used
    qtbot.mouseClick(card.answer_button, Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    calls = db_call(qtbot, app, lambda s: s.list_calls())
    assert calls[0].contact_name == "Boris New"
    contact_id = calls[0].contact_id
    deals = db_call(qtbot, app, lambda s: s.deals(contact_id=contact_id))
    assert [d.title for d in deals] == ["Pilot"]
    match = db_call(qtbot, app, lambda s: s.lookup("+74959876543"))
    assert match.contact is not None and match.contact.id == contact_id
    peer.hangup()
    qtbot.waitUntil(lambda: app.window.phone_page.currentWidget() is app.window.wrapup,
                    timeout=10_000)


def test_card_shows_with_the_window_hidden_and_keyboard_answers(qtbot: Any, app: Any,
                                                                engine: Any,
                                                                make_baresip: Any) -> None:
    window = app.window
    window.hide()  # in the tray
    peer = make_baresip(user="+74950001234", auto_answer=False)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: _card(app) is not None and _card(app).isVisible(), timeout=10_000)
    assert not window.isVisible()
    card = _card(app)
    card.activateWindow()
    qtbot.waitUntil(lambda: card.isActiveWindow(), timeout=2000)
    qtbot.keyClick(card, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking", timeout=5000)
    peer.hangup()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=5000)


def test_unknown_caller_number_added_to_an_existing_contact_then_spam(qtbot: Any, app: Any,
                                                                      engine: Any,
                                                                      make_baresip: Any
                                                                      ) -> None:
    existing = db_call(qtbot, app, lambda s: s.create_contact(
        "Vera Kuznetsova", company="Nord", phones=[("+7 812 000-00-01", "office")]))
    peer = make_baresip(user="+79110000002", auto_answer=False)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: _card(app) is not None and _card(app).unknown_box.isVisible(),
                    timeout=10_000)
    card = _card(app)
    qtbot.keyClicks(card.existing, "Vera")
    qtbot.waitUntil(lambda: any("Vera Kuznetsova" in s for s in card.existing.suggestions()),
                    timeout=3000)
    choice = next(s for s in card.existing.suggestions() if "Vera Kuznetsova" in s)
    card.existing.completer().activated[str].emit(choice)
    qtbot.waitUntil(lambda: card.name_label.text() == "Vera Kuznetsova", timeout=5000)
    contact = db_call(qtbot, app, lambda s: s.get_contact(existing.id))
    assert "+79110000002" in [p.e164 for p in contact.phones]
    row = db_call(qtbot, app, lambda s: s.list_calls())[0]
    assert row.contact_id == existing.id
    qtbot.mouseClick(card.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not app.window.workflow.calls(), timeout=5000)

    other = make_baresip(user="+79110000003", auto_answer=False)
    other.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: _card(app) is not None and _card(app).unknown_box.isVisible(),
                    timeout=10_000)
    qtbot.mouseClick(_card(app).spam_button, Qt.MouseButton.LeftButton)

    def marked() -> bool:
        return any(i.kind == "spam" for i in db_call(qtbot, app, lambda s: s.ignored_numbers()))

    qtbot.waitUntil(marked, timeout=5000)
    match = db_call(qtbot, app, lambda s: s.lookup("+79110000003"))
    assert match.ignored == "spam"
    other.hangup()
    qtbot.waitUntil(lambda: not app.window.workflow.calls(), timeout=5000)
