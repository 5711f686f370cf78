"""The sound devices as the window knows them: listed on the SIP thread (which owns the audio
backend) when first needed, since listing loads PortAudio (idle memory:
softphone/sip/audio/deferred.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger("softphone.ui")


class SoundDevices(QObject):
    _listed = Signal(list)  # from the SIP thread's future to the UI thread

    def __init__(self, engine: Callable[[], Any], on_listed: Callable[[list[Any]], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine  # read at each use: the engine may be attached later
        self._on_listed = on_listed
        self.devices: list[Any] = []
        self.wanted = False  # listed once: a restarted engine lists them again
        self._after: list[Callable[[], None]] = []
        self._listed.connect(self._devices_listed)

    def request(self, then: Callable[[], None] | None = None) -> bool:
        """Ask the SIP thread for the sound devices (``then`` runs once they are in
        ``self.devices``). Done when a call comes or goes out and when the settings open, not
        at start. False when there is no running engine to ask."""
        engine = self._engine()
        if engine is None or not getattr(engine, "running", False):
            return False
        self.wanted = True
        if then is not None:
            self._after.append(then)
        try:
            future = engine.run_on_sip_thread(lambda: list(engine.audio.list_devices()))
        except Exception as exc:
            log.warning("cannot list sound devices: %s", exc)
            self._devices_listed([])
            return True
        future.add_done_callback(
            lambda f: self._listed.emit(f.result() if not f.exception() else []))
        return True

    @Slot(list)
    def _devices_listed(self, devices: list[Any]) -> None:
        self.devices = devices
        self._on_listed(devices)
        waiting, self._after = self._after, []
        for job in waiting:
            job()

    def names(self) -> tuple[list[str], list[str]]:
        """The inputs' and the outputs' names."""
        return ([d.name for d in self.devices if d.max_input_channels > 0],
                [d.name for d in self.devices if d.max_output_channels > 0])

    def play_test_sound(self, _device: str = "") -> None:
        engine = self._engine()
        if engine is not None:
            audio = engine.audio
            engine.run_on_sip_thread(lambda: audio.play_tone("busy"))
