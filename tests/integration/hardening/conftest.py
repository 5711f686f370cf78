"""Fixtures for the hardening tests: kamailio, engine processes, the app in its own process.

Everything runs on loopback, on free ports, in the test's temp dir; every process is ended in
the fixture's finalizer, also when the test fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.settings import Settings
from tests.harness.sip_peers import Kamailio
from tests.integration.hardening.apps import AppProcess, GuiApp, write_profile
from tests.integration.sip.engine_proc import EngineProcess, lan_account

pytestmark = pytest.mark.integration


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (see scripts/bootstrap.sh)")


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    need("kamailio")
    k = Kamailio(workdir=tmp_path / "kamailio")
    try:
        yield k.start()
    finally:
        k.stop()


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., EngineProcess]]:
    """``make_engine(name, accounts=[...], calls={...})``: a started engine process."""
    made: list[EngineProcess] = []

    def make(name: str = "engine", *, accounts: list[dict[str, Any]] | None = None,
             env: dict[str, str] | None = None, **kw: Any) -> EngineProcess:
        proc = EngineProcess(tmp_path, accounts=accounts or [lan_account()], name=name, **kw)
        proc.extra_env = dict(env or {})
        made.append(proc)
        return proc.start()

    yield make
    for proc in reversed(made):
        try:
            proc.close()
        except Exception:
            if proc.proc is not None and proc.proc.poll() is None:
                proc.proc.kill()


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., AppProcess]]:
    """``make_app(settings, passwords={...}, profile=None)``: the app runner, started."""
    made: list[AppProcess] = []

    def make(settings: Settings, passwords: dict[str, str] | None = None,
             profile: Path | None = None, write: bool = True) -> AppProcess:
        profile = profile or tmp_path / f"profile{len(made)}"
        if write:
            write_profile(profile, settings, passwords)
        app = AppProcess(profile, name=f"app{len(made)}")
        app.stderr_path = tmp_path / f"{app.name}.stderr"
        made.append(app)
        return app.start()

    yield make
    bad: list[str] = []
    for app in reversed(made):
        code = app.close(15.0)
        tail = app.stderr_tail(400)
        fatal = [ln for ln in tail.splitlines() if "Fatal Python error" in ln]
        if code not in (0, None, -9) or fatal:
            bad.append(f"{app.name} exit code {code} at quit; {fatal}")
    # Quitting must be clean (PySide6 6.12.0's emit() once made it abort: bool_dealloc).
    assert not bad, bad


@pytest.fixture
def make_gui(tmp_path: Path) -> Iterator[Callable[[Path], GuiApp]]:
    made: list[GuiApp] = []

    def make(profile: Path) -> GuiApp:
        gui = GuiApp(profile)
        made.append(gui)
        return gui.start()

    yield make
    for gui in reversed(made):
        gui.close()
