"""The wrap-up's next step has one time (issue 14 item 11): the time picker, the confirmation
and the saved task say the same, whether the picker was left alone or moved to 11:00."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTime

from softphone.workflow_updates import CallRow
from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui]


def test_call_back_time_is_the_one_shown_and_saved(qtbot: Any, app: Any) -> None:
    now = datetime.now(UTC)

    def seed(store: Any) -> int:
        row = store.call_started(direction="in", account="LAN", number="+74953330000",
                                 started_at=now - timedelta(minutes=5))
        store.call_ended(row, ended_at=now - timedelta(minutes=4), outcome="answered")
        return int(row)

    row_id = db_call(qtbot, app, seed)
    window = app.window
    wrapup = window.wrapup
    wrapup.start(title="+74953330000", summary="", row=CallRow(row_id), number="+74953330000")
    window.phone_page.setCurrentWidget(wrapup)
    window.tabs.setCurrentWidget(window.phone_page)
    shown_default = wrapup.meeting_time.dateTime().toString("yyyy-MM-dd HH:mm")
    qtbot.mouseClick(wrapup.callback_1d, Qt.MouseButton.LeftButton)  # the picker left alone
    assert wrapup.actions_label.text().endswith(shown_default)
    wrapup.meeting_time.setTime(QTime(11, 0))  # the agent moves the time
    qtbot.mouseClick(wrapup.callback_3d, Qt.MouseButton.LeftButton)
    shown = wrapup.meeting_time.dateTime().toString("yyyy-MM-dd HH:mm")
    assert shown.endswith(" 11:00")
    assert wrapup.actions_label.text().splitlines()[-1] == f"✓ Call back on {shown}"

    def tasks() -> list[Any]:
        return sorted(db_call(qtbot, app, lambda s: s.open_tasks()), key=lambda t: t.due_at)

    qtbot.waitUntil(lambda: len(tasks()) == 2, timeout=5000)
    saved = [t.due_at.astimezone().strftime("%Y-%m-%d %H:%M") for t in tasks()]
    assert saved == [shown_default, shown]
    in_three_days = (datetime.now(UTC).astimezone() + timedelta(days=3)).date()
    assert shown.startswith(in_three_days.isoformat())
