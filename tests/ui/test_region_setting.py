"""Settings take effect when saved (issue 14 item 1), and numbers wait for a region rather than
getting a guessed country (item 2). Real window, real engine, real baresip, the real CLI.

1. An app started with no region; Region = RU and a new agent name are saved in the settings
   dialog; the contact is imported by ``softphone contacts import`` (which reads the saved
   region) as ``8 (495) 123-45-67``; baresip calls as ``84951234567``: the card pops with the
   contact, the call is logged as +74951234567, linked, with the new agent name.
2. With no region, a call from ``84951234567`` (a stranger then) is logged as it came (never
   +84...); the caller is then added as ``8 (495) 123-45-67``; Region = RU saved later: the
   row becomes +74951234567 and is linked to the contact; History, the missed inbox and the
   statistics show the contact.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from softphone.settings import CrmSettings, Settings
from softphone.sip.events import IncomingCall
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings() -> Settings:
    return Settings(crm=CrmSettings(default_region="", agent="before"))


def save_in_dialog(qtbot: Any, window: Any, **fields: str) -> None:
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    for name, value in fields.items():
        getattr(dialog, name).setText(value)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()


def card(app: Any) -> Any:
    cards = list(app.window.cards.values())
    return cards[0] if cards else None


def test_region_and_agent_apply_when_saved(qtbot: Any, app: Any, engine: Any,
                                           make_baresip: Any, profile_dir: Path,
                                           tmp_path: Path) -> None:
    window = app.window
    save_in_dialog(qtbot, window, region="ru", agent="Marina")
    csv = tmp_path / "people.csv"
    csv.write_text("Name,Phone\nOlga Petrova,8 (495) 123-45-67\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "softphone", "--profile", str(profile_dir),
                           "contacts", "import", str(csv)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    peer = make_baresip(user="84951234567", auto_answer=False)
    arrived: list[Any] = []
    app.bridge.sip_event.connect(
        lambda e: arrived.append(e) if isinstance(e, IncomingCall) else None)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
    assert arrived[0].number == "84951234567"
    qtbot.waitUntil(lambda: card(app) is not None
                    and card(app).name_label.text() == "Olga Petrova", timeout=5000)
    peer.hangup()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)

    def logged() -> Any:
        rows = db_call(qtbot, app, lambda s: s.list_calls(limit=5))
        return rows[0] if rows and rows[0].outcome else None

    qtbot.waitUntil(lambda: logged() is not None, timeout=5000)
    row = logged()
    assert row.number == "+74951234567"
    assert row.contact_name == "Olga Petrova" and row.contact_id is not None
    assert row.agent == "Marina"


def test_no_region_keeps_the_number_and_a_later_region_links_it(
        qtbot: Any, app: Any, engine: Any, make_baresip: Any) -> None:
    window = app.window
    peer = make_baresip(user="84951234567", auto_answer=False)
    arrived: list[Any] = []
    app.bridge.sip_event.connect(
        lambda e: arrived.append(e) if isinstance(e, IncomingCall) else None)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
    qtbot.waitUntil(lambda: card(app) is not None, timeout=5000)
    peer.hangup()  # missed
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)

    def last_row() -> Any:
        rows = db_call(qtbot, app, lambda s: s.list_calls(limit=5))
        return rows[0] if rows and rows[0].outcome else None

    qtbot.waitUntil(lambda: last_row() is not None, timeout=5000)
    row = last_row()
    assert row.number == "84951234567", row.number  # as it came: no invented country
    assert row.contact_id is None
    # the caller is added as a contact afterwards, in the national form, still no region
    olga = db_call(qtbot, app, lambda s: s.create_contact(
        "Olga Petrova", phones=[("8 (495) 123-45-67", "work")]))
    phone = db_call(qtbot, app, lambda s: s.get_contact(olga.id)).phones[0]
    assert phone.e164 is None  # not normalised either

    save_in_dialog(qtbot, window, region="RU")

    def linked() -> Any:
        r = db_call(qtbot, app, lambda s: s.get_call(row.id))
        return r if r.contact_id == olga.id else None

    qtbot.waitUntil(lambda: linked() is not None, timeout=10_000)
    row = linked()
    assert row.number == "+74951234567"
    phone = db_call(qtbot, app, lambda s: s.get_contact(olga.id)).phones[0]
    assert phone.e164 == "+74951234567"
    inbox = db_call(qtbot, app, lambda s: s.missed_inbox())
    assert [(m.number, m.contact_name) for m in inbox] == [("+74951234567", "Olga Petrova")]
    qtbot.waitUntil(lambda: window.missed.table.rowCount() == 1 and
                    window.missed.table.item(0, 0).text() == "Olga Petrova", timeout=5000)
    window.tabs.setCurrentWidget(window.history)
    qtbot.waitUntil(lambda: window.history.table.rowCount() == 1 and
                    window.history.table.item(0, 1).text() == "Olga Petrova", timeout=5000)
    stats = db_call(qtbot, app, lambda s: s.statistics(
        since=row.started_at.replace(hour=0, minute=0), until=row.started_at.replace(
            hour=23, minute=59), bucket="day"))
    assert [name for _cid, name, _n in stats.top_contacts] == ["Olga Petrova"]


def test_outcomes_apply_at_once_and_a_bad_region_is_refused(qtbot: Any, app: Any) -> None:
    window = app.window
    save_in_dialog(qtbot, window, outcomes="Sold, Lost, Later")
    assert list(window.wrapup.outcome_buttons) == ["Sold", "Lost", "Later"]
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    dialog.region.setText("XX")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible()  # not saved, not replaced by a guess
    assert "not a country code" in dialog.region_note.text()
    assert app.settings.crm.default_region == ""
    dialog.reject()


def test_language_and_database_offer_a_restart(qtbot: Any, app: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox, QPushButton

    window = app.window
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    dialog.language.setCurrentIndex(dialog.language.findData("ru"))
    dialog.db_url.setText(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "restartOffer") is not None
                    and window.findChild(QMessageBox, "restartOffer").isVisible(), timeout=2000)
    box = window.findChild(QMessageBox, "restartOffer")
    assert "language" in box.text() and "database" in box.text()
    later = next(b for b in box.findChildren(QPushButton) if b.text() == "Later")
    restart = next(b for b in box.findChildren(QPushButton) if b.text() == "Restart now")
    assert later.isVisible() and not window.restarting
    restart.click()
    assert window.restarting and quits == [True]
