"""Fixtures of the network lab (tests/integration/network/lab.py): the namespaces and the
servers a test asks for, all removed when the test ends (also when it fails).

The lab needs root (network namespaces, nftables): without it every test here is skipped with
that reason. scripts/run-tests runs as root in CI, where they must pass.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.network.lab import Lab, LabUnavailable
from tests.integration.network.phones import LabBaresip, LabEngine
from tests.integration.network.servers import SIP_PASSWORD, Coturn, LabKamailio

pytestmark = pytest.mark.integration


@pytest.fixture
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("the network lab needs root (network namespaces and nftables)")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh test installs it)")
    try:
        made = Lab(udp_timeout=20).__enter__()
    except LabUnavailable as exc:
        pytest.skip(f"the network lab cannot be built here: {exc}")
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def kamailio(lab: Lab, tmp_path: Path) -> Iterator[LabKamailio]:
    from tests.integration.network.lab import KAMAILIO

    k = LabKamailio(lab, tmp_path / "kamailio", KAMAILIO, tls=True)
    try:
        yield k.start()
    finally:
        k.stop()


@pytest.fixture
def coturn(lab: Lab, tmp_path: Path) -> Iterator[Coturn]:
    turn = Coturn(lab, tmp_path / "coturn")
    try:
        yield turn.start()
    finally:
        turn.stop()


@pytest.fixture
def make_app(lab: Lab, tmp_path: Path) -> Iterator[Callable[..., LabEngine]]:
    """``make_app(role, accounts=[...], calls={...}, name=...)``: the app's engine, started
    in ``role``'s namespace."""
    made: list[LabEngine] = []

    def make(role: str = "lana", *, name: str = "app", **kw: Any) -> LabEngine:
        app = LabEngine(lab, role, tmp_path, name=name, **kw)
        made.append(app)
        return app.start(timeout=20.0)  # type: ignore[return-value]

    yield make
    for app in reversed(made):
        try:
            app.close()
        except Exception:
            if app.proc is not None and app.proc.poll() is None:
                app.proc.kill()


@pytest.fixture
def make_baresip(lab: Lab, tmp_path: Path) -> Iterator[Callable[..., LabBaresip]]:
    """``make_baresip(role, ip, user=..., register_with=..., ...)``: a started baresip."""
    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed (scripts/bootstrap.sh test installs it)")
    made: list[LabBaresip] = []

    def make(role: str, ip: str, **kw: Any) -> LabBaresip:
        user = kw.get("user", "bob")
        slot = sum(1 for p in made if p.role == role)
        peer = LabBaresip(lab, role, ip, tmp_path / f"baresip-{user}-{len(made)}", slot=slot,
                          **kw)
        made.append(peer)
        return peer.start()

    yield make
    for peer in reversed(made):
        peer.stop()


def app_account(k: LabKamailio, user: str = "alice", *, transport: str = "udp",
                **extra: Any) -> dict[str, Any]:
    """The app's account at ``k`` (AccountSettings fields)."""
    return {"name": "office", "address": k.aor(user), "registrar": k.uri(transport),
            "username": user, "password": SIP_PASSWORD, "transport": transport, **extra}
