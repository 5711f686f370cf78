"""The desktop's light or dark scheme (Qt's ``QStyleHints.colorScheme``), followed as it
changes.

Where the platform theme already paints dark (Windows, macOS, KDE), Qt's palette is dark by
itself and nothing is changed. Where the desktop says "dark" but the palette stays light (a
Qt without a matching platform theme, e.g. GNOME with the generic theme or the XDG portal),
the app switches to the Fusion style with a dark palette; back to the style's own palette
when the desktop goes light again.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from softphone.ui.look import is_dark, swap_scheme_colours

log = logging.getLogger("softphone.ui")


def dark_palette() -> QPalette:
    """A dark palette with contrast >= 7:1 for text and 4.5:1 for disabled text."""
    p = QPalette()
    roles = QPalette.ColorRole
    window, base, text = QColor("#26292d"), QColor("#1d1f22"), QColor("#e8eaed")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, roles.Window, window)
        p.setColor(group, roles.WindowText, text)
        p.setColor(group, roles.Base, base)
        p.setColor(group, roles.AlternateBase, QColor("#2b2e33"))
        p.setColor(group, roles.ToolTipBase, QColor("#33373c"))
        p.setColor(group, roles.ToolTipText, text)
        p.setColor(group, roles.PlaceholderText, QColor("#9aa0a6"))
        p.setColor(group, roles.Text, text)
        p.setColor(group, roles.Button, QColor("#33373c"))
        p.setColor(group, roles.ButtonText, text)
        p.setColor(group, roles.BrightText, QColor("#ff8a80"))
        p.setColor(group, roles.Light, QColor("#44484e"))
        p.setColor(group, roles.Midlight, QColor("#393d42"))
        p.setColor(group, roles.Mid, QColor("#2f3236"))
        p.setColor(group, roles.Dark, QColor("#9aa0a6"))  # "palette(dark)" hint text
        p.setColor(group, roles.Shadow, QColor("#0b0c0d"))
        p.setColor(group, roles.Highlight, QColor("#3d7fd6"))
        p.setColor(group, roles.HighlightedText, QColor("#ffffff"))
        p.setColor(group, roles.Link, QColor("#8ab4f8"))
        p.setColor(group, roles.LinkVisited, QColor("#c58af9"))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(disabled, role, QColor("#8a8f95"))
    for role, colour in ((roles.Window, window), (roles.Base, base),
                         (roles.Button, QColor("#2c2f33")), (roles.Highlight, QColor("#44484e")),
                         (roles.HighlightedText, QColor("#c0c4c8"))):
        p.setColor(disabled, role, colour)
    return p


class ColorSchemeFollower(QObject):
    """Keeps the app's palette in step with the desktop's colour scheme."""

    changed = Signal(bool)  # dark

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.forced = False  # we set the dark palette (and undo it when the desktop goes light)
        self._style = app.style().name()
        app.styleHints().colorSchemeChanged.connect(self.apply)
        self.apply(app.styleHints().colorScheme())

    @property
    def dark(self) -> bool:
        return is_dark(self.app.palette())

    @Slot(Qt.ColorScheme)
    def apply(self, scheme: Qt.ColorScheme) -> None:
        if scheme == Qt.ColorScheme.Dark and not is_dark(self.app.palette()):
            log.info("the desktop is dark: a dark palette (Fusion)")
            self.app.setStyle("Fusion")
            self.app.setPalette(dark_palette())
            self.forced = True
        elif scheme != Qt.ColorScheme.Dark and self.forced:
            log.info("the desktop is light again: the style's own palette")
            self.app.setStyle(self._style)
            self.app.setPalette(self.app.style().standardPalette())
            self.forced = False
        if self.forced or scheme == Qt.ColorScheme.Light:
            # messages coloured by state (ui/look.py) take the other scheme's tones
            dark = self.dark
            for widget in QApplication.allWidgets():
                sheet = widget.styleSheet()
                if sheet:
                    swapped = swap_scheme_colours(sheet, dark)
                    if swapped != sheet:
                        widget.setStyleSheet(swapped)
        icons = sys.modules.get("softphone.ui.icons")
        if icons is not None:  # drawn in the text colour, which just changed (none made yet:
            icons.refresh_icons()  # an idle window has no call controls; see phone_pages.py)
        self.changed.emit(self.dark)


def follow_color_scheme(app: QApplication) -> ColorSchemeFollower:
    follower = getattr(app, "_softphone_scheme", None)
    if follower is None:
        follower = ColorSchemeFollower(app)
        app._softphone_scheme = follower  # type: ignore[attr-defined]
    return follower
