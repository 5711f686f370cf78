"""PortAudio backend: call audio through the bridge ports, tones, ringer, levels, hot-plug.

Threads (see docs/architecture.md):

* SIP thread: every public method (the engine calls them there). Creates/wires the pjsua2
  ports, flips flags, swaps tone slots, emits events from :meth:`poll`.
* device thread (``softphone-audio``): the only thread that calls PortAudio to open/close
  streams, re-scan devices and watch them; wakes on a command or every 200 ms.
* PortAudio callback threads and PJSIP's clock thread: only :class:`FrameQueue` deques, tone
  slots and plain attribute stores. No locks, no pjsua2.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from typing import Any

import numpy as np

from softphone.settings import AudioSettings
from softphone.sip.audio import callbacks as cb
from softphone.sip.audio import native
from softphone.sip.audio.bridge_ports import BridgePorts
from softphone.sip.audio.call_voice import CallVoice
from softphone.sip.audio.chosen_devices import ChosenDevices
from softphone.sip.audio.frames import frame_samples
from softphone.sip.audio.local_sounds import LocalSounds
from softphone.sip.audio.player import Clip
from softphone.sip.audio.streams import AudioPath, StreamRecord
from softphone.sip.audio.voice import VoiceWanted
from softphone.sip.events import AudioDeviceNotice, AudioLevels
from softphone.sip.media_api import DeviceInfo, EmitFn, NullAudioBackend

log = logging.getLogger("softphone.sip.audio")

ROLES = ("input", "output", "ringer")
JACK_HOST_API = "JACK Audio Connection Kit"
STALL_SECONDS = 1.0  # a running stream whose callback stopped for this long is lost
OUTPUT_LINGER_SECONDS = 1.0  # a tone-only output stream stays open this long after a tone
LEVEL_FRAMES = 5  # the meters show the peak of the last 100 ms (the SIP thread polls at 10/s)


class PortAudioBackend(NullAudioBackend):
    """Sound through PortAudio (``sounddevice``); see the module docstring for the threads."""

    def __init__(self, sd: Any, settings: AudioSettings, devices: list[DeviceInfo]) -> None:
        self._sd = sd
        # device thread (the names: SIP thread)
        self._chosen = ChosenDevices(sd, {
            "input": settings.input, "output": settings.output, "ringer": settings.ringer,
        }, devices, self._notify)
        # SIP thread
        self._emit: EmitFn | None = None
        self._ports = BridgePorts()  # the call audio on PJSIP's bridge, the calls wired
        self._levels_live = False
        # flags shared with the device thread and callbacks (single reference stores)
        self._in_call = False
        self._ringing = False
        self._muted = False
        # tones, the ringtone and recordings, read by the callbacks (local_sounds.py)
        self.sounds = LocalSounds(settings.ring_volume, lambda: self._live_native)
        # The last frames each direction handled (16-bit bytes at the bridge clock; appended
        # by the PortAudio callback, read by levels() on the SIP thread): the meters' peaks.
        self._mic_recent: deque[bytes] = deque(maxlen=LEVEL_FRAMES)
        self._spk_recent: deque[bytes] = deque(maxlen=LEVEL_FRAMES)
        self._cb_errors = 0  # Python callbacks; the C ones count in their native state
        self._xruns = 0
        self._closed_counts = (0, 0)  # errors and xruns of closed C streams
        self._live_native: tuple[Any, ...] = ()
        self._native_audio = native.available()
        self._conf_rate = 16000
        self._in_path = self._new_path(self._chosen.rate_of(settings.input, output=False))
        self._out_path = self._new_path(self._chosen.rate_of(settings.output, output=True))
        # the call's echo canceller, noise suppressor and gain (voice.py): made by the device
        # thread when the call's microphone stream opens; the SIP thread reports what runs
        self._voice = CallVoice(VoiceWanted(
            settings.echo_cancellation, settings.noise_suppression, settings.automatic_gain,
            settings.echo_tail_ms, settings.echo_canceller))
        # device thread
        self._streams: dict[str, StreamRecord] = {}
        self._unwanted_since: dict[str, float] = {}
        self._notices: deque[AudioDeviceNotice] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._dead = False  # PortAudio's host went away for good (see _host_died)
        self._graveyard: list[Any] = []

    # --- helpers -----------------------------------------------------------------------------
    def _new_path(self, device_rate: int) -> AudioPath:
        return AudioPath(device_rate, self._conf_rate, self._native_audio)

    def _native_streams(self) -> tuple[Any, ...]:
        return self._live_native

    def _streams_changed(self) -> None:
        """Device thread, after a stream opened or closed: the C states now running (read
        by the SIP thread's meters and by any thread's tone start in one reference load)."""
        self._live_native = tuple(r.native for r in {id(r): r for r in self._streams.values()}
                                  .values() if r.native is not None)

    @property
    def callback_errors(self) -> int:
        return self._cb_errors + self._closed_counts[0] + sum(
            int(s.errors) for s in self._native_streams())

    @property
    def device_xruns(self) -> int:
        return self._xruns + self._closed_counts[1] + sum(
            int(s.xruns) for s in self._native_streams())

    def _notify(self, kind: str, message: str, device: str = "") -> None:
        log.warning("audio %s: %s", kind, message)
        self._notices.append(AudioDeviceNotice(at=time.time(), kind=kind, message=message,
                                               device=device))

    # --- engine API (SIP thread) -------------------------------------------------------------
    def start(self, endpoint: Any, emit: EmitFn) -> None:
        self._emit = emit
        rate = _conf_clock_rate(endpoint)
        if rate and rate != self._conf_rate:
            self._conf_rate = rate
            self._in_path = self._new_path(self._in_path.device_rate)
            self._out_path = self._new_path(self._out_path.device_rate)
        log.info("audio bridge: PJSIP clock %s Hz (read %s), devices %d/%d Hz", self._conf_rate,
                 rate, self._in_path.device_rate, self._out_path.device_rate)
        self._ports.build(self._in_path, self._out_path)
        self._thread = threading.Thread(target=self._device_loop, name="softphone-audio",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        for call_id in list(self._ports.calls):
            self.disconnect_call(call_id, self._ports.calls.get(call_id))
        self._ports.close()

    def connect_call(self, call_id: int, call_media: Any) -> None:
        self._ports.connect(call_id, call_media)
        self.sounds.progress.stop()
        self._in_call = True
        self._wake.set()

    def disconnect_call(self, call_id: int, call_media: Any | None) -> None:
        self._ports.disconnect(call_id, call_media)
        self._in_call = bool(self._ports.calls)
        self._wake.set()

    def local_source(self) -> Any | None:
        return self._ports.mic

    def set_mute(self, muted: bool) -> None:
        self._muted = muted
        self._ports.set_mute(muted)

    def start_ringing(self, waiting: bool) -> None:
        log.debug("start ringing (waiting=%s)", waiting)
        if waiting:
            self.sounds.play(self.sounds.waiting, "waiting", self._out_path.device_rate, True)
        else:
            ringer = self._streams.get("ringer")
            chosen = self._chosen
            rate = ringer.rate if ringer else chosen.rate_of(chosen.names["ringer"], output=True)
            self.sounds.ring.play(self.sounds.sound("ringtone", rate), loop=True)
            self._ringing = True
            self.sounds.set_extras()
        self._wake.set()

    def stop_ringing(self) -> None:
        log.debug("stop ringing")
        self._ringing = False
        self.sounds.ring.stop()
        self.sounds.waiting.stop()
        self._wake.set()

    def play_tone(self, kind: str) -> None:
        if kind not in ("ringback", "busy", "failed"):
            log.warning("unknown tone %r", kind)
            return
        self.sounds.play(self.sounds.progress, kind, self._out_path.device_rate,
                         kind == "ringback")
        self._wake.set()

    def stop_tone(self) -> None:
        self.sounds.progress.stop()
        self._wake.set()

    def dtmf_feedback(self, digit: str) -> None:
        self.sounds.play(self.sounds.keys, f"dtmf:{digit.upper()}", self._out_path.device_rate,
                         False)
        self._wake.set()

    # Recordings: safe from any thread (a reference store and a wake-up, like the tones).
    def play_clip(self, clip: Clip) -> bool:
        if self._dead:
            return False
        clip.paused = False
        self.sounds.clip = clip
        self.sounds.set_extras()
        self._wake.set()
        return True

    def stop_clip(self) -> None:
        self.sounds.clip = None
        self._wake.set()

    def list_devices(self) -> list[DeviceInfo]:
        """The devices PortAudio saw at its last scan; asks for a fresh scan when idle.

        PortAudio only re-reads its device list on re-initialisation, which needs every stream
        closed: the scan happens on the device thread as soon as no stream is open, so a
        settings dialog that asks again a moment later sees a headset plugged in meanwhile.
        """
        self._chosen.rescan_requested = True
        self._wake.set()
        return list(self._chosen.devices)

    def set_devices(self, input: str | None, output: str | None, ringer: str | None) -> None:
        self._chosen.choose({"input": input, "output": output, "ringer": ringer})
        self._wake.set()

    def set_ring_volume(self, volume: float) -> None:
        self.sounds.ring_volume = min(1.0, max(0.0, float(volume)))

    def set_voice_processing(self, echo_cancellation: bool, noise_suppression: bool,
                             automatic_gain: bool, echo_tail_ms: int) -> None:
        if self._voice.set_wanted(echo_cancellation, noise_suppression, automatic_gain,
                                  echo_tail_ms):
            self._wake.set()  # rebuilt by the device thread

    def voice_state(self) -> dict[str, Any]:
        """What runs on the microphone now (diagnostics and tests)."""
        return self._voice.state()

    def levels(self) -> tuple[float, float]:
        """Peaks (0..1) of the last ~100 ms of microphone and call audio; computed here, on
        the SIP thread at its 10/s poll, from the frames the Python callbacks kept, or kept
        by the C callbacks as they go."""
        mic = _peak(self._mic_recent) if self._mic_recent else 0.0
        spk = _peak(self._spk_recent) if self._spk_recent else 0.0
        for st in self._live_native:
            m, s = st.take_peaks()
            mic, spk = max(mic, min(1.0, m / 32767.0)), max(spk, min(1.0, s / 32767.0))
        return (0.0 if self._muted else mic, spk)

    def bridge_counters(self) -> tuple[int, int]:
        qi, qo = self._in_path.queue, self._out_path.queue
        return (qi.underruns + qo.underruns, qi.overruns + qo.overruns)

    def buffer_depth_ms(self) -> tuple[float, float]:
        """(microphone, speaker) queue depth now: what the bridge adds to latency."""
        return (self._in_path.queue.depth_ms, self._out_path.queue.depth_ms)

    def queue_stats(self) -> dict[str, dict[str, float]]:
        """Per-direction bridge figures: underruns, overruns, depth (ms)."""
        out: dict[str, dict[str, float]] = {}
        for name, path in (("mic", self._in_path), ("speaker", self._out_path)):
            q = path.queue
            out[name] = {"underruns": q.underruns, "overruns": q.overruns,
                         "depth_ms": q.depth_ms}
        return out

    def stream_info(self) -> dict[str, dict[str, Any]]:
        """Open streams by role (device, rate, channels): diagnostics and tests."""
        return {role: {"device": s.name, "rate": s.rate, "channels": s.channels,
                       "stream": s.role}
                for role, s in list(self._streams.items())}

    def poll(self) -> None:
        if self._ports.stale(self._in_path, self._out_path):
            self._ports.build(self._in_path, self._out_path)  # a device came back at another rate
        emit = self._emit
        self._voice.report(emit)
        while self._notices:
            notice = self._notices.popleft()
            if emit is not None:
                emit(notice)
        live = "input" in self._streams or "output" in self._streams
        if emit is not None and (live or self._levels_live):
            mic, spk = self.levels()
            if not live:
                mic = spk = 0.0
            emit(AudioLevels(at=time.time(), mic=mic, speaker=spk))
        self._levels_live = live

    # --- device thread -----------------------------------------------------------------------
    def _attach_voice(self, state: Any, stream: Any, in_path: AudioPath | None,
                      out_path: AudioPath | None) -> None:
        """A call stream's C state opens (callbacks.py): the call's voice processing."""
        self._voice.attach(state, stream, in_path, out_path, self._out_path.rate,
                           self._live_native)

    def _device_loop(self) -> None:
        cb.name_thread(b"sp-audio-dev")
        try:
            while not self._stopping:
                self._wake.wait(0.2)
                self._wake.clear()
                if self._stopping:
                    break
                if self._dead:
                    continue
                try:
                    self._check_health()
                    if self._dead:
                        continue
                    self._reconcile()
                    self._voice.refresh(self._streams.get("input"), self._in_path,
                                        self._out_path.rate, self._live_native)
                    self._look_for_missing()
                except Exception:
                    log.exception("audio device thread")
        finally:
            for role in list(self._streams):
                self._close(role)
            self._voice.close()

    def _wanted(self) -> dict[str, bool]:
        ring_in_output = self.sounds.ring_in_output
        return {
            "input": self._in_call,
            "output": self._in_call or self.sounds.output_wanted()
            or (ring_in_output and self._ringing),
            "ringer": self._ringing and not ring_in_output,
        }

    def _reconcile(self) -> None:
        want = self._wanted()
        idx = {role: self._chosen.resolve(role) if want[role] else None for role in ROLES}
        rin, rout = self._streams.get("input"), self._streams.get("output")
        if want["input"] and want["output"] and idx["input"] is not None \
                and idx["input"] == idx["output"]:
            # Call audio on one device: one duplex stream (one callback per period).
            if rin is not None and rin is rout and rin.device == idx["input"]:
                pass
            else:
                self._close("input")
                self._close("output")
                if self._open_duplex(idx["input"]):
                    rin = rout = self._streams["input"]
        elif rin is not None and rin is rout:
            self._close("input")  # the duplex stream no longer fits (closes both)
        now = time.monotonic()
        for role in ROLES:
            rec = self._streams.get(role)
            if not want[role]:
                if rec is not None and rec.role == "output":
                    # Tones come in bursts (busy after ringback, key after key): linger a
                    # moment instead of closing and reopening the device between them.
                    since = self._unwanted_since.setdefault(role, now)
                    if now - since < OUTPUT_LINGER_SECONDS:
                        continue
                if rec is not None:
                    self._close(role)
                if role == "ringer" and not self._ringing:
                    self.sounds.ring_in_output = False
                continue
            self._unwanted_since.pop(role, None)
            index = idx[role]
            if rec is not None and (index is None or index == rec.device):
                continue
            if rec is not None:
                self._close(role)  # the user chose another device
            if index is not None:
                self._open(role, index)

    def _path_for(self, path: AudioPath, rate: int) -> AudioPath:
        return path if rate == path.device_rate else self._new_path(rate)

    def _open_duplex(self, index: int) -> bool:
        info = self._chosen.devices[index]
        rate = self._out_path.device_rate
        ch_in = 1
        for ch_out in dict.fromkeys((1, min(2, info.max_output_channels))):
            rec = StreamRecord("duplex", index, info.name, rate, ch_out, seen_at=time.monotonic())
            frames = frame_samples(rate)
            in_path = self._path_for(self._in_path, rate)
            try:
                self._mic_recent.clear()
                self._spk_recent.clear()
                stream = cb.open_call_stream(
                    self, rec, "duplex", cb.input_body(self, in_path),
                    cb.output_body(self, rec, self._out_path, frames), frames, (ch_in, ch_out),
                    paths=(in_path, self._out_path), device=(index, index), samplerate=rate,
                    blocksize=frames, dtype="int16", latency="low")
                rec.stream = stream
                self._in_path = in_path
                self._out_path.queue.clear()
                stream.start()
            except Exception as exc:
                log.info("no duplex stream on %s (%s): two streams instead", info.name, exc)
                continue
            self._streams["input"] = self._streams["output"] = rec
            self._streams_changed()
            log.info("audio call duplex: %s at %d Hz", info.name, rate)
            return True
        return False

    def _open(self, role: str, index: int) -> None:
        sd = self._sd
        info = self._chosen.devices[index]
        if role == "input":
            rates = [self._in_path.device_rate, int(info.default_samplerate)]
        elif role == "output":
            rates = [self._out_path.device_rate, int(info.default_samplerate)]
        else:
            rates = [int(info.default_samplerate)]
        max_ch = info.max_input_channels if role == "input" else info.max_output_channels
        last_exc: Exception | None = None
        for rate in dict.fromkeys(rates):
            for channels in dict.fromkeys((1, min(2, max_ch))):
                rec = StreamRecord(role, index, info.name, rate, channels, seen_at=time.monotonic())
                frames = frame_samples(rate)
                kw = {"device": index, "samplerate": rate, "blocksize": frames,
                      "dtype": "int16"}
                try:
                    if role == "input":
                        path = self._path_for(self._in_path, rate)
                        self._mic_recent.clear()
                        stream = cb.open_call_stream(self, rec, "input", cb.input_body(self, path),
                                                     None, frames, channels, paths=(path, None),
                                                     latency="low", **kw)
                        self._in_path = path
                    elif role == "output":
                        path = self._path_for(self._out_path, rate)
                        self._spk_recent.clear()
                        stream = cb.open_call_stream(
                            self, rec, "output", None, cb.output_body(self, rec, path, frames),
                            frames, channels, paths=(None, path), latency="low", **kw)
                        self._out_path = path
                        path.queue.clear()
                    else:
                        ring = self.sounds.ring
                        if ring.current is not None:
                            ring.play(self.sounds.sound("ringtone", rate), loop=True)
                        stream = sd.OutputStream(callback=cb.ringer_callback(self, rec, frames),
                                                 channels=channels, **kw)
                    rec.stream = stream
                    stream.start()
                except Exception as exc:
                    last_exc = exc
                    continue
                self._streams[role] = rec
                self._streams_changed()
                log.info("audio %s: %s at %d Hz, %d ch", role, info.name, rate, channels)
                return
        log.warning("cannot open %s on %s: %s", role, info.name, last_exc)
        if role == "ringer":
            self.sounds.ring_in_output = True  # ring in the call output rather than not at all
            self.sounds.set_extras()
        else:
            self._notify("device_lost", f"Cannot open {info.name} for the {role}: {last_exc}",
                         info.name)

    def _close(self, role: str) -> None:
        rec = self._streams.pop(role, None)
        if rec is None:
            return
        if rec.role == "duplex":
            for other in ("input", "output"):
                if self._streams.get(other) is rec:
                    del self._streams[other]
        if rec.native is not None:
            self._streams_changed()
            e, x = self._closed_counts
            self._closed_counts = (e + rec.native.errors, x + rec.native.xruns)
        if rec.stream is not None:
            with contextlib.suppress(Exception):
                rec.stream.abort()
            try:
                rec.stream.close()
            except Exception:
                log.debug("closing %s stream", role, exc_info=True)
        if rec.role in ("input", "duplex"):
            self._voice.microphone_closed(self._live_native)

    def _check_health(self) -> None:
        now = time.monotonic()
        lost: list[StreamRecord] = []
        for rec in {id(r): r for r in self._streams.values()}.values():
            beats = rec.native.beats if rec.native is not None else rec.beats
            if beats != rec.seen_beats:
                rec.seen_beats, rec.seen_at = beats, now
                continue
            active = False
            with contextlib.suppress(Exception):
                active = bool(rec.stream.active)
            if not active or now - rec.seen_at > STALL_SECONDS:
                lost.append(rec)
        if not lost:
            return
        if any(self._host_died(rec) for rec in lost):
            return
        # A device failed: close everything, re-read the device list, reopen what is wanted.
        roles = [r for rec in lost
                 for r in (("input", "output") if rec.role == "duplex" else (rec.role,))]
        names = {r: rec.name for rec in lost
                 for r in (("input", "output") if rec.role == "duplex" else (rec.role,))}
        for rec in lost:
            self._notify("device_lost", f"The sound device {rec.name} stopped working "
                         f"({rec.role}).", rec.name)
        for role in list(self._streams):
            self._close(role)
        self._chosen.after_failure(roles, names)

    def _host_died(self, rec: StreamRecord) -> bool:
        """The JACK server went away: PortAudio (19.6) then spins forever in Pa_AbortStream,
        Pa_CloseStream and Pa_Terminate. Leave PortAudio alone until the app restarts."""
        devices = self._chosen.devices
        if rec.device >= len(devices) or devices[rec.device].host_api != JACK_HOST_API:
            return False
        with contextlib.suppress(Exception):
            if rec.stream.active:
                return False  # only stalled: the server is alive
        for role in [r for r, s in self._streams.items() if s is rec]:
            del self._streams[role]
        self._graveyard.append(rec.stream)  # never closed (it would hang), never collected
        self._dead = True
        # sounddevice's exit handler would call Pa_Terminate (and hang): nothing to terminate.
        self._sd._initialized = 0
        for other in {id(r): r for r in self._streams.values()}.values():
            self._graveyard.append(other.stream)
        self._streams.clear()
        self._streams_changed()
        self._notify("device_lost", f"The JACK sound server stopped ({rec.name}).", rec.name)
        self._notify("unavailable", "The JACK sound server stopped: the call goes on without "
                     "sound. Start JACK again and restart the softphone to get sound back.",
                     rec.name)
        return True

    def _look_for_missing(self) -> None:
        self._chosen.look_for_missing(bool(self._streams))


def _peak(recent: deque[bytes]) -> float:
    frames = tuple(recent)  # one C-level copy: the callback may append meanwhile
    recent.clear()
    if not frames:
        return 0.0
    samples = np.frombuffer(b"".join(frames), dtype=np.int16)
    if not len(samples):
        return 0.0
    return max(int(samples.max()), -int(samples.min())) / 32767.0


def _conf_clock_rate(endpoint: Any) -> int:
    """The clock rate of PJSIP's conference bridge (16 kHz unless the engine changed it)."""
    try:
        media = endpoint.audDevManager().getPlaybackDevMedia()
        return int(media.getPortInfo().format.clockRate)
    except Exception:
        return 0
