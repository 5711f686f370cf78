"""The test peers themselves work (no engine involved): if these fail, blame the harness."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.harness.audio_analysis import assert_tone
from tests.harness.sip_peers import Baresip, Kamailio, Linphonec, sip_options_ping, wait_until

pytestmark = pytest.mark.integration


def _dumped_bytes(peer: Baresip) -> int:
    dumps = peer.decoded_dumps()
    return dumps[-1].stat().st_size if dumps else 0


def test_kamailio_answers_and_routes_between_baresips(
        kamailio: Kamailio, make_baresip: Callable[..., Baresip]) -> None:
    assert sip_options_ping(kamailio.host, kamailio.port) is not None
    bob = make_baresip("bob", register_with=kamailio, tone_hz=440)
    alice = make_baresip("alice", register_with=kamailio, tone_hz=880)
    assert kamailio.saved("bob") and kamailio.saved("alice")

    alice.dial(kamailio.aor("bob"))
    alice.wait_event("CALL_ESTABLISHED", 10.0)
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    mark = len(alice.events)
    bob.send_dtmf("5")
    alice.wait_event("CALL_DTMF_START", 10.0, since=mark, param="5")
    # let ~1 s of audio through: wait on what each side dumped, not on a clock
    wait_until(lambda: min(_dumped_bytes(alice), _dumped_bytes(bob)) > 20000, 10.0,
               "1 s of audio at both ends")
    alice.hangup()
    bob.wait_event("CALL_CLOSED", 10.0)
    assert kamailio.relayed("INVITE") and kamailio.relayed("BYE")
    # each heard the other's tone (sndfile dumps are complete once the call closed)
    assert_tone(bob.decoded_dumps()[-1], 880, seconds=0.5)
    assert_tone(alice.decoded_dumps()[-1], 440, seconds=0.5)


def test_linphonec_registers_and_answers(kamailio: Kamailio,
                                         make_baresip: Callable[..., Baresip],
                                         make_linphonec: Callable[..., Linphonec]) -> None:
    carol = make_linphonec("carol", register_with=kamailio, auto_answer=True)
    bob = make_baresip("bob", register_with=kamailio)
    bob.dial(kamailio.aor("carol"))
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    carol.wait_output(r"Call \d+ with .* connected")
    # linphonec ends it (a BYE that baresip sends to linphonec may go unanswered until
    # linphonec's next command, and baresip then waits for it when it quits)
    carol.send("terminate")
    bob.wait_event("CALL_CLOSED", 10.0)
