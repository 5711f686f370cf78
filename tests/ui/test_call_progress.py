"""Calls that go out: progress in words (calling, ringing with early media, answered), the
failure's reason with its SIP code, Redial (button and Ctrl+R), "Call from another account",
the dial pad with the mouse alone, and the account a contact was last called from. Real
engine, real kamailio (registrar and proxy), real baresip phones, real store."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from softphone.settings import AccountSettings, Settings
from softphone.sip.events import CallState, RegistrationState
from softphone.ui.call_progress import failure_text
from tests.harness.sip_peers import PASSWORD, Kamailio
from tests.ui.conftest import db_call, lan_account

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio is not installed (see scripts/bootstrap)")
    with Kamailio(workdir=tmp_path / "kamailio") as k:
        yield k


def office_account(k: Kamailio) -> AccountSettings:
    return AccountSettings(name="Office", address=k.aor("alice"), registrar=k.uri,
                           username="alice", password=PASSWORD)


@pytest.fixture
def two_accounts(qtbot: Any, engine: Any, peer_port: int, kamailio: Kamailio,
                 settings: Settings) -> Iterator[tuple[AccountSettings, AccountSettings]]:
    """The session engine with the office account (kamailio) first, the LAN one second."""
    lan = dataclasses.replace(lan_account(f"127.0.0.1:{peer_port}"), name="LAN")
    office = office_account(kamailio)
    engine.set_accounts([office, lan])
    qtbot.waitUntil(lambda: getattr(engine.registration("Office"), "state", None)
                    is RegistrationState.REGISTERED, timeout=10_000)
    yield office, lan
    engine.set_accounts([lan_account(f"127.0.0.1:{peer_port}")])


def _with_accounts(settings: Settings, *accounts: AccountSettings) -> Settings:
    return dataclasses.replace(settings, accounts=tuple(
        dataclasses.replace(a, password=None) for a in accounts))


def _bar_text(window: Any) -> str:
    return str(window.outgoing.bar.text_label.text())


def _end_calls(qtbot: Any, window: Any) -> None:
    """Hang up every call the window shows (it shows them once the engine's events came)."""
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=10_000)
    for c in window.workflow.calls():
        window.phone.hangup(c.call_id)
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)


def test_failure_words_and_codes() -> None:
    assert failure_text(486, "busy") == "Busy (486)"
    assert failure_text(404, "failed") == "Number not found (404)"
    assert failure_text(480, "no_answer") == "No answer"
    assert failure_text(503, "failed") == "Server unavailable (503)"
    assert failure_text(403, "failed") == "Not allowed (403)"
    assert failure_text(408, "no_answer", rang=False) == "No answer from the server (408)"
    assert failure_text(487, "no_answer") == "Cancelled"
    assert failure_text(499, "failed") == "Call failed (499)"


def test_progress_early_media_then_answered(qtbot: Any, app: Any, make_baresip: Any,
                                            peer_port: int) -> None:
    peer = make_baresip(user="bob", auto_answer=False, port=peer_port)
    window = app.window
    bar = window.outgoing.bar
    window.dial_field.setText("bob")
    QTest.keyClick(window.dial_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bar.isVisible() and _bar_text(window) in (
        "Calling…", "Ringing…"), timeout=10_000)
    peer.wait_event("CALL_INCOMING", timeout=10)
    qtbot.waitUntil(lambda: _bar_text(window) == "Ringing…", timeout=10_000)
    assert not bar.redial_button.isVisible()
    peer.accept()
    qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking",
                    timeout=10_000)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)
    _end_calls(qtbot, window)


def test_early_media_is_said(qtbot: Any, app: Any, make_baresip: Any, peer_port: int) -> None:
    window = app.window
    # baresip's "early" answer mode: 183 Session Progress with SDP, its tone before the 200
    early = make_baresip(user="bob", auto_answer=False, port=peer_port, answer_mode="early")
    window.phone.dial("bob")
    qtbot.waitUntil(lambda: _bar_text(window) ==
                    "Ringing: the other side plays audio (early media)", timeout=10_000)
    call = window.workflow.calls()[0]
    assert call.early_media and call.state == CallState.EARLY
    early.accept()
    qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking",
                    timeout=10_000)
    _end_calls(qtbot, window)


def test_busy_shows_reason_and_redial_calls_again(qtbot: Any, app: Any, make_baresip: Any,
                                                  peer_port: int) -> None:
    peer = make_baresip(user="bob", auto_answer=False, port=peer_port)
    window = app.window
    bar = window.outgoing.bar
    window.phone.dial("bob")
    peer.wait_event("CALL_INCOMING", timeout=10)
    peer.hangup()  # baresip refuses a ringing call with 486 Busy Here
    qtbot.waitUntil(lambda: _bar_text(window) == "Busy (486)", timeout=10_000)
    assert bar.isVisible() and bar.redial_button.isVisible()
    assert not bar.other_account_button.isVisible()  # one account: nothing else to offer
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=5000)
    row = db_call(qtbot, app, lambda s: s.list_calls())[0]
    assert (row.outcome, row.sip_status) == ("busy", 486)

    since = len(peer.events)
    qtbot.mouseClick(bar.redial_button, Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_INCOMING", timeout=10, since=since)
    qtbot.waitUntil(lambda: _bar_text(window) == "Ringing…", timeout=10_000)
    peer.accept()
    qtbot.waitUntil(lambda: any(c.state == CallState.CONFIRMED
                                for c in window.workflow.calls()), timeout=10_000)
    _end_calls(qtbot, window)

    # the redial key: Ctrl+R calls the last number again
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=5000)
    since = len(peer.events)
    window.activateWindow()
    window.outgoing.redial_action.trigger()
    assert window.outgoing.redial_action.shortcut().toString() == "Ctrl+R"
    peer.wait_event("CALL_INCOMING", timeout=10, since=since)
    peer.hangup()
    qtbot.waitUntil(lambda: _bar_text(window) == "Busy (486)", timeout=10_000)


def test_dial_pad_with_the_mouse_only(qtbot: Any, app: Any, make_baresip: Any,
                                      peer_port: int) -> None:
    peer = make_baresip(user="+74955550011", auto_answer=True, port=peer_port)
    window = app.window
    window.tabs.setCurrentWidget(window.phone_page)
    pad = window.outgoing.pad
    qtbot.waitUntil(pad.isVisible, timeout=2000)
    for key in "+7495555001":
        qtbot.mouseClick(pad.keys[key], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.keys["2"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.backspace_button, Qt.MouseButton.LeftButton)  # a wrong key, undone
    qtbot.mouseClick(pad.keys["1"], Qt.MouseButton.LeftButton)
    assert window.dial_field.text() == "+74955550011"
    for key in ("*", "#"):
        assert pad.keys[key].text() == key
    qtbot.mouseClick(pad.call_button, Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=5000)
    call = window.workflow.calls()[0]
    assert call.remote_uri == f"sip:+74955550011@127.0.0.1:{peer.port}"
    assert window.dial_field.text() == ""
    _end_calls(qtbot, window)
    qtbot.waitUntil(lambda: window.phone_page.currentWidget() is window.wrapup, timeout=5000)
    qtbot.mouseClick(window.wrapup.skip_button, Qt.MouseButton.LeftButton)
    # Redial from the pad, with the mouse
    since = len(peer.events)
    qtbot.mouseClick(pad.redial_button, Qt.MouseButton.LeftButton)
    peer.wait_event("CALL_ESTABLISHED", timeout=10, since=since)
    _end_calls(qtbot, window)


@pytest.fixture
def office_settings(settings: Settings, kamailio: Kamailio, peer_port: int) -> Settings:
    lan = lan_account(f"127.0.0.1:{peer_port}")
    return _with_accounts(settings, office_account(kamailio), lan)


def test_reasons_from_the_server_and_call_from_another_account(
        qtbot: Any, engine: Any, kamailio: Kamailio, make_baresip: Any, peer_port: int,
        two_accounts: Any, app_factory: Any, office_settings: Settings) -> None:
    app = app_factory(office_settings)
    window = app.window
    bar = window.outgoing.bar
    assert window.outgoing.chooser.isVisible()
    assert [window.outgoing.chooser.itemText(i) for i in range(2)] == ["Office", "LAN"]

    for number, words in (("forbidden", "Not allowed (403)"),
                          ("unavailable", "Server unavailable (503)"),
                          ("nobody", "Number not found (404)")):
        window.phone.dial(number)
        qtbot.waitUntil(lambda words=words: _bar_text(window) == words, timeout=15_000)
        qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=5000)
        assert "Office" in bar.who_label.text()
    # the number exists on the other account: try it there, with two clicks
    peer = make_baresip(user="nobody", auto_answer=True, port=peer_port)
    assert bar.other_account_button.isVisible()
    actions = bar.other_account_menu.actions()
    assert [a.text() for a in actions] == ["LAN"]
    actions[0].trigger()
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=5000)
    call = window.workflow.calls()[0]
    assert call.account == "LAN"
    assert call.remote_uri == f"sip:nobody@127.0.0.1:{peer.port}"
    _end_calls(qtbot, window)


def test_account_chosen_per_contact_is_remembered(qtbot: Any, engine: Any,
                                                  kamailio: Kamailio, make_baresip: Any,
                                                  peer_port: int, two_accounts: Any,
                                                  app_factory: Any,
                                                  office_settings: Settings) -> None:
    lan_peer = make_baresip(user="+74955550022", auto_answer=True, port=peer_port)
    app = app_factory(office_settings)
    window = app.window
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Dana Lee", phones=[("+7 495 555-00-22", "work")]))
    chooser = window.outgoing.chooser
    assert chooser.currentText() == "Office"  # the first account is the default
    # the agent picks LAN for this contact's call
    chooser.setCurrentText("LAN")
    chooser.activated.emit(chooser.currentIndex())
    window.phone.dial("+74955550022", contact.id)
    lan_peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=5000)
    assert window.workflow.calls()[0].account == "LAN"
    qtbot.waitUntil(lambda: window.outgoing.memory.get(contact.id) == "LAN", timeout=5000)
    _end_calls(qtbot, window)
    memory_file = app.profile / "accounts-by-contact.json"
    qtbot.waitUntil(memory_file.exists, timeout=5000)
    assert json.loads(memory_file.read_text()) == {str(contact.id): "LAN"}
    chooser.setCurrentText("Office")  # shown for other numbers; the contact keeps LAN

    # next time (from the contact card, no choice made) the call leaves from LAN again
    window.tabs.setCurrentWidget(window.contacts)
    card = window.contacts.card
    window.contacts.open_contact(contact.id)
    qtbot.waitUntil(lambda: card.contact is not None and bool(card.phone_buttons),
                    timeout=5000)
    since = len(lan_peer.events)
    qtbot.mouseClick(card.phone_buttons[0], Qt.MouseButton.LeftButton)
    lan_peer.wait_event("CALL_ESTABLISHED", timeout=10, since=since)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=5000)
    assert window.workflow.calls()[0].account == "LAN"
    _end_calls(qtbot, window)


def test_redial_after_a_restart_uses_the_call_log(qtbot: Any, app: Any, make_baresip: Any,
                                                  peer_port: int, app_factory: Any) -> None:
    peer = make_baresip(user="bob", auto_answer=True, port=peer_port)
    app.window.phone.dial("bob")
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    _end_calls(qtbot, app.window)
    peer.wait_event("CALL_CLOSED", timeout=10)
    qtbot.waitUntil(lambda: db_call(qtbot, app, lambda s: s.list_calls())[0].outcome
                    == "answered", timeout=5000)
    restarted = app_factory(close_first=app)
    assert restarted.window.phone.last_dialled is None
    since = len(peer.events)
    restarted.window.outgoing.redial_action.trigger()
    qtbot.waitUntil(lambda: bool(restarted.window.workflow.calls()), timeout=5000)
    peer.wait_event("CALL_ESTABLISHED", timeout=10, since=since)
    qtbot.waitUntil(lambda: bool(restarted.window.workflow.calls()), timeout=5000)
    call = restarted.window.workflow.calls()[0]
    assert call.remote_uri == f"sip:bob@127.0.0.1:{peer.port}"
    _end_calls(qtbot, restarted.window)
