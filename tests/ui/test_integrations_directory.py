"""The company directory (a real slapd the test starts and fills) in the real app: a caller the
CRM does not know but the directory does gets a card that says so; a directory that hangs
never holds the card up; the dial field also finds people of the directory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.integrations.config import DirectorySettings, IntegrationSettings
from softphone.settings import CrmSettings, Settings
from softphone.sip.events import IncomingCall
from tests.harness import slapd as slapd_harness
from tests.ui.conftest import engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]
BOUND = 1.5  # [directory] timeout


@pytest.fixture
def ldap(tmp_path: Path) -> Iterator[slapd_harness.Slapd]:
    if not slapd_harness.available():
        pytest.skip("slapd / ldap-utils are not installed (scripts/bootstrap.sh test)")
    with slapd_harness.Slapd(tmp_path / "slapd") as server:
        server.add(server.person("olga", "Olga Smirnova", sn="Smirnova",
                                 phones=["+7 (495) 765-43-21"], title="Lawyer",
                                 department="Legal", mail="olga@example.com") + "\n"
                   + server.person("petr", "Petr Sidorov", sn="Sidorov",
                                   mobiles=["8-916-222-33-44"]))
        yield server


@pytest.fixture
def settings(ldap: slapd_harness.Slapd) -> Settings:
    directory = DirectorySettings(url=ldap.url, base_dn=f"ou=people,{ldap.suffix}",
                                  timeout=BOUND)
    return Settings(crm=CrmSettings(default_region="RU", agent="tester"),
                    integrations=IntegrationSettings(directory=directory))


def _card(app: Any) -> Any:
    cards = list(app.window.cards.values())
    return cards[0] if cards else None


def _ring(app: Any, engine: Any, make_baresip: Any, number: str) -> float:
    arrived: list[float] = []
    app.bridge.sip_event.connect(
        lambda e: arrived.append(time.monotonic()) if isinstance(e, IncomingCall) else None)
    peer = make_baresip(user=number, auto_answer=False)
    peer.dial(engine_uri(engine))
    return float(arrived[0]) if arrived else time.monotonic()


def test_a_caller_from_the_directory_gets_a_card_that_says_so(qtbot: Any, app: Any,
                                                              engine: Any,
                                                              make_baresip: Any) -> None:
    qtbot.waitUntil(lambda: app.integrations is not None
                    and app.integrations.directory is not None, timeout=10_000)
    _ring(app, engine, make_baresip, "+74957654321")
    qtbot.waitUntil(lambda: _card(app) is not None
                    and _card(app).name_label.text() == "Olga Smirnova", timeout=15_000)
    card = _card(app)
    assert card.why_label.text() == "From the directory"
    assert "Lawyer" in card.company_label.text() and "Legal" in card.company_label.text()
    assert not card.unknown_box.isHidden()  # still offers to create a CRM contact
    assert card.new_name.text() == "Olga Smirnova"


def test_a_directory_that_hangs_never_holds_the_card(qtbot: Any, app: Any, engine: Any,
                                                     make_baresip: Any,
                                                     ldap: slapd_harness.Slapd) -> None:
    qtbot.waitUntil(lambda: app.integrations is not None
                    and app.integrations.directory is not None, timeout=10_000)
    ldap.pause()  # accepts connections, never answers
    try:
        arrived: list[float] = []
        app.bridge.sip_event.connect(
            lambda e: arrived.append(time.monotonic()) if isinstance(e, IncomingCall) else None)
        peer = make_baresip(user="+74957654321", auto_answer=False)
        peer.dial(engine_uri(engine))
        qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
        # the CRM's answer shows at once, whatever the directory does
        qtbot.waitUntil(lambda: _card(app) is not None and _card(app).call.caller is not None,
                        timeout=2000)
        assert time.monotonic() - arrived[0] < 1.5
        card = _card(app)
        assert card.name_label.text() != "Olga Smirnova"
        # the window keeps answering while the lookup waits: a timer fires on time
        ticks: list[float] = []
        started = time.monotonic()
        from PySide6.QtCore import QTimer

        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start(50)
        qtbot.waitUntil(lambda: time.monotonic() - started > BOUND + 0.5, timeout=10_000)
        timer.stop()
        gaps = [b - a for a, b in zip([started, *ticks], ticks, strict=False)]
        assert ticks and max(gaps) < BOUND * 0.8, gaps  # a blocked window would wait BOUND
        assert card.why_label.text() != "From the directory"
    finally:
        ldap.resume()


def test_the_dial_field_finds_people_of_the_directory(qtbot: Any, app: Any) -> None:
    qtbot.waitUntil(lambda: app.integrations is not None
                    and app.integrations.directory is not None, timeout=10_000)
    field = app.window.dial_field
    field.setFocus()
    qtbot.keyClicks(field, "Sidor")
    qtbot.waitUntil(lambda: any("Petr Sidorov" in s for s in field.suggestions()),
                    timeout=10_000)
    (shown,) = [s for s in field.suggestions() if "Petr Sidorov" in s]
    assert "directory" in shown and "8-916-222-33-44" in shown
