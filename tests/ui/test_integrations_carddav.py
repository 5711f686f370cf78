"""Contact sync in the real app against a real Radicale: the app syncs at start on its own thread
and says so in the status bar; a conflict merged by a later sync shows in the contact's history
on the contact card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from softphone.integrations.config import CardDavSettings, IntegrationSettings
from softphone.settings import CrmSettings, Settings
from tests.harness.radicale import Radicale
from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui, pytest.mark.integration]

CARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:olga\r\nFN:Olga Smirnova\r\nN:Smirnova;Olga;;;\r\n"
        "TEL;TYPE=WORK:+7 495 765-43-21\r\nEND:VCARD\r\n")


@pytest.fixture
def dav(tmp_path: Path) -> Iterator[Radicale]:
    with Radicale(tmp_path / "dav") as server:
        server.put("olga.vcf", CARD)
        yield server


@pytest.fixture
def settings(dav: Radicale) -> Settings:
    carddav = CardDavSettings(url=dav.book_url, username=dav.user, password=dav.password,
                              interval=0)
    return Settings(crm=CrmSettings(default_region="RU", agent="tester"),
                    integrations=IntegrationSettings(carddav=carddav))


def test_the_app_syncs_and_a_merged_conflict_shows_in_the_contacts_history(
        qtbot: Any, app: Any, dav: Radicale) -> None:
    messages: list[str] = []
    app.window.statusBar().messageChanged.connect(messages.append)
    qtbot.waitUntil(lambda: app.integrations is not None
                    and "Contacts synced" in app.integrations.sync_status, timeout=20_000)
    contacts = db_call(qtbot, app, lambda s: list(s.iter_contacts()))
    assert [c.name for c in contacts] == ["Olga Smirnova"]
    (olga,) = contacts
    # changed on this desk and on the server before the next sync
    db_call(qtbot, app, lambda s: s.update_contact(olga.id, name="Olga S."))
    etag, text = dav.get("olga.vcf") or ("", "")
    dav.put("olga.vcf", text.replace("FN:Olga Smirnova", "FN:Olga Smirnova-Petrova"), etag)
    app.integrations.service.carddav.sync_now()
    qtbot.waitUntil(lambda: "conflict" in app.integrations.sync_status, timeout=20_000)
    assert any("conflict" in m for m in messages)
    view = app.window.contacts
    app.window.tabs.setCurrentWidget(view)
    view.open_contact(olga.id)
    qtbot.waitUntil(lambda: view.card.name_label.text() == "Olga Smirnova-Petrova",
                    timeout=10_000)

    def history_text() -> str:
        labels = [w.text() for w in view.card.findChildren(QLabel)]
        return "\n".join(labels) if "History" in labels else ""

    qtbot.waitUntil(lambda: "Olga S." in history_text(), timeout=10_000)
