"""CallVoice's decisions: when a settings change needs the device thread to rebuild the voice
state, what is reported to the window (once per change), and what happens to the state when
the microphone goes. The C state itself (voice.c) is tested in test_audio_voice.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from softphone.sip.audio.call_voice import CallVoice, latency_ms
from softphone.sip.audio.voice import VoiceWanted
from softphone.sip.events import SipEvent, VoiceProcessing


@dataclass
class FakeC:
    sync: bool = False
    errors: int = 0


@dataclass
class FakeVoice:
    wanted: VoiceWanted
    c: FakeC = field(default_factory=FakeC)
    gain: list[bool] = field(default_factory=list)
    closed: bool = False
    echo_cancellation: bool = True
    noise_suppression: bool = True
    automatic_gain: bool = False
    canceller: str = "Speex"
    note: str = ""
    gain_db: float = 0.0
    latency_ms: int = 40

    def set_automatic_gain(self, on: bool) -> None:
        self.gain.append(on)

    def close(self) -> None:
        self.closed = True


class LiveState:
    def __init__(self) -> None:
        self.voices: list[Any] = []

    def set_voice(self, voice: Any) -> None:
        self.voices.append(voice)


def test_between_calls_only_something_to_run_needs_a_rebuild() -> None:
    v = CallVoice(VoiceWanted(False, False, False))
    assert not v.set_wanted(False, False, False, 250) and not v.dirty
    assert v.set_wanted(False, False, True, 250) and v.dirty
    assert v.wanted == VoiceWanted(False, False, True, 250, "speex")


def test_in_a_call_the_gain_switches_at_once_a_canceller_change_is_rebuilt() -> None:
    v = CallVoice(VoiceWanted())
    running = FakeVoice(VoiceWanted())
    v.switch.current = running  # type: ignore[assignment]
    assert not v.set_wanted(True, True, True, 250)  # gain only
    assert running.gain == [True] and not v.dirty
    assert v.set_wanted(False, True, True, 250)  # the canceller off: a new state
    assert v.dirty
    assert v.set_wanted(False, True, True, 120)  # another tail: a new state too


def test_the_window_hears_of_each_change_once() -> None:
    v = CallVoice(VoiceWanted())
    events: list[SipEvent] = []
    v.report(events.append)
    v.report(events.append)
    assert len(events) == 1 and isinstance(events[0], VoiceProcessing)
    assert not events[0].echo_cancellation  # nothing runs between calls
    v.switch.current = FakeVoice(VoiceWanted(), note="why")  # type: ignore[assignment]
    v.report(events.append)
    v.report(events.append)
    assert len(events) == 2
    last = events[-1]
    assert isinstance(last, VoiceProcessing)
    assert (last.echo_cancellation, last.canceller, last.note) == (True, "Speex", "why")
    assert v.state()["canceller"] == "Speex"
    assert CallVoice(VoiceWanted()).state()["echo_cancellation"] is False


def test_the_microphone_gone_takes_the_voice_state_with_it() -> None:
    v = CallVoice(VoiceWanted())
    running = FakeVoice(VoiceWanted())
    v.switch.current = running  # type: ignore[assignment]
    live = [LiveState(), LiveState()]
    v.microphone_closed(live)
    assert v.switch.current is None
    assert [s.voices for s in live] == [[None], [None]]
    assert not running.closed  # a callback may still hold it for a moment
    v.microphone_closed([])  # nothing left: nothing to do
    v.close()
    assert running.closed


def test_a_duplex_stream_feeds_its_state_alone() -> None:
    v = CallVoice(VoiceWanted())
    v.switch.current = FakeVoice(VoiceWanted(), c=FakeC(sync=True))  # type: ignore[assignment]
    opened = LiveState()
    v.attach(opened, stream=None, in_path=None, out_path=None, out_rate=16000, live=[])
    assert opened.voices == [None]


def test_latency_counts_both_directions() -> None:
    class Stream:
        latency: Any = (0.02, 0.03)

    assert latency_ms(Stream(), True, True) == 50
    Stream.latency = 0.01  # one direction: counted twice (the other is a twin device)
    assert latency_ms(Stream(), True, False) == 20
    assert latency_ms(object(), True, True) == 60  # nothing reported: a sane guess
