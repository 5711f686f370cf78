"""The office in the window: colleagues found on the LAN (call, transfer to them) and the
shared CRM's change feed turned into reloads of the open views.

* :class:`OfficeLink` is the Qt side of :class:`softphone.office.service.Office`. It creates the
  office once the SIP engine listens (presence announces the address the engine bound) and the
  store is open (the change feed installs its triggers on existing tables), queues the office's
  background-thread callbacks into Qt signals, and collects CRM changes for ~250 ms before it
  says which tables changed (``tables_changed``), so a burst of writes costs one reload.
* :class:`ColleaguesView` lists the colleagues (name, extension, address, state with a coloured
  dot) with Call, Message and Transfer buttons; a double click calls. Colleagues on the LAN
  (mDNS) and colleagues watched through the PBX's presence server (``ui/office_pbx.py``) are
  one list.

Everything a colleague announces is remote data: it is shown as plain text only.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import button, paint_button, plain_label

log = logging.getLogger("softphone.ui")

STATE_NAMES = {"available": QT_TRANSLATE_NOOP("ColleaguesView", "available"),
               "in_call": QT_TRANSLATE_NOOP("ColleaguesView", "in a call"),
               "dnd": QT_TRANSLATE_NOOP("ColleaguesView", "do not disturb"),
               "away": QT_TRANSLATE_NOOP("ColleaguesView", "away"),
               "offline": QT_TRANSLATE_NOOP("ColleaguesView", "offline"),
               "unknown": QT_TRANSLATE_NOOP("ColleaguesView", "unknown")}
STATE_COLORS = {"available": "#2e7d32", "in_call": "#c62828", "dnd": "#ef6c00",
                "away": "#f9a825", "offline": "#9e9e9e", "unknown": "#bdbdbd"}
COLLECT_MS = 250  # CRM changes are collected this long before the views reload


def state_icon(state: str, size: int = 12) -> QIcon:
    """A coloured dot: green available, red in a call, orange do-not-disturb."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(STATE_COLORS.get(state, "#9e9e9e")))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pixmap)


class OfficeLink(QObject):
    """Creates, feeds and stops the :class:`Office`; its callbacks arrive as queued signals.

    Args:
        make_office: ``make_office(listen, on_colleagues, on_change)`` returns a started-to-be
            Office for the engine's listen address (the composition root knows the settings).
    """

    colleagues_changed = Signal(list)  # list[Colleague], on the main thread
    crm_changed = Signal(object)  # Change (emitted on the feed thread, queued)
    #: ~250 ms after the first of a burst: the set of tables that changed ("*": everything)
    tables_changed = Signal(set)
    #: why no colleagues can be listed: "off" (settings), "no_lan" (no LAN account),
    #: "error" (the detail says why); "" once presence runs
    presence_status = Signal(str, str)

    def __init__(self, make_office: Callable[..., Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_office = make_office
        self.office: Any = None
        self.listen = ""
        self.store_ready = False
        self.stopped = False
        self.colleagues: list[Any] = []
        self._dnd: bool | None = None
        self._pending: set[str] = set()
        self._collect = QTimer(self, singleShot=True, interval=COLLECT_MS)
        self._collect.timeout.connect(self._on_collect_timeout)
        self.crm_changed.connect(self._on_crm_changed)
        self.colleagues_changed.connect(self._on_colleagues_changed)

    # --- start when both the engine and the store are there -----------------------------------
    def engine_listening(self, listen: str) -> None:
        self.listen = listen
        self._start_if_ready()

    def store_opened(self, _store: Any = None) -> None:
        self.store_ready = True
        self._start_if_ready()

    def _start_if_ready(self) -> None:
        if self.office is not None or self.stopped or not self.listen or not self.store_ready:
            return
        try:
            self.office = self._make_office(self.listen, self.colleagues_changed.emit,
                                            self.crm_changed.emit)
            if self._dnd is not None:
                self.office.activity.dnd = self._dnd
            self.office.start()
        except Exception as exc:
            log.warning("office features not started: %s", exc)
            self.office = None
            self.presence_status.emit("error", str(exc))
            return
        office = self.office
        if office.presence is not None:
            self.presence_status.emit("", "")
        elif office.problems:
            self.presence_status.emit("error", "; ".join(office.problems))
        elif not office.settings.office.presence:
            self.presence_status.emit("off", "")
        else:
            self.presence_status.emit("no_lan", "")

    def restart(self) -> None:
        """The settings changed (accounts, database, presence): a new office. The old one
        says goodbye on a helper thread (that takes up to a second)."""
        office, self.office = self.office, None
        if office is not None:
            threading.Thread(target=office.stop, name="office-stop", daemon=True).start()
        self.colleagues = []
        self.colleagues_changed.emit([])
        self._start_if_ready()

    # --- from the window ----------------------------------------------------------------------
    def on_sip_event(self, event: Any) -> None:
        if type(event).__name__ == "EngineStarted":
            self.engine_listening(str(getattr(event, "listen", "")))
        elif self.office is not None:
            self.office.on_sip_event(event)

    @Slot(bool)
    def set_dnd(self, on: bool) -> None:
        self._dnd = on
        if self.office is not None:
            self.office.set_dnd(on)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True
        self._collect.stop()
        office, self.office = self.office, None
        if office is not None:
            with contextlib.suppress(Exception):
                office.stop(timeout)

    # --- queued from the office's threads -----------------------------------------------------
    @Slot(list)
    def _on_colleagues_changed(self, colleagues: list[Any]) -> None:
        self.colleagues = list(colleagues)

    @Slot(object)
    def _on_crm_changed(self, change: Any) -> None:
        self._pending.add(str(getattr(change, "table", "*")))
        if not self._collect.isActive():
            self._collect.start()

    @Slot()
    def _on_collect_timeout(self) -> None:
        tables, self._pending = self._pending, set()
        if tables and not self.stopped:
            self.tables_changed.emit(tables)


class ColleaguesView(QWidget):
    """Colleagues on the LAN with their state; Call, and Transfer while we are in a call."""

    call_requested = Signal(str)  # the colleague's SIP URI
    transfer_requested = Signal(str)  # blind-transfer the current call to this URI
    message_requested = Signal(str, str)  # chat with the colleague: (SIP URI, name)
    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colleaguesView")
        self.colleagues: list[Any] = []
        self.lan: list[Any] = []  # found on the LAN (mDNS)
        self.pbx: list[Any] = []  # watched through the PBX (SUBSCRIBE/NOTIFY)
        self.unread: dict[str, int] = {}  # conversation (crm.messages.peer_key) -> unread
        self.in_call = False
        lay = QVBoxLayout(self)
        self.default_note = self.tr(
            "No colleagues found yet. Colleagues appear here when their softphone runs with "
            "a LAN account on the same network, or when an account lists them "
            "(colleagues in the settings, or contacts tagged \u201ccolleague\u201d) and its "
            "server tells their presence.")
        self.empty_label = plain_label(self.default_note, self, name="colleaguesEmpty")
        lay.addWidget(self.empty_label)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("colleaguesTable")
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Extension"),
                                              self.tr("Address"), self.tr("State")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.call_button = button(self.tr("Call"), self, name="colleagueCall",
                                  tooltip=self.tr("Call the selected colleague"))
        paint_button(self.call_button, "#2e7d32")
        self.message_button = button(self.tr("Message"), self, name="colleagueMessage",
                                     tooltip=self.tr("Write to the selected colleague"))
        self.transfer_button = button(self.tr("Transfer"), self, name="colleagueTransfer",
                                      tooltip=self.tr("Transfer the current call to the "
                                                      "selected colleague"))
        row.addStretch(1)
        row.addWidget(self.call_button)
        row.addWidget(self.message_button)
        row.addWidget(self.transfer_button)
        lay.addLayout(row)
        self.call_button.clicked.connect(self._on_call_clicked)
        self.message_button.clicked.connect(self._on_message_clicked)
        self.transfer_button.clicked.connect(self._on_transfer_clicked)
        # a double click (or Enter) activates: one call, not two
        self.table.itemActivated.connect(lambda _i: self._on_call_clicked())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.set_colleagues([])

    @Slot(str, str)
    def set_presence_status(self, kind: str, detail: str) -> None:
        """Say why nobody can be listed (shown while the list is empty)."""
        texts = {
            "off": self.tr("Colleagues are not listed: presence is turned off in the settings "
                           "([office] presence)."),
            "no_lan": self.tr("Colleagues on the network are listed for a LAN account (calls "
                              "without a server); this phone has none. An account with a "
                              "server lists the colleagues its settings name."),
            "error": self.tr("Colleagues cannot be found: %1").replace("%1", detail),
        }
        self.empty_label.setText(texts.get(kind, self.default_note))

    @Slot(list)
    def set_colleagues(self, colleagues: list[Any]) -> None:
        """The colleagues found on the LAN."""
        self.lan = list(colleagues)
        self._show()

    @Slot(list)
    def set_pbx_colleagues(self, colleagues: list[Any]) -> None:
        """The colleagues watched through the PBX, with their state."""
        self.pbx = list(colleagues)
        self._show()

    def set_unread(self, unread: dict[str, int]) -> None:
        self.unread = dict(unread)
        self._show()

    def _show(self) -> None:
        from softphone.crm.peer import peer_key

        chosen = self.selected()
        chosen_id = chosen.id if chosen is not None else None
        self.colleagues = [*self.pbx, *self.lan]
        self.table.setRowCount(len(self.colleagues))
        for i, c in enumerate(self.colleagues):
            state = self.tr(str(STATE_NAMES.get(c.state, STATE_NAMES["available"])))
            unread = self.unread.get(peer_key(c.uri), 0)
            name = f"{c.name}  ✉ {unread}" if unread else c.name
            cells = (name, c.extension, c.address, state)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)  # plain text: remote data
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if col == 0:
                    item.setIcon(state_icon(c.state))
                if col == 3:
                    item.setForeground(QColor(STATE_COLORS.get(c.state, "#9e9e9e")))
                self.table.setItem(i, col, item)
            if c.id == chosen_id:
                self.table.selectRow(i)
        if self.colleagues and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.empty_label.setVisible(not self.colleagues)
        self.table.setVisible(bool(self.colleagues))
        self._update_buttons()
        self.count_changed.emit(len(self.colleagues))

    def set_in_call(self, in_call: bool) -> None:
        self.in_call = in_call
        self._update_buttons()

    def selected(self) -> Any | None:
        row = self.table.currentRow()
        return self.colleagues[row] if 0 <= row < len(self.colleagues) else None

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.call_button.setEnabled(chosen)
        self.message_button.setEnabled(chosen)
        self.transfer_button.setEnabled(chosen and self.in_call)

    @Slot()
    def _on_call_clicked(self) -> None:
        c = self.selected()
        if c is not None:
            self.call_requested.emit(c.uri)

    @Slot()
    def _on_message_clicked(self) -> None:
        c = self.selected()
        if c is not None:
            self.message_requested.emit(c.uri, c.name)

    @Slot()
    def _on_transfer_clicked(self) -> None:
        c = self.selected()
        if c is not None and self.in_call:
            self.transfer_requested.emit(c.uri)


def reload_for_changes(window: Any, tables: set[str]) -> None:
    """Reload the window's views that show ``tables`` (changed on another desk, or here): the
    missed-call inbox and tasks (they feed the Today page) and the open tab. Tabs not shown
    reload when they are opened."""
    everything = "*" in tables
    if everything or tables & {"calls", "wrapups", "missed_inbox", "ignored_numbers",
                               "contacts"}:
        window.missed.refresh()
    if everything or "tasks" in tables:
        window.tasks.refresh()
    current = window.tabs.currentWidget()
    if current is None:
        return
    if current is window.built("contacts"):
        card = current.card
        if everything or tables & {"contacts", "companies"}:
            current.refresh()  # the list, then the open card
        elif tables & {"calls", "wrapups", "tasks", "deals", "messages",
                       "contact_history"} and (
                card.contact is not None):
            current.open_contact(card.contact.id)
    elif (current is window.built("history") and (everything or tables & {
            "calls", "wrapups", "contacts", "companies"})) or (
            current is window.built("stats") and (everything or tables & {"calls", "contacts"})):
        current.refresh()
