"""The engine's API checks input at once, on the caller's thread, without a SIP thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.settings import AccountSettings, CallSettings, SipSettings
from softphone.sip.call_media import recording_path
from softphone.sip.engine import Engine, EngineError, InvalidTarget
from softphone.sip.events import SipEvent
from softphone.sip.media_api import NullAudioBackend

ACCOUNTS = [
    AccountSettings(name="LAN", address="sip:alice@0.0.0.0"),
    AccountSettings(name="office", address="sip:alice@pbx.example.com",
                    registrar="sip:pbx.example.com"),
]


def make_engine() -> Engine:
    events: list[SipEvent] = []
    return Engine(SipSettings(listen_port=0), ACCOUNTS, CallSettings(), events.append)


def test_malformed_target_raises_before_anything_is_queued() -> None:
    engine = make_engine()
    with pytest.raises(InvalidTarget):
        engine.dial("sip:bob@@host")
    with pytest.raises(InvalidTarget, match="without a server"):
        engine.dial("+7 495 123 45 67", account="LAN")


def test_commands_on_a_stopped_engine_raise() -> None:
    engine = make_engine()
    with pytest.raises(EngineError, match="not running"):
        engine.dial("+7 495 123 45 67", account="office")
    with pytest.raises(EngineError, match="not running"):
        engine.hangup(1)
    engine.stop()  # never started: a no-op


def test_bad_arguments() -> None:
    engine = make_engine()
    with pytest.raises(EngineError, match="no account"):
        engine.register("nope")
    with pytest.raises(ValueError, match="DTMF"):
        engine.send_dtmf(1, "12x")
    with pytest.raises(ValueError):
        engine.reject(1, code=200)
    with pytest.raises(ValueError):
        engine.conference([1])


def test_defaults() -> None:
    engine = Engine(SipSettings(), [], CallSettings(), lambda e: None)
    assert isinstance(engine.audio, NullAudioBackend)
    assert engine.active_calls() == []
    assert engine.registration("LAN") is None
    assert engine.call_quality(1) is None
    assert engine.listen_address == ""


def test_duplicate_account_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        Engine(SipSettings(), [ACCOUNTS[0], ACCOUNTS[0]], CallSettings(), lambda e: None)


def test_recording_paths_say_when_and_who_and_never_collide(tmp_path: Path) -> None:
    first = recording_path(tmp_path, 3, "in", "+7 (495) 123")
    assert first.suffix == ".wav" and "-in-+7__495__123-3" in first.name
    first.write_bytes(b"")
    second = recording_path(tmp_path, 3, "in", "+7 (495) 123")
    assert second != first and second.name.endswith("-3-2.wav")
    assert recording_path(tmp_path, 4).name.endswith("-unknown-4.wav")


def test_a_second_engine_in_one_process_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import softphone.sip.engine as engine_module

    # Another Engine owns the process's one Endpoint: starting must refuse, not abort.
    monkeypatch.setattr(engine_module, "_endpoint_owner", make_engine())
    engine = make_engine()
    with pytest.raises(EngineError, match="already running"):
        engine.start()
    engine.stop()


def test_an_address_on_the_account_server_without_its_port_gets_the_port() -> None:
    """A reply goes to the From address, which PJSIP prints without the port."""
    from softphone.settings import AccountSettings, CallSettings, SipSettings
    from softphone.sip.engine import Engine

    account = AccountSettings(name="pbx", address="sip:100@pbx.example.com:5080",
                              registrar="sip:pbx.example.com:5080")
    engine = Engine(SipSettings(), [account], CallSettings(), lambda _e: None)
    assert engine.resolve_target("sip:alice@PBX.example.com;transport=tcp") == (
        "pbx", "sip:alice@pbx.example.com:5080;transport=tcp")
    assert engine.resolve_target("sip:alice@other.example") == ("pbx", "sip:alice@other.example")
    assert engine.resolve_target("sip:alice@pbx.example.com:5090")[1] == \
        "sip:alice@pbx.example.com:5090"
    assert engine.resolve_target("101")[1] == "sip:101@pbx.example.com:5080"
