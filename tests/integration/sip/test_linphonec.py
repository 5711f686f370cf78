"""The engine against linphonec (liblinphone), a second independent SIP phone.

linphonec has no sound card here, so it sends no audio: these tests check signalling only.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.harness.sip_peers import Kamailio, Linphonec, wait_until
from tests.integration.sip.engine_proc import EngineFactory, kamailio_account

pytestmark = pytest.mark.integration


def test_call_linphonec_and_it_hangs_up(make_engine: EngineFactory,
                                        make_linphonec: Callable[..., Linphonec]) -> None:
    carol = make_linphonec("carol", auto_answer=True)
    eng = make_engine("alice")

    call_id = eng.command("dial", target=carol.uri)
    eng.wait_state(call_id, "confirmed")
    carol.wait_output(r"Call \d+ with .* connected")
    carol.send("terminate")  # linphonec prints nothing when a call ends
    ev = eng.wait_state(call_id, "disconnected")
    assert ev["local_hangup"] is False


def test_linphonec_calls_us_through_kamailio(kamailio: Kamailio, make_engine: EngineFactory,
                                             make_linphonec: Callable[..., Linphonec]) -> None:
    eng = make_engine("alice", accounts=[kamailio_account(kamailio, "alice")])
    eng.wait_event("RegistrationChanged", 10.0, account="alice", state="registered")
    carol = make_linphonec("carol", auto_answer=False, register_with=kamailio)

    mark = eng.mark()
    carol.send(f"call {kamailio.aor('alice')}")
    incoming = eng.wait_event("IncomingCall", 10.0, since=mark)
    assert incoming["number"] == "carol"
    assert incoming["account"] == "alice"
    eng.command("answer", call_id=incoming["call_id"])
    eng.wait_state(incoming["call_id"], "confirmed")
    carol.wait_output(r"Call \d+ with .* connected")
    assert kamailio.relayed("INVITE")

    eng.command("hangup", call_id=incoming["call_id"])
    eng.wait_state(incoming["call_id"], "disconnected")
    wait_until(lambda: kamailio.relayed("BYE"), 5.0, "kamailio to relay our BYE")
