"""Fixtures for real-audio tests: a JACK dummy server per test, the harness client, engines.

Each test gets its own JACK server (unique name), so tests run beside each other and beside a
running app; every process is stopped by the fixture's finalizer, also when the test failed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.jack import JackHarness, JackServer
from tests.harness.sip_peers import Baresip
from tests.integration.audio.audio_driver import AudioEngineProcess, lan_account


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (see scripts/bootstrap)")


@pytest.fixture
def jack(tmp_path: Path) -> Iterator[JackServer]:
    _need("jackd")
    _need("jack_connect")
    with JackServer(workdir=tmp_path / "jack") as server:
        yield server


@pytest.fixture
def harness(jack: JackServer) -> Iterator[JackHarness]:
    """Plays 1 kHz on ``harness:out_0``; records ``harness:in_0`` and ``harness:in_1``."""
    with JackHarness(jack, inputs=2, tone_hz=1000.0) as h:
        yield h


AudioEngineFactory = Callable[..., AudioEngineProcess]


@pytest.fixture
def make_audio_engine(tmp_path: Path, jack: JackServer) -> Iterator[AudioEngineFactory]:
    """``make_audio_engine(name, audio={...}, env_extra={...})``: an engine with real audio."""
    made: list[AudioEngineProcess] = []

    def make(name: str = "alice", *, accounts: list[dict[str, Any]] | None = None,
             env_extra: dict[str, str] | None = None, **kw: Any) -> AudioEngineProcess:
        env = jack.env()
        env.update(env_extra or {})
        proc = AudioEngineProcess(tmp_path, env=env, accounts=accounts or [lan_account(name)],
                                  name=name, **kw)
        made.append(proc)
        return proc.start()

    yield make
    for proc in reversed(made):
        proc.close()


@pytest.fixture
def make_baresip(tmp_path: Path) -> Iterator[Callable[..., Baresip]]:
    _need("baresip")
    made: list[Baresip] = []

    def make(user: str = "bob", **kw: Any) -> Baresip:
        peer = Baresip(user=user, workdir=tmp_path / f"baresip-{user}-{len(made)}", **kw)
        made.append(peer)
        return peer.start()

    yield make
    for peer in reversed(made):
        peer.stop()


def wait_call_stream(eng: AudioEngineProcess, timeout: float = 10.0) -> None:
    """Wait until the call's duplex stream runs (it replaces a ringback-only output stream)."""
    from tests.harness.sip_peers import wait_until

    wait_until(lambda: eng.cmd("audio_stats")["stream_info"].get("input", {}).get("stream")
               == "duplex", timeout, "the call's duplex stream")
