"""UI tests: the real engine (one per process, session-scoped), real peers, a real store.

Each test gets its own temporary profile (SQLite store) and window; the session engine's
bridge is connected to that window for the test and disconnected after it.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.settings import (
    AccountSettings,
    CallSettings,
    CrmSettings,
    Settings,
    SipSettings,
    UiSettings,
)
from tests.harness.ports import free_port
from tests.harness.sip_peers import Baresip


def lan_account(domain: str = "127.0.0.1") -> AccountSettings:
    return AccountSettings(name="LAN", address=f"sip:agent@{domain}")


@pytest.fixture(scope="session")
def sip_bridge(qapp: Any) -> Any:
    from softphone.ui.bridge import SipBridge

    return SipBridge()


@pytest.fixture(scope="session")
def peer_port() -> int:
    """The port of the peer that answers numbers dialled on the LAN account's domain."""
    return free_port(count=2)


@pytest.fixture(scope="session")
def engine(sip_bridge: Any, tmp_path_factory: pytest.TempPathFactory,
           peer_port: int) -> Iterator[Any]:
    from softphone.sip.engine import Engine
    from softphone.sip.media_api import NullAudioBackend

    # Numbers are dialled on the account's domain: the test peer at ``peer_port``.
    account = lan_account(f"127.0.0.1:{peer_port}")
    eng = Engine(SipSettings(listen_host="127.0.0.1", listen_port=0), [account],
                 CallSettings(), sip_bridge, audio=NullAudioBackend(),
                 recordings_dir=tmp_path_factory.mktemp("recordings"))
    eng.start(timeout=10.0)
    yield eng
    eng.stop(10.0)


@pytest.fixture
def make_baresip(tmp_path: Path) -> Iterator[Callable[..., Baresip]]:
    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed")
    made: list[Baresip] = []

    def make(user: str = "bob", **kw: Any) -> Baresip:
        peer = Baresip(user=user, workdir=tmp_path / f"baresip-{len(made)}", **kw)
        made.append(peer)
        return peer.start()

    yield make
    for peer in reversed(made):
        peer.stop()


@pytest.fixture
def settings() -> Settings:
    # the first start page (tests/ui/test_first_start.py) would cover the idle page
    return Settings(crm=CrmSettings(default_region="RU", agent="tester"),
                    ui=UiSettings(first_start_page=False))


class ThreadGuard:
    """Wraps the store: every call must come from the DB worker thread, never the UI."""

    def __init__(self, store: Any, worker: int | None) -> None:
        self._store = store
        self._worker = worker
        self.violations: list[str] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != self._worker:
                self.violations.append(f"{name} on {threading.current_thread().name}")
            return value(*args, **kwargs)

        return guarded


def _close_app(qtbot: Any, parts: Any) -> None:
    from softphone.app import shutdown

    if getattr(parts, "_test_closed", False):
        return
    parts._test_closed = True
    for card in list(parts.window.cards.values()):
        card.close()
    parts.window.quitting = True
    shutdown(parts)
    guard = parts.db.store
    violations = getattr(guard, "violations", [])
    assert not violations, f"store used off the DB worker: {violations[:5]}"


@pytest.fixture
def app_factory(qtbot: Any, engine: Any, sip_bridge: Any, profile_dir: Path,
                settings: Settings) -> Iterator[Callable[..., Any]]:
    """Makes the whole app on the session engine: ``make(settings=None, close_first=None,
    use_secrets=False)``; ``close_first``: an app made before, shut down first (a restart on
    the same profile); ``use_secrets``: passwords go to the profile's credentials file."""
    from softphone.app import create_parts

    made: list[Any] = []

    def make(app_settings: Settings | None = None, close_first: Any = None,
             use_secrets: bool = False) -> Any:
        if close_first is not None:
            made.remove(close_first)
            _close_app(qtbot, close_first)
        chosen = app_settings or settings
        engine.set_call_settings(chosen.calls)
        parts = create_parts(profile_dir, chosen, engine=engine, bridge=sip_bridge,
                             use_secrets=use_secrets)
        # pytest-qt closes and deletes registered widgets before fixtures tear down: the app
        # is shut down first (a deleted window cannot flush its wrap-up)
        qtbot.addWidget(parts.window, before_close_func=lambda _w: _close_app(qtbot, parts))
        parts.window.show()
        qtbot.waitUntil(lambda: parts.db.store is not None, timeout=10_000)
        guard = ThreadGuard(parts.db.store, parts.db.thread_ident)
        assert parts.db.thread_ident != threading.get_ident()
        parts.db.store = guard
        made.append(parts)
        return parts

    yield make
    engine.hangup_all()
    qtbot.waitUntil(lambda: not engine.active_calls(), timeout=10_000)
    for parts in made:
        _close_app(qtbot, parts)


@pytest.fixture
def app(app_factory: Callable[..., Any]) -> Any:
    """The whole app (window, workflow, store on its worker) on the session engine."""
    return app_factory()


def db_call(qtbot: Any, parts: Any, job: Callable[[Any], Any], timeout: int = 5000) -> Any:
    """Run ``job(store)`` on the app's DB worker and wait for its result."""
    box: list[Any] = []
    errors: list[Exception] = []
    parts.db.submit(job, box.append, errors.append)
    qtbot.waitUntil(lambda: bool(box or errors), timeout=timeout)
    if errors:
        raise errors[0]
    return box[0]


def engine_uri(engine: Any, user: str = "agent") -> str:
    return f"sip:{user}@{engine.listen_address}"
