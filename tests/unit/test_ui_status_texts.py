"""What the window says of the phone's state, in its plain functions and small parts: the tray
icon's status and tooltip, the status bar's account line, the messages some engine events
become (English: the source language)."""

from __future__ import annotations

from typing import Any

from softphone.sip import events as ev
from softphone.ui.account_status import AccountStatus
from softphone.ui.engine_messages import event_message
from softphone.ui.tray import tray_status


def status(**kw: Any) -> tuple[str, str]:
    args: dict[str, Any] = {"account_state": "ok", "ringing": None, "talking": None,
                            "dnd": False, "missed": 0, "reminders": [], "attention": [],
                            "accounts": ""}
    return tray_status(**{**args, **kw})


def test_the_tray_shows_the_most_pressing_state_and_lists_them_all() -> None:
    assert status() == ("ok", "Softphone")
    assert status(account_state="failed")[0] == "failed"
    assert status(missed=2) == ("missed", "Softphone\nMissed calls: 2")
    assert status(account_state="failed", missed=2)[0] == "failed"  # worse than missed
    assert status(attention=["Voicemail: 1 new"])[0] == "missed"
    assert status(dnd=True, missed=2)[0] == "dnd"
    icon, tip = status(ringing="Anna", talking="Boris", dnd=True, missed=1,
                       reminders=["Call back Olga"], accounts="Office: registered")
    assert icon == "ringing"
    assert tip.split("\n") == ["Softphone", "Incoming call: Anna", "In call: Boris",
                               "Do not disturb is on", "Missed calls: 1", "Call back Olga",
                               "Office: registered"]


class Label:
    def __init__(self) -> None:
        self.text = ""

    def setText(self, text: str) -> None:
        self.text = text


def reg(account: str, state: ev.RegistrationState, code: int = 0,
        reason: str = "") -> ev.RegistrationChanged:
    return ev.RegistrationChanged(at=0.0, account=account, state=state, code=code,
                                  reason=reason)


def test_the_account_line_and_its_worst_state() -> None:
    label = Label()
    accounts = AccountStatus(label)  # type: ignore[arg-type]
    accounts.registration_changed(reg("Office", ev.RegistrationState.REGISTERED))
    accounts.registration_changed(reg("Home", ev.RegistrationState.FAILED, 403, "Forbidden"))
    assert label.text == "Office: registered; Home: failed (403 Forbidden)"
    assert accounts.state == "failed"
    accounts.accounts_changed({"Office"})  # Home is no longer configured: gone at once
    assert (label.text, accounts.state) == ("Office: registered", "ok")
    accounts.registration_changed(reg("Office", ev.RegistrationState.UNREGISTERED,
                                      reason="removed"))
    assert label.text == ""
    accounts.registration_changed(reg("LAN", ev.RegistrationState.LAN))
    accounts.registration_changed(reg("Pbx", ev.RegistrationState.REGISTERING))
    assert label.text == "LAN: ready (LAN); Pbx: registering…"


def test_engine_events_that_become_a_status_bar_message() -> None:
    forwarded = ev.CallForwarded(at=0.0, account="lan", remote_uri="sip:a@192.0.2.1",
                                 display_name="", number="+74950001122",
                                 target="sip:201@192.0.2.9", rule="busy")
    assert event_message(forwarded) == "Call from +74950001122 forwarded to sip:201@192.0.2.9"
    done = ev.TransferStatus(at=0.0, call_id=1, target="sip:201@192.0.2.9", code=200,
                             final=True)
    assert event_message(done) == "Transfer done"
    failed = ev.TransferStatus(at=0.0, call_id=1, target="x", code=486, final=True)
    assert event_message(failed) == "Transfer failed (486)"
    assert event_message(ev.TransferStatus(at=0.0, call_id=1, target="x", code=180,
                                           final=False)) is None
    assert event_message(reg("Office", ev.RegistrationState.REGISTERED)) is None
