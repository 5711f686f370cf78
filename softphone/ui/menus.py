"""The main window's menu bar: every window action in one place, with its shortcut shown
(Alt opens the menus from the keyboard): Phone, Contacts (New, Import, Export), View, Help."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from softphone.ui.common import translate


def _action(window: Any, text: str, slot: Any, shortcut: str = "", name: str = "") -> QAction:
    a = QAction(text, window)
    if name:
        a.setObjectName(name)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
        window.addAction(a)
    a.triggered.connect(slot)
    return a


def build_menus(window: Any) -> dict[str, QMenu]:
    """Fill ``window.menuBar()``; returns the menus by name (the i18n walk opens them all)."""

    def import_dialog() -> Any:  # its module when first used, not at start
        from softphone.ui import import_dialog as module

        return module

    bar = window.menuBar()
    actions = window.window_actions
    menus: dict[str, QMenu] = {}

    phone = bar.addMenu(translate("Menus", "&Phone"))
    phone.setObjectName("phoneMenu")
    phone.addAction(window.outgoing.redial_action)
    phone.addAction(actions["dial"])
    phone.addAction(window.answer_action)
    phone.addAction(window.decline_action)
    phone.addAction(window.dnd_action)
    phone.addSeparator()
    phone.addAction(actions["settings"])
    phone.addAction(actions["quit"])
    menus["phone"] = phone

    contacts = bar.addMenu(translate("Menus", "&Contacts"))
    contacts.setObjectName("contactsMenu")

    def new_contact() -> None:
        window.tabs.setCurrentWidget(window.contacts)
        window.contacts.new_button.click()

    def export_selected() -> None:
        view = window.built("contacts")
        ids = view.selected_ids() if view is not None else []
        if not ids:
            window.tabs.setCurrentWidget(window.contacts)
            window.show_message(translate(
                "Menus", "Select contacts in the list first (Ctrl+click, Shift+click, Ctrl+A)."))
            return
        import_dialog().choose_export_file(window, ids)

    window.import_action = _action(window, translate("Menus", "&Import…"),
                                   lambda: import_dialog().choose_import_file(window),
                                   "Ctrl+I", "importAction")
    window.export_all_action = _action(window, translate("Menus", "&Export all…"),
                                       lambda: import_dialog().choose_export_file(window, None),
                                       "Ctrl+Shift+E", "exportAllAction")
    window.export_selected_action = _action(window, translate("Menus", "Export &selected…"),
                                            export_selected,
                                            "", "exportSelectedAction")
    contacts.addAction(_action(window, translate("Menus", "&New contact"), new_contact, "",
                               "newContactAction"))
    contacts.addSeparator()
    contacts.addAction(window.import_action)
    contacts.addAction(window.export_all_action)
    contacts.addAction(window.export_selected_action)
    menus["contacts"] = contacts

    view = bar.addMenu(translate("Menus", "&View"))
    view.setObjectName("viewMenu")
    for i in range(window.tabs.count()):
        view.addAction(actions[f"tab{i}"])
    menus["view"] = view

    help_menu = bar.addMenu(translate("Menus", "&Help"))
    help_menu.setObjectName("helpMenu")
    help_menu.addAction(_action(window, translate("Menus", "&Keyboard shortcuts"),
                                lambda: show_shortcuts(window), "F1", "shortcutsAction"))
    help_menu.addAction(_action(window, translate("Menus", "&About Softphone"),
                                lambda: show_about(window), "", "aboutAction"))
    menus["help"] = help_menu
    window.menus = menus
    return menus


def shortcut_lines(window: Any) -> list[tuple[str, str]]:
    """(action, keys) for every window action with a shortcut, menu actions first."""
    seen: set[int] = set()
    lines: list[tuple[str, str]] = []
    for menu in window.menus.values():
        for a in menu.actions():
            if not a.shortcut().isEmpty() and id(a) not in seen:
                seen.add(id(a))
                lines.append((a.text().replace("&", ""),
                              a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)))
    for a in window.actions():
        if not a.shortcut().isEmpty() and id(a) not in seen:
            seen.add(id(a))
            lines.append((a.text().replace("&", ""),
                          a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)))
    return lines


def show_shortcuts(window: Any) -> QMessageBox:
    box = QMessageBox(window)
    box.setObjectName("shortcutsBox")
    box.setWindowTitle(translate("Menus", "Keyboard shortcuts"))
    box.setText("\n".join(f"{keys}\t{text}" for text, keys in shortcut_lines(window)))
    box.setInformativeText(translate(
        "Menus", "Buttons show their keys in their tooltips. In a call: "
                               "Ctrl+Shift+H hang up, Ctrl+Shift+L hold, Ctrl+Shift+M mute, "
                               "Ctrl+Shift+K keypad, Ctrl+Shift+T transfer."))
    window.shortcuts_box = box
    box.open()
    return box


def show_about(window: Any) -> QMessageBox:
    from softphone import __version__

    box = QMessageBox(window)
    box.setObjectName("aboutBox")
    box.setWindowTitle(translate("Menus", "About Softphone"))
    box.setText(translate(
        "Menus", "Softphone %1: a SIP phone with a contact book for people who call "
                    "customers all day.").replace("%1", __version__))
    window.about_box = box
    box.open()
    return box
