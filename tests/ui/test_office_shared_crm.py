"""Shared CRM in the window: a second desk (a real Store of agent "boris" on the same
database: the session's real PostgreSQL, and a shared SQLite file) creates a contact, logs a
call with a note -> the open window (agent "anna") shows it within 2 s (change feed, ~250 ms
collection, reload on the DB worker). Two agents editing one contact: the second is told,
non-modally, and nothing is overwritten. The statistics' agent filter changes the figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from softphone.crm.store import Store
from softphone.settings import CrmSettings, Settings
from tests.harness.postgres import postgres_server, postgres_url  # noqa: F401
from tests.ui.conftest import db_call

pytestmark = [pytest.mark.ui]

LATENCY_MS = 2000


@pytest.fixture(params=["postgresql", "sqlite"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}"


@pytest.fixture
def settings(shared_url: str) -> Settings:
    return Settings(crm=CrmSettings(database_url=shared_url, default_region="RU", agent="anna"))


@pytest.fixture
def boris(shared_url: str, tmp_path: Path, app: Any) -> Iterator[Store]:
    """The other desk; opened after anna's store (which created the schema)."""
    store = Store.open(shared_url, tmp_path / "boris", default_region="RU", agent="boris")
    yield store
    store.close()


def wait_feed(qtbot: Any, app: Any) -> None:
    """Anna's office is up and its change feed listens."""
    qtbot.waitUntil(lambda: app.office.office is not None, timeout=10_000)
    feed = app.office.office.feed
    assert feed is not None
    qtbot.waitUntil(feed.ready.is_set, timeout=15_000)


def report(record_property: Any, key: str, ms: float) -> None:
    record_property(key, round(ms, 1))
    print(f"\n[office ui] {key}: {ms:.0f} ms")


def list_texts(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def test_contact_and_call_from_other_desk_appear(qtbot: Any, app: Any, boris: Store,
                                                shared_url: str,
                                                record_property: Any) -> None:
    window = app.window
    wait_feed(qtbot, app)
    window.tabs.setCurrentWidget(window.contacts)
    qtbot.waitUntil(lambda: window.contacts.list.count() == 0, timeout=5000)

    t0 = time.monotonic()
    vera = boris.create_contact("Вера Борисова", company="Рога и копыта",
                                phones=[("+7 495 765-43-21", "work")])
    qtbot.waitUntil(lambda: any("Вера Борисова" in t for t in
                                list_texts(window.contacts.list)), timeout=LATENCY_MS)
    backend = shared_url.split(":")[0].split("+")[0]
    report(record_property, f"contact_to_list_{backend}", (time.monotonic() - t0) * 1000)

    window.tabs.setCurrentWidget(window.history)
    qtbot.waitUntil(lambda: window.history.table.rowCount() == 0, timeout=5000)
    started = datetime.now(UTC) - timedelta(minutes=3)
    t0 = time.monotonic()
    call = boris.call_started(direction="out", account="LAN", number="+74957654321",
                              started_at=started)
    boris.call_ended(call, ended_at=started + timedelta(minutes=2), outcome="answered")
    boris.save_wrapup(call, outcome="Sold", note="Boris: wants the blue model")

    def shown() -> bool:
        rows = window.history.rows
        return bool(rows) and rows[0].wrapup is not None and \
            "blue model" in window.history.table.item(0, 5).text()

    qtbot.waitUntil(shown, timeout=LATENCY_MS)
    report(record_property, f"call_note_to_history_{backend}", (time.monotonic() - t0) * 1000)
    assert window.history.table.item(0, 1).text() == "Вера Борисова"
    assert window.history.rows[0].contact_id == vera.id
    assert window.history.rows[0].agent == "boris"


def test_conflicting_edit_is_told_and_not_overwritten(qtbot: Any, app: Any,
                                                      boris: Store) -> None:
    window = app.window
    wait_feed(qtbot, app)
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Олег Иванов", phones=[("+7 495 111-22-33", "work")]))
    window.tabs.setCurrentWidget(window.contacts)
    qtbot.waitUntil(lambda: window.contacts.card.contact is not None
                    and window.contacts.card.contact.id == contact.id, timeout=5000)

    # Anna opens the editor on version 1 ...
    from softphone.ui.contacts import ContactDialog

    window.contacts._on_edit_requested(window.contacts.card.contact)
    dialog = window.contacts.findChild(ContactDialog)
    assert dialog is not None and dialog.contact.version == contact.version
    # ... Boris saves first ...
    boris.update_contact(contact.id, expected_version=contact.version,
                         notes="Boris: moved to Kazan office")
    # ... then Anna saves her edit of the old version.
    dialog.notes.setPlainText("Anna: prefers e-mail")
    dialog._on_save_clicked()

    qtbot.waitUntil(lambda: window.contacts.save_failed_box is not None
                    and window.contacts.save_failed_box.isVisible(), timeout=5000)
    box = window.contacts.save_failed_box
    assert "changed by someone else" in box.text()
    assert box.windowModality() == Qt.WindowModality.NonModal
    assert not box.isModal()
    # Nothing silently overwritten: Boris's note stands, and the card shows it.
    stored = db_call(qtbot, app, lambda s: s.get_contact(contact.id))
    assert stored.notes == "Boris: moved to Kazan office"
    assert stored.version == contact.version + 1
    qtbot.waitUntil(lambda: "Kazan" in window.contacts.card.details_label.text(),
                    timeout=LATENCY_MS)
    box.button(QMessageBox.StandardButton.Ok).click()

    # Editing again starts from Boris's version and saves.
    window.contacts._on_edit_requested(window.contacts.card.contact)
    dialog = next(d for d in window.contacts.findChildren(ContactDialog) if d.isVisible())
    assert dialog.contact.version == contact.version + 1
    dialog.notes.setPlainText(dialog.notes.toPlainText() + "\nAnna: prefers e-mail")
    dialog._on_save_clicked()
    qtbot.waitUntil(lambda: "prefers e-mail" in window.contacts.card.details_label.text(),
                    timeout=5000)
    stored = db_call(qtbot, app, lambda s: s.get_contact(contact.id))
    assert stored.notes == "Boris: moved to Kazan office\nAnna: prefers e-mail"


def test_stats_agent_filter(qtbot: Any, app: Any, boris: Store) -> None:
    window = app.window
    wait_feed(qtbot, app)
    now = datetime.now(UTC) - timedelta(hours=1)

    def log(store: Any, n: int, outcome: str) -> None:
        for i in range(n):
            row = store.call_started(direction="in", account="LAN",
                                     number=f"+7495000{i:04d}", started_at=now)
            store.call_ended(row, ended_at=now + timedelta(seconds=30), outcome=outcome)

    db_call(qtbot, app, lambda s: log(s, 3, "answered"))  # anna's desk
    log(boris, 2, "missed")
    window.tabs.setCurrentWidget(window.stats)
    stats = window.stats
    qtbot.waitUntil(lambda: stats.figures["calls"].text() == "5", timeout=LATENCY_MS + 1000)
    qtbot.waitUntil(lambda: stats.agent_combo.count() == 3, timeout=5000)
    assert [stats.agent_combo.itemText(i) for i in range(stats.agent_combo.count())] == [
        "All agents", "anna", "boris"]

    stats.agent_combo.setCurrentIndex(stats.agent_combo.findData("boris"))
    qtbot.waitUntil(lambda: stats.figures["calls"].text() == "2", timeout=5000)
    assert stats.figures["missed_rate"].text() == "100%"
    stats.agent_combo.setCurrentIndex(stats.agent_combo.findData("anna"))
    qtbot.waitUntil(lambda: stats.figures["calls"].text() == "3", timeout=5000)
    assert stats.figures["missed_rate"].text() == "0%"
    # Boris logs one more: the open (filtered) view follows the feed.
    log(boris, 1, "answered")
    stats.agent_combo.setCurrentIndex(stats.agent_combo.findData("boris"))
    qtbot.waitUntil(lambda: stats.figures["calls"].text() == "3", timeout=LATENCY_MS)
    stats.agent_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: stats.figures["calls"].text() == "6", timeout=5000)
