"""The sound system dies mid-call (the JACK server is killed): the call goes on without sound,
the user is told, and the phone still hangs up and shuts down cleanly.

PortAudio 19.6 cannot recover a JACK stream whose server died (Pa_AbortStream, Pa_CloseStream
and Pa_Terminate spin forever), so the backend leaves PortAudio alone after that and asks the
user to restart; a device that vanishes under ALSA goes through close + re-scan + fallback
instead (not reproducible here: the machine has no sound card).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.harness.jack import JackServer
from tests.harness.sip_peers import Baresip
from tests.integration.audio.conftest import AudioEngineFactory, wait_call_stream

pytestmark = pytest.mark.integration


def test_sound_server_dies_mid_call(jack: JackServer, make_audio_engine: AudioEngineFactory,
                                    make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=440)
    eng = make_audio_engine("alice", log_level="INFO")
    call_id = int(eng.cmd("dial", target=bob.uri))
    eng.wait_state(call_id, "confirmed")
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    wait_call_stream(eng)

    mark = eng.mark()
    jack.stop()  # every JACK port vanishes: the device is gone
    lost = eng.wait_event("AudioDeviceNotice", 10.0, after=mark, kind="device_lost")
    assert lost["device"] == "system"
    told = eng.wait_event("AudioDeviceNotice", 10.0, after=mark, kind="unavailable")
    assert "restart" in told["message"].lower()
    assert eng.cmd("active_calls"), "the call must go on without sound"
    eng.cmd("send_dtmf", call_id=call_id, digits="1")  # the engine still answers commands

    eng.cmd("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
    bob.wait_event("CALL_CLOSED", 10.0)
    eng.close(timeout=15.0)
    assert eng.proc is not None and eng.proc.returncode == 0, eng.stderr()[-2000:]
