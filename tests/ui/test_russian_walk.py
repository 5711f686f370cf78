"""Every window, dialog, card and menu in Russian: the app runs with the Russian translation,
real calls from and to baresip bring up the caller card, the call panel, the wrap-up and the
failure bar, and each screen's visible texts are read. A text with an English word in it
(other than names like SIP, see tests/ui/ui_text.py) fails the test with where it was."""

from __future__ import annotations

import dataclasses
import time
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QTabWidget, QWidget

from softphone.settings import CrmSettings, Settings, UiSettings
from softphone.sip import events as ev
from tests.ui.conftest import db_call, engine_uri
from tests.ui.ui_text import menu_texts, texts, untranslated

pytestmark = [pytest.mark.ui, pytest.mark.integration]

#: widgets that show the user's own data (names, notes, numbers as typed), not our words
DATA = {"contactName", "contactCompany", "contactDetails", "callName", "callNumber",
        "callCompany", "callContext", "contactList", "historyTable", "missedTable",
        "importPreview", "importFile", "callProgressWho", "chatMessages", "chatTitle",
        "problemFile", "problemKey",
        # the settings parser's sentence names TOML keys and values: it stays as written
        "problemText"}


@pytest.fixture
def russian(qapp: QApplication) -> Iterator[None]:
    from softphone.i18n import install_translators

    install_translators(qapp, "ru")
    yield
    install_translators(qapp, "en")


@pytest.fixture
def settings() -> Settings:
    return Settings(crm=CrmSettings(default_region="RU", agent="Оператор"),
                    ui=UiSettings(language="ru", first_start_page=False))


class Walk:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.seen: list[str] = []

    def check(self, name: str, found: Any) -> None:
        found = list(found)
        assert found, f"{name}: nothing to read (not shown?)"
        self.seen.append(name)
        for place, text, words in untranslated(found):
            self.problems.append(f"{name}: {place}: {text!r} ({', '.join(words)})")

    def widget(self, name: str, w: QWidget) -> None:
        self.check(name, texts(w, skip=DATA))

    def tabs(self, name: str, tabs: QTabWidget) -> None:
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            self.widget(f"{name} › {tabs.tabText(i)}", tabs.widget(i))

    def menu(self, name: str, menu: QMenu) -> None:
        self.check(name, menu_texts(menu))


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    return path


def test_every_screen_in_russian(qtbot: Any, russian: None, app_factory: Any,
                                 settings: Settings, engine: Any, make_baresip: Any,
                                 peer_port: int, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    walk = Walk()

    # --- a new profile: the first start page ---------------------------------------------
    first = app_factory(dataclasses.replace(settings, ui=UiSettings(language="ru")))
    w = first.window
    assert w.first_start is not None
    walk.widget("first start", w.first_start)
    qtbot.mouseClick(w.first_start.skip_button, Qt.MouseButton.LeftButton)

    app = app_factory(settings, close_first=first)
    w = app.window
    contact = db_call(qtbot, app, lambda s: s.create_contact(
        "Иван Петров", company="Ромашка", phones=[("+7 495 123-45-67", "work")],
        emails=["ivan@romashka.example"], tags=["клиент"], notes="любит звонки утром"))
    db_call(qtbot, app, lambda s: s.add_task(kind="call_back", title="Перезвонить Ивану",
                                             due_at=datetime.now(UTC) - timedelta(hours=30),
                                             contact_id=contact.id, number="+74951234567"))
    db_call(qtbot, app, lambda s: s.add_task(kind="todo", title="Отправить договор",
                                             due_at=datetime.now(UTC) + timedelta(days=2)))

    # --- the main window, its menus and every tab ------------------------------------------
    walk.widget("main window", w)
    for name, menu in w.menus.items():
        walk.menu(f"menu {name}", menu)
    for view in ("contacts", "history", "stats"):
        getattr(w, view)  # built on first use
    walk.tabs("main window", w.tabs)
    w.tabs.setCurrentWidget(w.phone_page)
    walk.widget("dial pad", w.outgoing.pad)

    # --- an incoming call from a stranger: the caller card ----------------------------------
    stranger = make_baresip(user="+74957654321", auto_answer=False)
    stranger.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(w.cards), timeout=10_000)
    card = next(iter(w.cards.values()))
    qtbot.waitUntil(lambda: card.call.caller is not None, timeout=10_000)
    walk.widget("caller card (unknown)", card)
    stranger.hangup()
    qtbot.waitUntil(lambda: not w.cards, timeout=10_000)

    # --- a call from a contact: card, answer, in call, wrap-up ------------------------------
    ivan = make_baresip(user="84951234567", auto_answer=False)
    ivan.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(w.cards), timeout=10_000)
    card = next(iter(w.cards.values()))
    qtbot.waitUntil(lambda: card.call.caller is not None and card.call.caller.known,
                    timeout=10_000)
    walk.widget("caller card (contact)", card)
    qtbot.mouseClick(card.answer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.phone_page.currentWidget() is w.call_panel, timeout=10_000)
    qtbot.waitUntil(lambda: w.call_panel.state_label.text() != "", timeout=5000)
    w.call_panel.keypad_button.setChecked(True)
    walk.widget("call panel", w.call_panel)
    # a second caller while talking: the call-waiting card
    waiting = make_baresip(user="+74950001122", auto_answer=False)
    waiting.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: len(w.cards) == 1 and next(iter(w.cards.values())).call.waiting,
                    timeout=10_000)
    walk.widget("caller card (call waiting)", next(iter(w.cards.values())))
    waiting.hangup()
    qtbot.waitUntil(lambda: not w.cards, timeout=10_000)
    qtbot.mouseClick(w.call_panel.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.phone_page.currentWidget() is w.wrapup, timeout=10_000)
    walk.widget("wrap-up", w.wrapup)
    outcome = next(iter(w.wrapup.outcome_buttons.values()))
    qtbot.mouseClick(outcome, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w.wrapup.skip_button, Qt.MouseButton.LeftButton)

    # --- a call that fails: the reason, Redial ----------------------------------------------
    busy = make_baresip(user="bob", auto_answer=False, port=peer_port)
    w.phone.dial("bob")
    busy.wait_event("CALL_INCOMING", timeout=10)
    busy.hangup()
    qtbot.waitUntil(lambda: w.outgoing.bar.failed, timeout=10_000)
    walk.widget("call failed", w.outgoing.bar)
    if w.phone_page.currentWidget() is w.wrapup:
        qtbot.mouseClick(w.wrapup.skip_button, Qt.MouseButton.LeftButton)

    # --- missed calls, statistics, colleagues with what the calls left ---------------------
    w.tabs.setCurrentWidget(w.missed)
    qtbot.waitUntil(lambda: bool(w.missed.items), timeout=10_000)
    walk.widget("missed", w.missed)
    w.tabs.setCurrentWidget(w.stats)
    w.stats.refresh()
    qtbot.wait(300)
    walk.widget("statistics", w.stats)
    w.tabs.setCurrentWidget(w.colleagues)
    walk.widget("colleagues", w.colleagues)

    # --- history (with the wrap-up's outcome), missed, tasks -------------------------------
    w.tabs.setCurrentWidget(w.history)
    qtbot.waitUntil(lambda: w.history.table.rowCount() >= 2, timeout=10_000)
    walk.check("history rows", (
        (f"row{r}.col{c}", w.history.table.item(r, c).text())
        for r in range(w.history.table.rowCount())
        for c in range(w.history.table.columnCount())
        if w.history.table.item(r, c) is not None and c not in _data_columns(w.history)))
    w.tabs.setCurrentWidget(w.tasks)
    qtbot.waitUntil(lambda: len(w.tasks.tasks) == 2, timeout=10_000)
    walk.widget("tasks", w.tasks)
    w.tasks.select_task(w.tasks.tasks[0].id)
    w.tasks.move_button.click()
    walk.menu("task move menu", w.tasks.move_menu)
    w.tasks.move_menu.close()
    w.tasks.move_menu.actions()[-1].trigger()  # "choose a date and time"
    qtbot.waitUntil(lambda: getattr(w.tasks, "move_dialog", None) is not None, timeout=5000)
    walk.widget("move dialog", w.tasks.move_dialog)
    w.tasks.move_dialog.reject()
    w.tasks.delete_button.click()
    walk.widget("delete task", w.tasks.delete_box)
    w.tasks.delete_box.reject()

    # --- the contact card and its edit dialog ----------------------------------------------
    w.tabs.setCurrentWidget(w.contacts)
    w.contacts.open_contact(contact.id)
    qtbot.waitUntil(lambda: w.contacts.card.contact is not None, timeout=5000)
    walk.widget("contact card", w.contacts.card)
    w.contacts.card.edit_button.click()
    qtbot.waitUntil(lambda: _shown_dialog("contactDialog") is not None, timeout=5000)
    dialog = _shown_dialog("contactDialog")
    walk.widget("contact dialog", dialog)
    dialog.reject()

    # --- settings, every page ---------------------------------------------------------------
    w.open_settings()
    dialog = w.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    walk.widget("settings", dialog)
    for tabs in dialog.findChildren(QTabWidget):
        walk.tabs("settings", tabs)
    dialog.reject()

    # --- import: preview, summary -----------------------------------------------------------
    source = tmp_path / "контакты.csv"
    source.write_text("ФИО;Телефон\nАнна;+7 916 555-12-34\nБез номера;\n", encoding="utf-8")
    from softphone.ui.import_dialog import open_import_dialog

    dialog = open_import_dialog(w, source)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    walk.widget("import preview", dialog)
    dialog.start_import()
    walk.widget("import progress", dialog)
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.summary_page,
                    timeout=10_000)
    walk.widget("import summary", dialog)
    dialog.accept()

    # --- file dialogs (Qt's own, in Russian from Qt's translation) ----------------------------
    from softphone.ui.import_dialog import choose_export_file, choose_import_file

    walk.widget("import file dialog", choose_import_file(w))
    w.import_file_dialog.reject()
    walk.widget("export file dialog", choose_export_file(w, None))
    w.export_file_dialog.reject()

    # --- boxes and small windows ------------------------------------------------------------
    from softphone.ui.menus import show_about, show_shortcuts

    walk.widget("shortcuts", show_shortcuts(w))
    w.shortcuts_box.close()
    walk.widget("about", show_about(w))
    w.about_box.close()
    player = w.play_recording(str(_wav(tmp_path / "запись.wav"))) or getattr(w, "player", None)
    player = player or _shown_dialog("recordingPlayer")
    if player is not None:
        walk.widget("player", player)
        player.close()
    from softphone.ui.chat import ChatWindow

    chat = ChatWindow("sip:anna@192.0.2.10", "sip:anna@192.0.2.10", "Анна", w)
    chat.show()
    walk.widget("chat window", chat)
    chat.close()
    from softphone.settings import SettingsError, parse_settings
    from softphone.ui.settings_problem import SettingsProblem, SettingsProblemDialog

    bad = tmp_path / "softphone.toml"
    with pytest.raises(SettingsError) as error:
        parse_settings("[calls]\nauto_answer = 3\n", bad)
    problem = SettingsProblemDialog(SettingsProblem.from_message(str(error.value), bad), w)
    problem.show()
    walk.widget("settings problem", problem)
    problem.close()
    from softphone.ui.tray import Tray

    tray = Tray(w.dnd_action, w)
    walk.menu("tray menu", tray.menu)
    tray.icon.hide()

    # --- messages in the status bar: sound, a reminder -------------------------------------
    w.on_sip_event(ev.AudioDeviceNotice(
        at=time.time(), kind="unavailable",
        message="The PortAudio sound library could not be loaded (libportaudio.so.2: cannot "
                "open shared object file). Install the PortAudio library (Debian/Ubuntu: "
                "sudo apt install libportaudio2; Fedora: sudo dnf install portaudio) and "
                "restart the softphone."))
    walk.check("no sound", [("status", w.statusBar().currentMessage())])
    due = db_call(qtbot, app, lambda s: s.add_task(
        kind="call_back", title="Напомнить о счёте", due_at=datetime.now(UTC),
        number="+74951112233"))
    w.tasks.refresh()
    qtbot.waitUntil(lambda: getattr(w, "reminder_box", None) is not None
                    and w.reminder_box.isVisible(), timeout=15_000)
    walk.widget("reminder", w.reminder_box)
    w.reminder_box.reject()
    assert due.id

    assert not walk.problems, "English left on screen in Russian:\n" + "\n".join(walk.problems)
    expected = {"first start", "main window", "menu phone", "menu contacts", "menu view",
                "menu help", "dial pad", "caller card (unknown)", "caller card (contact)",
                "caller card (call waiting)", "call panel", "wrap-up", "call failed",
                "missed", "statistics", "colleagues", "history rows", "tasks",
                "task move menu", "move dialog", "delete task", "contact card",
                "contact dialog", "settings", "import preview", "import progress",
                "import summary", "import file dialog", "export file dialog", "shortcuts",
                "about", "player", "chat window", "settings problem", "tray menu", "no sound",
                "reminder"}
    assert expected <= set(walk.seen), expected - set(walk.seen)
    assert sum(1 for n in walk.seen if n.startswith("settings ›")) >= 5


def _data_columns(view: Any) -> set[int]:
    """History columns with the user's data (who, number, note)."""
    names = [view.table.horizontalHeaderItem(i).text().lower()
             for i in range(view.table.columnCount())]
    data_words = ("кто", "номер", "контакт", "заметк", "примечан", "агент", "учётн")
    return {i for i, n in enumerate(names) if any(d in n for d in data_words)}


def _shown_dialog(name: str) -> Any:
    for top in QApplication.topLevelWidgets():
        if top.objectName() == name and top.isVisible():
            return top
    return None


def test_the_reader_flags_english_and_spares_names() -> None:
    from tests.ui.ui_text import english_words

    assert english_words("Busy (486)") == ["Busy"]
    assert english_words("отвечен · Not interested") == ["Not", "interested"]
    assert english_words("Занято (486)") == []
    assert english_words("Позвонить sip:bob@pbx.example.com через UDP, Ctrl+Shift+R") == []
    assert english_words("Файл vCard (*.vcf), кодировка cp1251") == []
