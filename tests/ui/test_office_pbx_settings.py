"""The account's Voicemail and Colleagues fields in the settings dialog: saved to the file,
read back into the form, and a bad entry is refused without closing or losing what was typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from softphone.settings import load_settings

pytestmark = [pytest.mark.ui]


def test_voicemail_and_colleagues_fields(qtbot: Any, profile_dir: Path, app: Any) -> None:
    from softphone.app import apply_settings
    from softphone.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(app.settings, {})
    qtbot.addWidget(dialog)
    got: list[Any] = []
    dialog.accepted_settings.connect(lambda s, p: got.append((s, p)))
    dialog.add_account_button.click()
    dialog.acc_name.setText("Office")
    dialog.acc_address.setText("sip:100@pbx.example.com")
    dialog.acc_registrar.setText("sip:pbx.example.com")
    dialog.acc_voicemail.setText("*97")
    dialog.acc_colleagues.setText("101, 102; sip:anna@pbx.example.com, <nobody>")
    dialog._on_ok_clicked()
    assert not got and "<nobody>" in dialog.account_error.text()
    assert dialog.acc_colleagues.text().endswith("<nobody>")  # nothing typed is lost
    dialog.acc_colleagues.setText("101, 102; sip:anna@pbx.example.com, 101")
    dialog._on_ok_clicked()
    settings, passwords = got[0]
    office = settings.accounts[0]
    assert office.voicemail == "*97"
    assert office.colleagues == ("101", "102", "sip:anna@pbx.example.com")
    engine, app.engine = app.engine, None  # the shared engine keeps its LAN account
    try:
        apply_settings(app, settings, passwords)
    finally:
        app.engine = engine
    saved = load_settings(profile_dir).accounts[0]
    assert (saved.voicemail, saved.colleagues) == (office.voicemail, office.colleagues)
    # the window offers the mailbox now, and lists the colleagues (state unknown until told)
    window = app.window
    assert window.office_pbx.voicemail.button.isVisibleTo(window)
    assert [(c.name, c.state) for c in window.colleagues.colleagues] == [
        ("101", "unknown"), ("102", "unknown"), ("anna", "unknown")]
    again = SettingsDialog(app.settings, {})
    qtbot.addWidget(again)
    assert again.acc_voicemail.text() == "*97"
    assert again.acc_colleagues.text() == "101, 102, sip:anna@pbx.example.com"
