"""LocalSounds: each sound made once per rate; a sound starting turns the C streams' mixing
hook on at once; the hook turns itself off once nothing is left, unless a sound started while
it mixed (the sequence moved)."""

from __future__ import annotations

from typing import Any

from softphone.sip.audio.local_sounds import LocalSounds


class CState:
    def __init__(self) -> None:
        self.extras: list[bool] = []

    def set_extras(self, on: bool) -> None:
        self.extras.append(on)


class Clip:
    active = True


def sounds(live: list[Any] | None = None) -> LocalSounds:
    states = live if live is not None else []
    return LocalSounds(1.7, lambda: tuple(states))


def test_samples_are_made_once_per_kind_and_rate() -> None:
    s = sounds()
    assert s.sound("busy", 16000) is s.sound("busy", 16000)
    assert s.sound("busy", 48000) is not s.sound("busy", 16000)
    assert len(s.sound("dtmf:5", 8000)) > 0
    assert s.ring_volume == 1.0  # clamped


def test_a_sound_starting_turns_every_running_stream_hook_on() -> None:
    a, b = CState(), CState()
    s = sounds([a, b])
    assert not s.extras_wanted()
    s.play(s.progress, "ringback", 16000, loop=True)
    assert a.extras == [True] and b.extras == [True] and s.extras_seq == 1
    assert s.output_wanted() and s.extras_wanted()
    opened = CState()
    s.set_extras(opened)  # a stream opening while a tone plays: on from the start
    assert opened.extras == [True] and s.extras_seq == 1
    s.progress.stop()
    s.set_extras(opened)
    assert opened.extras == [True, False]


def test_the_hook_turns_itself_off_unless_a_sound_started_meanwhile() -> None:
    st = CState()
    s = sounds([st])
    seq = s.extras_seq
    s.extras_done(st, seq)  # nothing plays: off
    assert st.extras == [False]
    s.clip = Clip()  # type: ignore[assignment]
    s.extras_done(st, seq)  # a recording plays: stays on (nothing sent)
    assert st.extras == [False] and s.output_wanted()
    s.clip = None
    s.ring_in_output = True  # no ringer device: the ringtone mixes into the call output
    assert s.extras_wanted() and not s.output_wanted()
    s.ring_in_output = False
    s.extras_seq += 1  # a sound started (and ended) while the hook was mixing
    s.extras_done(st, seq)
    assert st.extras == [False, False, True]  # off, then on again for the next period
