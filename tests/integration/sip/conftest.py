"""Fixtures for real-peer SIP tests: kamailio, baresip, linphonec and engine processes.

Every peer and engine is started in a temp dir on free ports and stopped by the fixture's
finalizer, also when the test fails; tests can run beside other tests on the machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.sip_peers import Baresip, Kamailio, Linphonec
from tests.integration.sip.engine_proc import EngineFactory, EngineProcess, lan_account


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (see scripts/bootstrap)")


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    _need("kamailio")
    with Kamailio(workdir=tmp_path / "kamailio") as k:
        yield k


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[EngineFactory]:
    """``make_engine(name, accounts=[...], calls={...}, options={...})``: a started engine."""
    made: list[EngineProcess] = []

    def make(name: str = "engine", *, accounts: list[dict[str, Any]] | None = None,
             start: bool = True, **kw: Any) -> EngineProcess:
        proc = EngineProcess(tmp_path, accounts=accounts or [lan_account()], name=name, **kw)
        made.append(proc)
        if start:
            proc.start()
        return proc

    yield make
    for proc in reversed(made):
        proc.close()


@pytest.fixture
def make_baresip(tmp_path: Path) -> Iterator[Callable[..., Baresip]]:
    """``make_baresip(user="bob", **Baresip kwargs)``: a started baresip."""
    _need("baresip")
    made: list[Baresip] = []

    def make(user: str = "bob", **kw: Any) -> Baresip:
        peer = Baresip(user=user, workdir=tmp_path / f"baresip-{user}-{len(made)}", **kw)
        made.append(peer)
        return peer.start()

    yield make
    for peer in reversed(made):
        peer.stop()


@pytest.fixture
def make_linphonec(tmp_path: Path) -> Iterator[Callable[..., Linphonec]]:
    _need("linphonec")
    made: list[Linphonec] = []

    def make(user: str = "carol", **kw: Any) -> Linphonec:
        peer = Linphonec(user=user, workdir=tmp_path / f"linphonec-{user}-{len(made)}", **kw)
        made.append(peer)
        return peer.start()

    yield make
    for peer in reversed(made):
        peer.stop()
