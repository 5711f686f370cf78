"""The in-app recording player: play / pause / stop, a position slider, elapsed / total time.

The sound goes through the app's audio backend (the call output device, see
softphone/sip/audio/player.py): the file is read on a worker thread, the PortAudio callback
plays it, and this window only polls the position with a QTimer. Without sound (no PortAudio,
no device, or a device that does not start) it says so and offers the system player instead.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDesktopServices, QHideEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from softphone.sip.audio.player import Clip, RecordingError, load_recording
from softphone.ui.common import button, plain_label
from softphone.ui.look import text_style

POLL_MS = 100
STALL_MS = 2500  # playing but the position has not moved this long: the device is not playing


def clock(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


class _Loader(QObject):
    """Reads a WAV on a short-lived thread; the result comes back as a queued signal."""

    loaded = Signal(int, object)  # generation, Clip or RecordingError

    def load(self, generation: int, path: str) -> None:
        def run() -> None:
            try:
                result: object = load_recording(path)
            except RecordingError as exc:
                result = exc
            except Exception as exc:  # e.g. MemoryError on a huge file: still no crash
                result = RecordingError("unreadable", str(exc))
            self.loaded.emit(generation, result)

        threading.Thread(target=run, name="recording-loader", daemon=True).start()


class RecordingPlayer(QDialog):
    """A small non-modal window; ``load(path)`` loads a recording and starts playing it."""

    def __init__(self, audio: Any | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingPlayer")
        self.setWindowTitle(self.tr("Recording"))
        self.audio = audio
        self.path = ""
        self.clip: Clip | None = None
        self.playing = False
        self._generation = 0
        self._last_pos = -1.0
        self._stall_ms = 0
        lay = QVBoxLayout(self)
        self.title_label = plain_label("", self, bold=True)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("playerPosition")
        self.slider.setEnabled(False)
        self.time_label = QLabel("0:00 / 0:00", self)
        self.time_label.setObjectName("playerTime")
        row = QHBoxLayout()
        self.play_button = button(self.tr("▶ Play"), self, name="playerPlay")
        self.pause_button = button(self.tr("❚❚ Pause"), self, name="playerPause")
        self.stop_button = button(self.tr("■ Stop"), self, name="playerStop")
        self.system_button = button(self.tr("Open in system player"), self,
                                    name="playerSystem")
        for b in (self.play_button, self.pause_button, self.stop_button):
            row.addWidget(b)
        row.addWidget(self.time_label)
        row.addStretch(1)
        row.addWidget(self.system_button)
        self.message_label = plain_label("", self)
        self.message_label.setObjectName("playerMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(text_style("failed", self))
        lay.addWidget(self.title_label)
        lay.addWidget(self.slider)
        lay.addLayout(row)
        lay.addWidget(self.message_label)
        self._loader = _Loader(self)
        self._loader.loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.play_button.clicked.connect(self.play)
        self.pause_button.clicked.connect(self.pause)
        self.stop_button.clicked.connect(self.stop)
        self.system_button.clicked.connect(self.open_in_system_player)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self._update_buttons()
        self.resize(460, 0)

    # --- loading --------------------------------------------------------------------------
    def load(self, path: str) -> None:
        self.stop()
        self._generation += 1
        self.path = path
        self.clip = None
        self.title_label.setText(Path(path).name)
        self.message_label.setText(self.tr("Loading…"))
        self.slider.setEnabled(False)
        self._update_buttons()
        self._loader.load(self._generation, path)

    @Slot(int, object)
    def _on_loaded(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return  # another recording was opened meanwhile
        if isinstance(result, RecordingError):
            self.message_label.setText(self._error_text(result))
            self._update_buttons()
            return
        assert isinstance(result, Clip)
        self.clip = result
        self.message_label.setText("")
        self.slider.setRange(0, int(result.duration * 1000))
        self.slider.setEnabled(True)
        self._show_position()
        self.play()

    def _error_text(self, exc: RecordingError) -> str:
        if exc.kind == "missing":
            return self.tr("The recording file is missing: %1").replace("%1", self.path)
        if exc.kind == "empty":
            return self.tr("The recording is empty: %1").replace("%1", self.path)
        if exc.kind == "format":
            return self.tr("This file is not a recording the phone can play (%1). Try the "
                           "system player.").replace("%1", exc.detail)
        return self.tr("The recording cannot be read: %1").replace("%1", exc.detail)

    # --- controls -------------------------------------------------------------------------
    @Slot()
    def play(self) -> None:
        clip = self.clip
        if clip is None:
            return
        if clip.done:
            clip.rewind()
        if self.audio is None or not self.audio.play_clip(clip):
            reason = getattr(self.audio, "unavailable_reason", "") if self.audio else ""
            self.message_label.setText(
                self.tr("The phone has no sound output to play this on. %1").replace(
                    "%1", reason or self.tr("Use the system player instead.")))
            return
        self.message_label.setText("")
        self.playing = True
        self._last_pos, self._stall_ms = -1.0, 0
        self._timer.start()
        self._update_buttons()

    @Slot()
    def pause(self) -> None:
        if self.clip is not None:
            self.clip.paused = True
        self.playing = False
        self._timer.stop()
        self._show_position()
        self._update_buttons()

    @Slot()
    def stop(self) -> None:
        if self.audio is not None and self.clip is not None:
            self.audio.stop_clip()
        if self.clip is not None:
            self.clip.paused = True
            self.clip.rewind()
        self.playing = False
        self._timer.stop()
        self._show_position()
        self._update_buttons()

    @Slot()
    def open_in_system_player(self) -> None:
        if self.path and Path(self.path).exists():
            self.pause()
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.path))
        elif self.path:
            self.message_label.setText(
                self.tr("The recording file is missing: %1").replace("%1", self.path))

    @Slot()
    def _on_slider_released(self) -> None:
        if self.clip is not None:
            self.clip.seek(self.slider.value() / 1000)
            if self.playing and self.audio is not None:
                self.audio.play_clip(self.clip)  # wakes the output again after the end
            self._show_position()

    # --- polling --------------------------------------------------------------------------
    @Slot()
    def _poll(self) -> None:
        clip = self.clip
        if clip is None:
            return
        if self.playing and clip.done:
            self.stop()  # the end: back to the start, ready to play again
            return
        if self.playing:
            pos = clip.position
            self._stall_ms = self._stall_ms + POLL_MS if pos == self._last_pos else 0
            self._last_pos = pos
            if self._stall_ms >= STALL_MS:
                self.pause()
                self.message_label.setText(self.tr(
                    "The sound device does not play (see the status bar). Use the system "
                    "player instead."))
                return
        self._show_position()

    def _show_position(self) -> None:
        clip = self.clip
        pos, total = (clip.position, clip.duration) if clip is not None else (0.0, 0.0)
        if not self.slider.isSliderDown():
            self.slider.setValue(int(pos * 1000))
        self.time_label.setText(f"{clock(pos)} / {clock(total)}")

    def _update_buttons(self) -> None:
        ready = self.clip is not None
        self.play_button.setEnabled(ready and not self.playing)
        self.pause_button.setEnabled(ready and self.playing)
        self.stop_button.setEnabled(ready)
        self.system_button.setEnabled(bool(self.path))

    # --- closing stops the sound ------------------------------------------------------------
    def hideEvent(self, event: QHideEvent) -> None:
        self.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)


def show_player(window: Any, engine: Any, path: str) -> RecordingPlayer:
    """The window's one player (made on first use), showing ``path``."""
    player = getattr(window, "player", None)
    if not isinstance(player, RecordingPlayer):
        player = RecordingPlayer(engine.audio if engine is not None else None, window)
        window.player = player
    player.show()
    player.raise_()
    player.load(path)
    return player
