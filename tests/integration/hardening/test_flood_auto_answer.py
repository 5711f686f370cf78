"""Issue 14.3: auto-answer keeps answering real calls after hostile traffic.

An engine registered with kamailio, ``auto_answer = true``, receives hostile traffic on its
SIP port from one loopback address (allowed by ghost-call protection: kamailio is on loopback
too, so nothing here is refused for its source); then a real call from baresip through
kamailio must be answered by itself, at the first attempt, as it is without the traffic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness.sip_flood import flood_udp, scanner_invites
from tests.harness.sip_peers import Baresip, Kamailio
from tests.integration.hardening.conftest import need
from tests.integration.sip.engine_proc import EngineProcess, kamailio_account

# The scenario: the real call came 40 s after the traffic. The phone must be idle
# again by then (whatever the traffic left ringing or half-answered has ended).
IDLE_WITHIN = 40.0


@pytest.fixture
def caller(tmp_path: Path, kamailio: Kamailio) -> Iterator[Baresip]:
    """bob: a real phone registered with the same kamailio (no auto-answer of its own)."""
    need("baresip")
    bob = Baresip(user="bob", auto_answer=False, register_with=kamailio,
                  workdir=tmp_path / "baresip-bob")
    try:
        yield bob.start()
    finally:
        bob.stop()


def _agent(k: Kamailio, make_engine: Callable[..., EngineProcess]) -> EngineProcess:
    alice = make_engine("alice", accounts=[kamailio_account(k, "alice")],
                        calls={"auto_answer": True})
    alice.wait_event("RegistrationChanged", 10.0, account="alice", state="registered")
    return alice


def _real_call_is_auto_answered(k: Kamailio, alice: EngineProcess, bob: Baresip,
                                redial_within: float = 0.0) -> float:
    """bob calls alice; alice must answer by herself. Returns seconds to CONFIRMED.

    ``redial_within``: for that long after the first try, bob redials when the call is
    refused before it rings (pjsua has 4 call slots; a burst of thousands of INVITEs fills
    them for a moment); every call that rings must be answered by itself."""
    t0 = time.monotonic()
    pause = threading.Event()  # never set: a person redials about once a second
    attempts = 0
    while True:
        attempts += 1
        mark, bob_mark = alice.mark(), len(bob.events)
        bob.dial(k.aor("alice"))
        outcome = bob.wait_for_any(("CALL_RINGING", "CALL_ESTABLISHED", "CALL_CLOSED"),
                                   15.0, since=bob_mark)
        if outcome["type"] != "CALL_CLOSED":
            break
        assert time.monotonic() - t0 < redial_within, (
            f"bob's call was refused before it rang ({attempts} tries): {outcome}")
        pause.wait(1.0)
    incoming = alice.wait_for(
        lambda e: e.get("event") == "IncomingCall" and "bob" in e.get("remote_uri", ""),
        15.0, "bob's call to ring", mark)
    confirmed = alice.wait_state(incoming["call_id"], "confirmed", 10.0, since=mark)
    bob.wait_event("CALL_ESTABLISHED", 10.0, since=bob_mark)
    seconds = time.monotonic() - t0
    assert confirmed["direction"] == "in"
    print(f"bob's call (try {attempts}) was answered by itself "
          f"{seconds:.2f} s after the first try")
    bob.hangup()
    alice.wait_state(incoming["call_id"], "disconnected", 10.0, since=mark)
    return seconds


def _wait_idle(alice: EngineProcess, within: float) -> float:
    """Seconds until the engine has no call left (ringing, half-answered or talking)."""
    t0 = time.monotonic()
    pause = threading.Event()  # never set: polls the engine's call list
    while calls := alice.command("active_calls"):
        left = [(c["call_id"], c["state"], c["remote_uri"]) for c in calls]
        assert time.monotonic() - t0 < within, (
            f"calls still up {within:.0f} s after the traffic: {left}")
        pause.wait(0.2)
    return time.monotonic() - t0


def test_after_hostile_datagrams_auto_answer_answers_the_real_call(
        kamailio: Kamailio, make_engine: Callable[..., EngineProcess], caller: Baresip) -> None:
    alice = _agent(kamailio, make_engine)
    host, port = alice.command("listen_address").rsplit(":", 1)
    report = flood_udp(host, int(port), count=3000, max_seconds=60.0)
    print(f"\nhostile datagrams at {host}:{port}: {report.line()}")
    assert report.sent == 3000
    idle = _wait_idle(alice, IDLE_WITHIN)
    print(f"no call left {idle:.1f} s after the traffic")
    _real_call_is_auto_answered(kamailio, alice, caller, redial_within=20.0)


def test_after_a_scanner_auto_answer_answers_the_real_call(
        kamailio: Kamailio, make_engine: Callable[..., EngineProcess], caller: Baresip) -> None:
    alice = _agent(kamailio, make_engine)
    host, port = alice.command("listen_address").rsplit(":", 1)
    report = scanner_invites(host, int(port), count=20, seconds=4.0)
    print(f"\nscanner INVITEs at {host}:{port}: {report.line()}")
    # Right after the scanner (the ghosts were still up then): at the first try.
    _real_call_is_auto_answered(kamailio, alice, caller)


def test_ghost_calls_from_outside_never_ring(
        kamailio: Kamailio, make_engine: Callable[..., EngineProcess], caller: Baresip) -> None:
    """only_from_my_servers (default on): a scanner that is not kamailio (127.0.0.2; the
    account has no LAN side) gets 403 for every INVITE, nothing rings, one log line; the real
    call through kamailio right after is auto-answered."""
    alice = _agent(kamailio, make_engine)
    host, port = alice.command("listen_address").rsplit(":", 1)
    mark = alice.mark()
    report = scanner_invites(host, int(port), count=20, seconds=4.0, source="127.0.0.2")
    print(f"\nscanner INVITEs from 127.0.0.2: {report.line()}; answers {dict(report.answers)}")
    # every INVITE refused (the 403s are retransmitted: the scanner never ACKs), none rang
    assert report.answers["403"] >= 20
    assert not {"180", "183", "200"} & set(report.answers), report.answers
    assert alice.events[mark:] == [], "a ghost call reached the phone's events"
    refused = [ln for ln in alice.stderr().splitlines() if "refused a call from" in ln]
    assert len(refused) == 1 and "127.0.0.2" in refused[0], refused
    _real_call_is_auto_answered(kamailio, alice, caller)
