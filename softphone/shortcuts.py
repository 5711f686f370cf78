"""Global shortcut strings (``[ui] shortcut_answer = "Ctrl+Alt+A"``): parsing and validation.

No Qt here: settings are validated before any ``QApplication`` exists (and by commands that
never create one). The spelling is Qt's portable text (``QKeySequence.toString()``), so a
shortcut typed in the settings dialog and one written by an admin look the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: modifier spellings -> canonical name (Qt's order: Ctrl, Alt, Shift, Meta)
MODIFIERS = {"ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "shift": "Shift",
             "meta": "Meta", "super": "Meta", "win": "Meta"}
MODIFIER_ORDER = ("Ctrl", "Alt", "Shift", "Meta")

#: named keys -> canonical name
NAMED_KEYS = {"space": "Space", "tab": "Tab", "return": "Return", "enter": "Return",
              "escape": "Esc", "esc": "Esc", "backspace": "Backspace", "insert": "Ins",
              "ins": "Ins", "delete": "Del", "del": "Del", "home": "Home", "end": "End",
              "pgup": "PgUp", "pageup": "PgUp", "pgdown": "PgDown", "pagedown": "PgDown",
              "left": "Left", "right": "Right", "up": "Up", "down": "Down", "pause": "Pause",
              "print": "Print", "scrolllock": "ScrollLock"}

#: keys that type something or move the cursor: grabbing them for the whole desktop without
#: Ctrl/Alt/Meta would take them away from every other application
_NEEDS_MODIFIER = {"Space", "Tab", "Return", "Esc", "Backspace", "Ins", "Del", "Home", "End",
                   "PgUp", "PgDown", "Left", "Right", "Up", "Down"}


class ShortcutError(ValueError):
    """A shortcut string that cannot be used; the message says why."""


@dataclass(frozen=True)
class Shortcut:
    modifiers: frozenset[str]
    key: str  # "A", "7", "F5", or a name from NAMED_KEYS' values

    def __str__(self) -> str:
        mods = [m for m in MODIFIER_ORDER if m in self.modifiers]
        return "+".join([*mods, self.key])


def parse_shortcut(text: str) -> Shortcut:
    """``"Ctrl+Alt+A"`` -> Shortcut; raises :class:`ShortcutError` saying what is wrong."""
    parts = [p.strip() for p in text.strip().split("+")]
    if not parts or not parts[-1]:
        raise ShortcutError(f"expected modifiers and a key like Ctrl+Alt+A, got {text!r}")
    *mod_parts, key_part = parts
    modifiers: set[str] = set()
    for part in mod_parts:
        name = MODIFIERS.get(part.lower())
        if name is None:
            raise ShortcutError(f"unknown modifier {part!r} in {text!r} "
                                f"(use Ctrl, Alt, Shift, Meta)")
        modifiers.add(name)
    key = _key_name(key_part)
    if key is None:
        raise ShortcutError(f"unknown key {key_part!r} in {text!r} "
                            f"(a letter, a digit, F1-F35 or a key name like Space, PgUp)")
    typing_key = len(key) == 1 or key in _NEEDS_MODIFIER
    if typing_key and not modifiers & {"Ctrl", "Alt", "Meta"}:
        raise ShortcutError(f"{text!r} needs Ctrl, Alt or Meta: without one the key would be "
                            f"taken from every other application")
    return Shortcut(frozenset(modifiers), key)


def _key_name(part: str) -> str | None:
    if len(part) == 1 and re.match(r"[A-Za-z0-9]", part):
        return part.upper()
    m = re.fullmatch(r"[Ff]([1-9]|[12][0-9]|3[0-5])", part)
    if m:
        return f"F{m.group(1)}"
    return NAMED_KEYS.get(part.lower())
