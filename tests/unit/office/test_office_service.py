"""The office glue without the network: listen addresses and the state our calls imply."""

from __future__ import annotations

import pytest

from softphone.office.service import CallActivity, Office, split_listen
from softphone.settings import CallSettings, Settings
from softphone.sip.events import CallState, CallStateChanged, Direction, IncomingCall


def _state(call_id: int, state: CallState, direction: Direction = Direction.OUTGOING
           ) -> CallStateChanged:
    return CallStateChanged(at=0.0, call_id=call_id, account="LAN", direction=direction,
                            state=state, remote_uri="sip:102@10.0.0.2", display_name="",
                            number="102")


def test_split_listen() -> None:
    assert split_listen("10.0.0.5:5060") == ("10.0.0.5", 5060)
    assert split_listen("[fd00::1]:5062") == ("fd00::1", 5062)
    with pytest.raises(ValueError):
        split_listen("10.0.0.5")


def test_calls_drive_the_presence_state() -> None:
    a = CallActivity()
    assert a.state == "available"
    assert a.on_sip_event(IncomingCall(at=0.0, call_id=1, account="LAN", remote_uri="sip:x@y",
                                       display_name="", number="x")) is False
    assert a.on_sip_event(_state(1, CallState.INCOMING, Direction.INCOMING)) is False
    assert a.on_sip_event(_state(1, CallState.EARLY, Direction.INCOMING)) is False
    assert a.state == "available"  # ringing here is not "in a call"
    assert a.on_sip_event(_state(1, CallState.CONFIRMED, Direction.INCOMING)) is True
    assert a.state == "in_call"
    assert a.on_sip_event(_state(2, CallState.CALLING)) is False  # still in_call
    assert a.on_sip_event(_state(1, CallState.DISCONNECTED, Direction.INCOMING)) is False
    assert a.on_sip_event(_state(2, CallState.DISCONNECTED)) is True
    assert a.state == "available"
    a.dnd = True
    assert a.state == "dnd"


def test_office_without_lan_account_or_shared_db_does_nothing() -> None:
    from softphone.settings import AccountSettings

    pbx = AccountSettings(name="PBX", address="sip:200@pbx", registrar="sip:pbx")
    office = Office(Settings(accounts=(pbx,), calls=CallSettings(dnd=True)),
                    listen="10.0.0.5:5060", on_colleagues=lambda _: None)
    office.start()
    assert office.presence is None and office.feed is None and office.problems == []
    assert office.activity.state == "dnd"
    office.on_sip_event(_state(1, CallState.CONFIRMED))
    office.stop()
