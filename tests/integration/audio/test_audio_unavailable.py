"""Without a loadable PortAudio the phone still calls (silently) and tells the user why.

PortAudio is made really unloadable: the engine process runs with ``LD_LIBRARY_PATH`` naming a
folder whose ``libportaudio.so.2`` is not a shared library, so ``dlopen`` (which searches
``LD_LIBRARY_PATH`` first) fails inside ``import sounddevice``, exactly as with a broken or
missing package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.sip_peers import Baresip
from tests.integration.audio.conftest import AudioEngineFactory

pytestmark = pytest.mark.integration


def test_call_connects_and_warns_without_portaudio(
        tmp_path: Path, make_audio_engine: AudioEngineFactory,
        make_baresip: Callable[..., Baresip]) -> None:
    broken = tmp_path / "broken-libs"
    broken.mkdir()
    (broken / "libportaudio.so.2").write_bytes(b"this is not an ELF file\n" * 10)
    bob = make_baresip("bob")
    eng = make_audio_engine("alice", env_extra={"LD_LIBRARY_PATH": str(broken)})

    notice = eng.wait_event("AudioDeviceNotice", 10.0, kind="unavailable")
    assert "PortAudio" in notice["message"] and "libportaudio2" in notice["message"]
    stats = eng.cmd("audio_stats")
    assert stats["backend"] == "UnavailableAudioBackend" and stats["reason"]

    call_id = int(eng.cmd("dial", target=bob.uri))
    eng.wait_state(call_id, "confirmed")
    eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
    bob.wait_event("CALL_ESTABLISHED", 10.0)
    eng.cmd("hangup", call_id=call_id)
    eng.wait_state(call_id, "disconnected")
