"""History: "Search name, number, note" finds a call by the words of its note (issue 14 item
8), typed in the real window's search field, Cyrillic and any letter case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui]


def type_text(widget: Any, text: str) -> None:
    """Key presses carrying ``text`` (QTest.keyClicks refuses letters outside Latin-1)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown,
                                                     Qt.KeyboardModifier.NoModifier, ch))


def test_history_search_finds_a_note(qtbot: Any, app: Any) -> None:
    now = datetime.now(UTC)

    def seed(store: Any) -> int:
        for i, note in enumerate(("Прислать КП до пятницы", "Wants a quote", "")):
            row = store.call_started(direction="in", account="LAN",
                                     number=f"+7495222000{i}",
                                     started_at=now - timedelta(hours=3 - i))
            store.call_ended(row, ended_at=now - timedelta(hours=3 - i, seconds=-20),
                             outcome="answered")
            if note:
                store.save_wrapup(row, outcome=None, note=note)
        return row

    db_call(qtbot, app, seed)
    window = app.window
    history = window.history
    window.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: history.table.rowCount() == 3, timeout=5000)
    for query, number in (("прислать", "+74952220000"), ("QUOTE", "+74952220001")):
        history.search_edit.clear()
        type_text(history.search_edit, query)
        qtbot.waitUntil(lambda n=number: history.table.rowCount() == 1
                        and history.table.item(0, 2).text() == n, timeout=5000)
        assert query.casefold() in history.table.item(0, 5).text().casefold()
