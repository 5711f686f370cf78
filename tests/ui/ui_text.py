"""What a person reads on a window: every visible text of a widget tree (labels, buttons,
tooltips, placeholders, tab titles, table headers, combo box items, menu entries, window
titles), and the English words left in a text that should be in another language."""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QTableWidget,
    QTabWidget,
    QTreeWidget,
    QWidget,
)

#: words that stay as they are in every language: names, protocols, formats, key names
ALLOWED = {
    "sip", "sips", "tel", "callto", "udp", "tcp", "tls", "srtp", "sdes", "ice", "stun", "turn",
    "nat", "rtp", "dtmf", "rfc", "uri", "url", "lan", "pbx", "softphone", "csv", "vcard", "vcf",
    "txt", "json", "wav", "opus", "pcmu", "pcma", "speex", "ilbc", "gsm", "webrtc", "jack",
    "portaudio", "sqlite", "postgresql", "ldap", "carddav", "mpris", "d-bus", "dbus", "ctrl",
    "shift", "alt", "meta", "enter", "esc", "del", "tab", "backspace", "english", "e.164",
    "utf-8", "utf-16", "utf-8-sig", "cp1251", "koi8-r", "cp866", "latin-1", "voip", "sql",
    "ssl", "agc", "aec", "qos", "libportaudio2", "apt", "sudo", "install", "linux", "windows",
    "macos", "xdg", "toml", "ok", "id", "mos", "ms", "khz", "kbit", "rtt", "hz", "db",
    "mwi", "vs", "gnome", "kde", "xfce", "crm", "sms", "fedora", "debian", "ubuntu",
    "pulseaudio", "pipewire", "softphone_no_portaudio",
}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'’.+-]*")
# hosts, addresses, URIs, e-mails, paths, file patterns and key sequences are not words
_NOT_WORDS = re.compile(
    r"(?:sips?|tel|callto|https?|file|postgresql\+psycopg|sqlite):\S*"  # URIs
    r"|\S+@\S+"  # e-mails, user@host
    r"|\*\.\w+"  # file patterns
    r"|(?:/[\w.~-]+)+/?"  # paths
    r"|\b[\w-]+(?:\.[\w-]+)+(?::\d+)?\b"  # host names, host:port, dotted names
    r"|\b(?:Ctrl|Shift|Alt|Meta)(?:\+[\w,.]+)+"  # key sequences
    r"|\$\w+|\[\w+\]|\b\w+_\w+\b"  # settings keys, sections, environment variables
)


def english_words(text: str) -> list[str]:
    """Latin words of three letters or more that are not names everybody writes the same."""
    text = _NOT_WORDS.sub(" ", text.replace("&", ""))
    words = []
    for token in _TOKEN.findall(text):
        word = token.strip(".'’-+")
        if len(word) >= 3 and word.lower() not in ALLOWED:
            words.append(word)
    return words


def _visible(w: QWidget) -> bool:
    return w.isVisibleTo(w.window()) or (w.isWindow() and w.isVisible())


def texts(root: QWidget, *, skip: set[str] = frozenset()) -> Iterator[tuple[str, str]]:  # type: ignore[assignment]
    """(where, text) for ``root`` and its visible children; ``skip``: object names of widgets
    that show the user's own data (a contact's name, a note) and their children."""
    def where(w: QWidget, what: str) -> str:
        return f"{type(w).__name__}({w.objectName() or '-'}).{what}"

    def walk(w: QWidget) -> Iterator[tuple[str, str]]:
        if w.objectName() in skip:
            return
        if w.isWindow():
            yield where(w, "windowTitle"), w.windowTitle()
        if w.toolTip():
            yield where(w, "toolTip"), w.toolTip()
        if isinstance(w, QLabel):
            yield where(w, "text"), w.text()
        elif isinstance(w, QAbstractButton):
            yield where(w, "text"), w.text()
            menu = getattr(w, "menu", lambda: None)()
            if isinstance(menu, QMenu):
                yield from menu_texts(menu)
        elif isinstance(w, QLineEdit | QPlainTextEdit):
            yield where(w, "placeholderText"), w.placeholderText()
        elif isinstance(w, QComboBox) and not w.isEditable():
            for i in range(w.count()):
                yield where(w, f"item{i}"), w.itemText(i)
        elif isinstance(w, QGroupBox):
            yield where(w, "title"), w.title()
        elif isinstance(w, QTabWidget):
            for i in range(w.count()):
                yield where(w, f"tab{i}"), w.tabText(i)
                yield where(w, f"tabToolTip{i}"), w.tabToolTip(i)
        elif isinstance(w, QTableWidget):
            for i in range(w.columnCount()):
                item = w.horizontalHeaderItem(i)
                if item is not None:
                    yield where(w, f"header{i}"), item.text()
        elif isinstance(w, QTreeWidget):
            header = w.headerItem()
            for i in range(w.columnCount()):
                yield where(w, f"header{i}"), header.text(i)
            for i in range(w.topLevelItemCount()):  # group titles (days, kinds)
                yield where(w, f"group{i}"), w.topLevelItem(i).text(0)
        elif isinstance(w, QListWidget) and w.objectName() not in skip:
            pass  # lists show the user's data (contacts, calls); their views are checked
        for child in w.children():
            if isinstance(child, QWidget) and not child.isWindow() and _visible(child):
                yield from walk(child)

    yield from walk(root)


def menu_texts(menu: QMenu) -> Iterator[tuple[str, str]]:
    yield f"QMenu({menu.objectName() or '-'}).title", menu.title()
    for action in menu.actions():
        if action.isSeparator():
            continue
        yield f"QAction({action.objectName() or '-'}).text", action.text()
        if action.toolTip() != action.text().replace("&", ""):
            yield f"QAction({action.objectName() or '-'}).toolTip", action.toolTip()
        if action.menu() is not None:
            yield from menu_texts(action.menu())


def untranslated(found: Iterator[tuple[str, str]] | list[tuple[str, str]]
                 ) -> list[tuple[str, str, list[str]]]:
    """The texts that still have English words in them."""
    out = []
    for place, text in found:
        words = english_words(text)
        if words:
            out.append((place, text, words))
    return out
