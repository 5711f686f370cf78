"""Contacts: search list on the left, the contact card on the right (numbers to click-to-call,
calls and chat messages with notes, recordings, tasks, deals, a chat pane), plus an edit
dialog."""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.avatars import Avatar
from softphone.ui.chat import ChatPane
from softphone.ui.common import (
    button,
    duration,
    local_time,
    outcome_text,
    phone_label_text,
    plain_label,
    wrapup_outcome_text,
)
from softphone.ui.tasks import TaskActions, confirm_delete, move_menu


class ContactCard(QWidget):
    call_requested = Signal(str, int)  # number, contact id
    edit_requested = Signal(object)
    play_requested = Signal(str)
    task_done_requested = Signal(int)
    task_move_requested = Signal(int, object)  # task id, new due time (UTC)
    task_delete_requested = Signal(object)  # the task (a confirmation names it)
    #: the chat pane asks to send: (contact, the number to write to, text)
    message_requested = Signal(object, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactCard")
        self.contact: Any = None
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        self.name_label = plain_label("", self, bold=True, size=1.5, name="contactName")
        self.edit_button = button(self.tr("Edit"), self, name="editContact",
                                  shortcut="Ctrl+E", tooltip=self.tr("Edit contact"))
        self.avatar = Avatar(48, self)  # initials on a colour (ui/avatars.py)
        head.addWidget(self.avatar)
        head.addWidget(self.name_label, 1)
        head.addWidget(self.edit_button)
        outer.addLayout(head)
        self.company_label = plain_label("", self, name="contactCompany")
        outer.addWidget(self.company_label)
        self.phones_box = QVBoxLayout()
        outer.addLayout(self.phones_box)
        self.details_label = plain_label("", self, name="contactDetails")
        outer.addWidget(self.details_label)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        inner = QWidget(scroll)
        self.sections = QVBoxLayout(inner)
        scroll.setWidget(inner)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(scroll)
        self.chat = ChatPane(split)  # SIP MESSAGE to the contact's first number
        split.addWidget(self.chat)
        outer.addWidget(split, 1)
        self.chat.send_requested.connect(self._on_chat_send)
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.contact))
        self.edit_button.setEnabled(False)
        self.phone_buttons: list[QPushButton] = []

    def _clear(self, layout: Any) -> None:
        while layout.count():
            item = layout.takeAt(0)
            w = item.widget()
            if w is not None:
                w.deleteLater()
            elif item.layout() is not None:
                self._clear(item.layout())

    def _on_chat_send(self, text: str) -> None:
        contact = self.contact
        if contact is not None and contact.phones:
            phone = contact.primary_phone or contact.phones[0]
            self.message_requested.emit(contact, phone.raw, text)

    def show_contact(self, contact: Any, calls: list[Any], tasks: list[Any],
                     deals: list[Any], history: list[Any] | None = None,
                     messages: list[Any] | tuple[Any, ...] = ()) -> None:
        self.contact = contact
        self.chat.show_messages(list(messages))
        self.chat.set_can_send(bool(contact.phones),
                               self.tr("No number to write to: add one to chat."))
        self.edit_button.setEnabled(True)
        self.name_label.setText(contact.name)
        self.avatar.set_name(contact.name)
        self.company_label.setText(" · ".join(x for x in (contact.position, contact.company)
                                              if x))
        self._clear(self.phones_box)
        self.phone_buttons = []
        for phone in contact.phones:
            row = QHBoxLayout()
            b = QPushButton(f"☎ {phone.raw}", self)
            b.setObjectName("callNumber")
            b.setToolTip(self.tr("Call %1").replace("%1", phone.raw))
            b.clicked.connect(lambda _=False, n=phone.raw: self.call_requested.emit(
                n, self.contact.id))
            row.addWidget(b)
            row.addWidget(plain_label(phone_label_text(phone.label), self))
            row.addStretch(1)
            self.phones_box.addLayout(row)
            self.phone_buttons.append(b)
        details = [", ".join(contact.emails), ", ".join(contact.tags), contact.notes]
        if contact.do_not_call:
            details.insert(0, self.tr("Do not call"))
        self.details_label.setText("\n".join(d for d in details if d))
        self._clear(self.sections)
        self.sections.addWidget(plain_label(self.tr("Open tasks"), self, bold=True))
        for t in tasks:
            row = QHBoxLayout()
            row.addWidget(plain_label(f"{local_time(t.due_at)}  {t.title}", self), 1)
            done = button(self.tr("Done"), self, name="cardTaskDone")
            done.clicked.connect(lambda _=False, tid=t.id: self.task_done_requested.emit(tid))
            move = button(self.tr("Move"), self, name="cardTaskMove",
                          tooltip=self.tr("Move to another time"))
            move.setMenu(move_menu(move, lambda when, tid=t.id:
                                   self.task_move_requested.emit(tid, when), t.due_at))
            delete = button(self.tr("Delete"), self, name="cardTaskDelete",
                            tooltip=self.tr("Delete the task"))
            delete.clicked.connect(lambda _=False, task=t: self.task_delete_requested.emit(task))
            for b in (done, move, delete):
                row.addWidget(b)
            self.sections.addLayout(row)
        if not tasks:
            self.sections.addWidget(plain_label(self.tr("None"), self))
        self.sections.addWidget(plain_label(self.tr("Deals"), self, bold=True))
        for d in deals:
            amount = f" · {d.amount}" if d.amount is not None else ""
            self.sections.addWidget(plain_label(f"{d.title} ({d.stage}){amount}", self))
        if not deals:
            self.sections.addWidget(plain_label(self.tr("None"), self))
        self.sections.addWidget(plain_label(self.tr("Calls and messages"), self, bold=True))
        timeline = sorted([*calls, *messages], reverse=True,
                          key=lambda x: getattr(x, "started_at", None) or x.sent_at)
        for c in timeline:
            if hasattr(c, "sent_at"):  # a chat message, beside the calls
                way = "✉↘" if c.direction == "in" else "✉↗"
                text = f"{local_time(c.sent_at)} {way} {c.body}"
                if c.status == "failed":
                    text += "  ✗"
                self.sections.addWidget(plain_label(text, self))
                continue
            way = "↘" if c.direction == "in" else "↗"
            talk = f" {duration(c.talk_seconds)}" if c.talk_seconds else ""
            text = f"{local_time(c.started_at)} {way} {outcome_text(c.outcome)}{talk}"
            if c.wrapup is not None:
                if c.wrapup.outcome:
                    text += f" · {wrapup_outcome_text(c.wrapup.outcome)}"
                if c.wrapup.note:
                    text += f"\n    {c.wrapup.note}"
            row = QHBoxLayout()
            row.addWidget(plain_label(text, self), 1)
            if c.recording_path:
                play = button(self.tr("▶ Recording"), self)
                play.clicked.connect(lambda _=False, p=c.recording_path:
                                     self.play_requested.emit(p))
                row.addWidget(play)
            self.sections.addLayout(row)
        if not timeline:
            self.sections.addWidget(plain_label(self.tr("No calls yet"), self))
        if history:  # what a sync conflict replaced: nothing typed here is lost
            self.sections.addWidget(plain_label(self.tr("History"), self, bold=True,
                                                name="contactHistory"))
            for h in history:
                values = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                   for k, v in h.fields.items())
                what = (self.tr("Changed here and on the contacts server; this desk had: %1")
                        .replace("%1", values) if h.kind == "conflict" else
                        self.tr("Deleted on the contacts server, kept here because it changed"))
                self.sections.addWidget(plain_label(f"{local_time(h.at)}  {what}", self))
        self.sections.addStretch(1)


class ContactsView(QWidget):
    call_requested = Signal(str, int)
    play_requested = Signal(str)
    changed = Signal()
    contact_chat_shown = Signal(int)  # the card shows this contact's conversation

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactsView")
        self.db = db
        self.contacts: list[Any] = []
        self.save_failed_box: Any = None
        lay = QHBoxLayout(self)
        split = QSplitter(self)
        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.search_edit = QLineEdit(left)
        self.search_edit.setObjectName("contactSearch")
        self.search_edit.setPlaceholderText(self.tr("Search contacts"))
        self.search_edit.setClearButtonEnabled(True)
        self.list = QListWidget(left)
        self.list.setObjectName("contactList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.new_button = button(self.tr("New contact"), left, name="newContact",
                                 shortcut="Ctrl+N", tooltip=self.tr("New contact"))
        ll.addWidget(self.search_edit)
        ll.addWidget(self.list, 1)
        ll.addWidget(self.new_button)
        self.card = ContactCard(split)
        split.addWidget(left)
        split.addWidget(self.card)
        split.setStretchFactor(1, 2)
        lay.addWidget(split)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.refresh)
        self.search_edit.textEdited.connect(lambda _t: self._debounce.start())
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.card.call_requested.connect(self.call_requested)
        self.card.play_requested.connect(self.play_requested)
        self.card.edit_requested.connect(self._on_edit_requested)
        self.task_actions = TaskActions(db, self)  # the same as the Tasks tab's
        self.task_actions.changed.connect(self._on_task_changed)
        self.card.task_done_requested.connect(self.task_actions.done)
        self.card.task_move_requested.connect(self.task_actions.move)
        self.card.task_delete_requested.connect(
            lambda task: confirm_delete(self, task, self.task_actions.delete))
        self.new_button.clicked.connect(lambda: self._on_edit_requested(None))
        self._generation = 0

    def refresh(self) -> None:
        query = self.search_edit.text().strip()
        self._generation += 1
        generation = self._generation

        def show(contacts: list[Any]) -> None:
            if generation == self._generation:
                self._show(contacts)

        def job(store: Any) -> list[Any]:
            if query:
                return list(store.search(query, limit=500))
            return sorted(itertools.islice(store.iter_contacts(), 2000),
                          key=lambda c: c.name.casefold())

        self.db.submit(job, show, lambda _e: None)

    def _show(self, contacts: list[Any]) -> None:
        current = self.card.contact.id if self.card.contact is not None else None
        selected = set(self.selected_ids())  # a refresh keeps the selection (export)
        self.contacts = contacts
        self.list.blockSignals(True)
        self.list.clear()
        for c in contacts:
            text = f"{c.name} · {c.company}" if c.company else c.name
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        if len(selected) > 1:
            for i in range(self.list.count()):
                item = self.list.item(i)
                if int(item.data(Qt.ItemDataRole.UserRole)) in selected:
                    item.setSelected(True)
        self.list.blockSignals(False)
        if current is not None:
            self.open_contact(current)
        elif contacts:
            self.list.setCurrentRow(0)

    def selected_ids(self) -> list[int]:
        """The contacts selected in the list (Contacts > Export selected)."""
        return [int(i.data(Qt.ItemDataRole.UserRole)) for i in self.list.selectedItems()]

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_changed(self, item: QListWidgetItem | None, _prev: Any) -> None:
        if item is not None:
            self.open_contact(int(item.data(Qt.ItemDataRole.UserRole)))

    def open_contact(self, contact_id: int) -> None:
        def job(store: Any) -> tuple[Any, ...]:
            return (store.get_contact(contact_id), store.list_calls(contact_id=contact_id,
                                                                     limit=50),
                    store.open_tasks(contact_id=contact_id), store.deals(contact_id=contact_id),
                    store.contact_history(contact_id, limit=20),
                    store.conversation(contact_id=contact_id, limit=100))

        def show(result: tuple[Any, ...]) -> None:
            if result[0] is not None:
                self.card.show_contact(*result)
                self.contact_chat_shown.emit(contact_id)

        self.db.submit(job, show, lambda _e: None)

    def show_contact_chat(self, contact_id: int) -> None:
        """Open ``contact_id``'s card with the cursor in its chat box."""
        self.search_edit.clear()
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == contact_id:
                self.list.setCurrentRow(i)
                break
        else:
            self.open_contact(contact_id)
        self.card.chat.edit.setFocus()

    @Slot()
    def _on_task_changed(self) -> None:
        if self.card.contact is not None:
            self.open_contact(self.card.contact.id)
        self.changed.emit()

    @Slot(object)
    def _on_edit_requested(self, contact: Any) -> None:
        dialog = ContactDialog(contact, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._on_contact_saved)
        dialog.open()

    @Slot(object, dict)
    def _on_contact_saved(self, contact: Any, fields: dict[str, Any]) -> None:
        def job(store: Any) -> Any:
            if contact is None:
                return store.create_contact(fields.pop("name"), **fields)
            return store.update_contact(contact.id, expected_version=contact.version, **fields)

        def done(saved: Any) -> None:
            self.card.contact = saved
            self.refresh()
            self.changed.emit()

        self.db.submit(job, done, lambda exc: self._on_save_failed(
            exc, contact.id if contact is not None else None))

    def _on_save_failed(self, exc: Exception, contact_id: int | None = None) -> None:
        """Not saved: say why without blocking the window (calls keep coming); after a
        conflict (someone else saved the contact meanwhile) show their version."""
        from PySide6.QtWidgets import QMessageBox

        from softphone.crm.errors import ConflictError

        text = str(exc)
        if isinstance(exc, ConflictError):
            text = self.tr("This contact was changed by someone else meanwhile. Your changes "
                           "were not saved: the contact now shows their version; edit it "
                           "again to apply yours.")
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Contact not saved"), text,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("contactSaveFailed")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self.save_failed_box = box
        if isinstance(exc, ConflictError):
            if contact_id is not None:
                self.open_contact(contact_id)
            self.refresh()


def parse_phones(text: str) -> list[tuple[str, str]]:
    """``number[, label]`` per line."""
    out = []
    for line in text.splitlines():
        raw, _, label = line.partition(",")
        if raw.strip():
            out.append((raw.strip(), label.strip() or "work"))
    return out


class ContactDialog(QDialog):
    saved = Signal(object, dict)

    def __init__(self, contact: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactDialog")
        self.contact = contact
        self.setWindowTitle(self.tr("New contact") if contact is None else
                            self.tr("Edit contact"))
        form = QFormLayout(self)
        self.name = QLineEdit(self)
        self.company = QLineEdit(self)
        self.position = QLineEdit(self)
        self.phones = QPlainTextEdit(self)
        self.phones.setPlaceholderText(self.tr("one per line: number, label"))
        self.phones.setTabChangesFocus(True)
        self.emails = QLineEdit(self)
        self.tags = QLineEdit(self)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Company"), self.company)
        form.addRow(self.tr("Position"), self.position)
        form.addRow(self.tr("Phones"), self.phones)
        form.addRow(self.tr("E-mails"), self.emails)
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Notes"), self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        form.addRow(buttons)
        buttons.accepted.connect(self._on_save_clicked)
        buttons.rejected.connect(self.reject)
        if contact is not None:
            self.name.setText(contact.name)
            self.company.setText(contact.company or "")
            self.position.setText(contact.position or "")
            self.phones.setPlainText("\n".join(f"{p.raw}, {p.label}" for p in contact.phones))
            self.emails.setText(", ".join(contact.emails))
            self.tags.setText(", ".join(contact.tags))
            self.notes.setPlainText(contact.notes)

    @Slot()
    def _on_save_clicked(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.name.setFocus()
            return

        def split(text: str) -> list[str]:
            return [x.strip() for x in text.split(",") if x.strip()]

        fields: dict[str, Any] = {
            "name": name, "company": self.company.text().strip() or None,
            "position": self.position.text().strip() or None,
            "phones": parse_phones(self.phones.toPlainText()),
            "emails": split(self.emails.text()), "tags": split(self.tags.text()),
            "notes": self.notes.toPlainText(),
        }
        self.saved.emit(self.contact, fields)
        self.accept()
