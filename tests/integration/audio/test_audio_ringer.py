"""Ringer device vs call output, over real PortAudio streams on a JACK dummy server.

Under JACK every device is ``system``; the app's streams are told apart by their JACK ports
(``softphone:out_N``, N counting every stream the process opened) and by the backend's
``stream_info`` (which role has a stream open).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from softphone.sip.audio.tones import RING_NOTES_HZ, WAITING_HZ
from tests.harness.audio_analysis import rms
from tests.harness.jack import RATE, JackHarness, JackServer, band_level
from tests.harness.sip_peers import Baresip
from tests.integration.audio.conftest import AudioEngineFactory, wait_call_stream

pytestmark = pytest.mark.integration


def _out_ports(jack: JackServer) -> set[str]:
    return {p for p in jack.ports() if p.startswith("softphone:out_")}


def test_ringer_rings_alone_without_a_call_and_beeps_in_a_call(
        jack: JackServer, harness: JackHarness, make_audio_engine: AudioEngineFactory,
        make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=440)
    carol = make_baresip("carol", auto_answer=False, tone_hz=300)
    eng = make_audio_engine("alice", audio={"ring_volume": 1.0})
    me = f"sip:alice@{eng.listen}"

    # 1. No call: an incoming call rings on the ringer device only.
    mark = eng.mark()
    carol.dial(me)
    incoming = eng.wait_event("IncomingCall", 10.0, after=mark)
    assert incoming["waiting"] is False
    ringer_port = jack.wait_ports("softphone:out_")[0]
    jack.connect(ringer_port, harness.in_ports[0])
    rang = harness.snap(3.2)[:, 0]
    streams = eng.cmd("audio_stats")["stream_info"]
    assert set(streams) == {"ringer"}, f"only the ringer may be open, not {streams}"
    assert _out_ports(jack) == {ringer_port}, "the call output must stay closed (silent)"
    assert rms(rang) > 0.05, "the ringer device is silent"
    share = sum(band_level(rang, RATE, f) for f in RING_NOTES_HZ)
    assert share > 0.5, f"the ringer does not carry the ringtone ({share:.2f})"
    eng.cmd("reject", call_id=incoming["call_id"])
    eng.wait_state(incoming["call_id"], "disconnected")
    carol.wait_event("CALL_CLOSED", 10.0)

    # 2. In a call: a second incoming call beeps in the call output, the ringer stays closed.
    call_id = int(eng.cmd("dial", target=bob.uri))
    eng.wait_state(call_id, "confirmed")
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    wait_call_stream(eng)
    call_out = jack.wait_ports("softphone:out_", exclude={ringer_port})
    before = _out_ports(jack)
    assert len(call_out) == 1, f"one call output port expected, have {before}"
    jack.connect(call_out[0], harness.in_ports[1])
    mark = eng.mark()
    carol.dial(me)
    waiting = eng.wait_event("IncomingCall", 10.0, after=mark)
    assert waiting["waiting"] is True
    heard = harness.snap(4.2)
    streams = eng.cmd("audio_stats")["stream_info"]
    assert "ringer" not in streams, f"the ringer opened during a call: {streams}"
    assert _out_ports(jack) == before, "a new (ringer) port appeared during the call"
    beep = band_level(heard[:, 1], RATE, WAITING_HZ)
    assert beep > 0.01, f"no call-waiting beep in the call output ({beep:.3f})"
    assert band_level(heard[:, 1], RATE, 440) > 0.1, "the call itself went quiet"
    assert float(np.max(np.abs(heard[:, 0]))) < 1e-3, "the closed ringer port carried sound"
    eng.cmd("hangup", call_id=waiting["call_id"])
    eng.cmd("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
