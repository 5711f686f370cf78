"""Call audio through real PortAudio streams over a JACK dummy server, checked by frequency.

The harness JACK client plays 1 kHz into the app's capture port (our "microphone") and records
the app's playback ports; baresip answers, sends 440 Hz and dumps what it heard.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.harness.audio_analysis import dominant_frequency, loudest_window, near, read_wav
from tests.harness.jack import RATE, JackHarness, JackServer, band_level
from tests.harness.sip_peers import Baresip, wait_until
from tests.integration.audio.audio_driver import AudioEngineProcess
from tests.integration.audio.conftest import AudioEngineFactory, wait_call_stream

pytestmark = pytest.mark.integration

OUR_TONE = 1000.0
THEIR_TONE = 440


def _app_ports(jack: JackServer, kind: str) -> list[str]:
    return sorted(p for p in jack.ports() if p.startswith(f"softphone:{kind}_"))


def _call_up(eng: AudioEngineProcess, peer: Baresip) -> int:
    call_id = int(eng.cmd("dial", target=peer.uri))
    eng.wait_state(call_id, "confirmed")
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    wait_call_stream(eng)
    return call_id


def _wire(jack: JackServer, harness: JackHarness) -> tuple[str, str]:
    """Harness tone -> app's capture port; app's playback port -> harness in_0."""
    mic = jack.wait_ports("softphone:in_")[0]
    spk = jack.wait_ports("softphone:out_")[0]
    jack.connect(harness.out_port, mic)
    jack.connect(spk, harness.in_ports[0])
    return mic, spk


@pytest.mark.parametrize("path", ["c", "python"])
def test_call_audio_both_ways_over_jack(jack: JackServer, harness: JackHarness,
                                        make_audio_engine: AudioEngineFactory,
                                        make_baresip: Callable[..., Baresip], path: str) -> None:
    """Both ways through the compiled audio path (C PortAudio callback and bridge port) and,
    with it switched off as when it is not built, through the Python one."""
    if path == "c":
        from tests.unit.sip.test_audio_bridge import require_native

        require_native()
    bob = make_baresip("bob", tone_hz=THEIR_TONE)
    eng = make_audio_engine("alice", env_extra={"SOFTPHONE_NO_NATIVE_AUDIO": "1"}
                            if path == "python" else {})
    call_id = _call_up(eng, bob)
    _wire(jack, harness)

    heard = harness.snap(1.5)[:, 0]
    freq = dominant_frequency(heard[RATE // 2:], RATE)
    assert near(freq, THEIR_TONE), f"our speaker played {freq:.1f} Hz, not baresip's 440 Hz"

    stats: dict[str, Any] = eng.cmd("audio_stats")
    assert stats["backend"] == "PortAudioBackend"
    assert set(stats["stream_info"]) >= {"input", "output"}
    expected = {"streams": ["input", "output"], "port": True} if path == "c" else \
        {"streams": [], "port": False}
    assert stats["native"] == expected, f"the {path} audio path did not run"
    eng.cmd("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
    bob.wait_event("CALL_CLOSED", 10.0)

    dumps = bob.decoded_dumps()
    assert dumps, "baresip wrote no dump of what it heard"
    data, rate = read_wav(dumps[-1])
    far = dominant_frequency(loudest_window(data, rate, 1.0), rate)
    assert near(far, OUR_TONE), f"baresip heard {far:.1f} Hz, not our microphone's 1 kHz"
    # levels: the meters moved during the call
    levels = [e for e in eng.events if e.get("type") == "AudioLevels"]
    assert any(e["mic"] > 0.1 for e in levels) and any(e["speaker"] > 0.1 for e in levels)


def test_recording_holds_both_sides(jack: JackServer, harness: JackHarness,
                                    make_audio_engine: AudioEngineFactory,
                                    make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=THEIR_TONE)
    eng = make_audio_engine("alice")
    call_id = _call_up(eng, bob)
    _wire(jack, harness)
    harness.snap(0.3)  # the microphone tone is flowing before the recorder starts
    path = Path(eng.cmd("start_recording", call_id=call_id))
    wait_until(lambda: path.exists() and path.stat().st_size > 16000 * 2 * 2.0, 10.0,
               "2 s of recording")
    eng.cmd("stop_recording", call_id=call_id)
    eng.cmd("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")

    def finished() -> bool:  # the recorder is released (header final) on the SIP thread
        try:
            return len(read_wav(path)[0]) > 16000
        except (OSError, EOFError, wave.Error):
            return False

    wait_until(finished, 10.0, "the recording to be finalised")
    data, rate = read_wav(path)
    window = data[len(data) // 4:]
    ours, theirs = band_level(window, rate, OUR_TONE), band_level(window, rate, THEIR_TONE)
    assert ours > 0.1, f"our 1 kHz holds only {ours:.2f} of the recording"
    assert theirs > 0.1, f"baresip's 440 Hz holds only {theirs:.2f} of the recording"


def test_mute_sends_silence_and_zero_meter(jack: JackServer, harness: JackHarness,
                                           make_audio_engine: AudioEngineFactory,
                                           make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=THEIR_TONE)
    eng = make_audio_engine("alice")
    call_id = _call_up(eng, bob)
    _wire(jack, harness)
    harness.snap(0.5)
    eng.cmd("set_mute", muted=True)
    eng.wait_event("CallStateChanged", 5.0, call_id=call_id, muted=True)
    mark = eng.mark()
    harness.snap(1.0)
    after = [e for e in eng.events[mark + 2:] if e.get("type") == "AudioLevels"]
    assert after and all(e["mic"] == 0.0 for e in after)
    assert any(e["speaker"] > 0.1 for e in after), "the far end is still heard while muted"
