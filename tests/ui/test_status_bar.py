"""The status bar (issue 14 item 13): a removed account leaves it at once, on the real engine;
a long message is elided in its own place (the whole text in its tooltip) and never runs
under the account status, in a narrow window."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from softphone.app import apply_settings
from softphone.settings import AccountSettings
from softphone.sip import events as ev
from tests.harness.ports import free_port
from tests.ui.conftest import lan_account

pytestmark = [pytest.mark.ui]


def test_removed_account_leaves_the_status_bar(qtbot: Any, app: Any, engine: Any,
                                               peer_port: int) -> None:
    window = app.window
    removed: list[Any] = []
    app.bridge.sip_event.connect(
        lambda e: removed.append(e) if isinstance(e, ev.RegistrationChanged)
        and e.account == "Office" and e.reason == "removed" else None)
    # a registrar that never answers: the account stays "registering" / "failed"
    office = AccountSettings(name="Office", address="sip:1001@127.0.0.1",
                             registrar=f"sip:127.0.0.1:{free_port()}")
    lan = lan_account(f"127.0.0.1:{peer_port}")
    try:
        apply_settings(app, dataclasses.replace(app.settings, accounts=(lan, office)), {})
        qtbot.waitUntil(lambda: "Office:" in window.account_label.text(), timeout=10_000)
        apply_settings(app, dataclasses.replace(app.settings, accounts=(lan,)), {})
        assert "Office" not in window.account_label.text()  # at once
        qtbot.waitUntil(lambda: bool(removed), timeout=10_000)  # the engine's last word on it
        assert "Office" not in window.account_label.text()
        assert "Office" not in window.account_label.toolTip()
    finally:
        engine.set_accounts([lan])


def status_labels(window: Any) -> list[QLabel]:
    return [w for w in window.statusBar().findChildren(QLabel) if w.isVisible()]


def test_long_message_is_elided_and_never_overlaps_the_account_status(
        qtbot: Any, app: Any) -> None:
    window = app.window
    window.resize(640, 400)
    for name in ("Office", "Home office", "Provider backup"):
        window.on_sip_event(ev.RegistrationChanged(
            at=time.time(), account=name, state=ev.RegistrationState.FAILED, code=408,
            reason="Request Timeout"))
    message = ("Settings saved, but start at login was not changed: the autostart "
               "directory /home/someone/.config/autostart is not writable (Permission "
               "denied); fix its permissions and try again")
    window.show_message(message)
    qtbot.waitUntil(lambda: any(lbl.toolTip() == message for lbl in status_labels(window)),
                    timeout=2000)
    shown = next(lbl for lbl in status_labels(window) if lbl.toolTip() == message)
    assert window.statusBar().currentMessage() == message
    painted = shown.shown_text() if hasattr(shown, "shown_text") else QLabel.text(shown)
    assert painted.endswith("…") and message.startswith(painted[:-1])
    assert shown.fontMetrics().horizontalAdvance(painted) <= shown.contentsRect().width()
    account = window.account_label
    assert account.isVisible() and "Provider backup" in account.text()
    assert not shown.geometry().intersects(account.geometry())
    assert shown.geometry().right() < account.geometry().left()
    for widget in (account, window.dnd_button, window.settings_button):
        assert not shown.geometry().intersects(widget.geometry())
    # the account status, squeezed too, elides and offers the whole text
    if account.shown_text() != account.text():
        assert account.toolTip() == account.text()
