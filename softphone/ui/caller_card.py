"""The caller card: pops up on top for an incoming call, with what the CRM knows.

A frameless tool window that stays on top and shows even when the main window is minimized or
hidden in the tray. It never takes the keyboard away from what the agent is typing (it does not
activate itself) and is never modal: Answer always works first. An unknown caller's card offers
to create a contact, add the number to a contact, or mark it as spam/internal.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.avatars import Avatar
from softphone.ui.common import (
    button,
    local_time,
    matched_by_text,
    outcome_text,
    paint_button,
    plain_label,
)
from softphone.ui.icons import set_control_icon
from softphone.ui.look import state_colour
from softphone.ui.pickers import ContactSearchField, SearchFn
from softphone.workflow_updates import CallInfo


class CallerCard(QFrame):
    answer_requested = Signal(int)
    end_current_and_answer_requested = Signal(int)
    decline_requested = Signal(int)
    create_contact_requested = Signal(int, str, str, str)  # call id, name, company, deal title
    add_to_contact_requested = Signal(int, int)  # call id, contact id
    ignore_requested = Signal(str, str)  # number, spam|internal

    def __init__(self, call: CallInfo, search: SearchFn | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("callerCard")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setFrameShape(QFrame.Shape.Box)
        self.setLineWidth(2)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 30)
        # A caller's name can be one 10,000-character word: never wider than this.
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 60)
        self.call = call
        lay = QVBoxLayout(self)
        self.heading = plain_label("", self, name="heading")
        self.name_label = plain_label("", self, bold=True, size=1.5, name="name")
        # ... nor taller than three lines (a wrapped 10,000-character name hid the buttons).
        self.name_label.setMaximumHeight(self.name_label.fontMetrics().lineSpacing() * 3 + 4)
        self.number_label = plain_label("", self, name="number")
        self.company_label = plain_label("", self, name="company")
        self.why_label = plain_label("", self, name="why")
        self.last_call_label = plain_label("", self, name="lastCall")
        self.tasks_label = plain_label("", self, name="tasks")
        self.deals_label = plain_label("", self, name="deals")
        self.people_label = plain_label("", self, name="people")
        for w in (self.heading, self.name_label, self.number_label, self.company_label,
                  self.why_label, self.people_label, self.last_call_label, self.tasks_label,
                  self.deals_label):
            lay.addWidget(w)
        # the avatar beside the name (ui/avatars.py); the heading in the ringing colour
        self.avatar = Avatar(48, self)
        who = QHBoxLayout()
        lay.removeWidget(self.name_label)
        who.addWidget(self.avatar)
        who.addWidget(self.name_label, 1)
        lay.insertLayout(1, who)
        self.heading.setStyleSheet(f"color:{state_colour('ringing', self.palette())};"
                                   "font-weight:bold")
        buttons = QHBoxLayout()
        self.answer_button = button(self.tr("&Answer"), self, name="answer",
                                    tooltip=self.tr("Answer (Ctrl+Shift+A)"))
        paint_button(self.answer_button, "#2e7d32")
        self.decline_button = button(self.tr("&Decline"), self, name="decline",
                                     tooltip=self.tr("Decline (Ctrl+Shift+D)"))
        paint_button(self.decline_button, "#c62828", bold=False)
        self.swap_button = button(self.tr("End && answer"), self, name="swap",
                                  tooltip=self.tr("Hang up the current call and take this one"))
        set_control_icon(self.answer_button, "answer", colour="#ffffff")
        set_control_icon(self.decline_button, "hangup", colour="#ffffff")
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.swap_button)
        buttons.addWidget(self.decline_button)
        lay.addLayout(buttons)
        self.answer_button.clicked.connect(self._on_answer_clicked)
        # the same keys as the main window's actions, for when the card has the focus
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, self._on_answer_clicked)
        QShortcut(QKeySequence("Ctrl+Shift+D"), self, self._on_decline_clicked)
        self.swap_button.clicked.connect(
            lambda: self.end_current_and_answer_requested.emit(self.call.call_id))
        self.decline_button.clicked.connect(self._on_decline_clicked)

        # --- unknown caller ---------------------------------------------------------------
        self.unknown_box = QWidget(self)
        ub = QVBoxLayout(self.unknown_box)
        ub.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.create_button = button(self.tr("Create contact"), self, name="createContact")
        self.spam_button = button(self.tr("Spam"), self, name="spam")
        self.internal_button = button(self.tr("Internal"), self, name="internal")
        row.addWidget(self.create_button)
        row.addWidget(self.spam_button)
        row.addWidget(self.internal_button)
        ub.addLayout(row)
        self.create_form = QWidget(self)
        cf = QVBoxLayout(self.create_form)
        cf.setContentsMargins(0, 0, 0, 0)
        self.new_name = QLineEdit(self)
        self.new_name.setObjectName("newName")
        self.new_name.setPlaceholderText(self.tr("Name"))
        self.new_company = QLineEdit(self)
        self.new_company.setPlaceholderText(self.tr("Company (optional)"))
        self.with_deal = QCheckBox(self.tr("Also create a deal"), self)
        self.deal_title = QLineEdit(self)
        self.deal_title.setPlaceholderText(self.tr("Deal title"))
        self.deal_title.setEnabled(False)
        self.with_deal.toggled.connect(self.deal_title.setEnabled)
        self.save_contact_button = button(self.tr("Save contact"), self, name="saveContact")
        for w in (self.new_name, self.new_company, self.with_deal, self.deal_title,
                  self.save_contact_button):
            cf.addWidget(w)
        self.create_form.hide()
        ub.addWidget(self.create_form)
        self.existing = ContactSearchField(search, self)
        self.existing.setObjectName("addToExisting")
        self.existing.setPlaceholderText(self.tr("…or add this number to a contact: search"))
        ub.addWidget(self.existing)
        lay.addWidget(self.unknown_box)
        self.create_button.clicked.connect(self._on_create_clicked)
        self.save_contact_button.clicked.connect(self._on_save_contact_clicked)
        self.new_name.returnPressed.connect(self._on_save_contact_clicked)
        self.spam_button.clicked.connect(lambda: self._on_ignore_clicked("spam"))
        self.internal_button.clicked.connect(lambda: self._on_ignore_clicked("internal"))
        self.existing.chosen.connect(self._on_existing_chosen)
        self.set_call(call)

    # ----------------------------------------------------------------------------------------
    def set_call(self, call: CallInfo) -> None:
        self.call = call
        self.heading.setText(self.tr("Call waiting") if call.waiting else
                             self.tr("Incoming call"))
        self.swap_button.setVisible(call.waiting)
        if call.waiting:
            self.answer_button.setText(self.tr("Hold && &answer"))
            self.answer_button.setToolTip(self.tr("Hold the current call and answer this one "
                                                  "(Ctrl+Shift+A)"))
        self.name_label.setText(call.title)
        self.avatar.set_name(call.title)
        number = call.number or call.remote_uri
        self.number_label.setText(number if number != call.title else call.remote_uri)
        caller = call.caller
        if caller is None:
            self.why_label.setText(self.tr("Looking up…"))
            self.unknown_box.hide()
            for w in (self.company_label, self.last_call_label, self.tasks_label,
                      self.deals_label, self.people_label):
                w.hide()
            return
        match = caller.match
        contact = caller.contact
        company = match.company if match is not None else None
        company_name = (contact.company if contact is not None and contact.company else
                        company.name if company is not None else None)
        position = contact.position if contact is not None else None
        self._show(self.company_label, " · ".join(x for x in (position, company_name) if x))
        why = matched_by_text(match.matched_by if match is not None else "none")
        ignored = match.ignored if match is not None else None
        if ignored:
            why = self.tr("Marked as %1").replace("%1", ignored)
        entry = caller.directory if not caller.known else None
        if entry is not None:  # not in the CRM, but in the company directory (LDAP)
            why = self.tr("From the directory")
            self._show(self.company_label, entry.company_line)
        self.why_label.setText(why)
        people = list(match.people) if match is not None else []
        if contact is None and people:
            if company_name:
                self.name_label.setText(company_name)
            self._show(self.people_label, self.tr("People: %1").replace(
                "%1", ", ".join(p.name for p in people[:6])))
        else:
            self.people_label.hide()
        last = caller.last_call
        if last is not None:
            note = last.wrapup.note if last.wrapup is not None else ""
            text = self.tr("Last call: %1, %2").replace("%1", local_time(last.started_at))
            text = text.replace("%2", outcome_text(last.outcome))
            self._show(self.last_call_label, f"{text}\n{note}" if note else text)
        else:
            self._show(self.last_call_label, self.tr("First call") if contact else "")
        self._show(self.tasks_label, "\n".join(
            self.tr("Task: %1").replace("%1", t.title) for t in caller.tasks[:3]))
        self._show(self.deals_label, "\n".join(
            self.tr("Deal: %1 (%2)").replace("%1", d.title).replace("%2", d.stage)
            for d in caller.deals[:3]))
        self.unknown_box.setVisible(not caller.known)
        if not caller.known and not self.new_name.text():
            self.new_name.setText(entry.name if entry is not None else call.display_name)

    @staticmethod
    def _show(label: Any, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

    def set_answered(self) -> None:
        self.answer_button.setEnabled(False)
        self.decline_button.setEnabled(False)

    # ----------------------------------------------------------------------------------------
    @Slot()
    def _on_answer_clicked(self) -> None:
        self.answer_requested.emit(self.call.call_id)

    @Slot()
    def _on_decline_clicked(self) -> None:
        self.decline_requested.emit(self.call.call_id)

    @Slot()
    def _on_create_clicked(self) -> None:
        self.create_form.setVisible(not self.create_form.isVisible())
        if self.create_form.isVisible():
            self.activateWindow()
            self.new_name.setFocus()

    @Slot()
    def _on_save_contact_clicked(self) -> None:
        name = self.new_name.text().strip() or self.call.number
        deal = self.deal_title.text().strip() if self.with_deal.isChecked() else ""
        if self.with_deal.isChecked() and not deal:
            deal = self.tr("Deal with %1").replace("%1", name)
        self.create_contact_requested.emit(self.call.call_id, name,
                                           self.new_company.text().strip(), deal)
        self.create_form.hide()

    @Slot(int, str)
    def _on_existing_chosen(self, contact_id: int, _number: str) -> None:
        self.add_to_contact_requested.emit(self.call.call_id, contact_id)

    def _on_ignore_clicked(self, kind: str) -> None:
        self.ignore_requested.emit(self.call.number or self.call.remote_uri, kind)
        self.unknown_box.hide()
