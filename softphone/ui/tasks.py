"""Tasks due today (and overdue), with reminders at the due time that offer "Call now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import button, local_time, plain_label

KIND_NAMES = {"call_back": QT_TRANSLATE_NOOP("TasksView", "Call back"),
              "meeting": QT_TRANSLATE_NOOP("TasksView", "Meeting"),
              "todo": QT_TRANSLATE_NOOP("TasksView", "To-do")}


def end_of_today() -> datetime:
    local = datetime.now().astimezone()
    return (local.replace(hour=0, minute=0, second=0, microsecond=0)
            + timedelta(days=1)).astimezone(UTC)


class TasksView(QWidget):
    call_requested = Signal(str, int)
    #: a task fell due: (task) — the main window shows a reminder with "Call now"
    reminder_due = Signal(object)
    changed = Signal()
    due_changed = Signal(list)  # tasks due today or overdue

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tasksView")
        self.db = db
        self.tasks: list[Any] = []
        self._reminded: set[int] = set()
        lay = QVBoxLayout(self)
        self.heading = plain_label(self.tr("Due today and overdue"), self, bold=True)
        lay.addWidget(self.heading)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("tasksTable")
        self.table.setHorizontalHeaderLabels([self.tr("Due"), self.tr("Kind"), self.tr("Task"),
                                              self.tr("Number")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.call_button = button(self.tr("Call now"), self, name="taskCall")
        self.done_button = button(self.tr("Mark done"), self, name="taskDone",
                                  shortcut="Ctrl+D", tooltip=self.tr("Mark done"))
        row.addStretch(1)
        row.addWidget(self.call_button)
        row.addWidget(self.done_button)
        lay.addLayout(row)
        self.call_button.clicked.connect(self._on_call_clicked)
        self.done_button.clicked.connect(self._on_done_clicked)
        self.table.itemActivated.connect(lambda _i: self._on_call_clicked())
        self._reminder_timer = QTimer(self, interval=30_000)
        self._reminder_timer.timeout.connect(self._on_reminder_tick)
        self._reminder_timer.start()
        self._due: list[Any] = []

    def refresh(self) -> None:
        until = end_of_today()
        self.db.submit(lambda store: list(store.open_tasks(due_before=until)), self._show,
                       lambda _e: None)
        self.db.submit(lambda store: list(store.open_tasks()), self._on_all_tasks,
                       lambda _e: None)

    def _show(self, tasks: list[Any]) -> None:
        self.tasks = sorted(tasks, key=lambda t: t.due_at or datetime.max.replace(tzinfo=UTC))
        self.table.setRowCount(len(self.tasks))
        now = datetime.now(UTC)
        for i, t in enumerate(self.tasks):
            cells = (local_time(t.due_at), self.tr(KIND_NAMES.get(t.kind, t.kind)), t.title,
                     t.number or "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if t.due_at is not None and t.due_at < now:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.due_changed.emit(self.tasks)

    def _on_all_tasks(self, tasks: list[Any]) -> None:
        self._due = [t for t in tasks if t.due_at is not None]
        self._on_reminder_tick()

    @Slot()
    def _on_reminder_tick(self) -> None:
        now = datetime.now(UTC)
        for t in self._due:
            if t.id not in self._reminded and t.due_at <= now and \
                    now - t.due_at < timedelta(hours=12):
                self._reminded.add(t.id)
                self.reminder_due.emit(t)

    def selected(self) -> Any | None:
        row = self.table.currentRow()
        return self.tasks[row] if 0 <= row < len(self.tasks) else None

    @Slot()
    def _on_call_clicked(self) -> None:
        t = self.selected()
        if t is not None and t.number:
            self.call_requested.emit(t.number, t.contact_id if t.contact_id is not None else -1)

    @Slot()
    def _on_done_clicked(self) -> None:
        t = self.selected()
        if t is not None:
            task_id = t.id
            self.db.submit(lambda store: store.complete_task(task_id),
                           lambda _r: (self.refresh(), self.changed.emit()))
