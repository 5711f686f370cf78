"""Calls going out: which account a call leaves from, the progress bar with the failure
reason, Redial (a key and buttons) and the dial pad's wiring. Owned by the main window.

The account last used for a contact is kept in ``<profile>/accounts-by-contact.json`` (a few
bytes per contact, written on the DB worker so the UI never waits on the disk).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QWidget

from softphone.settings import AccountSettings
from softphone.sip.events import CallState, Direction
from softphone.workflow_updates import CallChanged, CallEnded, CallerFound, WorkflowUpdate

if TYPE_CHECKING:
    from softphone.ui.call_progress import CallProgressBar
    from softphone.ui.dialpad import DialPad
    from softphone.ui.phone import PhoneController
    from softphone.ui.pickers import ContactSearchField
    from softphone.workflow import CallWorkflow

log = logging.getLogger("softphone.ui")

MEMORY_FILE = "accounts-by-contact.json"


class AccountMemory:
    """The account each contact was last called from."""

    def __init__(self, profile: Path | None, db: Any) -> None:
        self.path = profile / MEMORY_FILE if profile is not None else None
        self.db = db
        self.by_contact: dict[int, str] = {}
        if self.path is not None:
            try:
                raw = json.loads(self.path.read_text("utf-8"))
                self.by_contact = {int(k): str(v) for k, v in raw.items()}
            except FileNotFoundError:
                pass
            except (OSError, ValueError, AttributeError) as exc:
                log.warning("%s: not read (%s); starting afresh", self.path, exc)

    def get(self, contact_id: int | None) -> str | None:
        return self.by_contact.get(contact_id) if contact_id is not None else None

    def remember(self, contact_id: int, account: str) -> None:
        if not account or self.by_contact.get(contact_id) == account:
            return
        self.by_contact[contact_id] = account
        if self.path is None:
            return
        path, text = self.path, json.dumps({str(k): v for k, v in self.by_contact.items()})

        def write(_store: Any) -> None:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, "utf-8")
            os.replace(tmp, path)

        self.db.submit(write, None, lambda exc: log.warning("%s not written: %s", path, exc))


class AccountChooser(QComboBox):
    """"From:" next to the Call button; shown only when there are several accounts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountChoice")
        self.setToolTip(self.tr("The account the call goes out from"))
        self.explicit = False  # the agent picked one for the next call
        self.activated.connect(self._on_activated)
        self.hide()

    def set_accounts(self, names: list[str]) -> None:
        current = self.currentText()
        self.clear()
        self.addItems(names)
        if current in names:
            self.setCurrentText(current)
        self.setVisible(len(names) > 1)

    def select(self, name: str | None) -> None:
        if name is not None and self.findText(name) >= 0:
            self.setCurrentText(name)

    @Slot(int)
    def _on_activated(self, _index: int) -> None:
        self.explicit = True


def enabled_accounts(accounts: tuple[AccountSettings, ...]) -> list[str]:
    return [a.name for a in accounts if a.enabled]


class OutgoingCalls(QObject):
    """The window's calls going out; ``window`` parents the widgets and the Redial action."""

    def __init__(self, window: QWidget, *, phone: PhoneController, workflow: CallWorkflow,
                 dial_field: ContactSearchField, accounts: tuple[AccountSettings, ...],
                 profile: Path | None, db: Any, show_message: Callable[[str], None],
                 place_bar: Callable[[QWidget], None] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.phone = phone
        self.workflow = workflow
        self.dial_field = dial_field
        self.show_message = show_message
        self.memory = AccountMemory(profile, db)
        # the progress bar and the dial pad are built when first needed (a call going out, the
        # idle page shown): a start showing the first-start page pays for neither
        self._bar: CallProgressBar | None = None
        self._pad: DialPad | None = None
        self.place_bar = place_bar  # puts the bar into the window's layout
        self.place_pad: Callable[[QWidget], None] | None = None  # the idle page sets it
        self._account_names: list[str] = []
        self.chooser = AccountChooser(window)
        self.phone.choose_account = self.account_for
        self.set_accounts(accounts)
        dial_field.chosen.connect(self._on_contact_chosen)
        self.redial_action = QAction(self.tr("Redial"), window)
        self.redial_action.setObjectName("redialAction")
        self.redial_action.setShortcut(QKeySequence("Ctrl+R"))
        self.redial_action.setToolTip(self.tr("Redial (Ctrl+R)"))
        self.redial_action.triggered.connect(self.redial)
        window.addAction(self.redial_action)

    # --- accounts ---------------------------------------------------------------------------
    def set_accounts(self, accounts: tuple[AccountSettings, ...]) -> None:
        names = enabled_accounts(accounts)
        self.phone.account_names = names
        self.chooser.set_accounts(names)
        self._account_names = names
        if self._bar is not None:
            self._bar.set_accounts(names)

    @property
    def bar(self) -> CallProgressBar:
        bar = self._bar
        if bar is None:
            from softphone.ui.call_progress import CallProgressBar

            self._bar = bar = CallProgressBar(self.window)
            bar.set_accounts(self._account_names)
            bar.redial_requested.connect(self._on_redial_requested)
            if self.place_bar is not None:
                self.place_bar(bar)
        return bar

    @property
    def pad(self) -> DialPad:
        pad = self._pad
        if pad is None:
            from softphone.ui.dialpad import DialPad

            self._pad = pad = DialPad(self.window)
            field = self.dial_field
            pad.key_pressed.connect(self._on_pad_key)
            pad.backspace_pressed.connect(field.backspace)
            pad.call_requested.connect(lambda: field.submitted.emit(field.text()))
            pad.redial_requested.connect(self.redial)
            if self.place_pad is not None:
                self.place_pad(pad)
        return pad

    def account_for(self, contact_id: int | None) -> str | None:
        """The account a new call leaves from: the agent's pick, else the one the contact was
        last called from, else the one shown in the chooser (None with a single account)."""
        names = self.phone.account_names
        if len(names) < 2:
            return None
        if self.chooser.explicit:
            self.chooser.explicit = False
            return self.chooser.currentText()
        remembered = self.memory.get(contact_id)
        if remembered in names:
            return remembered
        return self.chooser.currentText() or None

    @Slot(int, str)
    def _on_contact_chosen(self, contact_id: int, _number: str) -> None:
        self.chooser.explicit = False
        self.chooser.select(self.memory.get(contact_id))

    # --- redial -----------------------------------------------------------------------------
    @Slot()
    def redial(self) -> None:
        if self.workflow.calls():
            self.show_message(self.tr("Finish the call first."))
            return
        self.phone.redial()

    @Slot(str, int, str)
    def _on_redial_requested(self, target: str, contact_id: int, account: str) -> None:
        self.phone.dial(target, contact_id if contact_id >= 0 else None, account or None)

    @Slot(str)
    def _on_pad_key(self, key: str) -> None:
        field = self.dial_field
        field.insert(key)
        field.setFocus()

    # --- what the workflow says -------------------------------------------------------------
    def on_update(self, update: WorkflowUpdate) -> None:
        if not isinstance(update, CallChanged | CallEnded | CallerFound):
            return
        call = update.call
        if call.direction != Direction.OUTGOING:
            return
        target, contact_id = self.phone.dialled.get(call.call_id, ("", None))
        if isinstance(update, CallChanged):
            self.bar.show_progress(call, target, contact_id)
        elif isinstance(update, CallEnded):
            if call.answered_at is None:
                self.bar.show_failure(call, target, contact_id)
            elif self._bar is not None and call.call_id == self._bar.call_id:
                self._bar.dismiss()
        elif call.state != CallState.DISCONNECTED:  # CallerFound
            contact = call.caller.contact if call.caller else None
            if contact is not None and call.account:
                self.memory.remember(int(contact.id), call.account)
            self.bar.show_progress(call, target, contact_id)  # the contact's name
