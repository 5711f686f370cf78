"""Headset buttons: media/call keys in the window and the caller card, and the MPRIS player on a
private D-Bus session bus (real dbus-daemon, gdbus as the desktop), with real incoming calls."""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]

MPRIS = "org.mpris.MediaPlayer2.softphone"


def _ring(qtbot: Any, app: Any, engine: Any, peer: Any) -> Any:
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(app.window.cards and app.window.phone.ringing()),
                    timeout=10_000)
    return next(iter(app.window.cards.values()))


def _closed(qtbot: Any, app: Any, peer: Any) -> None:
    peer.wait_event("CALL_CLOSED", timeout=10)
    qtbot.waitUntil(lambda: not app.window.workflow.calls(), timeout=10_000)


@pytest.mark.parametrize("answer_key, hangup_key", [
    (Qt.Key.Key_MediaTogglePlayPause, Qt.Key.Key_MediaTogglePlayPause),
    (Qt.Key.Key_Call, Qt.Key.Key_Hangup),
    (Qt.Key.Key_MediaPlay, Qt.Key.Key_MediaPause),
    (Qt.Key.Key_ToggleCallHangup, Qt.Key.Key_ToggleCallHangup),
])
def test_headset_keys_answer_in_the_card_and_hang_up_in_the_window(
        qtbot: Any, app: Any, engine: Any, make_baresip: Any, answer_key: Qt.Key,
        hangup_key: Qt.Key) -> None:
    peer = make_baresip(user="+74950001111", auto_answer=False)
    card = _ring(qtbot, app, engine, peer)
    qtbot.keyClick(card, answer_key)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    window = app.window
    qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking", timeout=5000)
    qtbot.keyClick(window.dial_field, hangup_key)  # the focused widget passes it up
    _closed(qtbot, app, peer)


def test_hangup_key_declines_a_ringing_call(qtbot: Any, app: Any, engine: Any,
                                            make_baresip: Any) -> None:
    peer = make_baresip(user="+74950002222", auto_answer=False)
    _ring(qtbot, app, engine, peer)
    qtbot.keyClick(app.window, Qt.Key.Key_Hangup)
    _closed(qtbot, app, peer)
    assert not any(e.get("type") == "CALL_ESTABLISHED" for e in peer.events)


# --- MPRIS on a private session bus ----------------------------------------------------------

@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if shutil.which("dbus-daemon") is None or shutil.which("gdbus") is None:
        pytest.skip("dbus-daemon and gdbus are needed")
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert daemon.stdout is not None
        ready, _, _ = select.select([daemon.stdout], [], [], 10.0)
        assert ready, "dbus-daemon printed no address"
        address = daemon.stdout.readline().decode().strip()
        assert address.startswith("unix:"), address
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)
        daemon.stdout.close()  # type: ignore[union-attr]  # a pipe left open warns


def _gdbus(qtbot: Any, address: str, *args: str) -> str:
    """Run gdbus while the Qt event loop keeps running (the app answers the call in it)."""
    proc = subprocess.Popen(["gdbus", "call", "--session", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address))
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out


def _has_owner(qtbot: Any, address: str) -> bool:
    out = _gdbus(qtbot, address, "--dest", "org.freedesktop.DBus", "--object-path",
                 "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.NameHasOwner", MPRIS)
    return "true" in out


def _player(qtbot: Any, address: str, method: str) -> str:
    return _gdbus(qtbot, address, "--dest", MPRIS, "--object-path", "/org/mpris/MediaPlayer2",
                  "--method", f"org.mpris.MediaPlayer2.Player.{method}")


def test_mpris_play_pause_answers_and_stop_hangs_up(qtbot: Any, app: Any, engine: Any,
                                                   make_baresip: Any, session_bus: str) -> None:
    assert not _has_owner(qtbot, session_bus)  # idle: the music player keeps the button
    peer = make_baresip(user="+74950003333", auto_answer=False)
    _ring(qtbot, app, engine, peer)
    qtbot.waitUntil(lambda: _has_owner(qtbot, session_bus), timeout=5000)
    props = _gdbus(qtbot, session_bus, "--dest", MPRIS, "--object-path",
                   "/org/mpris/MediaPlayer2", "--method",
                   "org.freedesktop.DBus.Properties.GetAll", "org.mpris.MediaPlayer2.Player")
    assert "'PlaybackStatus': <'Playing'>" in props and "'Position': <int64 0>" in props
    _player(qtbot, session_bus, "Pause")  # screen lock sends it: the call keeps ringing
    _player(qtbot, session_bus, "PlayPause")
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    assert _has_owner(qtbot, session_bus)
    _player(qtbot, session_bus, "Stop")
    _closed(qtbot, app, peer)
    qtbot.waitUntil(lambda: not _has_owner(qtbot, session_bus), timeout=5000)


def test_play_pause_hangs_up_a_call_in_progress(qtbot: Any, app: Any, engine: Any,
                                                make_baresip: Any, session_bus: str) -> None:
    peer = make_baresip(user="+74950004444", auto_answer=False)
    _ring(qtbot, app, engine, peer)
    qtbot.waitUntil(lambda: _has_owner(qtbot, session_bus), timeout=5000)
    _player(qtbot, session_bus, "Play")
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    _player(qtbot, session_bus, "PlayPause")
    _closed(qtbot, app, peer)


def test_no_session_bus_is_one_info_line(qtbot: Any, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    from softphone.ui.mpris import MprisPlayer

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    player = MprisPlayer(lambda _a: None, lambda: None, lambda: (0, ""))
    with caplog.at_level(logging.INFO, logger="softphone.ui.mpris"):
        for _ in range(3):  # three calls ring: still one line
            player.set_active(True)
            player.set_active(False)
    player.close()
    lines = [r for r in caplog.records if r.name == "softphone.ui.mpris"]
    assert [r.levelno for r in lines] == [logging.INFO]
    assert "no D-Bus session bus" in lines[0].getMessage()
