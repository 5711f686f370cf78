"""Issue 13 in the window: Settings > Accounts > Advanced (NAT traversal, encrypted media;
the TURN password to the keyring), the ghost-call protection box, the call panel's padlock
from the workflow's figures, and the NAT type under the account's Test button."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from softphone.app import apply_settings
from softphone.secrets import SecretStore
from softphone.settings import AccountSettings, Settings, load_settings
from softphone.settings_network import turn_secret_name
from softphone.sip.events import CallMediaChanged, CallState, CallStateChanged, Direction
from softphone.sip.stun_check import NatReport

pytestmark = [pytest.mark.ui]


def _dialog(qtbot: Any, settings: Settings, passwords: dict[str, str | None]) -> Any:
    from softphone.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(settings, passwords)
    qtbot.addWidget(dialog)
    got: list[Any] = []
    dialog.accepted_settings.connect(lambda s, p: got.append((s, p)))
    dialog.got = got
    return dialog


def test_advanced_account_settings_go_to_the_file_and_the_turn_password_to_the_keyring(
        qtbot: Any, profile_dir: Path, app: Any) -> None:
    office = AccountSettings(name="Office", address="sip:1001@pbx.example.com",
                             registrar="sip:pbx.example.com")
    dialog = _dialog(qtbot, Settings(accounts=(office,)), {"Office": "s3cret"})
    adv = dialog.account_advanced
    assert not adv.isVisible()
    dialog.advanced_button.click()
    assert adv.isVisibleTo(dialog)
    adv.stun_server.setText("stun.example.org:3478")
    adv.turn_server.setText("turn.example.org")
    assert adv.ice.isChecked() and not adv.ice.isEnabled()  # TURN relays through ICE only
    adv.turn_username.setText("agent7")
    adv.turn_password.setText("turn-secret")
    adv.turn_transport.setCurrentText("tcp")
    adv.keepalive.setValue(25)
    adv.srtp.setCurrentIndex(adv.srtp.findData("off"))
    dialog._on_ok_clicked()
    settings, passwords = dialog.got[0]
    a = settings.accounts[0]
    assert (a.stun_server, a.ice, a.turn_server, a.turn_username, a.turn_transport,
            a.keepalive_seconds, a.srtp) == ("stun.example.org:3478", True,
                                             "turn.example.org", "agent7", "tcp", 25, "off")
    assert passwords[turn_secret_name("Office")] == "turn-secret"
    secrets = SecretStore(profile_dir)
    app.secrets = secrets
    engine, app.engine = app.engine, None  # the shared engine keeps its LAN account
    try:
        apply_settings(app, settings, passwords)
    finally:
        app.engine = engine
    text = (profile_dir / "softphone.toml").read_text()
    assert 'turn_server = "turn.example.org"' in text and "turn-secret" not in text
    assert tomllib.loads(text)["accounts"][0]["keepalive_seconds"] == 25
    assert secrets.get(turn_secret_name("Office")) == "turn-secret"
    assert load_settings(profile_dir).accounts[0].turn_username == "agent7"

    # opened again: what was saved is shown, the TURN password from the keyring
    again = _dialog(qtbot, load_settings(profile_dir),
                    {"Office": "s3cret", turn_secret_name("Office"): "turn-secret"})
    assert again.account_advanced.turn_server.text() == "turn.example.org"
    assert again.account_advanced.turn_password.text() == "turn-secret"


def test_bad_advanced_values_are_said_and_nothing_is_saved(qtbot: Any) -> None:
    office = AccountSettings(name="Office", address="sip:1001@pbx.example.com",
                             registrar="sip:pbx.example.com")
    dialog = _dialog(qtbot, Settings(accounts=(office,)), {})
    adv = dialog.account_advanced
    adv.srtp.setCurrentIndex(adv.srtp.findData("mandatory"))  # over UDP, keys only over TLS
    dialog._on_ok_clicked()
    assert dialog.got == [] and "TLS" in dialog.account_error.text()
    assert adv.isVisibleTo(dialog)  # opened to show where
    adv.srtp_require_tls.setChecked(False)
    adv.stun_server.setText("stun example org")
    dialog._on_ok_clicked()
    assert dialog.got == [] and "STUN server" in dialog.account_error.text()
    adv.stun_server.setText("")
    adv.public_address.setText("my router")
    dialog._on_ok_clicked()
    assert dialog.got == [] and "Public address" in dialog.account_error.text()
    adv.public_address.setText("203.0.113.7")
    dialog._on_ok_clicked()
    assert dialog.got and dialog.got[0][0].accounts[0].srtp == "mandatory"
    assert dialog.got[0][0].accounts[0].public_address == "203.0.113.7"


def test_ghost_call_protection_box(qtbot: Any) -> None:
    dialog = _dialog(qtbot, Settings(), {})
    assert dialog.only_from_my_servers.isChecked()  # on by default
    dialog.only_from_my_servers.setChecked(False)
    dialog._on_ok_clicked()
    assert dialog.got[0][0].calls.only_from_my_servers is False


def test_the_call_panel_shows_the_padlock_from_the_engines_media_event(qtbot: Any) -> None:
    from softphone.ui.call_panel import CallPanel
    from softphone.workflow import CallWorkflow
    from softphone.workflow_ports import SyncDbRunner
    from tests.unit.test_workflow import FakeStore

    updates: list[Any] = []
    workflow = CallWorkflow(SyncDbRunner(FakeStore()), updates.append)
    # a call the workflow follows, talking
    for state in (CallState.INCOMING, CallState.CONFIRMED):
        workflow.on_sip_event(CallStateChanged(
            at=0.0, call_id=7, account="office", direction=Direction.INCOMING, state=state,
            remote_uri="sip:100@pbx", display_name="", number="100"))
    panel = CallPanel()
    qtbot.addWidget(panel)
    for encryption, shown in (("SRTP AES_CM_128_HMAC_SHA1_80",
                               "\U0001F512 Encrypted (SRTP AES_CM_128_HMAC_SHA1_80)"),
                              ("", "Not encrypted")):
        workflow.on_sip_event(CallMediaChanged(at=0.0, call_id=7, active=True,
                                               encryption=encryption))
        call = updates[-1].call
        assert call.quality["encryption"] == (encryption or "none")
        panel.set_calls([call], 7)
        assert panel.encryption_label.text() == shown


def test_the_account_test_reports_the_nat_type(qtbot: Any) -> None:
    from softphone.ui.account_test import AccountTester

    tester = AccountTester(None)
    cone = NatReport("cone", public="198.51.100.2:4000",
                     filtering="address-and-port-dependent")
    assert tester.nat_text(cone) == (
        "NAT: cone NAT, a stable public address (198.51.100.2:4000): STUN is enough for "
        "calls; it lets in packets only from the exact address and port we sent to")
    assert "TURN relay" in tester.nat_text(NatReport("symmetric", public="198.51.100.2:1"))
    assert "cannot tell" in tester.nat_text(NatReport("nat", public="198.51.100.2:1"))
    assert "public address" in tester.nat_text(NatReport("open", public="203.0.113.5:1"))
    assert "no answer" in tester.nat_text(NatReport("blocked", server="stun.example:3478"))
    assert tester.nat_text(None) == ""
