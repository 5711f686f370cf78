"""Icons of the call controls: the desktop's freedesktop icon theme first (call-start,
call-stop, media-playback-pause, ...), else ours (``resources/icons/call-*.svg``, drawn by
``make_icons.py``) in the button's text colour, so they read on the light and the dark scheme.

:func:`set_control_icon` puts an icon on a button and keeps it right when the palette
changes (the desktop switched between light and dark).
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractButton, QApplication, QStyleOption

ICON_DIR = Path(__file__).resolve().parents[2] / "resources" / "icons"
INK = "#5c6670"  # make_icons.CONTROL_INK
#: control -> freedesktop names, most specific first (Icon Naming Specification and the
#: names Adwaita, Breeze and Papirus use)
THEME_NAMES: dict[str, tuple[str, ...]] = {
    "answer": ("call-start",),
    "hangup": ("call-stop",),
    "hold": ("media-playback-pause",),
    "mute": ("microphone-sensitivity-muted", "audio-input-microphone-muted"),
    "keypad": ("input-dialpad",),
    "transfer": ("call-transfer",),
    "record": ("media-record",),
}


def theme_icon(control: str) -> QIcon | None:
    for name in THEME_NAMES.get(control, ()):
        if QIcon.hasThemeIcon(name):
            return QIcon.fromTheme(name)
    return None


class _SvgIconEngine(QIconEngine):
    """Draws one of our SVGs at the size and pixel ratio a paint asks for, when it asks: a
    button that is never shown (the call controls of an idle phone) costs no drawing, and
    QtSvg is loaded at the first icon drawn. Each size drawn is kept."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderer: Any = None
        self._drawn: dict[tuple[int, int, Any, Any], QPixmap] = {}

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._svg)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:
        width, height = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
        key = (width, height, mode, state)
        pixmap = self._drawn.get(key)
        if pixmap is None:
            pixmap = self._draw(width, height)
            if mode != QIcon.Mode.Normal:  # greyed when disabled, as a pixmap icon is
                pixmap = QApplication.style().generatedIconPixmap(mode, pixmap, QStyleOption())
            pixmap.setDevicePixelRatio(scale)
            self._drawn[key] = pixmap
        return pixmap

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatio() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def _draw(self, width: int, height: int) -> QPixmap:
        if self._renderer is None:
            from PySide6.QtSvg import QSvgRenderer

            self._renderer = QSvgRenderer(QByteArray(self._svg))
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._renderer.render(painter)
        painter.end()
        return QPixmap.fromImage(image)


@lru_cache(maxsize=64)
def bundled_icon(control: str, colour: str) -> QIcon:
    """Our drawing of ``control`` in ``colour`` (any CSS colour), sharp at any size and scale
    (drawn when first painted at that size)."""
    svg = (ICON_DIR / f"call-{control}.svg").read_text("utf-8").replace(INK, colour)
    return QIcon(_SvgIconEngine(svg.encode("utf-8")))


def control_icon(control: str, colour: QColor | str | None = None) -> QIcon:
    """The icon for a call control: the theme's, else ours in ``colour`` (default: the
    application palette's button text)."""
    themed = theme_icon(control)
    if themed is not None:
        return themed
    if colour is None:
        colour = QApplication.palette().color(QPalette.ColorRole.ButtonText)
    name = colour.name() if isinstance(colour, QColor) else colour
    return bundled_icon(control, name)


_LIVE: weakref.WeakSet[_Recolour] = weakref.WeakSet()


def refresh_icons() -> None:
    """Draw every control icon again (the palette changed: light <-> dark)."""
    for recolour in list(_LIVE):
        recolour.apply()


class _Recolour(QObject):
    """Sets a button's icon again when the palette changes (light <-> dark)."""

    def __init__(self, button: QAbstractButton, control: str, fixed: str | None) -> None:
        super().__init__(button)
        self.button, self.control, self.fixed = button, control, fixed
        button.installEventFilter(self)
        _LIVE.add(self)
        self.apply()

    def apply(self) -> None:
        # the application's palette for this kind of widget: a hidden button's own palette
        # is brought up to date only when it is shown again
        colour = self.fixed or QApplication.palette(self.button).color(
            QPalette.ColorRole.ButtonText)
        self.button.setIcon(control_icon(self.control, colour))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange,
                            QEvent.Type.ApplicationPaletteChange):
            self.apply()
        return False


def set_control_icon(button: QAbstractButton, control: str, *, colour: str | None = None,
                     size: int = 20) -> None:
    """``button`` shows ``control``'s icon (``colour``: fixed, e.g. white on a green answer
    button; else the button's text colour, following the palette)."""
    button.setIconSize(QSize(size, size))
    _Recolour(button, control, colour)
