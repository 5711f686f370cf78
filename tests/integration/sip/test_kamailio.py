"""Engines registered with a real kamailio (digest auth) calling each other through it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.harness.sip_peers import Baresip, Kamailio
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess, kamailio_account

pytestmark = pytest.mark.integration


def _registered(make_engine: EngineFactory, k: Kamailio, user: str) -> EngineProcess:
    eng = make_engine(user, accounts=[kamailio_account(k, user)])
    ev = eng.wait_event("RegistrationChanged", 10.0, account=user, state="registered")
    assert ev["code"] == 200
    return eng


def _connect(caller: EngineProcess, callee: EngineProcess, target: str) -> tuple[int, int]:
    """Caller dials, callee answers; both CONFIRMED. Returns (caller's id, callee's id)."""
    mark = callee.mark()
    out_id = caller.command("dial", target=target)
    incoming = callee.wait_event("IncomingCall", 10.0, since=mark)
    in_id = incoming["call_id"]
    callee.command("answer", call_id=in_id)
    caller.wait_state(out_id, "confirmed")
    callee.wait_state(in_id, "confirmed")
    return out_id, in_id


def test_register_call_hold_dtmf_hangup(kamailio: Kamailio, make_engine: EngineFactory) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    bob = _registered(make_engine, kamailio, "bob")

    a_id, b_id = _connect(alice, bob, kamailio.aor("bob"))
    incoming = bob.find("IncomingCall", call_id=b_id)
    assert incoming is not None and incoming["number"] == "alice"
    assert kamailio.relayed("INVITE"), "the INVITE must go through kamailio"

    # hold and resume: our side says held, the other side says remote_held
    ma, mb = alice.mark(), bob.mark()
    alice.command("hold", call_id=a_id)
    alice.wait_event("CallStateChanged", 10.0, since=ma, call_id=a_id, held=True)
    bob.wait_event("CallStateChanged", 10.0, since=mb, call_id=b_id, remote_held=True)
    ma, mb = alice.mark(), bob.mark()
    alice.command("resume", call_id=a_id)
    alice.wait_event("CallStateChanged", 10.0, since=ma, call_id=a_id, held=False)
    bob.wait_event("CallStateChanged", 10.0, since=mb, call_id=b_id, remote_held=False)

    # DTMF both ways (RFC 4733)
    mb = bob.mark()
    alice.command("send_dtmf", call_id=a_id, digits="12#")
    for d in "12#":
        bob.wait_event("DtmfReceived", 10.0, since=mb, call_id=b_id, digit=d)
    ma = alice.mark()
    bob.command("send_dtmf", call_id=b_id, digits="9*")
    for d in "9*":
        alice.wait_event("DtmfReceived", 10.0, since=ma, call_id=a_id, digit=d)

    # bob hangs up: both DISCONNECTED, only bob's is a local hang-up
    bob.command("hangup", call_id=b_id)
    assert bob.wait_state(b_id, "disconnected")["local_hangup"] is True
    assert alice.wait_state(a_id, "disconnected")["local_hangup"] is False
    assert alice.command("active_calls") in ([], {}, None)


def test_wrong_password_fails_with_code(kamailio: Kamailio, make_engine: EngineFactory) -> None:
    eng = make_engine("mallory", accounts=[kamailio_account(kamailio, "mallory", "wrong")])
    ev = eng.wait_event("RegistrationChanged", 10.0, account="mallory", state="failed")
    assert ev["code"] in (401, 403, 407), ev


def test_unknown_user_404_reaches_caller(kamailio: Kamailio,
                                         make_engine: EngineFactory) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    call_id = alice.command("dial", target=kamailio.aor("nobody"))
    ev = alice.wait_state(call_id, "disconnected")
    assert ev["code"] == 404, ev


def test_blind_transfer_to_baresip(kamailio: Kamailio, make_engine: EngineFactory,
                                   make_baresip: Callable[..., Baresip]) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    bob = _registered(make_engine, kamailio, "bob")
    carol = make_baresip("carol", register_with=kamailio)

    a_id, b_id = _connect(alice, bob, kamailio.aor("bob"))
    ma, mb = alice.mark(), bob.mark()
    bob.command("transfer", call_id=b_id, target=kamailio.aor("carol"))

    # the transferee (alice) calls carol; carol (auto-answer) takes it
    carol.wait_event("CALL_ESTABLISHED", 10.0, direction="incoming")
    new = alice.wait_event("CallStateChanged", 10.0, since=ma, state="confirmed")
    assert new["call_id"] != a_id
    assert "carol" in new["remote_uri"]
    # the transferor hears the outcome and its call ends
    status = bob.wait_event("TransferStatus", 10.0, since=mb, call_id=b_id, final=True)
    assert status["code"] == 200, status
    bob.wait_state(b_id, "disconnected", since=mb)
    alice.wait_state(a_id, "disconnected", since=ma)
    assert kamailio.relayed("REFER")
    carol.hangup()
    alice.wait_state(new["call_id"], "disconnected", since=ma)


def test_attended_transfer(kamailio: Kamailio, make_engine: EngineFactory) -> None:
    alice = _registered(make_engine, kamailio, "alice")
    bob = _registered(make_engine, kamailio, "bob")
    carol = _registered(make_engine, kamailio, "carol")

    a_id, b_to_a = _connect(alice, bob, kamailio.aor("bob"))
    bob.command("hold", call_id=b_to_a)
    b_to_c, c_id = _connect(bob, carol, kamailio.aor("carol"))

    ma, mb, mc = alice.mark(), bob.mark(), carol.mark()
    bob.command("attended_transfer", call_id=b_to_a, consult_call_id=b_to_c)

    # alice now talks to carol on a new call that replaced carol's call with bob
    new_a = alice.wait_event("CallStateChanged", 10.0, since=ma, state="confirmed")
    assert new_a["call_id"] != a_id
    assert "carol" in new_a["remote_uri"]
    new_c = carol.wait_event("CallStateChanged", 10.0, since=mc, state="confirmed")
    assert new_c["call_id"] != c_id
    assert "alice" in new_c["remote_uri"]
    # bob is out of both calls
    bob.wait_state(b_to_a, "disconnected", since=mb)
    bob.wait_state(b_to_c, "disconnected", since=mb)
    alice.wait_state(a_id, "disconnected", since=ma)
    carol.wait_state(c_id, "disconnected", since=mc)

    alice.command("hangup", call_id=new_a["call_id"])
    carol.wait_state(new_c["call_id"], "disconnected", since=mc)


def test_fixed_password_registers_and_unregister_removes_binding(
        kamailio: Kamailio, make_engine: EngineFactory) -> None:
    bob = make_engine("bob", accounts=[kamailio_account(kamailio, "bob", "wrong")])
    bob.wait_event("RegistrationChanged", 10.0, account="bob", state="failed")
    assert not kamailio.saved("bob")

    mark = bob.mark()
    bob.command("set_accounts", accounts=[kamailio_account(kamailio, "bob")])
    ev = bob.wait_event("RegistrationChanged", 10.0, since=mark, account="bob",
                        state="registered")
    assert ev["code"] == 200 and kamailio.saved("bob")

    alice = _registered(make_engine, kamailio, "alice")
    a_id, b_id = _connect(alice, bob, kamailio.aor("bob"))
    bob.command("hangup", call_id=b_id)
    alice.wait_state(a_id, "disconnected")

    mark = bob.mark()
    bob.command("unregister", name="bob")
    bob.wait_event("RegistrationChanged", 10.0, since=mark, account="bob",
                   state="unregistered")
    call_id = alice.command("dial", target=kamailio.aor("bob"))
    assert alice.wait_state(call_id, "disconnected")["code"] == 404  # no binding any more


def test_caller_id_from_p_asserted_identity(kamailio: Kamailio, make_engine: EngineFactory,
                                            make_baresip: Callable[..., Baresip]) -> None:
    """kamailio adds ``P-Asserted-Identity: "Acme Ltd" <tel:+74951234567>`` to calls from
    user "trunk": the number shown is the asserted one, not the From user."""
    alice = _registered(make_engine, kamailio, "alice")
    trunk = make_baresip("trunk", register_with=kamailio, auto_answer=False)
    mark = alice.mark()
    trunk.dial(kamailio.aor("alice"))
    incoming = alice.wait_event("IncomingCall", 10.0, since=mark)
    assert incoming["number"] == "+74951234567", incoming
    assert incoming["display_name"] == "Acme Ltd", incoming
    alice.command("reject", call_id=incoming["call_id"], code=486)
    trunk.wait_event("CALL_CLOSED", 10.0)
    ev = alice.wait_state(incoming["call_id"], "disconnected")
    assert ev["code"] == 486, ev
