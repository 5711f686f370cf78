"""The idle phone page: what needs doing today (missed calls to return, tasks due) and a
non-modal reminder box with "Call now"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import local_time, plain_label, translate


class TodayPage(QWidget):
    """Shown when no call is up: missed calls and tasks due, each a double-click from a call."""

    call_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None,
                 dialpad: Callable[[], QWidget] | None = None) -> None:
        """``dialpad`` makes the on-screen dial pad (softphone.ui.dialpad) when the page first
        shows, and puts it here through :meth:`place_dialpad`: a start that shows the
        first-start page instead never builds it."""
        super().__init__(parent)
        self.setObjectName("todayPage")
        lay = QVBoxLayout(self)
        self.ready_label = plain_label(self.tr("Ready. Type a number above (Ctrl+L), or pick a "
                                               "contact."), self, size=1.2, name="idleText")
        lay.addWidget(self.ready_label)
        cols = QHBoxLayout()
        self._make_dialpad = dialpad
        self._pad_column = QVBoxLayout()
        self._pad_column.addStretch(1)
        cols.addLayout(self._pad_column)
        left = QVBoxLayout()
        self.missed_title = plain_label(self.tr("Missed calls to return"), self, bold=True)
        self.missed_list = QListWidget(self)
        self.missed_list.setObjectName("todayMissed")
        left.addWidget(self.missed_title)
        left.addWidget(self.missed_list)
        right = QVBoxLayout()
        self.tasks_title = plain_label(self.tr("Due today"), self, bold=True)
        self.tasks_list = QListWidget(self)
        self.tasks_list.setObjectName("todayTasks")
        right.addWidget(self.tasks_title)
        right.addWidget(self.tasks_list)
        cols.addLayout(left)
        cols.addLayout(right)
        lay.addLayout(cols, 1)
        lay.addWidget(plain_label(self.tr("Double-click a line to call."), self))
        self.missed_list.itemActivated.connect(self._on_item_activated)
        self.tasks_list.itemActivated.connect(self._on_item_activated)

    def showEvent(self, event: QShowEvent) -> None:
        make, self._make_dialpad = self._make_dialpad, None
        if make is not None:
            make()
        super().showEvent(event)

    def place_dialpad(self, pad: QWidget) -> None:
        self._make_dialpad = None
        self._pad_column.insertWidget(0, pad)

    @staticmethod
    def _add(target: QListWidget, text: str, number: str | None,
             contact_id: int | None) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, (number or "", contact_id))
        target.addItem(item)

    def set_missed(self, items: list[Any]) -> None:
        self.missed_list.clear()
        for m in items:
            who = m.contact_name or m.number
            times = f" ×{m.count}" if m.count > 1 else ""
            self._add(self.missed_list, f"{local_time(m.last_at)}  {who}{times}", m.number,
                      m.contact_id)
        if not items:
            self.missed_list.addItem(self.tr("None"))

    def set_tasks(self, tasks: list[Any]) -> None:
        self.tasks_list.clear()
        for t in tasks:
            self._add(self.tasks_list, f"{local_time(t.due_at)}  {t.title}  {t.number or ''}",
                      t.number, t.contact_id)
        if not tasks:
            self.tasks_list.addItem(self.tr("Nothing due"))

    @Slot(QListWidgetItem)
    def _on_item_activated(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if data and data[0]:
            self.call_requested.emit(data[0], data[1] if data[1] is not None else -1)


def show_reminder(parent: QWidget, task: Any, on_call: Any) -> QMessageBox:
    """A non-modal reminder with "Call now" (when the task has a number) and "Later"."""
    box = QMessageBox(parent)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setWindowTitle(translate("Reminder", "Task due"))
    box.setText(f"{task.title}\n{task.number or ''}".strip())
    call = None
    if task.number:
        call = box.addButton(translate("Reminder", "Call now"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(translate("Reminder", "Later"), QMessageBox.ButtonRole.RejectRole)

    def done(_result: int) -> None:
        if call is not None and box.clickedButton() is call:
            on_call(task.number, task.contact_id if task.contact_id is not None else -1)

    box.finished.connect(done)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
