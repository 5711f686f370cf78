"""The wrap-up panel: about ten seconds of work after a call, saved as the agent types.

One-click outcome chips, a reason, a note and next-action chips that create tasks. Every change
is saved (debounced ~300 ms) so a crash loses nothing; Skip just closes it. The same panel edits
the wrap-up of an older call from the history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDateTime, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import (
    button,
    duration,
    outcome_text,
    plain_label,
    wrapup_outcome_text,
)
from softphone.workflow import due_in_days
from softphone.workflow_updates import CallRow

CALLBACK_HOUR = 10  # a call-back's default time of day (local)


class WrapupPanel(QWidget):
    #: outcome ("" for none), reason, note
    changed = Signal(str, str, str)
    #: kind (call_back|meeting|todo), title, due (aware UTC datetime)
    next_action_requested = Signal(str, str, object)
    create_contact_requested = Signal(str, str, str)  # name, company, deal title
    closed = Signal()

    def __init__(self, outcomes: tuple[str, ...], parent: QWidget | None = None,
                 save_delay_ms: int = 300) -> None:
        super().__init__(parent)
        self.setObjectName("wrapupPanel")
        self.call_id: int | None = None
        self.row: CallRow | None = None
        self.number = ""
        self._loading = False
        lay = QVBoxLayout(self)
        self.title_label = plain_label("", self, bold=True, size=1.3, name="wrapupTitle")
        self.summary_label = plain_label("", self, name="wrapupSummary")
        lay.addWidget(self.title_label)
        lay.addWidget(self.summary_label)

        lay.addWidget(plain_label(self.tr("Outcome"), self, bold=True))
        self._chips = QHBoxLayout()
        self.outcome_group = QButtonGroup(self)
        self.outcome_group.setExclusive(True)
        self.outcome_buttons: dict[str, QPushButton] = {}
        self.set_outcomes(outcomes)
        lay.addLayout(self._chips)
        self.outcome_group.buttonClicked.connect(self._on_outcome_clicked)

        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("wrapupReason")
        self.reason_edit.setPlaceholderText(self.tr("Reason (optional)"))
        lay.addWidget(self.reason_edit)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setObjectName("wrapupNote")
        self.note_edit.setPlaceholderText(self.tr("Note: what was said, what was promised"))
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setMaximumHeight(120)
        lay.addWidget(self.note_edit)

        lay.addWidget(plain_label(self.tr("Next step"), self, bold=True))
        nexts = QHBoxLayout()
        self.callback_1d = button(self.tr("Call back &tomorrow"), self, name="callback1d")
        self.callback_3d = button(self.tr("In 3 &days"), self, name="callback3d")
        self.callback_1w = button(self.tr("In a &week"), self, name="callback1w")
        for b, days in ((self.callback_1d, 1), (self.callback_3d, 3), (self.callback_1w, 7)):
            b.clicked.connect(lambda _=False, d=days: self._on_callback_clicked(d))
            nexts.addWidget(b)
        nexts.addStretch(1)
        lay.addLayout(nexts)
        meeting = QHBoxLayout()
        self.meeting_time = QDateTimeEdit(self)
        self.meeting_time.setCalendarPopup(True)
        self.meeting_time.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.meeting_button = button(self.tr("&Meeting"), self, name="meeting")
        self.todo_edit = QLineEdit(self)
        self.todo_edit.setPlaceholderText(self.tr("To-do…"))
        self.todo_button = button(self.tr("Add t&o-do"), self, name="todo")
        meeting.addWidget(self.meeting_time)
        meeting.addWidget(self.meeting_button)
        meeting.addWidget(self.todo_edit, 1)
        meeting.addWidget(self.todo_button)
        lay.addLayout(meeting)
        self.meeting_button.clicked.connect(self._on_meeting_clicked)
        self.todo_button.clicked.connect(self._on_todo_clicked)
        self.todo_edit.returnPressed.connect(self._on_todo_clicked)
        self.actions_label = plain_label("", self, name="wrapupActions")
        lay.addWidget(self.actions_label)

        self.unknown_box = QWidget(self)
        ub = QHBoxLayout(self.unknown_box)
        ub.setContentsMargins(0, 0, 0, 0)
        self.new_name = QLineEdit(self.unknown_box)
        self.new_name.setPlaceholderText(self.tr("Name for a new contact"))
        self.new_deal = QLineEdit(self.unknown_box)
        self.new_deal.setPlaceholderText(self.tr("Deal (optional)"))
        self.create_button = button(self.tr("Create contact"), self.unknown_box,
                                    name="wrapupCreateContact")
        for w in (self.new_name, self.new_deal, self.create_button):
            ub.addWidget(w)
        lay.addWidget(self.unknown_box)
        self.create_button.clicked.connect(self._on_create_clicked)

        bottom = QHBoxLayout()
        self.saved_label = plain_label("", self, name="savedState")
        self.done_button = button(self.tr("Done"), self, name="wrapupDone",
                                  shortcut="Ctrl+Return", tooltip=self.tr("Save and close"))
        self.skip_button = button(self.tr("Skip"), self, name="wrapupSkip", shortcut="Esc",
                                  tooltip=self.tr("Close without a wrap-up"))
        bottom.addWidget(self.saved_label, 1)
        bottom.addWidget(self.skip_button)
        bottom.addWidget(self.done_button)
        lay.addLayout(bottom)
        lay.addStretch(1)
        self.done_button.clicked.connect(self._on_done_clicked)
        self.skip_button.clicked.connect(self._on_skip_clicked)

        self._save_timer = QTimer(self, singleShot=True, interval=save_delay_ms)
        self._save_timer.timeout.connect(self._on_save_due)
        self.reason_edit.textEdited.connect(self._on_text_changed)
        self.note_edit.textChanged.connect(self._on_text_changed)
        self._dirty = False

    def set_outcomes(self, outcomes: tuple[str, ...]) -> None:
        """The outcome chips (the settings' list; changed settings apply at once). A chosen
        outcome that is still offered stays chosen."""
        chosen = self.outcome()
        for b in list(self.outcome_buttons.values()):
            self.outcome_group.removeButton(b)
            self._chips.removeWidget(b)
            b.deleteLater()
        self.outcome_buttons = {}
        while self._chips.count():  # the stretch
            self._chips.takeAt(0)
        for i, outcome in enumerate(outcomes):
            b = QPushButton(wrapup_outcome_text(outcome).replace("&", "&&"), self)  # no mnemonic
            b.setProperty("outcome", outcome)
            b.setCheckable(True)
            b.setObjectName(f"outcome_{i}")
            if i < 9:
                b.setShortcut(f"Alt+{i + 1}")
                b.setToolTip(f"Alt+{i + 1}")
            self.outcome_group.addButton(b, i)
            self.outcome_buttons[outcome] = b
            self._chips.addWidget(b)
            b.setChecked(outcome == chosen)
        self._chips.addStretch(1)

    # ----------------------------------------------------------------------------------------
    @property
    def row_id(self) -> int | None:
        """The CRM row's id, once written."""
        return self.row.id if self.row is not None else None

    def start(self, *, title: str, summary: str, call_id: int | None = None,
              row: CallRow | None = None, number: str = "", known: bool = True,
              wrapup: Any = None) -> None:
        """Show the panel for a call: ``row`` its CRM row (the id may still be on its way to
        the database: the workflow's jobs read it in order); ``call_id`` for a call that just
        finished (its contact), None for one from the history."""
        self.flush()
        self._loading = True
        self.call_id, self.row, self.number = call_id, row, number
        self.title_label.setText(title)
        self.summary_label.setText(summary)
        self.outcome_group.setExclusive(False)
        for b in self.outcome_buttons.values():
            b.setChecked(False)
        self.outcome_group.setExclusive(True)
        outcome = getattr(wrapup, "outcome", None)
        if outcome in self.outcome_buttons:
            self.outcome_buttons[outcome].setChecked(True)
        self.reason_edit.setText(getattr(wrapup, "reason", "") or "")
        self.note_edit.setPlainText(getattr(wrapup, "note", "") or "")
        self.actions_label.setText("")
        self.saved_label.setText("")
        self.unknown_box.setVisible(not known)
        self.new_name.clear()
        self.new_deal.clear()
        # tomorrow at the hour a call-back gets: the time the chips and Meeting then use
        tomorrow = due_in_days(1, hour=CALLBACK_HOUR).astimezone().replace(tzinfo=None)
        self.meeting_time.setDateTime(QDateTime(tomorrow))
        self._loading = False
        self._dirty = False
        self.note_edit.setFocus()

    def set_known(self, known: bool) -> None:
        self.unknown_box.setVisible(not known)

    def outcome(self) -> str:
        b = self.outcome_group.checkedButton()
        return str(b.property("outcome")) if b is not None else ""

    def flush(self) -> None:
        """Save now if something is waiting to be saved."""
        if self._save_timer.isActive() or self._dirty:
            self._save_timer.stop()
            self._on_save_due()

    def set_saved(self, ok: bool) -> None:
        self.saved_label.setText(self.tr("Saved") if ok else self.tr("Not saved!"))

    # ----------------------------------------------------------------------------------------
    @Slot()
    def _on_text_changed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        self.saved_label.setText(self.tr("Saving…"))
        self._save_timer.start()

    @Slot()
    def _on_outcome_clicked(self, _button: QPushButton) -> None:
        self._dirty = True
        self._save_timer.stop()
        self._on_save_due()

    @Slot()
    def _on_save_due(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.changed.emit(self.outcome(), self.reason_edit.text().strip(),
                          self.note_edit.toPlainText())

    def _on_callback_clicked(self, days: int) -> None:
        # one time for the next step: the picker's time of day, on the chosen day; the picker
        # then shows what is saved, and the confirmation says the same
        at = self.meeting_time.time()
        due = due_in_days(days, hour=at.hour(), minute=at.minute())
        self.meeting_time.setDateTime(QDateTime(due.astimezone().replace(tzinfo=None)))
        self.next_action_requested.emit("call_back", self.tr("Call back"), due)
        self._note_action(self.tr("Call back on %1").replace("%1", _local(due)))

    @Slot()
    def _on_meeting_clicked(self) -> None:
        due = self.meeting_time.dateTime().toPython().replace(second=0, microsecond=0)
        due = due.astimezone(UTC) if due.tzinfo else due.astimezone().astimezone(UTC)
        self.next_action_requested.emit("meeting", self.tr("Meeting"), due)
        self._note_action(self.tr("Meeting on %1").replace("%1", _local(due)))

    @Slot()
    def _on_todo_clicked(self) -> None:
        title = self.todo_edit.text().strip()
        if not title:
            self.todo_edit.setFocus()
            return
        self.next_action_requested.emit("todo", title, due_in_days(1))
        self.todo_edit.clear()
        self._note_action(self.tr("To-do: %1").replace("%1", title))

    def _note_action(self, text: str) -> None:
        old = self.actions_label.text()
        self.actions_label.setText(f"{old}\n✓ {text}" if old else f"✓ {text}")

    @Slot()
    def _on_create_clicked(self) -> None:
        name = self.new_name.text().strip() or self.number
        self.create_contact_requested.emit(name, "", self.new_deal.text().strip())
        self.unknown_box.hide()

    @Slot()
    def _on_done_clicked(self) -> None:
        self._dirty = True
        self.flush()
        self.closed.emit()

    @Slot()
    def _on_skip_clicked(self) -> None:
        self.flush()
        self.closed.emit()

def _local(due: datetime) -> str:
    """``due`` as the picker shows it: local time, to the minute."""
    return due.astimezone().strftime("%Y-%m-%d %H:%M")


def summary_text(direction: str, number: str, talk_seconds: int | None, outcome: str) -> str:
    from softphone.ui.common import translate

    way = translate("Wrapup", "Incoming") if direction == "in" else translate("Wrapup", "Outgoing")
    parts = [way, number, outcome_text(outcome)]
    if talk_seconds:
        parts.append(duration(talk_seconds))
    return " · ".join(p for p in parts if p)
