"""Audio after hold and resume, checked by frequency on both ends.

PJSIP drops every conference connection of a call on each re-INVITE; the engine must wire the
microphone, speaker and recorder again, or a resumed call stays silent. Each re-INVITE also
makes a new stream: with Opus that once overran the stream's receive buffer (a jitter-buffer
slot of 1500 bytes into 1480) and made it send payload type 0, which the far end drops; the
test ran ~1 in 3 silent after resume then (tests/integration/sip/test_opus_codec.py pins it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.audio_analysis import band_share, read_wav
from tests.harness.sip_peers import wait_until
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess, lan_account

pytestmark = pytest.mark.integration

A_TONE, B_TONE = 1000, 600
BYTES_PER_S = 16000 * 2  # the engine records 16 kHz mono 16-bit


def _tail_share(path: Path, seconds: float, hz: float) -> float:
    data, rate = read_wav(path)
    return band_share(data[-int(seconds * rate):], rate, hz)


def _recorded_after(eng: EngineProcess, path: Path, since_size: int) -> None:
    wait_until(lambda: path.stat().st_size > since_size + BYTES_PER_S * 1.5, 10.0,
               f"{eng.name}: 1.5 s of recording after resume")


@pytest.mark.parametrize("codec", ["opus", "G722"])
def test_both_directions_come_back_after_hold_and_resume(make_engine: EngineFactory,
                                                         codec: str) -> None:
    a = make_engine("alice", tone_hz=A_TONE, accounts=[lan_account("alice")], codecs=[codec])
    b = make_engine("bob", tone_hz=B_TONE, accounts=[lan_account("bob")], codecs=[codec])
    mark = b.mark()
    a_id = a.command("dial", target=f"sip:bob@{b.listen}")
    b_id = b.wait_event("IncomingCall", 10.0, since=mark)["call_id"]
    b.command("answer", call_id=b_id)
    a.wait_state(a_id, "confirmed")
    b.wait_state(b_id, "confirmed")
    a_rec = Path(a.command("start_recording", call_id=a_id))
    b_rec = Path(b.command("start_recording", call_id=b_id))

    for _ in range(2):  # twice: the second re-INVITE must not undo the first re-wiring
        ma, mb = a.mark(), b.mark()
        a.command("hold", call_id=a_id)
        a.wait_event("CallStateChanged", 10.0, since=ma, call_id=a_id, held=True)
        b.wait_event("CallStateChanged", 10.0, since=mb, call_id=b_id, remote_held=True)
        ma, mb = a.mark(), b.mark()
        a.command("resume", call_id=a_id)
        a.wait_event("CallMediaChanged", 10.0, since=ma, call_id=a_id, active=True)
        b.wait_event("CallMediaChanged", 10.0, since=mb, call_id=b_id, active=True)

    a_size, b_size = a_rec.stat().st_size, b_rec.stat().st_size
    _recorded_after(a, a_rec, a_size)
    _recorded_after(b, b_rec, b_size)
    for eng, call_id in ((a, a_id), (b, b_id)):
        eng.command("stop_recording", call_id=call_id)
        eng.wait_event("RecordingFinished", 5.0, call_id=call_id)
    a.command("hangup", call_id=a_id)
    b.wait_state(b_id, "disconnected")
    quality = a.wait_event("CallQuality", 10.0, call_id=a_id)
    assert quality["codec"].lower().startswith(codec.lower()), quality

    # the last second of each recording (after the resume) holds the far end's tone
    assert _tail_share(a_rec, 1.0, B_TONE) > 0.2, "alice no longer hears bob after resume"
    assert _tail_share(b_rec, 1.0, A_TONE) > 0.2, "bob no longer hears alice after resume"
    # and each side's own microphone is still in its recording
    assert _tail_share(a_rec, 1.0, A_TONE) > 0.05, "alice's microphone left her recording"
    assert _tail_share(b_rec, 1.0, B_TONE) > 0.05, "bob's microphone left his recording"
