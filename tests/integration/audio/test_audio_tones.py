"""Local progress tones in the call output over real PortAudio/JACK: ringback while the far end
rings without early media, the busy tone when it refuses, DTMF key feedback in a call."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from softphone.sip.audio.tones import DTMF_HZ, RINGBACK_HZ
from tests.harness.audio_analysis import dominant_frequency, near
from tests.harness.jack import (
    RATE,
    JackHarness,
    JackServer,
    band_level,
    listen_to_app_outputs,
)
from tests.harness.sip_peers import Baresip
from tests.integration.audio.conftest import AudioEngineFactory, wait_call_stream

pytestmark = pytest.mark.integration




def test_ringback_then_busy(jack: JackServer, harness: JackHarness,
                            make_audio_engine: AudioEngineFactory,
                            make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", auto_answer=False)
    eng = make_audio_engine("alice")
    call_id = int(eng.cmd("dial", target=bob.uri))
    eng.wait_event("CallStateChanged", 10.0, call_id=call_id, state="early", code=180)
    listen_to_app_outputs(jack, harness, "an app output port to listen to")
    ringback = harness.snap(0.6)[:, 0]
    assert near(dominant_frequency(ringback, RATE), RINGBACK_HZ), "no ringback tone"

    mark = eng.mark()
    bob.hangup()  # refuses the ringing call: 486 Busy Here
    ended = eng.wait_event("CallStateChanged", 10.0, after=mark, call_id=call_id,
                           state="disconnected")
    assert ended["code"] == 486
    listen_to_app_outputs(jack, harness, "an app output port to listen to")
    busy = harness.snap(1.0)[:, 0]
    assert near(dominant_frequency(busy, RATE), RINGBACK_HZ), "no busy tone"


def test_dtmf_key_feedback_in_the_call_output(jack: JackServer, harness: JackHarness,
                                              make_audio_engine: AudioEngineFactory,
                                              make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=440)
    eng = make_audio_engine("alice")
    call_id = int(eng.cmd("dial", target=bob.uri))
    eng.wait_state(call_id, "confirmed")
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    wait_call_stream(eng)
    listen_to_app_outputs(jack, harness, "an app output port to listen to")
    harness.snap(0.2)
    eng.cmd("send_dtmf", call_id=call_id, digits="5")
    heard = harness.snap(1.0)[:, 0]
    low, high = DTMF_HZ["5"]
    assert band_level(heard, RATE, low) > 0.005 and band_level(heard, RATE, high) > 0.005
    eng.cmd("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
