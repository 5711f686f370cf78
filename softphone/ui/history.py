"""Call history (filters, search, call back, edit wrap-up) and the missed-call inbox."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import (
    button,
    duration,
    end_reason_text,
    local_time,
    outcome_text,
    plain_label,
    wrapup_outcome_text,
)
from softphone.ui.look import state_colour

FILTERS = ("all", "missed", "in", "out")


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class HistoryView(QWidget):
    call_requested = Signal(str, int)  # number, contact id (-1: none)
    wrapup_requested = Signal(object)  # CallView
    play_requested = Signal(str)  # recording path

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self.db = db
        self.rows: list[Any] = []
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.filter_combo = QComboBox(self)
        self.filter_combo.setObjectName("historyFilter")
        for key, text in zip(FILTERS, (self.tr("All calls"), self.tr("Missed"),
                                       self.tr("Incoming"), self.tr("Outgoing")), strict=True):
            self.filter_combo.addItem(text, key)
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("historySearch")
        self.search_edit.setPlaceholderText(self.tr("Search name, number, note"))
        self.search_edit.setClearButtonEnabled(True)
        self.callback_button = button(self.tr("Call back"), self, name="historyCallBack",
                                      tooltip=self.tr("Call the selected number"))
        self.wrapup_button = button(self.tr("Edit wrap-up"), self, name="historyWrapup")
        self.play_button = button(self.tr("Play recording"), self, name="historyPlay")
        bar.addWidget(self.filter_combo)
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.callback_button)
        bar.addWidget(self.wrapup_button)
        bar.addWidget(self.play_button)
        lay.addLayout(bar)
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("When"), self.tr("Who"), self.tr("Number"), self.tr("Direction"),
            self.tr("Outcome"), self.tr("Talk / note")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        lay.addWidget(self.table)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.refresh)
        self.search_edit.textEdited.connect(lambda _t: self._debounce.start())
        self.filter_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.itemActivated.connect(lambda _i: self._on_callback_clicked())
        self.callback_button.clicked.connect(self._on_callback_clicked)
        self.wrapup_button.clicked.connect(self._on_wrapup_clicked)
        self.play_button.clicked.connect(self._on_play_clicked)
        self._generation = 0

    def refresh(self) -> None:
        which = self.filter_combo.currentData()
        query = self.search_edit.text().strip() or None
        kwargs: dict[str, Any] = {"query": query, "limit": 500}
        if which == "missed":
            kwargs["outcome"] = "missed"
        elif which in ("in", "out"):
            kwargs["direction"] = which
        self._generation += 1
        generation = self._generation

        def show(rows: list[Any]) -> None:
            if generation == self._generation:
                self._show(rows)

        self.db.submit(lambda store: store.list_calls(**kwargs), show, lambda _e: None)

    def _show(self, rows: list[Any]) -> None:
        # the scheme's red (a dark red is unreadable on the dark scheme)
        missed = QColor(state_colour("failed", self.palette()))
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            who = r.contact_name or r.display_name or ""
            arrow = "↘ " + self.tr("in") if r.direction == "in" else "↗ " + self.tr("out")
            note = r.wrapup.note.splitlines()[0] if r.wrapup and r.wrapup.note else ""
            talk = duration(r.talk_seconds) if r.talk_seconds else ""
            rec = "● " if r.recording_path else ""
            outcome = outcome_text(r.outcome)
            why = end_reason_text(r.sip_status, getattr(r, "end_reason", None))
            if why:
                outcome = f"{outcome} ({why})"
            if r.wrapup and r.wrapup.outcome:
                outcome = f"{outcome} · {wrapup_outcome_text(r.wrapup.outcome)}"
            for col, text in enumerate((local_time(r.started_at), who, r.number, arrow, outcome,
                                        " ".join(x for x in (rec + talk, note) if x))):
                self.table.setItem(i, col, _item(text))
            if r.outcome == "missed":
                for col in range(6):
                    self.table.item(i, col).setForeground(missed)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)

    def selected(self) -> Any | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @Slot()
    def _on_callback_clicked(self) -> None:
        r = self.selected()
        if r is not None:
            self.call_requested.emit(r.number or r.remote_uri,
                                     r.contact_id if r.contact_id is not None else -1)

    @Slot()
    def _on_wrapup_clicked(self) -> None:
        r = self.selected()
        if r is not None:
            self.wrapup_requested.emit(r)

    @Slot()
    def _on_play_clicked(self) -> None:
        r = self.selected()
        if r is not None and r.recording_path:
            self.play_requested.emit(r.recording_path)


class MissedInbox(QWidget):
    """Numbers that called and were not reached since; each with a Call back button."""

    call_requested = Signal(str, int)
    count_changed = Signal(int)
    items_changed = Signal(list)

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missedInbox")
        self.db = db
        self.items: list[Any] = []
        lay = QVBoxLayout(self)
        self.empty_label = plain_label(self.tr("No missed calls. Nice."), self)
        lay.addWidget(self.empty_label)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("missedTable")
        self.table.setHorizontalHeaderLabels([self.tr("Who"), self.tr("Number"),
                                              self.tr("Calls"), self.tr("Last call")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table)
        self.callback_button = button(self.tr("Call back"), self, name="missedCallBack",
                                      shortcut="Ctrl+B", tooltip=self.tr("Call back"))
        lay.addWidget(self.callback_button)
        self.callback_button.clicked.connect(self._on_callback_clicked)
        self.table.itemActivated.connect(lambda _i: self._on_callback_clicked())

    def refresh(self) -> None:
        self.db.submit(lambda store: store.missed_inbox(), self._show, lambda _e: None)

    def _show(self, items: list[Any]) -> None:
        self.items = items
        self.table.setRowCount(len(items))
        for i, m in enumerate(items):
            for col, text in enumerate((m.contact_name or "", m.number, str(m.count),
                                        local_time(m.last_at))):
                self.table.setItem(i, col, _item(text))
        self.empty_label.setVisible(not items)
        self.table.setVisible(bool(items))
        self.callback_button.setEnabled(bool(items))
        if items and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self.count_changed.emit(len(items))
        self.items_changed.emit(items)

    def call_back(self, row: int) -> None:
        if 0 <= row < len(self.items):
            m = self.items[row]
            self.call_requested.emit(m.number, m.contact_id if m.contact_id is not None else -1)

    @Slot()
    def _on_callback_clicked(self) -> None:
        self.call_back(max(0, self.table.currentRow()))
