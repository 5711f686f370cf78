"""The first start: a short "Connect your phone" page on the phone tab while no account exists.

Either a SIP account (server, user, password, transport; Test shows the server's answer
inline, as in the settings), or "Just call colleagues on this network" (no server), or Skip.
Any of the three writes the settings (``[ui] first_start_page = false`` for the last two), so
the page is never shown again; an account in the settings hides it too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from softphone.settings import TRANSPORTS, AccountSettings, Settings
from softphone.ui.common import button, paint_button, plain_label
from softphone.ui.look import text_style

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def needs_first_start(settings: Settings) -> bool:
    return settings.ui.first_start_page and not settings.accounts


def account_from_form(server: str, user: str, transport: str) -> AccountSettings:
    """The account for ``user`` at ``server`` (``host`` or ``host:port``); ValueError with the
    sentence to show when a field is not usable."""
    server = server.strip()
    for prefix in ("sips:", "sip:"):
        if server.lower().startswith(prefix):
            server = server[len(prefix):]
    server = server.rstrip("/")
    user = user.strip()
    if not _HOST_PORT.match(server):
        raise ValueError("server")
    port = server.rsplit(":", 1)[1] if ":" in server and not server.endswith("]") else ""
    if port and not 0 < int(port) < 65536:
        raise ValueError("server")
    if not user or re.search(r"[\s@:;<>\"]", user):
        raise ValueError("user")
    host = server.split(":", 1)[0] if not server.startswith("[") else server
    return AccountSettings(name=host, address=f"sip:{user}@{server}",
                           registrar=f"sip:{server}", username=user, transport=transport)


class FirstStartPage(QWidget):
    """``settings_chosen(settings, passwords)`` carries what to save and apply."""

    settings_chosen = Signal(object, dict)
    test_requested = Signal(object)  # AccountSettings with the typed password

    def __init__(self, settings: Callable[[], Settings], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstStartPage")
        self._settings = settings  # the settings when the agent acts (they may change)
        self._focused = False
        outer = QVBoxLayout(self)
        outer.addWidget(plain_label(self.tr("Connect your phone"), self, bold=True, size=1.6,
                                    name="firstStartTitle"))
        outer.addWidget(plain_label(self.tr(
            "Enter the SIP account your provider or office PBX gave you."), self))
        box = QFrame(self)
        box.setFrameShape(QFrame.Shape.StyledPanel)
        form = QFormLayout(box)
        self.server = QLineEdit(box)
        self.server.setObjectName("firstServer")
        self.server.setPlaceholderText(self.tr("pbx.example.com or sip.provider.net:5060"))
        self.user = QLineEdit(box)
        self.user.setObjectName("firstUser")
        self.user.setPlaceholderText(self.tr("extension or login, e.g. 1001"))
        self.password = QLineEdit(box)
        self.password.setObjectName("firstPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.transport = QComboBox(box)
        self.transport.setObjectName("firstTransport")
        self.transport.addItems([t.upper() for t in TRANSPORTS])
        form.addRow(self.tr("&Server"), self.server)
        form.addRow(self.tr("&User"), self.user)
        form.addRow(self.tr("&Password"), self.password)
        form.addRow(self.tr("&Transport"), self.transport)
        self.error_label = plain_label("", box, name="firstError")
        self.error_label.hide()
        form.addRow(self.error_label)
        row = QHBoxLayout()
        self.test_button = button(self.tr("Test"), box, name="firstTest",
                                  shortcut="Ctrl+T",
                                  tooltip=self.tr("Register once with these settings"))
        self.test_label = plain_label("", box, name="firstTestResult")
        self.connect_button = button(self.tr("Save and connect"), box, name="firstConnect",
                                     tooltip=self.tr("Save the account and register"))
        paint_button(self.connect_button, "#2e7d32")
        self.connect_button.setDefault(True)
        row.addWidget(self.test_button)
        row.addWidget(self.test_label, 1)
        row.addWidget(self.connect_button)
        form.addRow(row)
        outer.addWidget(box)

        outer.addWidget(plain_label(self.tr("No server?"), self, bold=True))
        lan_row = QHBoxLayout()
        self.lan_button = button(self.tr("Just call colleagues on this network"), self,
                                 name="firstLan")
        self.lan_label = plain_label(self.tr(
            "No account needed: the phone calls other softphones and SIP phones on your "
            "local network directly."), self, name="firstLanText")
        lan_row.addWidget(self.lan_button)
        lan_row.addWidget(self.lan_label, 1)
        outer.addLayout(lan_row)
        skip_row = QHBoxLayout()
        skip_row.addStretch(1)
        self.skip_button = button(self.tr("Skip"), self, name="firstSkip",
                                  tooltip=self.tr("Decide later: Settings > Accounts"))
        skip_row.addWidget(self.skip_button)
        outer.addLayout(skip_row)
        outer.addStretch(1)

        self.test_button.clicked.connect(self._on_test_clicked)
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.lan_button.clicked.connect(self._on_no_account)
        self.skip_button.clicked.connect(self._on_no_account)
        for field in (self.server, self.user, self.password):
            field.returnPressed.connect(self._on_connect_clicked)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._focused:  # the first field, once the window shows the page
            self._focused = True
            self.server.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- the form -----------------------------------------------------------------------------
    def _account(self) -> AccountSettings | None:
        try:
            account = account_from_form(self.server.text(), self.user.text(),
                                        self.transport.currentText().lower())
        except ValueError as exc:
            if str(exc) == "server":
                self._error(self.tr("The server is a host name or address, with a port if "
                                    "needed: pbx.example.com or 192.0.2.10:5060."), self.server)
            else:
                self._error(self.tr("The user is the extension or login your provider gave "
                                    "you, without spaces or @."), self.user)
            return None
        self.error_label.hide()
        return account

    def _error(self, text: str, field: QLineEdit) -> None:
        self.error_label.setText(text)
        self.error_label.setStyleSheet(text_style("failed", self))
        self.error_label.show()
        field.setFocus()

    @Slot()
    def _on_test_clicked(self) -> None:
        account = self._account()
        if account is None:
            return
        self.test_label.setStyleSheet("")
        self.test_label.setText(self.tr("Testing…"))
        self.test_button.setEnabled(False)
        self.test_requested.emit(dataclasses.replace(
            account, password=self.password.text() or None))

    @Slot(str, bool)
    def show_test_result(self, text: str, ok: bool) -> None:
        self.test_button.setEnabled(True)
        self.test_label.setStyleSheet(text_style("talking" if ok else "failed", self))
        self.test_label.setText(text)

    @Slot()
    def _on_connect_clicked(self) -> None:
        account = self._account()
        if account is None:
            return
        if not self.password.text():
            self._error(self.tr("Enter the password (it is kept in the system keyring)."),
                        self.password)
            return
        settings = dataclasses.replace(self._settings(), accounts=(account,))
        self.settings_chosen.emit(settings, {account.name: self.password.text()})

    @Slot()
    def _on_no_account(self) -> None:
        settings = self._settings()
        ui = dataclasses.replace(settings.ui, first_start_page=False)
        self.settings_chosen.emit(dataclasses.replace(settings, ui=ui), {})


def attach_first_start(window: Any) -> FirstStartPage:
    """Show the page on the window's phone tab until the agent chooses; the choice goes the
    way of the settings dialog's OK (saved, passwords to the keyring, applied)."""
    from softphone.ui.account_test import AccountTester

    page = FirstStartPage(lambda: window.settings, window)
    tester = AccountTester(window.engine, page)
    page.test_requested.connect(lambda account: (setattr(tester, "engine", window.engine),
                                                 tester.test(account)))
    tester.finished.connect(page.show_test_result)

    def chosen(settings: Settings, passwords: dict[str, str | None]) -> None:
        window.settings_changed.emit(settings, passwords)
        window.phone_page.setCurrentWidget(window.idle_page)
        window.phone_page.removeWidget(page)
        page.deleteLater()
        window.first_start = None
        window.dial_field.setFocus()

    page.settings_chosen.connect(chosen)
    window.phone_page.addWidget(page)
    window.phone_page.setCurrentWidget(page)
    window.first_start = page
    return page
