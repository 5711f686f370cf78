"""Dial field suggestions, history filters and editing a wrap-up later, blind transfer and
task reminders: real engine, real peers, real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.sip.events import CallState
from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui]


@pytest.mark.integration
def test_dial_field_suggests_contacts_and_dials_the_choice(qtbot: Any, app: Any,
                                                           make_baresip: Any,
                                                           peer_port: int) -> None:
    peer = make_baresip(user="+74955550066", auto_answer=True, port=peer_port)
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Zoe Quinn", company="Initech", phones=[("+7 495 555-00-66", "work")]))
    field = app.window.dial_field
    field.setFocus()
    qtbot.keyClicks(field, "Zoe")
    qtbot.waitUntil(lambda: any("Zoe Quinn" in s for s in field.suggestions()), timeout=3000)
    choice = next(s for s in field.suggestions() if "Zoe Quinn" in s)
    assert "+7 495 555-00-66" in choice
    field.completer().activated[str].emit(choice)
    # the choice is dialled once the completer is done with the box (next event-loop turn)
    qtbot.waitUntil(lambda: bool(app.window.workflow.calls()), timeout=5000)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: any(c.state == CallState.CONFIRMED
                                for c in app.window.workflow.calls()), timeout=5000)

    def linked() -> bool:
        rows = db_call(qtbot, app, lambda s: s.list_calls(contact_id=contact.id))
        return len(rows) == 1 and rows[0].direction == "out"

    qtbot.waitUntil(linked, timeout=5000)
    app.window.phone.hangup_current()
    qtbot.waitUntil(lambda: not app.window.workflow.calls(), timeout=5000)


def test_history_filters_and_editing_a_wrapup_later(qtbot: Any, app: Any) -> None:
    now = datetime.now(UTC)

    def seed(store: Any) -> int:
        c = store.create_contact("Hal Lowe", phones=[("+74951230000", "work")])
        inc = store.call_started(direction="in", account="LAN", number="+74951230000",
                                 started_at=now - timedelta(hours=2), contact_id=c.id)
        store.call_answered(inc, now - timedelta(hours=2) + timedelta(seconds=5))
        store.call_ended(inc, ended_at=now - timedelta(hours=1, minutes=50), outcome="answered")
        missed = store.call_started(direction="in", account="LAN", number="+74959990000",
                                    started_at=now - timedelta(hours=1))
        store.call_ended(missed, ended_at=now - timedelta(minutes=59), outcome="missed")
        out = store.call_started(direction="out", account="LAN", number="+74951230000",
                                 started_at=now - timedelta(minutes=30), contact_id=c.id)
        store.call_ended(out, ended_at=now - timedelta(minutes=29), outcome="busy")
        return inc

    answered_row = db_call(qtbot, app, seed)
    window = app.window
    history = window.history
    window.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: len(history.rows) == 3, timeout=5000)
    for key, count in (("missed", 1), ("in", 2), ("out", 1), ("all", 3)):
        history.filter_combo.setCurrentIndex(history.filter_combo.findData(key))
        qtbot.waitUntil(lambda count=count: len(history.rows) == count, timeout=5000)
    qtbot.keyClicks(history.search_edit, "Hal")
    qtbot.waitUntil(lambda: len(history.rows) == 2, timeout=5000)

    row = next(i for i, r in enumerate(history.rows) if r.id == answered_row)
    history.table.selectRow(row)
    qtbot.mouseClick(history.wrapup_button, Qt.MouseButton.LeftButton)
    wrapup = window.wrapup
    assert window.phone_page.currentWidget() is wrapup
    assert wrapup.row_id == answered_row
    qtbot.keyClicks(wrapup.note_edit, "Called about invoice 17")
    qtbot.mouseClick(wrapup.outcome_buttons["Resolved"], Qt.MouseButton.LeftButton)

    def saved() -> bool:
        w = db_call(qtbot, app, lambda s: s.get_wrapup(answered_row))
        return w is not None and w.note == "Called about invoice 17" and w.outcome == "Resolved"

    qtbot.waitUntil(saved, timeout=5000)
    qtbot.mouseClick(wrapup.done_button, Qt.MouseButton.LeftButton)
    assert window.phone_page.currentWidget() is window.idle_page


@pytest.mark.integration
def test_blind_transfer_to_a_typed_address(qtbot: Any, app: Any, make_baresip: Any,
                                           tmp_path: Path) -> None:
    """We call a second engine (it honours REFER), then transfer it to baresip."""
    from tests.integration.sip.engine_proc import EngineProcess, lan_account

    target = make_baresip(user="carol", auto_answer=True)
    with EngineProcess(tmp_path, accounts=[lan_account("dave")], calls={"auto_answer": True},
                       name="dave") as dave:
        window = app.window
        window.dial(f"sip:dave@{dave.listen}")
        panel = window.call_panel
        qtbot.waitUntil(lambda: panel.state_label.text() == "Talking", timeout=10_000)
        assert panel.transfer_button.isEnabled()
        qtbot.keyClicks(panel.transfer_field, target.uri)
        qtbot.mouseClick(panel.transfer_button, Qt.MouseButton.LeftButton)
        assert "Transferring" in window.statusBar().currentMessage()
        # the transferee calls the target; our call ends with the transfer reported
        qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
        target.wait_event("CALL_ESTABLISHED", timeout=10)
        qtbot.waitUntil(lambda: "Transfer done" in window.statusBar().currentMessage(),
                        timeout=5000)


def test_task_due_now_reminds_with_call_now(qtbot: Any, app: Any) -> None:
    due = datetime.now(UTC) - timedelta(minutes=1)
    db_call(qtbot, app, lambda s: s.add_task(kind="call_back", title="Call Ivan back",
                                             due_at=due, contact_id=None, call_id=None,
                                             number="+74950001122"))
    window = app.window
    with qtbot.waitSignal(window.tasks.reminder_due, timeout=5000) as blocker:
        window.tasks.refresh()
    assert blocker.args[0].title == "Call Ivan back"
    qtbot.waitUntil(lambda: getattr(window, "reminder_box", None) is not None, timeout=2000)
    box = window.reminder_box
    assert "Call Ivan back" in box.text()
    assert window.idle_page.tasks_list.count() >= 1
    box.close()
