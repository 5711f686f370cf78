"""Voicemail in the window: the message-waiting count (MWI) and a button that calls the mailbox.

:class:`VoicemailIndicator` keeps each account's latest ``VoicemailStatus``; its status-bar
button reads "Voicemail (3)" while new messages wait and dials the mailbox when clicked: the
account's ``voicemail`` setting, else the mailbox URI the server named in its NOTIFY
(``Message-Account``). The tray shows the same count (:meth:`tray_line`) and offers the same
action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolButton

from softphone.settings import default_lan_account
from softphone.ui.common import translate


class VoicemailIndicator(QObject):
    """Counts per account; ``dial_requested(target, account)`` when the user asks to listen."""

    dial_requested = Signal(str, str)
    changed = Signal(int)  # new messages over all accounts
    #: nothing to dial: the message is fit to show
    problem = Signal(str)

    def __init__(self, accounts: Sequence[Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.accounts: list[Any] = list(accounts)
        self.status: dict[str, Any] = {}  # account -> VoicemailStatus
        self.available = False
        self.button = QToolButton()
        self.button.setObjectName("voicemailButton")
        self.button.setAutoRaise(True)
        self.action = QAction(self)
        self.action.setObjectName("voicemailAction")
        self.action.triggered.connect(self.call_voicemail)
        self.button.setDefaultAction(self.action)
        self._refresh()

    def set_accounts(self, accounts: Sequence[Any]) -> None:
        self.accounts = list(accounts)
        names = {a.name for a in self.accounts} or {default_lan_account().name}
        self.status = {k: v for k, v in self.status.items() if k in names}
        self._refresh()

    def on_sip_event(self, event: Any) -> None:
        if type(event).__name__ == "VoicemailStatus":
            self.status[event.account] = event
            self._refresh()

    @property
    def new_messages(self) -> int:
        return sum(s.new for s in self.status.values() if s.waiting)

    @property
    def waiting(self) -> bool:
        return any(s.waiting for s in self.status.values())

    def target(self) -> tuple[str, str] | None:
        """(what to dial, on which account): an account with messages waiting first."""
        by_name = {a.name: a for a in self.accounts}
        ordered = sorted(self.accounts, key=lambda a: not (
            a.name in self.status and self.status[a.name].waiting))
        for account in ordered:
            if account.voicemail:
                return account.voicemail, account.name
            status = self.status.get(account.name)
            if status is not None and status.message_account:
                return status.message_account, account.name
        for name, status in self.status.items():  # the implicit LAN account
            if status.message_account and name not in by_name:
                return status.message_account, name
        return None

    @Slot()
    def call_voicemail(self) -> None:
        target = self.target()
        if target is None:
            self.problem.emit(translate(
                "Voicemail", "No voicemail number: set one for the account in Settings → "
                             "Accounts → Voicemail."))
            return
        self.dial_requested.emit(*target)

    def tray_line(self) -> str:
        if not self.waiting:
            return ""
        count = self.new_messages
        if count:
            return translate("Voicemail", "Voicemail: %1 new").replace("%1", str(count))
        return translate("Voicemail", "Voicemail: new messages")

    def _refresh(self) -> None:
        count = self.new_messages
        if self.waiting and count:
            text = translate("Voicemail", "Voicemail (%1)").replace("%1", str(count))
        else:
            text = translate("Voicemail", "Voicemail")
        self.action.setText(text)
        lines = []
        for name, s in sorted(self.status.items()):
            lines.append(translate("Voicemail", "%1: %2 new, %3 old").replace("%1", name)
                         .replace("%2", str(s.new)).replace("%3", str(s.old)))
        tip = translate("Voicemail", "Call your voicemail")
        self.action.setToolTip("\n".join([tip, *lines]))
        font = self.button.font()
        font.setBold(self.waiting)
        self.button.setFont(font)
        # offered when there is a mailbox to call or messages wait
        self.available = bool(self.waiting or any(a.voicemail for a in self.accounts))
        self.action.setVisible(self.available)
        self.button.setVisible(self.available)
        self.changed.emit(count)
