"""A task's reminder at its due time: a desktop notification (a click opens the task; a
call-back task has a Call button) and the tray (its tooltip lists what is due). Without a
notification server the tray's balloon says it (a click on it opens the task); without a
tray either, a small reminder window with "Call now"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QTabWidget

from softphone.ui.common import translate
from softphone.ui.desktop_notify import DesktopNotifications
from softphone.ui.tasks import kind_text

if TYPE_CHECKING:
    from softphone.ui.phone import PhoneController
    from softphone.ui.tasks import TasksView


class ReminderWindow(Protocol):
    """What the reminders use of the main window."""

    phone: PhoneController
    tabs: QTabWidget
    tasks: TasksView
    tray: Any  # ui.tray.Tray, or None without a system tray
    reminder_box: Any  # the small reminder window shown without a tray

    def show_message(self, text: str) -> None: ...
    def refresh_tray(self) -> None: ...
    def bring_to_front(self) -> None: ...
    def call_number(self, number: str, contact_id: int) -> None: ...


class Reminders(QObject):
    def __init__(self, window: ReminderWindow) -> None:
        super().__init__(window if isinstance(window, QObject) else None)
        self.window = window
        self.notifications = DesktopNotifications(parent=self)
        self.notifications.action_invoked.connect(self._on_action)
        self.notifications.unavailable.connect(self._on_unavailable)
        self.notifications.dismissed.connect(self._forget)
        self.due: dict[int, Any] = {}  # task id -> task, reminded and not yet dealt with
        self._balloon_task: int | None = None
        self.shown: list[tuple[int, str]] = []  # (task id, how): what the agent was shown

    @staticmethod
    def text(task: Any) -> tuple[str, str]:
        title = translate("Reminders", "Task due: %1").replace("%1", task.title)
        body = " · ".join(x for x in (kind_text(task.kind), task.number or "") if x)
        return title, body

    def on_due(self, task: Any) -> None:
        self.due[task.id] = task
        title, body = self.text(task)
        actions = [("default", translate("Reminders", "Open"))]
        if task.kind == "call_back" and task.number:
            actions.append(("call", translate("Reminders", "Call")))
        self.notifications.notify(task.id, title, body, actions)
        self.shown.append((task.id, "notification"))
        self.window.show_message(title + (f" {task.number}" if task.number else ""))
        self.window.refresh_tray()

    def tray_lines(self) -> list[str]:
        return [self.text(t)[0] for t in self.due.values()]

    # --- what the agent did with it -----------------------------------------------------------
    @Slot(int, str)
    def _on_action(self, task_id: int, action: str) -> None:
        task = self.due.get(task_id)
        if action == "call" and task is not None and task.number:
            self._forget(task_id)
            self.window.bring_to_front()
            self.window.phone.dial(task.number, task.contact_id)
            return
        self.open_task(task_id)

    def open_task(self, task_id: int) -> None:
        """Bring the window up on the Tasks tab with the task selected."""
        window = self.window
        window.bring_to_front()
        window.tabs.setCurrentWidget(window.tasks)
        if not window.tasks.select_task(task_id):
            window.tasks.refresh()  # moved meanwhile: select it once listed again
            window.tasks.due_changed.connect(self._select_later)
            self._pending_select = task_id

    @Slot(list)
    def _select_later(self, _tasks: list[Any]) -> None:
        self.window.tasks.due_changed.disconnect(self._select_later)
        self.window.tasks.select_task(getattr(self, "_pending_select", -1))

    @Slot(int)
    def _forget(self, task_id: int) -> None:
        if self.due.pop(task_id, None) is not None:
            self.window.refresh_tray()

    @Slot(int, str)
    def _on_unavailable(self, task_id: int, _why: str) -> None:
        task = self.due.get(task_id)
        if task is None:
            return
        tray = self.window.tray
        title, body = self.text(task)
        if tray is not None:
            self._balloon_task = task_id
            tray.notify(title, body)
            self.shown.append((task_id, "tray"))
            return
        from softphone.ui.today import show_reminder  # no tray either: a small window

        self.window.reminder_box = show_reminder(self.window, task,
                                                 self.window.call_number)
        self.shown.append((task_id, "window"))

    def on_tray_message_clicked(self) -> bool:
        """The tray's balloon was clicked: open its task (True), if it was a reminder."""
        task_id, self._balloon_task = self._balloon_task, None
        if task_id is None:
            return False
        self.open_task(task_id)
        return True

    def stop(self) -> None:
        self.notifications.stop()
