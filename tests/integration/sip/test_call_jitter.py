"""The jitter a call reports is the interarrival jitter of RFC 3550 in milliseconds, whatever
the codec: over loopback it is a fraction of a millisecond.

Opus's RTP clock is 48 kHz (RFC 7587) while pjmedia runs the stream at the negotiated decode
rate (16 kHz here); pjmedia 2.15.1 gave the stream's RTCP session that rate, so each 20 ms
packet looked 40 ms late and an idle LAN call reported ~35 ms of jitter (and sent it in its
RTCP receiver reports). The engine corrects the session's clock when the stream is created.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.sip_peers import Baresip, wait_until
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess

pytestmark = pytest.mark.integration

#: loopback carries packets within a fraction of a millisecond; the clock error gave ~35 ms
#: (more with a peer that plays 8 or 12 kHz). The bound leaves room for a loaded machine.
LOOPBACK_JITTER_MS = 8.0


def _talk(eng: EngineProcess, call_id: int, seconds: float = 2.0) -> None:
    """Let ``seconds`` of audio flow (well past the first 25 packets RTCP ignores)."""
    path = Path(eng.command("start_recording", call_id=call_id))
    wait_until(lambda: path.exists() and path.stat().st_size > 44 + 16000 * 2 * seconds, 20.0,
               f"{seconds} s of recording")
    eng.command("stop_recording", call_id=call_id)


def _jitter(eng: EngineProcess, call_id: int) -> dict[str, object]:
    quality = eng.wait_event("CallQuality", 10.0, call_id=call_id)
    assert quality["codec"], quality
    return quality


@pytest.mark.parametrize("codec", ["opus/48000/2", "PCMU/8000", "G722/16000"])
def test_engine_to_engine_jitter_over_loopback_is_small(make_engine: EngineFactory,
                                                        codec: str) -> None:
    alice = make_engine("alice", tone_hz=1000, codecs=[codec])
    bob = make_engine("bob", tone_hz=440, codecs=[codec])
    mark = bob.mark()
    call_id = alice.command("dial", target=f"sip:bob@{bob.listen}")
    bob_id = bob.wait_event("IncomingCall", 10.0, since=mark)["call_id"]
    bob.command("answer", call_id=bob_id)
    alice.wait_state(call_id, "confirmed")
    _talk(alice, call_id)
    _talk(bob, bob_id, 0.5)
    alice.command("hangup", call_id=call_id)
    alice.wait_state(call_id, "disconnected")
    bob.wait_state(bob_id, "disconnected")

    ours, theirs = _jitter(alice, call_id), _jitter(bob, bob_id)
    assert str(ours["codec"]).lower().startswith(codec.split("/")[0].lower()), ours
    assert float(ours["jitter_ms"]) < LOOPBACK_JITTER_MS, ours    # type: ignore[arg-type]
    assert float(theirs["jitter_ms"]) < LOOPBACK_JITTER_MS, theirs  # type: ignore[arg-type]


def test_opus_jitter_with_baresip_is_small(make_engine: EngineFactory,
                                           make_baresip: Callable[..., Baresip]) -> None:
    bob = make_baresip("bob", tone_hz=440, codecs="opus/48000/2", modules=("opus.so",))
    eng = make_engine("alice", tone_hz=1000)
    call_id = eng.command("dial", target=bob.uri)
    eng.wait_state(call_id, "confirmed")
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    _talk(eng, call_id)
    eng.command("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
    bob.wait_event("CALL_CLOSED", 10.0)

    quality = _jitter(eng, call_id)
    assert str(quality["codec"]).lower().startswith("opus/48000"), quality
    assert float(quality["jitter_ms"]) < LOOPBACK_JITTER_MS, quality  # type: ignore[arg-type]


def test_opus_jitter_stays_small_after_hold_and_resume(make_engine: EngineFactory) -> None:
    """Each re-INVITE gives the call a new stream, whose RTCP clock must be set again."""
    alice = make_engine("alice", tone_hz=1000, codecs=["opus/48000/2"])
    bob = make_engine("bob", tone_hz=440, codecs=["opus/48000/2"])
    mark = bob.mark()
    call_id = alice.command("dial", target=f"sip:bob@{bob.listen}")
    bob_id = bob.wait_event("IncomingCall", 10.0, since=mark)["call_id"]
    bob.command("answer", call_id=bob_id)
    alice.wait_state(call_id, "confirmed")
    ma, mb = alice.mark(), bob.mark()
    alice.command("hold", call_id=call_id)
    alice.wait_event("CallStateChanged", 10.0, since=ma, call_id=call_id, held=True)
    bob.wait_event("CallStateChanged", 10.0, since=mb, call_id=bob_id, remote_held=True)
    ma, mb = alice.mark(), bob.mark()
    alice.command("resume", call_id=call_id)
    alice.wait_event("CallMediaChanged", 10.0, since=ma, call_id=call_id, active=True)
    bob.wait_event("CallMediaChanged", 10.0, since=mb, call_id=bob_id, active=True)
    _talk(alice, call_id)
    alice.command("hangup", call_id=call_id)
    bob.wait_state(bob_id, "disconnected")

    for eng, cid in ((alice, call_id), (bob, bob_id)):
        quality = _jitter(eng, cid)
        assert float(quality["jitter_ms"]) < LOOPBACK_JITTER_MS, quality  # type: ignore[arg-type]


def test_without_the_c_module_an_opus_call_reports_no_jitter(make_engine: EngineFactory) -> None:
    """The Python media path cannot correct the RTCP clock: no figure rather than ~35 ms."""
    alice = make_engine("alice", tone_hz=1000, codecs=["opus/48000/2"], start=False)
    alice.extra_env = {"SOFTPHONE_NO_NATIVE_AUDIO": "1"}
    alice.start()
    bob = make_engine("bob", tone_hz=440, codecs=["opus/48000/2"])
    mark = bob.mark()
    call_id = alice.command("dial", target=f"sip:bob@{bob.listen}")
    bob_id = bob.wait_event("IncomingCall", 10.0, since=mark)["call_id"]
    bob.command("answer", call_id=bob_id)
    alice.wait_state(call_id, "confirmed")
    _talk(alice, call_id, 1.0)
    alice.command("hangup", call_id=call_id)
    bob.wait_state(bob_id, "disconnected")

    ours = _jitter(alice, call_id)
    assert str(ours["codec"]).lower().startswith("opus"), ours
    assert ours["jitter_ms"] is None, ours
    assert "report no jitter: RTCP counts 16000 Hz, not 48000 Hz" in alice.stderr()
    theirs = _jitter(bob, bob_id)
    assert float(theirs["jitter_ms"]) < LOOPBACK_JITTER_MS, theirs  # type: ignore[arg-type]
