"""Settings → Audio: which codecs are offered first, and in which order (``[audio] codecs``).

A list of every codec the phone knows: ticked ones are offered first, top to bottom; the
others still follow in PJSIP's own order, so a peer that speaks only one of them can call.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from softphone.settings import KNOWN_CODECS
from softphone.ui.common import button

_NAMES = {
    "opus": "Opus",
    "G722": "G.722",
    "PCMA": "G.711 A-law (PCMA)",
    "PCMU": "G.711 µ-law (PCMU)",
    "speex/8000": "Speex 8 kHz",
    "speex/16000": "Speex 16 kHz",
    "speex/32000": "Speex 32 kHz",
    "iLBC": "iLBC",
    "GSM": "GSM",
}


class CodecOrderEditor(QWidget):
    def __init__(self, codecs: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codecOrder")
        self.list = QListWidget(self)
        self.list.setObjectName("codecList")
        for name in [*codecs, *[c for c in KNOWN_CODECS if c not in codecs]]:
            item = QListWidgetItem(_NAMES.get(name, name), self.list)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in codecs
                               else Qt.CheckState.Unchecked)
        self.list.setCurrentRow(0)
        self.up_button = button(self.tr("Up"), self, name="codecUp")
        self.down_button = button(self.tr("Down"), self, name="codecDown")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        side = QVBoxLayout()
        side.addWidget(self.up_button)
        side.addWidget(self.down_button)
        side.addStretch(1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addLayout(side)
        self.list.setMaximumHeight(170)
        self.setToolTip(self.tr("Ticked codecs are offered first, top to bottom; the others "
                                "follow, so a phone that has only those can still call"))

    @Slot()
    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def codecs(self) -> tuple[str, ...]:
        """The ticked codecs in order; none ticked keeps the first one (a phone must offer
        something it prefers)."""
        items = [self.list.item(i) for i in range(self.list.count())]
        ticked = tuple(str(i.data(Qt.ItemDataRole.UserRole)) for i in items
                       if i.checkState() == Qt.CheckState.Checked)
        return ticked or (str(items[0].data(Qt.ItemDataRole.UserRole)),)
