"""Failures the user must see, never a frozen phone: dead registrar, unknown host, bad input."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.harness.ports import free_port
from tests.harness.sip_peers import Baresip, Kamailio
from tests.integration.sip.engine_proc import (
    DriverError,
    EngineFactory,
    EngineProcess,
    kamailio_account,
    lan_account,
)

pytestmark = pytest.mark.integration

FAST = 0.05  # a command must return within 50 ms, whatever the network does


@pytest.fixture
def blackhole() -> Iterator[socket.socket]:
    """A UDP port that receives SIP and never answers (a registrar that is down/firewalled)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", free_port()))
    sock.settimeout(10.0)
    yield sock
    sock.close()


def _pbx_account(host: str) -> dict[str, Any]:
    return {"name": "pbx", "address": f"sip:alice@{host}", "registrar": f"sip:{host}",
            "username": "alice", "password": "secret"}


def _commands_stay_fast(eng: EngineProcess, peer: Baresip) -> None:
    """While the pbx account is stuck, every command returns at once and LAN calls work.

    Each command is timed 3 times: the fastest must take < 50 ms (a command that waited on the
    network would take seconds every time) and none may take a second (load on a shared
    machine can delay one round trip, never all three).
    """
    timings: dict[str, list[float]] = {}

    def timed(cmd: str, **args: Any) -> Any:
        result, took = eng.timed(cmd, **args)
        timings.setdefault(cmd, []).append(took)
        return result

    call_ids = []
    for _ in range(3):
        timed("registration", name="pbx")
        timed("active_calls")
        timed("set_mute", muted=False)
        call_ids.append(timed("dial", target=peer.uri, account="LAN"))
    for call_id in call_ids:
        eng.wait_state(call_id, "confirmed")
        timed("hangup", call_id=call_id)
        eng.wait_state(call_id, "disconnected")
    slow = {name: [round(t * 1000, 1) for t in times] for name, times in timings.items()
            if min(times) >= FAST or max(times) >= 1.0}
    assert not slow, f"commands too slow (ms): {slow}"


def test_registrar_not_answering(blackhole: socket.socket, make_engine: EngineFactory,
                                 make_baresip: Callable[..., Baresip]) -> None:
    port = blackhole.getsockname()[1]
    peer = make_baresip("bob")
    t0 = time.monotonic()
    eng = make_engine("alice", accounts=[_pbx_account(f"127.0.0.1:{port}"), lan_account()])
    data, _ = blackhole.recvfrom(65535)
    assert data.startswith(b"REGISTER "), data[:80]

    _commands_stay_fast(eng, peer)

    # PJSIP's UDP transaction timeout (64*T1 = 32 s) ends it: failed, with a code.
    failed = eng.wait_event("RegistrationChanged", 45.0, account="pbx", state="failed")
    elapsed = time.monotonic() - t0
    assert failed["code"] in (408, 503), failed
    assert elapsed < 45.0
    reg = eng.command("registration", name="pbx")
    assert reg["state"] == "failed"


def test_registrar_host_does_not_resolve(make_engine: EngineFactory,
                                         make_baresip: Callable[..., Baresip]) -> None:
    peer = make_baresip("bob")
    eng = make_engine("alice", accounts=[_pbx_account("pbx.invalid"), lan_account()])
    _commands_stay_fast(eng, peer)
    failed = eng.wait_event("RegistrationChanged", 30.0, account="pbx", state="failed")
    assert failed["code"] != 200, failed
    assert failed["reason"], "the user must be told why"


def test_malformed_uri_sends_nothing_to_the_server(kamailio: Kamailio,
                                                   make_engine: EngineFactory) -> None:
    eng = make_engine("alice", accounts=[kamailio_account(kamailio, "alice")])
    eng.wait_event("RegistrationChanged", 10.0, account="alice", state="registered")
    took: list[float] = []
    for bad in ("sip:bob@@127.0.0.1", "sip:bo b@127.0.0.1", "<sip:bob", "sip:bob@127.0.0.1:0"):
        t0 = time.perf_counter()
        with pytest.raises(DriverError) as refused:
            eng.command("dial", target=bad)
        took.append(time.perf_counter() - t0)
        assert refused.value.error == "InvalidTarget", bad
    assert min(took) < FAST and max(took) < 1.0, took
    assert not eng.find_events("CallStateChanged")
    # the server saw the REGISTERs and nothing else; a good call then reaches it
    call_id = eng.command("dial", target=kamailio.aor("nobody"))
    assert eng.wait_state(call_id, "disconnected")["code"] == 404
    assert kamailio.received("REGISTER")
    invites = kamailio.received("INVITE")
    assert invites and all("sip:nobody@" in line for line in invites), invites
