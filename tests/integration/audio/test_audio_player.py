"""The in-app recording player over real PortAudio/JACK: a recording with a known tone is heard
on the app's output port at that frequency; pause silences it and freezes the position; play
resumes where it paused; the slider and the time label follow; stop rewinds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softphone.sip.audio.tones import write_wav
from tests.harness.audio_analysis import dominant_frequency, near, rms
from tests.harness.jack import RATE, JackHarness, JackServer, listen_to_app_outputs
from tests.harness.sip_peers import wait_until
from tests.integration.audio.audio_driver import lan_account
from tests.integration.audio.player_driver import PlayerProcess

pytestmark = pytest.mark.integration

TONE_HZ = 700.0  # not the harness's own 1 kHz
REC_RATE = 16000  # what call recordings are: the player resamples to the device's 48 kHz
SECONDS = 4.0


@pytest.fixture
def player(tmp_path: Path, jack: JackServer) -> Iterator[PlayerProcess]:
    proc = PlayerProcess(tmp_path, env=jack.env(), accounts=[lan_account("alice")],
                         name="player")
    yield proc.start()
    proc.close()


def _recording(path: Path) -> Path:
    t = np.arange(int(REC_RATE * SECONDS)) / REC_RATE
    write_wav(path, np.round(0.3 * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16),
              REC_RATE)
    return path




def _state(p: PlayerProcess) -> dict[str, Any]:
    return dict(p.cmd("state"))


def test_player_plays_pauses_resumes_and_stops(tmp_path: Path, jack: JackServer,
                                               harness: JackHarness,
                                               player: PlayerProcess) -> None:
    wav = _recording(tmp_path / "call.wav")
    player.cmd("load", path=str(wav))
    wait_until(lambda: _state(player)["playing"], 10.0, "the player to start")
    first = _state(player)
    assert first["maximum"] == int(SECONDS * 1000) and first["time"].endswith("/ 0:04")
    listen_to_app_outputs(jack, harness, "the player's output port")
    heard = harness.snap(0.6)[:, 0]
    assert rms(heard) > 0.01, "nothing heard on the output port"
    assert near(dominant_frequency(heard, RATE), TONE_HZ), dominant_frequency(heard, RATE)
    assert _state(player)["slider"] > first["slider"]
    wait_until(lambda: _state(player)["time"] == "0:01 / 0:04", 5.0, "the time label to move")

    paused = player.cmd("click", button="pause")
    assert not paused["playing"] and paused["enabled"]["play"]
    harness.snap(0.1)  # what was already in flight
    assert rms(harness.snap(0.5)[:, 0]) < 0.002, "still playing after pause"
    assert _state(player)["slider"] == paused["slider"], "the position moved while paused"

    player.cmd("click", button="play")
    wait_until(lambda: _state(player)["slider"] > paused["slider"] + 100, 10.0,
               "playing to go on after pause")
    # the output stream may have closed and reopened meanwhile
    listen_to_app_outputs(jack, harness, "the player's output port")
    again = harness.snap(0.4)[:, 0]
    assert near(dominant_frequency(again, RATE), TONE_HZ)

    stopped = player.cmd("click", button="stop")
    assert stopped["slider"] == 0 and stopped["time"] == "0:00 / 0:04"
    assert not stopped["playing"] and not stopped["message"]
