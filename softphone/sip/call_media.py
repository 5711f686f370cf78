"""Call media on the SIP thread: recording, the local conference and call figures.

:class:`CallMedia` is a part of the session (``SipSession.media``), given the call table, the
audio backend, the event sink and a way to pump PJSIP's events; every method runs on the SIP
thread.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from softphone.sip import events as ev
from softphone.sip.calls import (
    CallRecord,
    CallTable,
    EngineCall,
    read_quality,
    release_recorder,
    wav_is_final,
    wire_recorder,
)
from softphone.sip.events import CallState
from softphone.sip.nat import read_media_path

if TYPE_CHECKING:
    from softphone.sip.audio_guard import GuardedAudio

log = logging.getLogger("softphone.sip")


def default_recordings_dir() -> Path:
    """Where recordings go when the app gave no profile folder (tests, scripts)."""
    return Path(tempfile.gettempdir()) / "softphone-recordings"


def recording_path(folder: Path, call_id: int, direction: str = "", number: str = "") -> Path:
    """``20250101-093000-in-+74951234567-3.wav``: sorts by time, says who; never an existing
    file (another run of the app may have used the same call id in the same second)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    who = re.sub(r"[^A-Za-z0-9+_-]", "_", number or "unknown")[:40]
    parts = [stamp, direction, who, str(call_id)]
    base = "-".join(p for p in parts if p)
    path = folder / f"{base}.wav"
    n = 2
    while path.exists():
        path = folder / f"{base}-{n}.wav"
        n += 1
    return path


class CallMedia:
    def __init__(self, table: CallTable, audio: GuardedAudio,
                 emit: Callable[[ev.SipEvent], None], recordings_dir: Path | None,
                 pump_events: Callable[[int], None]) -> None:
        self.table = table
        self.calls = table.calls
        self.audio = audio
        self.emit = emit
        self.recordings_dir = recordings_dir
        self.pump_events = pump_events
        self.conference_ids: set[int] = set()
        #: recordings released, waiting for PJSIP to write their WAV header:
        #: (call id, path, give up at)
        self.finalizing: list[tuple[int, Path, float]] = []

    # --- conference ----------------------------------------------------------------------
    def conference(self, call_ids: Sequence[int]) -> None:
        records = [self.table.live_call(i)[0] for i in call_ids]
        self.conference_ids = {r.call_id for r in records}
        for record in records:
            if record.held and record.call is not None:
                op = pj.CallOpParam(True)
                op.opt.flag = pj.PJSUA_CALL_UNHOLD
                record.call.reinvite(op)  # media state callback re-wires the mix
        self.wire_conference()

    def wire_conference(self) -> None:
        """Everyone hears everyone: each member's audio to the others (the local microphone
        reaches every call through the audio backend), and into each member's recording."""
        members = [self.calls[i] for i in sorted(self.conference_ids)
                   if i in self.calls and self.calls[i].media is not None]
        for a in members:
            source: Any = a.media
            for b in members:
                if a is b:
                    continue
                source.startTransmit(b.media)
                if b.recorder is not None:
                    source.startTransmit(b.recorder)

    # --- recording -----------------------------------------------------------------------
    def start_recording(self, call_id: int, path: Path) -> None:
        record = self.table.record(call_id)
        if record.recorder is not None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(str(path))
        record.recorder = recorder
        record.recording_path = path
        wire_recorder(record, self.audio.local_source())
        if call_id in self.conference_ids:
            self.wire_conference()
        self.table.publish(record)

    def stop_recording(self, call_id: int) -> None:
        record = self.table.record(call_id)
        self.release_recording(record, self.audio.local_source(), wait=True)
        self.table.publish(record)

    def release_recording(self, record: CallRecord, local: Any | None,
                          wait: bool = False) -> None:
        """Close the call's recorder. PJSIP destroys it (and writes the final WAV header) on a
        later tick; RecordingFinished says when the file is complete. ``wait`` (only outside
        pjsua2 callbacks: it pumps PJSIP's events) waits for that right here."""
        if record.recorder is None:
            return
        release_recorder(record, local)
        path = record.recording_path
        if path is None:
            return
        self.finalizing.append((record.call_id, path, time.monotonic() + 2.0))
        if wait:
            deadline = time.monotonic() + 0.5
            while not wav_is_final(path) and time.monotonic() < deadline:
                self.pump_events(5)
        self.check_finalized_recordings()

    def check_finalized_recordings(self) -> None:
        pending = []
        for call_id, path, deadline in self.finalizing:
            if not wav_is_final(path) and time.monotonic() < deadline:
                pending.append((call_id, path, deadline))
                continue
            seconds = 0.0
            try:
                with wave.open(str(path)) as w:
                    seconds = w.getnframes() / float(w.getframerate() or 1)
            except (OSError, wave.Error, EOFError):
                log.warning("recording %s is not a readable WAV", path)
            self.emit(ev.RecordingFinished(at=time.time(), call_id=call_id, path=str(path),
                                           seconds=seconds))
        self.finalizing = pending

    def default_recording_path(self, record: CallRecord) -> Path:
        return recording_path(self.recordings_dir or default_recordings_dir(), record.call_id,
                              record.direction.value, record.number)

    # --- figures -------------------------------------------------------------------------
    def refresh_quality(self) -> None:
        for record in self.calls.values():
            if record.state is CallState.CONFIRMED and record.media is not None:
                self.refresh_call_quality(record)

    def refresh_call_quality(self, record: CallRecord) -> None:
        path = record.media_path
        if path is not None and path.ice_state and not path.ice and record.call is not None:
            # ICE was still checking at the media update: its chosen path shows once it runs.
            record.media_path = read_media_path(record.call)
        try:
            quality = read_quality(record, self.audio.bridge_counters())
        except pj.Error:
            return
        if quality is not None:
            record.quality = quality

    def on_stream_destroyed(self, call: EngineCall) -> None:
        """Last chance to read the stream's figures (they are gone at DISCONNECTED)."""
        record = self.calls.get(call.engine_id)
        if record is not None:
            self.refresh_call_quality(record)

    def leave_conference(self, call_id: int) -> None:
        """A call ended: out of the local conference (which ends with one member left)."""
        self.conference_ids.discard(call_id)
        if len(self.conference_ids) < 2:
            self.conference_ids.clear()
