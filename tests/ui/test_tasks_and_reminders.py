"""Upcoming work: the day-grouped task list (overdue, today, tomorrow, the week), a task moved,
done or deleted from the list and from the contact card, and the reminder at the due time as
a real desktop notification (dunst on a private X display and D-Bus session bus): a click
opens the task, a call-back's Call button calls the real baresip phone."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from softphone.ui.tasks import day_groups
from softphone.workflow import due_in_days
from tests.harness.x11 import stop, x_env, xvfb
from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def _titles(view: Any) -> list[tuple[str, list[str]]]:
    out = []
    for i in range(view.tree.topLevelItemCount()):
        group = view.tree.topLevelItem(i)
        out.append((group.text(0), [group.child(j).text(1) for j in range(group.childCount())]))
    return out


def _task(qtbot: Any, app: Any, title: str, due: datetime, **kw: Any) -> Any:
    kind = kw.pop("kind", "todo")
    return db_call(qtbot, app, lambda s: s.add_task(kind=kind, title=title, due_at=due, **kw))


def _open(qtbot: Any, app: Any) -> Any:
    window = app.window
    window.tabs.setCurrentWidget(window.tasks)
    view = window.tasks
    view.refresh()
    return view


def _click_delete_in_box(qtbot: Any, holder: Any) -> None:
    qtbot.waitUntil(lambda: getattr(holder, "delete_box", None) is not None
                    and holder.delete_box.isVisible(), timeout=5000)
    box = holder.delete_box
    delete = next(b for b in box.buttons()
                  if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)


def test_day_groups_order() -> None:
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)

    class T:
        def __init__(self, hours: float) -> None:
            self.due_at = now + timedelta(hours=hours)

    tasks = [T(-30), T(2), T(24), T(72)]
    titles = [t for t, _ in day_groups(tasks, now)]
    assert titles[:3] == ["Overdue", "Today", "Tomorrow"] and len(titles) == 4


def test_list_groups_by_day_and_moves_done_deletes(qtbot: Any, app: Any) -> None:
    now = datetime.now(UTC)
    _task(qtbot, app, "Send the contract", now - timedelta(days=2))
    _task(qtbot, app, "Prepare the quote", now + timedelta(minutes=30))
    _task(qtbot, app, "Call the lawyer", due_in_days(1, now, hour=15))
    _task(qtbot, app, "Visit the office", due_in_days(4, now, hour=9))
    _task(qtbot, app, "Plan the next year", due_in_days(20, now))  # beyond the week
    view = _open(qtbot, app)
    qtbot.waitUntil(lambda: len(view.tasks) == 4, timeout=5000)
    groups = dict(_titles(view))
    assert groups["Overdue"] == ["Send the contract"]
    assert groups["Tomorrow"] == ["Call the lawyer"]
    if (now + timedelta(minutes=30)).astimezone().date() == now.astimezone().date():
        assert groups["Today"] == ["Prepare the quote"]
    later = [title for title, items in _titles(view) if items == ["Visit the office"]]
    assert later and later[0] not in ("Overdue", "Today", "Tomorrow")

    # move "Send the contract" to tomorrow 10:00 with the Move menu (Ctrl+M)
    assert view.select_task(view.tasks[0].id)
    view.move_button.click()
    menu = view.move_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    tomorrow = next(a for a in menu.actions() if a.text() == "Tomorrow at 10:00")
    tomorrow.trigger()
    menu.close()
    qtbot.waitUntil(lambda: dict(_titles(view)).get("Tomorrow") ==
                    ["Send the contract", "Call the lawyer"], timeout=5000)
    moved = next(t for t in view.tasks if t.title == "Send the contract")
    assert moved.due_at == due_in_days(1, now)

    # done with Ctrl+D, then delete with its confirmation
    view.select_task(moved.id)
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow, timeout=5000)
    qtbot.keyClick(view.tree, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(t.title != "Send the contract" for t in view.tasks),
                    timeout=5000)
    lawyer = next(t for t in view.tasks if t.title == "Call the lawyer")
    view.select_task(lawyer.id)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    _click_delete_in_box(qtbot, view)
    qtbot.waitUntil(lambda: all(t.title != "Call the lawyer" for t in view.tasks),
                    timeout=5000)
    left = db_call(qtbot, app, lambda s: [t.title for t in s.open_tasks()])
    assert "Call the lawyer" not in left and "Send the contract" not in left


def test_contact_card_moves_done_deletes(qtbot: Any, app: Any) -> None:
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Ivan Petrov", phones=[("+7 495 123-45-67", "work")]))
    now = datetime.now(UTC)
    for title in ("Send the price list", "Call back about the invoice", "Book a demo"):
        _task(qtbot, app, title, now + timedelta(hours=1), contact_id=contact.id)
    window = app.window
    window.tabs.setCurrentWidget(window.contacts)
    card = window.contacts.card
    window.contacts.open_contact(contact.id)

    def rows() -> dict[str, dict[str, Any]]:
        """The card's task rows: title -> its buttons by name (only the rows shown now)."""
        out: dict[str, dict[str, Any]] = {}
        for i in range(card.sections.count()):
            row = card.sections.itemAt(i).layout()
            if row is None:
                continue
            widgets = [row.itemAt(j).widget() for j in range(row.count())]
            names = {w.objectName(): w for w in widgets if w is not None}
            if "cardTaskDone" in names:
                label = widgets[0].text()
                title = label.split("  ", 1)[1] if "  " in label else label
                out[title] = names
        return out

    titles = {"Send the price list", "Call back about the invoice", "Book a demo"}
    qtbot.waitUntil(lambda: set(rows()) == titles, timeout=5000)
    # move one to next Monday through its button's menu
    menu = rows()["Send the price list"]["cardTaskMove"].menu()
    monday = next(a for a in menu.actions() if a.text() == "Next Monday at 10:00")
    monday.trigger()

    def open_titles() -> dict[str, datetime]:
        return {t.title: t.due_at for t in db_call(
            qtbot, app, lambda s: s.open_tasks(contact_id=contact.id))}

    qtbot.waitUntil(lambda: open_titles().get("Send the price list", now) >
                    now + timedelta(hours=20), timeout=5000)
    qtbot.waitUntil(lambda: list(rows())[-1:] == ["Send the price list"], timeout=5000)
    qtbot.mouseClick(rows()["Book a demo"]["cardTaskDone"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: set(rows()) == titles - {"Book a demo"}, timeout=5000)
    assert set(open_titles()) == titles - {"Book a demo"}
    qtbot.mouseClick(rows()["Send the price list"]["cardTaskDelete"],
                     Qt.MouseButton.LeftButton)
    _click_delete_in_box(qtbot, window.contacts)
    qtbot.waitUntil(lambda: set(rows()) == {"Call back about the invoice"}, timeout=5000)
    assert set(open_titles()) == {"Call back about the invoice"}
    # the Tasks tab follows by itself
    qtbot.waitUntil(lambda: len([t for t in window.tasks.tasks
                                 if t.contact_id == contact.id]) == 1, timeout=5000)


# --- the reminder as a real desktop notification -----------------------------------------------

@pytest.fixture
def notification_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """dunst on a private X display and session bus. Its context menu ("dunstctl context")
    runs ``dmenu``: here a script that picks the line of the "Call" button, as a person
    choosing it would."""
    for tool in ("dunst", "dunstctl", "dbus-daemon", "Xvfb"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh test)")
    picked = tmp_path / "menu.txt"
    chooser = tmp_path / "choose.sh"
    chooser.write_text(f"#!/bin/sh\ncat > {picked}\ngrep -m1 '^#Call ' {picked}\n")
    chooser.chmod(0o755)
    config = tmp_path / "dunstrc"
    config.write_text(f"[global]\n    dmenu = {chooser}\n    timeout = 0\n")
    with xvfb() as display:
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            assert bus.stdout is not None
            address = bus.stdout.readline().decode().strip()
            assert address, "dbus-daemon printed no address"
            env = x_env(display)
            env["DBUS_SESSION_BUS_ADDRESS"] = address
            dunst = subprocess.Popen(["dunst", "-config", str(config)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)

            class Server:
                def ctl(self, *args: str) -> str:
                    return subprocess.run(["dunstctl", *args], env=env, capture_output=True,
                                          text=True, timeout=10).stdout

                def summaries(self) -> list[str]:
                    history = json.loads(self.ctl("history") or '{"data": [[]]}')
                    shown = [n["summary"]["data"] for n in history["data"][0]]
                    return shown

            server = Server()
            try:
                yield server
            finally:
                stop(dunst)
        finally:
            stop(bus)


def test_reminder_notification_opens_the_task_and_calls(qtbot: Any,
                                                        notification_server: Any, app: Any,
                                                        make_baresip: Any,
                                                        peer_port: int) -> None:
    server = notification_server
    peer = make_baresip(user="+74955550077", auto_answer=True, port=peer_port)
    window = app.window
    window.tasks.refresh()
    due = datetime.now(UTC) + timedelta(seconds=2)
    task = _task(qtbot, app, "Call back about the quote", due, kind="call_back",
                 number="+74955550077")
    window.tasks.refresh()
    # at the due time: a notification on the desktop, a line in the tray's tooltip
    qtbot.waitUntil(lambda: server.ctl("count", "displayed").strip() == "1", timeout=15_000)
    assert datetime.now(UTC) >= due
    assert window.reminders.tray_lines() == ["Task due: Call back about the quote"]
    server.ctl("context")  # the person picks "Call" from the notification's menu
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=15_000)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    assert window.workflow.calls()[0].remote_uri == f"sip:+74955550077@127.0.0.1:{peer.port}"
    assert window.reminders.tray_lines() == []
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
    server.ctl("close-all")

    # a to-do: no Call button; a click on the notification opens the task in the window
    window.tabs.setCurrentWidget(window.contacts)
    todo = _task(qtbot, app, "Send the signed contract",
                 datetime.now(UTC) + timedelta(seconds=1))
    window.tasks.refresh()
    qtbot.waitUntil(lambda: server.ctl("count", "displayed").strip() == "1", timeout=15_000)
    server.ctl("action", "0")  # a click: the default action
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.tasks, timeout=10_000)
    qtbot.waitUntil(lambda: getattr(window.tasks.selected(), "id", None) == todo.id,
                    timeout=10_000)
    assert task.id != todo.id


def test_reminder_without_a_notification_server(qtbot: Any, app: Any,
                                                monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    window = app.window
    assert window.tray is None  # offscreen: no tray either, so a small window reminds
    _task(qtbot, app, "Call back Olga", datetime.now(UTC) + timedelta(seconds=1),
          kind="call_back", number="+74955550099")
    window.tasks.refresh()
    qtbot.waitUntil(lambda: getattr(window, "reminder_box", None) is not None
                    and window.reminder_box.isVisible(), timeout=15_000)
    box = window.reminder_box
    assert "Call back Olga" in box.text()
    assert any(b.text() == "Call now" for b in box.buttons())
    box.reject()
