"""Opus with independent phones that offer and accept Opus only: baresip (``opus.so``) and
linphonec (mediastreamer2's Opus). The call must connect on Opus and each side must hear the
other's tone at the right frequency.

The engine plays a 1000 Hz tone into the call (the driver's test backend) and records the
call (16 kHz, both directions mixed); baresip sends 440 Hz and dumps what it decodes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.audio_analysis import band_share, loudest_window, read_wav
from tests.harness.sip_peers import Baresip, Linphonec, wait_until
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess

pytestmark = pytest.mark.integration

THEIR_TONE = 440
OUR_TONE = 1000
OPUS_ONLY = "opus/48000/2"


def _share(path: Path, hz: float) -> float:
    data, rate = read_wav(path)
    return band_share(loudest_window(data, rate, 1.0), rate, hz)


def _record(eng: EngineProcess, call_id: int, seconds: float = 2.0) -> Path:
    path = Path(eng.command("start_recording", call_id=call_id))
    wait_until(lambda: path.exists() and path.stat().st_size > 44 + 16000 * 2 * seconds, 15.0,
               f"{seconds} s of recording")
    eng.command("stop_recording", call_id=call_id)
    eng.wait_event("RecordingFinished", 5.0, call_id=call_id)
    return path


def _opus_baresip(make_baresip: Callable[..., Baresip], **kw: object) -> Baresip:
    return make_baresip("bob", tone_hz=THEIR_TONE, codecs=OPUS_ONLY, modules=("opus.so",),
                        **kw)


def _assert_quality_names_opus(eng: EngineProcess, call_id: int) -> None:
    quality = eng.wait_event("CallQuality", 10.0, call_id=call_id)
    assert quality["codec"].lower().startswith("opus/48000"), quality


def test_we_call_baresip_on_opus_and_both_hear_the_tones(
        make_engine: EngineFactory, make_baresip: Callable[..., Baresip]) -> None:
    bob = _opus_baresip(make_baresip)
    eng = make_engine("alice", tone_hz=OUR_TONE)
    call_id = eng.command("dial", target=bob.uri)
    eng.wait_state(call_id, "confirmed")
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    path = _record(eng, call_id)
    eng.command("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
    bob.wait_event("CALL_CLOSED", 10.0)
    _assert_quality_names_opus(eng, call_id)

    assert _share(path, THEIR_TONE) > 0.2, "baresip's 440 Hz is not in our recording"
    dumps = bob.decoded_dumps()
    assert dumps, "baresip wrote no dump of what it heard"
    assert _share(dumps[-1], OUR_TONE) > 0.5, "baresip did not hear our 1000 Hz over Opus"
    assert "opus" in bob.log().lower()


def test_baresip_calls_us_on_opus_and_both_hear_the_tones(
        make_engine: EngineFactory, make_baresip: Callable[..., Baresip]) -> None:
    eng = make_engine("alice", tone_hz=OUR_TONE)
    bob = _opus_baresip(make_baresip, auto_answer=False)
    mark = eng.mark()
    bob.dial(f"sip:alice@{eng.listen}")
    call_id = eng.wait_event("IncomingCall", 10.0, since=mark)["call_id"]
    eng.command("answer", call_id=call_id)
    eng.wait_state(call_id, "confirmed")
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    path = _record(eng, call_id)
    eng.command("hangup", call_id=call_id)
    bob.wait_event("CALL_CLOSED", 10.0)
    _assert_quality_names_opus(eng, call_id)

    assert _share(path, THEIR_TONE) > 0.2, "baresip's 440 Hz is not in our recording"
    dumps = bob.decoded_dumps()
    assert dumps and _share(dumps[-1], OUR_TONE) > 0.5, "baresip did not hear our 1000 Hz"


def _sine(tmp_path: Path, hz: int) -> Path:
    tone = tmp_path / f"tone{hz}.wav"
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(tone),
                    "synth", "30", "sine", str(hz)], check=True, timeout=30)
    return tone


def _linphonec_hears(carol: Linphonec, tmp_path: Path) -> Path:
    """What linphonec decodes, recorded to a WAV by its own ``record`` command."""
    heard = tmp_path / "linphonec-heard.wav"
    carol.send(f"record {heard}")
    wait_until(lambda: heard.exists() and heard.stat().st_size > 44 + 8000 * 2 * 2, 15.0,
               "linphonec to record 2 s")
    return heard


@pytest.mark.parametrize("we_call", [True, False], ids=["we-call", "linphonec-calls"])
def test_opus_both_ways_with_linphonec(tmp_path: Path, we_call: bool, make_engine: EngineFactory,
                                       make_linphonec: Callable[..., Linphonec]) -> None:
    carol = make_linphonec("carol", auto_answer=we_call, codecs=("opus/48000/2",))
    eng = make_engine("alice", tone_hz=OUR_TONE)
    if we_call:
        call_id = eng.command("dial", target=carol.uri)
    else:
        # Its SDP would otherwise carry the machine's IPv6 address, which our IPv4 media
        # transport cannot reach (PJ_EAFNOTSUP).
        carol.send("ipv6 disable")
        mark = eng.mark()
        carol.send(f"call sip:alice@{eng.listen}")
        call_id = eng.wait_event("IncomingCall", 10.0, since=mark)["call_id"]
        eng.command("answer", call_id=call_id)
    eng.wait_state(call_id, "confirmed")
    carol.wait_output(r"Call \d+ with .* connected")
    carol.wait_output(r"Media streams established")
    tone = _sine(tmp_path, THEIR_TONE)
    n = len(carol.lines)
    carol.send(f"play {tone}")  # linphonec has no sound card: a WAV is its microphone
    carol.wait_output(r"^play |Media streams established", since=n)
    heard = _linphonec_hears(carol, tmp_path)
    path = _record(eng, call_id)
    carol.send("terminate")
    eng.wait_state(call_id, "disconnected")
    _assert_quality_names_opus(eng, call_id)
    # linphonec writes the WAV header when its call has ended, which may be after ours has
    wait_until(lambda: heard.read_bytes()[:4] == b"RIFF", 10.0, "linphonec to close its WAV")

    assert _share(path, THEIR_TONE) > 0.2, "linphonec's 440 Hz is not in our recording"
    assert _share(heard, OUR_TONE) > 0.5, "linphonec did not hear our 1000 Hz over Opus"
