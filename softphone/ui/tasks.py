"""Upcoming work: open tasks grouped by day (overdue, today, tomorrow, the rest of the week),
each a click from a call, movable, done or deleted; the reminder at the due time.

:class:`TaskActions` carries out done / move / delete on the DB worker for this list and for
the contact card, so both behave the same; :func:`move_menu` is the "Move" choices.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDateTime, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import button, local_time, plain_label, translate
from softphone.ui.look import state_colour

KIND_NAMES = {"call_back": QT_TRANSLATE_NOOP("TasksView", "Call back"),
              "meeting": QT_TRANSLATE_NOOP("TasksView", "Meeting"),
              "todo": QT_TRANSLATE_NOOP("TasksView", "To-do")}
DAYS_AHEAD = 7  # today and the six days after it
REMIND_WITHIN = timedelta(hours=12)  # a task due longer ago is overdue, not a reminder


def kind_text(kind: str) -> str:
    return translate("TasksView", KIND_NAMES.get(kind, kind))


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day).astimezone(UTC)


def end_of_today() -> datetime:
    return local_midnight(datetime.now().astimezone().date() + timedelta(days=1))


def day_title(day: date, today: date) -> str:
    if day == today:
        return translate("TasksView", "Today")
    if day == today + timedelta(days=1):
        return translate("TasksView", "Tomorrow")
    from softphone.i18n import format_date

    return format_date(day, long=True)


def day_groups(tasks: list[Any], now: datetime) -> list[tuple[str, list[Any]]]:
    """(title, tasks) in order: Overdue, Today, Tomorrow, then each later day with tasks."""
    today = now.astimezone().date()
    overdue = [t for t in tasks if t.due_at is not None and t.due_at < now and
               t.due_at.astimezone().date() < today]
    groups: list[tuple[str, list[Any]]] = []
    if overdue:
        groups.append((translate("TasksView", "Overdue"), overdue))
    for n in range(DAYS_AHEAD):
        day = today + timedelta(days=n)
        due = [t for t in tasks if t.due_at is not None and t not in overdue and
               t.due_at.astimezone().date() == day]
        if due or n == 0:
            groups.append((day_title(day, today), due))
    return groups


class TaskActions(QObject):
    """Done, move and delete on the DB worker; ``changed`` once the store has it."""

    changed = Signal()
    failed = Signal(str)

    def __init__(self, db: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db

    def done(self, task_id: int) -> None:
        self.db.submit(lambda store: store.complete_task(task_id), self._done, self._failed)

    def move(self, task_id: int, due_at: datetime) -> None:
        self.db.submit(lambda store: store.move_task(task_id, due_at), self._done,
                       self._failed)

    def delete(self, task_id: int) -> None:
        self.db.submit(lambda store: store.delete_task(task_id), self._done, self._failed)

    def _done(self, _result: Any) -> None:
        self.changed.emit()

    def _failed(self, exc: Exception) -> None:
        self.failed.emit(str(exc))


def move_choices(now: datetime | None = None) -> list[tuple[str, datetime]]:
    """The "Move" menu: (text, new due time)."""
    from softphone.workflow import due_in_days

    now = now or datetime.now(UTC)
    local = now.astimezone()
    days_to_monday = 7 - local.weekday()
    return [
        (translate("TasksView", "In 1 hour"), now + timedelta(hours=1)),
        (translate("TasksView", "Tomorrow at 10:00"), due_in_days(1, now)),
        (translate("TasksView", "In 3 days"), due_in_days(3, now)),
        (translate("TasksView", "Next Monday at 10:00"), due_in_days(days_to_monday, now)),
    ]


def move_menu(parent: QWidget, on_move: Callable[[datetime], None],
              current: datetime | None = None) -> QMenu:
    """The choices of :func:`move_choices` and "Choose a date and time…"."""
    menu = QMenu(parent)
    menu.setObjectName("moveTaskMenu")
    for text, when in move_choices():
        menu.addAction(text).triggered.connect(lambda _=False, w=when: on_move(w))
    menu.addSeparator()
    menu.addAction(translate("TasksView", "Choose a date and time…")).triggered.connect(
        lambda: choose_due_time(parent, on_move, current))
    return menu


def choose_due_time(parent: QWidget, on_move: Callable[[datetime], None],
                    current: datetime | None = None) -> QDialog:
    dialog = QDialog(parent)
    dialog.setObjectName("moveTaskDialog")
    dialog.setWindowTitle(translate("TasksView", "Move the task"))
    lay = QVBoxLayout(dialog)
    edit = QDateTimeEdit(dialog)
    edit.setObjectName("moveTaskWhen")
    edit.setCalendarPopup(True)
    start = current if current is not None and current > datetime.now(UTC) else \
        datetime.now(UTC) + timedelta(hours=1)
    edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(start.timestamp())))
    lay.addWidget(plain_label(translate("TasksView", "New due date and time:"), dialog))
    lay.addWidget(edit)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                               QDialogButtonBox.StandardButton.Cancel, dialog)
    lay.addWidget(buttons)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    dialog.accepted.connect(lambda: on_move(datetime.fromtimestamp(
        edit.dateTime().toSecsSinceEpoch(), UTC)))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    parent.move_dialog = dialog  # type: ignore[attr-defined]
    return dialog


def confirm_delete(parent: QWidget, task: Any, on_delete: Callable[[int], None]) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("deleteTaskBox")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(translate("TasksView", "Delete the task"))
    box.setText(translate("TasksView", "Delete “%1”?").replace("%1", task.title))
    delete = box.addButton(translate("TasksView", "Delete"),
                           QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    task_id = task.id
    box.finished.connect(lambda _r: on_delete(task_id) if box.clickedButton() is delete
                         else None)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    parent.delete_box = box  # type: ignore[attr-defined]
    return box


class TasksView(QWidget):
    call_requested = Signal(str, int)
    #: a task fell due: (task) — the main window reminds (notification, tray)
    reminder_due = Signal(object)
    changed = Signal()
    due_changed = Signal(list)  # tasks due today or overdue

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tasksView")
        self.db = db
        self.tasks: list[Any] = []
        self.names: dict[int, str] = {}  # contact id -> name, for the list
        self._reminded: set[tuple[int, datetime]] = set()
        self.actions = TaskActions(db, self)
        self.actions.changed.connect(self._on_changed)
        lay = QVBoxLayout(self)
        self.heading = plain_label(self.tr("Overdue, today and the coming week"), self,
                                   bold=True)
        lay.addWidget(self.heading)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("tasksTree")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([self.tr("Due"), self.tr("Task"), self.tr("Who"),
                                   self.tr("Kind")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.tree, 1)
        row = QHBoxLayout()
        self.call_button = button(self.tr("Call now"), self, name="taskCall",
                                  tooltip=self.tr("Call now (Enter)"))
        self.done_button = button(self.tr("Mark done"), self, name="taskDone",
                                  shortcut="Ctrl+D", tooltip=self.tr("Mark done"))
        self.move_button = QPushButton(self.tr("Move"), self)
        self.move_button.setObjectName("taskMove")
        self.move_button.setShortcut(QKeySequence("Ctrl+M"))
        self.move_button.setToolTip(self.tr("Move to another time (Ctrl+M)"))
        self.delete_button = button(self.tr("Delete"), self, name="taskDelete",
                                    shortcut="Del", tooltip=self.tr("Delete the task"))
        row.addStretch(1)
        for b in (self.call_button, self.move_button, self.done_button, self.delete_button):
            row.addWidget(b)
        lay.addLayout(row)
        self.call_button.clicked.connect(self._on_call_clicked)
        self.done_button.clicked.connect(self._on_done_clicked)
        self.move_button.clicked.connect(self._on_move_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.tree.itemActivated.connect(lambda _i, _c: self._on_call_clicked())
        self.tree.currentItemChanged.connect(lambda _a, _b: self._update_buttons())
        # the next reminder at its minute; a check every minute also catches a clock change
        self._next = QTimer(self, singleShot=True)
        self._next.timeout.connect(self._on_reminder_tick)
        self._reminder_timer = QTimer(self, interval=60_000)
        self._reminder_timer.timeout.connect(self._on_reminder_tick)
        self._reminder_timer.start()
        self._due: list[Any] = []
        self._update_buttons()

    # --- data ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        def job(store: Any) -> tuple[list[Any], dict[int, str]]:
            tasks = list(store.open_tasks())
            names: dict[int, str] = {}
            for t in tasks:
                if t.contact_id is not None and t.contact_id not in names:
                    contact = store.get_contact(t.contact_id)
                    names[t.contact_id] = contact.name if contact is not None else ""
            return tasks, names

        self.db.submit(job, self._show, lambda _e: None)

    def _show(self, result: tuple[list[Any], dict[int, str]]) -> None:
        tasks, self.names = result
        now = datetime.now(UTC)
        week_end = local_midnight(now.astimezone().date() + timedelta(days=DAYS_AHEAD))
        shown = [t for t in tasks if t.due_at is not None and t.due_at < week_end]
        selected = self.selected()
        self.tasks = shown
        self.tree.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        select_item = None
        for title, due in day_groups(shown, now):
            group = QTreeWidgetItem(self.tree, [title])
            group.setFirstColumnSpanned(True)
            group.setFont(0, bold)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if not due:
                empty = QTreeWidgetItem(group, ["", self.tr("Nothing due")])
                empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for t in due:
                who = self.names.get(t.contact_id, "") if t.contact_id is not None else ""
                who = " · ".join(x for x in (who, t.number or "") if x)
                # under a day's title its time is enough; overdue ones keep their day
                when = local_time(t.due_at, with_date=title == self.tr("Overdue"))
                item = QTreeWidgetItem(group, [when, t.title, who, kind_text(t.kind)])
                item.setData(0, Qt.ItemDataRole.UserRole, t)
                if t.due_at < now:  # overdue: in the colour of a failure, light or dark
                    late = QColor(state_colour("failed", self.palette()))
                    for col in range(4):
                        item.setForeground(col, late)
                if selected is not None and t.id == selected.id:
                    select_item = item
        self.tree.expandAll()
        for col in (0, 2, 3):
            self.tree.resizeColumnToContents(col)
        if select_item is not None:
            self.tree.setCurrentItem(select_item)
        self._update_buttons()
        self.due_changed.emit([t for t in shown if t.due_at < end_of_today()])
        self._due = [t for t in tasks if t.due_at is not None]
        self._on_reminder_tick()

    def select_task(self, task_id: int) -> bool:
        """Select the task with ``task_id`` (a clicked reminder); False if it is not listed."""
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                item = group.child(j)
                task = item.data(0, Qt.ItemDataRole.UserRole)
                if task is not None and task.id == task_id:
                    self.tree.setCurrentItem(item)
                    self.tree.scrollToItem(item)
                    self.tree.setFocus()
                    return True
        return False

    # --- reminders ----------------------------------------------------------------------------
    @Slot()
    def _on_reminder_tick(self) -> None:
        now = datetime.now(UTC)
        upcoming: list[datetime] = []
        for t in self._due:
            key = (t.id, t.due_at)
            if t.due_at > now:
                upcoming.append(t.due_at)
            elif key not in self._reminded and now - t.due_at < REMIND_WITHIN:
                self._reminded.add(key)
                self.reminder_due.emit(t)
        if upcoming:
            wait = (min(upcoming) - now).total_seconds()
            self._next.start(int(min(wait, 3600) * 1000) + 50)

    # --- actions ------------------------------------------------------------------------------
    def selected(self) -> Any | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_buttons(self) -> None:
        t = self.selected()
        for b in (self.done_button, self.move_button, self.delete_button):
            b.setEnabled(t is not None)
        self.call_button.setEnabled(t is not None and bool(t.number))

    @Slot()
    def _on_changed(self) -> None:
        self.refresh()
        self.changed.emit()

    @Slot()
    def _on_call_clicked(self) -> None:
        t = self.selected()
        if t is not None and t.number:
            self.call_requested.emit(t.number, t.contact_id if t.contact_id is not None else -1)

    @Slot()
    def _on_done_clicked(self) -> None:
        t = self.selected()
        if t is not None:
            self.actions.done(t.id)

    @Slot()
    def _on_move_clicked(self) -> None:
        t = self.selected()
        if t is None:
            return
        task_id = t.id
        self.move_menu = move_menu(self, lambda when: self.actions.move(task_id, when), t.due_at)
        self.move_menu.popup(self.move_button.mapToGlobal(self.move_button.rect().bottomLeft()))

    @Slot()
    def _on_delete_clicked(self) -> None:
        t = self.selected()
        if t is not None:
            confirm_delete(self, t, self.actions.delete)
