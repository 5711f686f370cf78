"""The settings dialog writes softphone.toml and the password store; do-not-disturb on the
real engine declines a real call, which is logged and lands in the missed inbox."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from softphone.app import apply_settings
from softphone.secrets import SecretStore
from softphone.settings import load_settings
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui]


def test_settings_dialog_saves_file_and_password(qtbot: Any, app: Any,
                                                 profile_dir: Path) -> None:
    app.secrets = SecretStore(profile_dir)
    window = app.window
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    dialog.auto_answer.setChecked(True)
    dialog.outcomes.setText("Sold, Lost, Later")
    dialog.region.setText("de")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    data = tomllib.loads((profile_dir / "softphone.toml").read_text())
    assert data["calls"]["auto_answer"] is True
    assert data["calls"]["outcomes"] == ["Sold", "Lost", "Later"]
    assert data["crm"]["default_region"] == "DE"
    assert load_settings(profile_dir).calls.auto_answer
    assert window.statusBar().currentMessage() == "Settings saved"
    # undo auto-answer on the shared engine
    apply_settings(app, load_settings(profile_dir).__class__(), {})


def test_settings_dialog_accounts_go_to_file_and_keyring(qtbot: Any, profile_dir: Path,
                                                         app: Any) -> None:
    from softphone.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(app.settings, {})
    qtbot.addWidget(dialog)
    got: list[Any] = []
    dialog.accepted_settings.connect(lambda s, p: got.append((s, p)))
    dialog.add_account_button.click()
    dialog.acc_name.setText("Office")
    dialog.acc_address.setText("sip:1001@pbx.example.com")
    dialog.acc_registrar.setText("sip:pbx.example.com")
    dialog.acc_password.setText("s3cret")
    dialog._on_ok_clicked()
    settings, passwords = got[0]
    assert [a.name for a in settings.accounts] == ["Office"]
    assert passwords["Office"] == "s3cret"
    assert all(v is None for k, v in passwords.items() if k != "Office")
    secrets = SecretStore(profile_dir)
    app.secrets = secrets
    engine, app.engine = app.engine, None  # the shared engine keeps its LAN account
    try:
        apply_settings(app, settings, passwords)
    finally:
        app.engine = engine
    text = (profile_dir / "softphone.toml").read_text()
    assert "pbx.example.com" in text and "s3cret" not in text
    assert secrets.get("Office") == "s3cret"


@pytest.mark.integration
def test_do_not_disturb_declines_and_logs(qtbot: Any, app: Any, engine: Any,
                                          make_baresip: Any) -> None:
    window = app.window
    window.dnd_action.setChecked(True)
    peer = make_baresip(user="+74957770000", auto_answer=False)
    peer.dial(engine_uri(engine))
    peer.wait_event("CALL_CLOSED", timeout=10)
    assert not window.cards

    def logged() -> bool:
        rows = db_call(qtbot, app, lambda s: s.list_calls())
        return bool(rows) and rows[0].outcome == "missed"

    qtbot.waitUntil(logged, timeout=5000)
    qtbot.waitUntil(lambda: len(window.missed.items) == 1, timeout=5000)
    window.dnd_action.setChecked(False)
