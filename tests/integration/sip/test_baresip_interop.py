"""Signalling interop with baresip, an independent SIP stack: DTMF, hold and REFER from it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.harness.sip_peers import Baresip
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess

pytestmark = pytest.mark.integration


def _call_up(eng: EngineProcess, peer: Baresip) -> int:
    call_id = eng.command("dial", target=peer.uri)
    eng.wait_state(call_id, "confirmed")
    peer.wait_event("CALL_ESTABLISHED", 10.0)
    return int(call_id)


def test_dtmf_both_ways_with_baresip(make_engine: EngineFactory,
                                     make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob")
    eng = make_engine("alice")
    call_id = _call_up(eng, bob)

    mark = len(bob.events)
    eng.command("send_dtmf", call_id=call_id, digits="159#")
    for digit in "159#":
        bob.wait_event("CALL_DTMF_START", 10.0, since=mark, param=digit)
    got = [e["param"] for e in bob.events[mark:] if e.get("type") == "CALL_DTMF_START"]
    assert got == list("159#")

    mark = eng.mark()
    bob.send_dtmf("7*0")
    for digit in "7*0":
        eng.wait_event("DtmfReceived", 10.0, since=mark, call_id=call_id, digit=digit)
    got = [e["digit"] for e in eng.events[mark:] if e.get("event") == "DtmfReceived"]
    assert got == list("7*0")
    eng.command("hangup", call_id=call_id)
    bob.wait_event("CALL_CLOSED", 10.0)


def test_baresip_puts_us_on_hold(make_engine: EngineFactory,
                                 make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob")
    eng = make_engine("alice")
    call_id = _call_up(eng, bob)

    mark = eng.mark()
    bob.command("hold")
    eng.wait_event("CallStateChanged", 10.0, since=mark, call_id=call_id, remote_held=True)
    mark = eng.mark()
    bob.command("resume")
    ev = eng.wait_event("CallStateChanged", 10.0, since=mark, call_id=call_id,
                        remote_held=False)
    assert ev["state"] == "confirmed" and ev["held"] is False
    eng.command("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")


def test_baresip_transfers_us_to_a_third_phone(make_engine: EngineFactory,
                                               make_baresip: Callable[..., Baresip]) -> None:
    """We are the transferee: baresip sends REFER, we call carol and leave bob."""
    bob = make_baresip("bob")
    carol = make_baresip("carol", tone_hz=880)
    eng = make_engine("alice")
    call_id = _call_up(eng, bob)

    mark = eng.mark()
    bob.command("transfer", carol.uri)
    carol.wait_event("CALL_ESTABLISHED", 10.0)
    new = eng.wait_event("CallStateChanged", 10.0, since=mark, state="confirmed")
    assert new["call_id"] != call_id
    assert "carol" in new["remote_uri"]
    eng.wait_state(call_id, "disconnected", since=mark)
    bob.wait_event("CALL_CLOSED", 10.0)
    eng.command("hangup", call_id=new["call_id"])
    carol.wait_event("CALL_CLOSED", 10.0)
