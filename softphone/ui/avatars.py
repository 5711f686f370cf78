"""A contact's avatar: the initials on a colour of its own (the same name always gets the same
colour; white initials on every colour are readable: contrast >= 4.5:1)."""

from __future__ import annotations

try:  # CPython's own BLAKE2: ``hashlib`` would map OpenSSL's libcrypto (~3.5 MiB) for this
    from _blake2 import blake2s
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2s

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

#: darker tones of distinct hues, each at least 4.5:1 against white text
COLOURS = ("#1565c0", "#2e7d32", "#6a1b9a", "#ad1457", "#00695c", "#c62828", "#4527a0",
           "#37474f", "#0277bd", "#8d3c00", "#33691e", "#5d4037")


def initials(name: str) -> str:
    """``Ivan Petrov`` -> ``IP``; one word -> its first letter; a number -> ``#``."""
    words = [w for w in name.replace("·", " ").split() if w[:1].isalpha()]
    if not words:
        return "#"
    if len(words) == 1:
        return words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


def colour_for(name: str) -> str:
    digest = blake2s(name.strip().casefold().encode("utf-8"), digest_size=2).digest()
    return COLOURS[int.from_bytes(digest, "big") % len(COLOURS)]


def avatar_pixmap(name: str, size: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    pixels = max(1, round(size * device_pixel_ratio))
    pixmap = QPixmap(pixels, pixels)
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour_for(name)))
    painter.drawEllipse(QRectF(0, 0, size, size))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(size * 0.4)))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, initials(name))
    painter.end()
    return pixmap


class Avatar(QLabel):
    """A round avatar of ``size`` logical pixels, sharp at every scale."""

    def __init__(self, size: int = 40, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("avatar")
        self._size = size
        self.name = ""
        self.setFixedSize(size, size)
        self.hide()

    def set_name(self, name: str) -> None:
        self.name = name
        if not name:
            self.hide()
            return
        self.setPixmap(avatar_pixmap(name, self._size, self.devicePixelRatioF()))
        self.setToolTip(name)
        self.show()
