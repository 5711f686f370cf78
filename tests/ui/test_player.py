"""The recording player window in the app (session engine without sound): it opens from the
contact card / history signal, and a missing, corrupt or unplayable file gives a clear message
and the system player as a way out, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softphone.sip.audio.tones import write_wav

pytestmark = [pytest.mark.ui]


def _player(qtbot: Any, app: Any, path: Path) -> Any:
    app.window.contacts.play_requested.emit(str(path))  # what "▶ Recording" sends
    player = app.window.player
    qtbot.waitUntil(player.isVisible, timeout=2000)
    qtbot.waitUntil(lambda: player.message_label.text() != "Loading…", timeout=5000)
    return player


def test_missing_file(qtbot: Any, app: Any, tmp_path: Path) -> None:
    missing = tmp_path / "gone.wav"
    player = _player(qtbot, app, missing)
    assert player.message_label.text() == f"The recording file is missing: {missing}"
    assert not player.play_button.isEnabled() and not player.playing
    player.system_button.click()  # says it again instead of opening nothing
    assert "missing" in player.message_label.text()


@pytest.mark.parametrize("content", [b"", b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk",
                                     b"not a wav at all" * 100])
def test_corrupt_file(qtbot: Any, app: Any, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    player = _player(qtbot, app, bad)
    text = player.message_label.text()
    assert text.startswith(("This file is not a recording the phone can play",
                            "The recording cannot be read", "The recording is empty")), text
    assert not player.play_button.isEnabled() and player.system_button.isEnabled()


def test_no_sound_output_offers_the_system_player(qtbot: Any, app: Any,
                                                  tmp_path: Path) -> None:
    wav = tmp_path / "call.wav"
    t = np.arange(16000) / 16000
    write_wav(wav, np.round(8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 16000)
    player = _player(qtbot, app, wav)
    # The session engine has no sound (NullAudioBackend): loaded, but it says so.
    assert player.clip is not None and player.slider.maximum() == 1000
    assert player.time_label.text() == "0:00 / 0:01"
    assert player.message_label.text().startswith("The phone has no sound output")
    assert not player.playing and player.system_button.isEnabled()
    # A second recording reuses the one window.
    app.window.history.play_requested.emit(str(tmp_path / "other.wav"))
    assert app.window.player is player
    qtbot.waitUntil(lambda: "missing" in player.message_label.text(), timeout=5000)
    assert player.clip is None
