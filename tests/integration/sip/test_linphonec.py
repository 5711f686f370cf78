"""The engine against linphonec (liblinphone), a second independent SIP phone.

linphonec has no sound card here: it sends audio only from a WAV (``play``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.audio_analysis import band_share, loudest_window, read_wav
from tests.harness.sip_peers import Kamailio, Linphonec, wait_until
from tests.integration.sip.engine_proc import EngineFactory, kamailio_account

pytestmark = pytest.mark.integration


def test_call_linphonec_and_it_hangs_up(make_engine: EngineFactory,
                                        make_linphonec: Callable[..., Linphonec]) -> None:
    carol = make_linphonec("carol", auto_answer=True)
    eng = make_engine("alice")

    call_id = eng.command("dial", target=carol.uri)
    eng.wait_state(call_id, "confirmed")
    carol.wait_output(r"Call \d+ with .* connected")
    carol.send("terminate")  # linphonec prints nothing when a call ends
    ev = eng.wait_state(call_id, "disconnected")
    assert ev["local_hangup"] is False


def test_linphonec_calls_us_through_kamailio(kamailio: Kamailio, make_engine: EngineFactory,
                                             make_linphonec: Callable[..., Linphonec]) -> None:
    eng = make_engine("alice", accounts=[kamailio_account(kamailio, "alice")])
    eng.wait_event("RegistrationChanged", 10.0, account="alice", state="registered")
    carol = make_linphonec("carol", auto_answer=False, register_with=kamailio)

    mark = eng.mark()
    carol.send(f"call {kamailio.aor('alice')}")
    incoming = eng.wait_event("IncomingCall", 10.0, since=mark)
    assert incoming["number"] == "carol"
    assert incoming["account"] == "alice"
    eng.command("answer", call_id=incoming["call_id"])
    eng.wait_state(incoming["call_id"], "confirmed")
    carol.wait_output(r"Call \d+ with .* connected")
    assert kamailio.relayed("INVITE")

    eng.command("hangup", call_id=incoming["call_id"])
    eng.wait_state(incoming["call_id"], "disconnected")
    wait_until(lambda: kamailio.relayed("BYE"), 5.0, "kamailio to relay our BYE")


def test_we_hear_linphonec(tmp_path: Path, make_engine: EngineFactory,
                           make_linphonec: Callable[..., Linphonec]) -> None:
    """linphonec has no sound card: its ``play`` sends a 440 Hz WAV into the call.

    (Its ``record`` of what it hears came out silent in about 1 run in 8 here, a linphonec
    quirk around the stream restart that ``play`` causes, so that direction is checked with
    baresip in test_baresip.py instead.)
    """
    tone = tmp_path / "tone440.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(tone),
                    "synth", "10", "sine", "440"], check=True, timeout=30)
    carol = make_linphonec("carol", auto_answer=True)
    eng = make_engine("alice", tone_hz=1000)

    call_id = eng.command("dial", target=carol.uri)
    eng.wait_state(call_id, "confirmed")
    carol.wait_output(r"Call \d+ with .* connected")
    n = len(carol.lines)
    carol.send(f"play {tone}")  # switches linphonec to file I/O: its streams restart
    carol.wait_output(r"Media streams established", since=n)
    path = Path(eng.command("start_recording", call_id=call_id))
    wait_until(lambda: path.exists() and path.stat().st_size > 44 + 16000 * 2 * 2, 10.0,
               "2 s of recording")
    eng.command("stop_recording", call_id=call_id)
    eng.wait_event("RecordingFinished", 5.0, call_id=call_id)
    carol.send("terminate")
    eng.wait_state(call_id, "disconnected")

    data, rate = read_wav(path)
    assert band_share(loudest_window(data, rate, 1.0), rate, 440) > 0.2, \
        "linphonec's 440 Hz is not in our recording"
