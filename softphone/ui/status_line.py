"""The main window's status bar: messages and the account status, each in its own place.

QStatusBar paints a temporary message over its left part, clipped at whatever fits, and a long
one ran under the account status (issue 14 item 13). Here the message is a label in the bar's
layout: it gets the room the permanent widgets leave, elides what does not fit ("…") and
carries the whole text as its tooltip; the account status elides the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

MIN_CHARS = 8  # a squeezed label still shows this many characters' width


class ElidedLabel(QLabel):
    """One line of plain text, elided to the label's width; the whole text is the tooltip
    (when it does not fit) and what :meth:`text` returns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def text(self) -> str:  # type: ignore[override]
        return self._full

    def setText(self, text: str) -> None:  # type: ignore[override]
        self._full = text or ""
        self.updateGeometry()
        self._elide()

    def shown_text(self) -> str:
        """What is painted (the text, elided to the width)."""
        return super().text()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        width = self.fontMetrics().horizontalAdvance(self._full) + 2 * self.margin() + 4
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        width = self.fontMetrics().averageCharWidth() * MIN_CHARS if self._full else 0
        return QSize(width, hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                              max(room, 0))
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


class StatusBar(QStatusBar):
    """A status bar whose :meth:`showMessage` puts the message into :attr:`message_label`
    (in the layout, elided, the whole text as tooltip) instead of painting it over the bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_label = ElidedLabel(self)
        self.message_label.setObjectName("statusMessage")
        self.addWidget(self.message_label, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # type: ignore[override]
        self.message_label.setText(text)
        self._timer.stop()
        if timeout > 0 and text:
            self._timer.start(timeout)
        self.messageChanged.emit(text)

    def currentMessage(self) -> str:  # type: ignore[override]
        return self.message_label.text()

    def clearMessage(self) -> None:  # type: ignore[override]
        self._timer.stop()
        if self.message_label.text():
            self.message_label.setText("")
            self.messageChanged.emit("")
