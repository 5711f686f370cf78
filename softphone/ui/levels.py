"""A horizontal level meter (microphone / speaker), painted with QPainter."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class LevelMeter(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._level = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(60)

    def sizeHint(self) -> QSize:
        return QSize(120, max(8, self.fontMetrics().height() // 2))

    def level(self) -> float:
        return self._level

    def set_level(self, level: float) -> None:
        level = max(0.0, min(1.0, float(level)))
        if abs(level - self._level) > 0.005:
            self._level = level
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(self.palette().mid().color())
        p.setBrush(self.palette().base())
        p.drawRoundedRect(r, 3, 3)
        if self._level > 0:
            color = QColor("#2e7d32") if self._level < 0.8 else QColor("#f9a825")
            if self._level > 0.95:
                color = QColor("#c62828")
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawRoundedRect(QRectF(r.x(), r.y(), r.width() * self._level, r.height()), 3, 3)
        p.end()
