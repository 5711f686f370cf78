"""The engine against baresip, an independent SIP phone: calls both ways and audio by frequency.

baresip sends a 440 Hz sine and dumps what it hears (``dump-*-dec.wav``); the engine plays a
1000 Hz test tone into the call (the driver's test audio backend) and records the call.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.audio_analysis import band_share, loudest_window, read_wav, wav_finalized
from tests.harness.sip_peers import Baresip, wait_until
from tests.integration.sip.engine_proc import EngineFactory

pytestmark = pytest.mark.integration

THEIR_TONE = 440
OUR_TONE = 1000


def _tone_share(path: Path, hz: float) -> float:
    data, rate = read_wav(path)
    return band_share(loudest_window(data, rate, 1.0), rate, hz)


def test_audio_both_ways_with_baresip(make_engine: EngineFactory,
                                      make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=THEIR_TONE)
    eng = make_engine("alice", tone_hz=OUR_TONE)

    call_id = eng.command("dial", target=bob.uri)
    eng.wait_state(call_id, "confirmed")
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    path = Path(eng.command("start_recording", call_id=call_id))

    # Record ~1.5 s of the call: wait on the file growing, not on a clock.
    wait_until(lambda: path.exists() and path.stat().st_size > 16000 * 2 * 1.5, 10.0,
               "1.5 s of recording")
    eng.command("stop_recording", call_id=call_id)
    done = eng.wait_event("RecordingFinished", 5.0, call_id=call_id)
    assert Path(done["path"]) == path and done["seconds"] >= 1.5, done
    assert wav_finalized(path)
    eng.command("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
    bob.wait_event("CALL_CLOSED", 10.0)
    quality = eng.wait_event("CallQuality", 5.0, call_id=call_id)
    assert "PCMU" in quality["codec"].upper(), quality  # baresip offers PCMU first
    assert quality["rx_loss_percent"] == 0.0, quality

    # The recording mixes both directions: each tone must hold a large share of it.
    share_theirs = _tone_share(path, THEIR_TONE)
    assert share_theirs > 0.2, f"baresip's {THEIR_TONE} Hz is not in our recording"
    share_ours = _tone_share(path, OUR_TONE)
    assert share_ours > 0.05, f"our {OUR_TONE} Hz is not in our recording"
    # baresip heard our tone (and only it: it does not hear itself)
    dumps = bob.decoded_dumps()
    assert dumps, "baresip wrote no dump of what it heard"
    assert _tone_share(dumps[-1], OUR_TONE) > 0.5, "baresip did not hear our tone"


def test_baresip_calls_us_with_a_number(make_engine: EngineFactory,
                                        make_baresip: Callable[..., Baresip]) -> None:
    eng = make_engine("alice")
    caller = make_baresip("84951234567", auto_answer=False)

    mark = eng.mark()
    caller.dial(f"sip:alice@{eng.listen}")
    incoming = eng.wait_event("IncomingCall", 10.0, since=mark)
    assert incoming["number"] == "84951234567"
    assert incoming["waiting"] is False
    call_id = incoming["call_id"]
    eng.command("answer", call_id=call_id)
    eng.wait_state(call_id, "confirmed")
    caller.wait_event("CALL_ESTABLISHED", 10.0)

    caller.hangup()
    ev = eng.wait_state(call_id, "disconnected")
    assert ev["local_hangup"] is False


def test_remote_cancel_while_ringing_is_487(make_engine: EngineFactory,
                                            make_baresip: Callable[..., Baresip]) -> None:
    eng = make_engine("alice")
    caller = make_baresip("bob")

    mark = eng.mark()
    caller.dial(f"sip:alice@{eng.listen}")
    incoming = eng.wait_event("IncomingCall", 10.0, since=mark)
    caller.wait_event("CALL_RINGING", 10.0)
    caller.hangup()  # CANCEL
    ev = eng.wait_state(incoming["call_id"], "disconnected", since=mark)
    assert ev["code"] == 487, ev
    assert ev["local_hangup"] is False
    assert eng.command("active_calls") in ([], {}, None)


def test_we_cancel_while_it_rings(make_engine: EngineFactory,
                                  make_baresip: Callable[..., Baresip]) -> None:
    eng = make_engine("alice")
    callee = make_baresip("bob", auto_answer=False)

    call_id = eng.command("dial", target=callee.uri)
    callee.wait_event("CALL_INCOMING", 10.0)
    eng.wait_state(call_id, "early")
    eng.command("hangup", call_id=call_id)
    ev = eng.wait_state(call_id, "disconnected")
    assert ev["local_hangup"] is True
    assert ev["code"] == 487, ev
    callee.wait_event("CALL_CLOSED", 10.0)

