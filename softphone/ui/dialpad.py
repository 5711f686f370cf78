"""The on-screen dial pad shown when no call is up: digits, +, *, #, backspace, Call and
Redial, all usable with the mouse alone. The keys type into the main dial field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QWidget

from softphone.ui.common import button, paint_button
from softphone.ui.icons import set_control_icon

#: (key, object name) row by row
PAD_KEYS = (("1", "pad_1"), ("2", "pad_2"), ("3", "pad_3"),
            ("4", "pad_4"), ("5", "pad_5"), ("6", "pad_6"),
            ("7", "pad_7"), ("8", "pad_8"), ("9", "pad_9"),
            ("*", "pad_star"), ("0", "pad_0"), ("#", "pad_hash"))


class DialPad(QWidget):
    key_pressed = Signal(str)  # "0".."9", "*", "#", "+"
    backspace_pressed = Signal()
    call_requested = Signal()
    redial_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dialPad")
        grid = QGridLayout(self)
        grid.setSpacing(4)
        self.keys: dict[str, QPushButton] = {}
        for i, (key, name) in enumerate(PAD_KEYS):
            self.keys[key] = self._key(key, name, grid, i // 3, i % 3)
        self.keys["+"] = self._key("+", "pad_plus", grid, 4, 0)
        self.backspace_button = self._key("⌫", "pad_backspace", grid, 4, 2)
        self.backspace_button.setToolTip(self.tr("Delete the last character"))
        self.backspace_button.setAutoRepeat(True)
        self.backspace_button.clicked.disconnect()
        self.backspace_button.clicked.connect(self.backspace_pressed)
        self.call_button = button(self.tr("Call"), self, name="padCall",
                                  tooltip=self.tr("Call the number above (Enter)"))
        paint_button(self.call_button, "#2e7d32")
        set_control_icon(self.call_button, "answer", colour="#ffffff")
        self.redial_button = button(self.tr("Redial"), self, name="padRedial",
                                    tooltip=self.tr("Call the last number again (Ctrl+R)"))
        for b in (self.call_button, self.redial_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        grid.addWidget(self.call_button, 5, 0, 1, 2)
        grid.addWidget(self.redial_button, 5, 2)
        self.call_button.clicked.connect(self.call_requested)
        self.redial_button.clicked.connect(self.redial_requested)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def _key(self, text: str, name: str, grid: QGridLayout, row: int, col: int) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        # the dial field keeps the focus: the keyboard types there, the mouse uses the pad
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setMinimumSize(b.fontMetrics().height() * 3, b.fontMetrics().height() * 2)
        font = b.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        b.setFont(font)
        b.clicked.connect(lambda _=False, k=text: self.key_pressed.emit(k))
        grid.addWidget(b, row, col)
        return b
