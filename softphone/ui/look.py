"""Colours that carry meaning (call states), readable on the light and the dark scheme."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QPalette

#: (light scheme, dark scheme): strong enough on white, soft enough on a dark grey
_STATE_COLOURS: dict[str, tuple[str, str]] = {
    "calling": ("#1565c0", "#64b5f6"),
    "ringing": ("#b26a00", "#ffb74d"),
    "talking": ("#2e7d32", "#81c784"),
    "held": ("#6a1b9a", "#ce93d8"),
    "failed": ("#c62828", "#ef9a9a"),
    "ended": ("#616161", "#bdbdbd"),
}


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the window background is dark (the desktop's dark scheme, or a dark style)."""
    if palette is None:
        from PySide6.QtGui import QGuiApplication

        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def state_colour(state: str, palette: QPalette | None = None) -> str:
    """The text colour of a call state (calling, ringing, talking, held, failed, ended)."""
    light, dark = _STATE_COLOURS.get(state, _STATE_COLOURS["ended"])
    return dark if is_dark(palette) else light


def text_style(state: str, widget: object = None) -> str:
    """A style sheet colour for a message in a state's colour (``failed``: red, ``talking``:
    green), for the palette of ``widget`` (or the application's)."""
    palette = widget.palette() if hasattr(widget, "palette") else None  # type: ignore[union-attr]
    return f"color:{state_colour(state, palette)};"


def swap_scheme_colours(style_sheet: str, dark: bool) -> str:
    """``style_sheet`` with the state colours of its text (``color:``) changed for the other
    scheme's; backgrounds and borders (a red Hang up button) stay as they are."""
    import re

    swap = {(light if dark else dark_tone): (dark_tone if dark else light)
            for light, dark_tone in _STATE_COLOURS.values()}

    def repl(m: re.Match[str]) -> str:
        return m.group(1) + swap.get(m.group(2).lower(), m.group(2))

    return re.sub(r"((?<![\w-])color\s*:\s*)(#[0-9a-fA-F]{6})", repl, style_sheet)


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 = none, 21 = black on white)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + \
            0.0722 * channel(c.blueF())

    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def fit_to_screen(widget: Any, width: int, height: int) -> None:
    """``width`` x ``height`` (at 100 %), or less where the screen is smaller (a laptop at
    200 %): every button stays on screen."""
    screen = widget.screen() or _primary_screen()
    area = screen.availableGeometry() if screen is not None else None
    if area is not None:
        width = min(width, int(area.width() * 0.9))
        height = min(height, int(area.height() * 0.9))
    widget.resize(width, height)


def _primary_screen() -> Any:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.primaryScreen()
