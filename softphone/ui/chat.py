"""Chat (SIP MESSAGE) in the window: a conversation pane, a window per peer, and the centre
that connects them to :class:`softphone.chat_flow.ChatFlow`.

* :class:`ChatPane` shows one conversation (plain text only: it is remote data), each sent
  message with its fate (sending…, delivered, not delivered and why) and a box to write.
  The contact card embeds one; a :class:`ChatWindow` holds one for a colleague or a stranger.
* :class:`ChatCenter` owns the flow: it sends, reloads the panes a change concerns, keeps the
  unread conversations (a status-bar button opens the latest), marks a conversation read
  when its pane is shown, and tells the user (tray) about a new message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from softphone.chat_flow import ChatFlow, ChatUpdate
from softphone.ui.common import button, local_time, plain_label, translate
from softphone.ui.look import state_colour

log = logging.getLogger("softphone.ui")



def status_text(message: Any) -> str:
    """What became of a sent message, for the user."""
    if message.direction == "in":
        return ""
    if message.status == "sending":
        return translate("ChatPane", "sending…")
    if message.status == "delivered":
        return translate("ChatPane", "delivered")
    why = " ".join(x for x in (str(message.sip_status or ""), message.reason) if x)
    if message.sip_status in (404, 480, 410):
        why = translate("ChatPane", "not reachable: %1").replace("%1", why)
    return translate("ChatPane", "not delivered (%1)").replace("%1", why or "?")


class _ComposeBox(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatPane(QWidget):
    """One conversation and a box to write in."""

    send_requested = Signal(str)  # the text (not empty)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        self.messages: list[Any] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget(self)
        self.list.setObjectName("chatMessages")
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.empty_label = plain_label(self.tr("No messages yet."), self, name="chatEmpty")
        lay.addWidget(self.empty_label)
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.edit = _ComposeBox(self)
        self.edit.setObjectName("chatInput")
        self.edit.setPlaceholderText(self.tr("Write a message — Enter sends"))
        self.edit.setMaximumHeight(64)
        self.send_button = button(self.tr("Send"), self, name="chatSend")
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button)
        lay.addLayout(row)
        self.error_label = plain_label("", self, name="chatError")
        self.error_label.setStyleSheet(f"color:{state_colour('failed', self.palette())}")
        self.error_label.hide()
        lay.addWidget(self.error_label)
        self.send_button.clicked.connect(self._on_send)
        self.edit.submitted.connect(self._on_send)
        self.show_messages([])

    @Slot()
    def _on_send(self) -> None:
        text = self.edit.toPlainText().strip()
        if text:
            self.send_requested.emit(text)

    def sent(self) -> None:
        """The engine took the message: clear the box."""
        self.edit.clear()
        self.show_error("")

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def set_can_send(self, can: bool, why: str = "") -> None:
        self.edit.setEnabled(can)
        self.send_button.setEnabled(can)
        self.edit.setPlaceholderText(self.tr("Write a message — Enter sends") if can else why)

    def show_messages(self, messages: list[Any]) -> None:
        self.messages = list(messages)
        self.list.clear()
        for m in self.messages:
            way = "↘" if m.direction == "in" else "↗"
            head = f"{local_time(m.sent_at)} {way}"
            state = status_text(m)
            item = QListWidgetItem(f"{head} {m.body}" + (f"\n    {state}" if state else ""))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if m.direction == "out":
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight)
            if m.status == "failed":
                item.setForeground(QColor(state_colour("failed", self.palette())))
                item.setToolTip(state)
            self.list.addItem(item)
        self.empty_label.setVisible(not self.messages)
        self.list.setVisible(bool(self.messages))
        self.list.scrollToBottom()


class ChatWindow(QWidget):
    """A conversation with a colleague or someone not in the CRM, in its own window."""

    def __init__(self, peer: str, target: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("chatWindow")
        self.peer = peer  # crm.messages.peer_key of the conversation
        self.target = target  # what to send to (a SIP URI)
        self.setWindowTitle(translate("ChatWindow", "Chat: %1").replace("%1", title))
        lay = QVBoxLayout(self)
        self.title_label = plain_label(title, self, bold=True, name="chatTitle")
        lay.addWidget(self.title_label)
        self.pane = ChatPane(self)
        lay.addWidget(self.pane, 1)
        self.resize(420, 480)


class ChatCenter(QObject):
    """The window's chat: sends, stores, reloads what shows a conversation; unread counts.

    Args:
        db: the DB worker (``submit``).
        engine: the SIP engine, or a callable returning the current one (it may come later).
        contacts: returns the contacts view if it is built (its card shows a chat pane).
    """

    unread_changed = Signal(int)  # unread messages in all our conversations
    #: a message arrived: (who, text) for a notification
    message_arrived = Signal(str, str)

    def __init__(self, db: Any, engine: Callable[[], Any], parent: QObject | None = None,
                 contacts: Callable[[], Any] | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._engine = engine
        self._contacts = contacts or (lambda: None)
        self.flow = ChatFlow(db, engine(), self.on_update)
        self.windows: dict[str, ChatWindow] = {}
        self.unread: tuple[Any, ...] = ()
        self.unread_total = 0
        self.badge = QToolButton()
        self.badge.setObjectName("unreadMessages")
        self.badge.setAutoRaise(True)
        self.badge.hide()
        self.badge.clicked.connect(self.open_latest_unread)

    # --- in ---------------------------------------------------------------------------------
    def on_sip_event(self, event: Any) -> None:
        self.flow.engine = self._engine()
        self.flow.on_sip_event(event)
        if type(event).__name__ == "MessageReceived":
            who = event.display_name or event.number or event.remote_uri
            self.message_arrived.emit(who, event.body)

    def store_opened(self) -> None:
        self.flow.store_opened()

    def on_update(self, update: ChatUpdate) -> None:
        if update.kind == "unread":
            self._set_unread(update.unread)
        elif update.kind == "error":
            for window in self.windows.values():
                window.pane.show_error(update.error)
        elif update.message is not None:
            self._reload_for(update.message)

    # --- sending --------------------------------------------------------------------------
    def send(self, pane: ChatPane, target: str, text: str, *, contact_id: int | None = None,
             display_name: str = "") -> bool:
        """Send from ``pane``; a refusal (bad address, too long, no phone) shows there."""
        self.flow.engine = self._engine()
        try:
            self.flow.send(target, text, contact_id=contact_id, display_name=display_name)
        except Exception as exc:
            pane.show_error(translate("ChatPane", "Not sent: %1").replace("%1", str(exc)))
            return False
        pane.sent()
        return True

    # --- conversations ----------------------------------------------------------------------
    def open_peer(self, target: str, title: str = "") -> ChatWindow:
        """The conversation with ``target`` (a SIP URI) in its window, shown and read."""
        from softphone.crm.peer import peer_key

        peer = peer_key(target)
        window = self.windows.get(peer)
        if window is None:
            window = ChatWindow(peer, target, title or target)
            window.pane.send_requested.connect(
                lambda text, w=window: self.send(w.pane, w.target, text))
            self.windows[peer] = window
        window.show()
        window.raise_()
        window.activateWindow()
        self.load_peer(window)
        return window

    def load_peer(self, window: ChatWindow) -> None:
        self.db.submit(lambda store: store.conversation(peer=window.peer),
                       window.pane.show_messages, lambda exc: window.pane.show_error(str(exc)))
        if any(c.peer_key == window.peer for c in self.unread):
            self.flow.mark_read(peer=window.peer)

    def contact_shown(self, contact_id: int) -> None:
        """The contact card shows this contact's conversation: it is read."""
        if any(c.contact_id == contact_id for c in self.unread):
            self.flow.mark_read(contact_id=contact_id)

    @Slot()
    def open_latest_unread(self) -> None:
        if not self.unread:
            return
        latest = self.unread[0]
        contacts = self._contacts()
        if latest.contact_id is not None and contacts is not None and hasattr(
                contacts, "show_contact_chat"):
            contacts.show_contact_chat(latest.contact_id)
            return
        self.open_peer(latest.remote_uri, latest.contact_name or latest.display_name
                       or latest.peer_key)

    def _reload_for(self, message: Any) -> None:
        window = self.windows.get(message.peer_key)
        if window is not None and window.isVisible():
            self.load_peer(window)
        contacts = self._contacts()
        card = getattr(contacts, "card", None)
        if (card is not None and message.contact_id is not None and card.contact is not None
                and card.contact.id == message.contact_id):
            contacts.open_contact(message.contact_id)

    def _set_unread(self, unread: tuple[Any, ...]) -> None:
        self.unread = unread
        total = sum(c.unread for c in unread)
        # a conversation on screen is read at once: an active chat window, or the contact
        # card on the open Contacts tab
        contacts = self._contacts()
        card = getattr(contacts, "card", None)
        shown = (card.contact.id if card is not None and card.contact is not None
                 and contacts.isVisible() else None)
        for c in unread:
            window = self.windows.get(c.peer_key)
            if window is not None and window.isVisible() and window.isActiveWindow():
                self.flow.mark_read(peer=c.peer_key)
            elif shown is not None and c.contact_id == shown:
                self.flow.mark_read(contact_id=shown)
        self.unread_total = total
        self.badge.setText(translate("ChatCenter", "✉ %1").replace("%1", str(total)))
        if unread:
            latest = unread[0]
            who = latest.contact_name or latest.display_name or latest.peer_key
            self.badge.setToolTip(translate("ChatCenter", "Unread messages: %1 (latest from "
                                                          "%2)").replace("%1", str(total))
                                  .replace("%2", who))
        self.badge.setVisible(total > 0)
        self.unread_changed.emit(total)

    def close_windows(self) -> None:
        for window in self.windows.values():
            window.close()
