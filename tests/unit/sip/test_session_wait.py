"""How long the SIP loop may sleep in libHandleEvents (no Endpoint needed)."""

from __future__ import annotations

import time
from pathlib import Path

from softphone.settings import CallSettings, SipSettings
from softphone.sip.media_api import NullAudioBackend
from softphone.sip.session import SipSession


def make_session() -> SipSession:
    session = SipSession(SipSettings(listen_port=0), [], CallSettings(), NullAudioBackend(),
                         None, emit=lambda _e: None, allocate_call_id=lambda: 1,
                         post=lambda _fn: None)
    now = time.monotonic()
    session._next_poll = session._next_quality = now + 10.0  # nothing due soon
    return session


def test_idle_loop_sleeps_at_most_the_longest_wait() -> None:
    assert make_session().wait_ms(100) == 100


def test_wait_ends_when_the_audio_poll_or_a_timer_is_due() -> None:
    session = make_session()
    session._next_poll = time.monotonic() + 0.03
    assert 0 < session.wait_ms(100) <= 30
    session = make_session()
    session.schedule(0.005, lambda: None)
    assert 0 <= session.wait_ms(100) <= 5
    session.schedule(0.0, lambda: None)
    assert session.wait_ms(100) == 0


def test_a_recording_being_finalised_is_looked_at_often() -> None:
    session = make_session()
    session.media.finalizing.append((1, Path("/nonexistent.wav"), time.monotonic() + 2.0))
    assert session.wait_ms(100) <= 10
