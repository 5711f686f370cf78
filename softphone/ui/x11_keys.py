"""Desktop-wide shortcuts on X11: ``XGrabKey`` on the root window through libX11 (ctypes).

Qt has no global shortcuts. On X11 any client may grab a key combination on the root window
and then receives it whatever window has the focus. Wayland, Windows and macOS offer no such
thing to an ordinary app (Wayland by design; a portal exists but desktops differ), so there the
user binds ``softphone answer`` / ``softphone hangup`` in the desktop's keyboard settings.

The grabs live on a Display connection of our own (never Qt's xcb connection), read on the Qt
main thread when its socket becomes readable (``QSocketNotifier`` on ``ConnectionNumber``): no
thread, so no ``XInitThreads``. Each combination is also grabbed with Caps Lock and Num Lock on,
which X counts as modifiers. A combination another client holds fails with BadAccess; Xlib's
default error handler would exit the process, so ours records errors on our connection and
passes every other connection's errors to the handler that was there before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from softphone.shortcuts import Shortcut, parse_shortcut

log = logging.getLogger("softphone.ui.x11")

SHIFT, LOCK, CONTROL = 1, 2, 4
KEY_PRESS, KEY_RELEASE = 2, 3
GRAB_MODE_ASYNC = 1
BAD_ACCESS = 10

_KEYSYMS = {"Space": "space", "Tab": "Tab", "Return": "Return", "Esc": "Escape",
            "Backspace": "BackSpace", "Ins": "Insert", "Del": "Delete", "Home": "Home",
            "End": "End", "PgUp": "Prior", "PgDown": "Next", "Left": "Left", "Right": "Right",
            "Up": "Up", "Down": "Down", "Pause": "Pause", "Print": "Print",
            "ScrollLock": "Scroll_Lock"}


class _XKeyEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("window", ctypes.c_ulong), ("root", ctypes.c_ulong),
                ("subwindow", ctypes.c_ulong), ("time", ctypes.c_ulong),
                ("x", ctypes.c_int), ("y", ctypes.c_int), ("x_root", ctypes.c_int),
                ("y_root", ctypes.c_int), ("state", ctypes.c_uint), ("keycode", ctypes.c_uint),
                ("same_screen", ctypes.c_int)]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xkey", _XKeyEvent), ("pad", ctypes.c_long * 24)]


class _XErrorEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("display", ctypes.c_void_p),
                ("resourceid", ctypes.c_ulong), ("serial", ctypes.c_ulong),
                ("error_code", ctypes.c_ubyte), ("request_code", ctypes.c_ubyte),
                ("minor_code", ctypes.c_ubyte)]


class _XModifierKeymap(ctypes.Structure):
    _fields_ = [("max_keypermod", ctypes.c_int), ("modifiermap", ctypes.POINTER(ctypes.c_ubyte))]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))
_xlib: Any = None
_errors: dict[int, list[int]] = {}  # our display -> error codes since the last check
_previous_handler: Any = None
_handler: Any = None  # kept alive: Xlib holds a raw pointer to it


def _load_xlib() -> Any:
    global _xlib
    if _xlib is not None:
        return _xlib
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    lib = ctypes.CDLL(name)
    vp, ul, ci, cu = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_uint
    for fn, res, args in (
        ("XOpenDisplay", vp, [ctypes.c_char_p]), ("XCloseDisplay", ci, [vp]),
        ("XConnectionNumber", ci, [vp]), ("XDefaultRootWindow", ul, [vp]),
        ("XStringToKeysym", ul, [ctypes.c_char_p]), ("XKeysymToKeycode", ctypes.c_ubyte, [vp, ul]),
        ("XGrabKey", ci, [vp, ci, cu, ul, ci, ci, ci]), ("XUngrabKey", ci, [vp, ci, cu, ul]),
        ("XSync", ci, [vp, ci]), ("XPending", ci, [vp]),
        ("XNextEvent", ci, [vp, ctypes.POINTER(_XEvent)]),
        ("XSetErrorHandler", vp, [vp]),
        ("XGetModifierMapping", ctypes.POINTER(_XModifierKeymap), [vp]),
        ("XFreeModifiermap", ci, [ctypes.POINTER(_XModifierKeymap)]),
        ("XkbSetDetectableAutoRepeat", ci, [vp, ci, ctypes.POINTER(ctypes.c_int)]),
    ):
        f = getattr(lib, fn)
        f.restype, f.argtypes = res, args
    _xlib = lib
    return lib


def _on_x_error(display: int, event: Any) -> int:
    if display in _errors:
        _errors[display].append(int(event.contents.error_code))
        return 0
    if _previous_handler:
        return int(_ERROR_HANDLER(_previous_handler)(display, event))
    return 0


def _install_error_handler(lib: Any) -> None:
    global _handler, _previous_handler
    if _handler is None:
        _handler = _ERROR_HANDLER(_on_x_error)
        _previous_handler = lib.XSetErrorHandler(ctypes.cast(_handler, ctypes.c_void_p))


def unavailable_reason(platform_name: str) -> str:
    """Why global shortcuts cannot work here, or "" when they can (X11 with libX11)."""
    if platform_name != "xcb" or not os.environ.get("DISPLAY"):
        return f"the {platform_name or 'unknown'} platform has no global shortcuts for apps"
    try:
        _load_xlib()
    except OSError as exc:
        return f"libX11 cannot be loaded: {exc}"
    return ""


class X11Shortcuts(QObject):
    """Grabs ``{action: "Ctrl+Alt+A"}``; emits ``activated(action)`` on each press."""

    activated = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lib = _load_xlib()
        display = self._lib.XOpenDisplay(None)
        if not display:
            raise OSError(f"cannot open the X display {os.environ.get('DISPLAY', '')!r}")
        self._display: int = display
        _install_error_handler(self._lib)
        _errors[display] = []
        self._root = self._lib.XDefaultRootWindow(display)
        # no fake release/press pairs while a key is held: a held key is one press
        self._lib.XkbSetDetectableAutoRepeat(display, 1, None)
        self._lock_masks = self._ignored_masks()
        self._grabbed: dict[tuple[int, int], str] = {}  # (keycode, modifiers) -> action
        self._down: set[int] = set()
        self._notifier = QSocketNotifier(self._lib.XConnectionNumber(display),
                                         QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read_events)

    # --- modifiers ----------------------------------------------------------------------------
    def _modifier_mask(self, keysym_names: tuple[str, ...]) -> int:
        """The ModN bit that the server maps to one of these keys (Num_Lock, Alt_L, ...)."""
        codes = {self._lib.XKeysymToKeycode(self._display, self._lib.XStringToKeysym(n.encode()))
                 for n in keysym_names} - {0}
        keymap = self._lib.XGetModifierMapping(self._display)
        try:
            per = keymap.contents.max_keypermod
            for index in range(8):
                for j in range(per):
                    if keymap.contents.modifiermap[index * per + j] in codes:
                        return 1 << index
        finally:
            self._lib.XFreeModifiermap(keymap)
        return 0

    def _ignored_masks(self) -> list[int]:
        num = self._modifier_mask(("Num_Lock",))
        return sorted({0, LOCK, num, LOCK | num})

    def _x_modifiers(self, shortcut: Shortcut) -> int:
        mask = 0
        for name, bit in (("Ctrl", CONTROL), ("Shift", SHIFT),
                          ("Alt", self._modifier_mask(("Alt_L", "Alt_R")) or 8),
                          ("Meta", self._modifier_mask(("Super_L", "Super_R")) or 64)):
            if name in shortcut.modifiers:
                mask |= bit
        return mask

    # --- grabs --------------------------------------------------------------------------------
    def grab(self, bindings: dict[str, str]) -> list[tuple[str, str]]:
        """Replace the grabs with ``bindings`` (action -> shortcut text; "" = none). Returns
        (shortcut, "taken" | "no key" | "X error N") for each one that could not be grabbed."""
        self.ungrab_all()
        problems: list[tuple[str, str]] = []
        for action, text in bindings.items():
            if not text:
                continue
            shortcut = parse_shortcut(text)
            keysym = self._lib.XStringToKeysym(
                _KEYSYMS.get(shortcut.key, shortcut.key.lower()).encode())
            keycode = self._lib.XKeysymToKeycode(self._display, keysym) if keysym else 0
            if not keycode:
                problems.append((str(shortcut), "no key"))
                continue
            base = self._x_modifiers(shortcut)
            _errors[self._display].clear()
            for extra in self._lock_masks:
                self._lib.XGrabKey(self._display, keycode, base | extra, self._root, 0,
                                   GRAB_MODE_ASYNC, GRAB_MODE_ASYNC)
            self._lib.XSync(self._display, 0)  # errors arrive now, one shortcut at a time
            codes = list(_errors[self._display])
            if codes:
                for extra in self._lock_masks:  # no half grab (only with Caps Lock on...)
                    self._lib.XUngrabKey(self._display, keycode, base | extra, self._root)
                self._lib.XSync(self._display, 0)
                _errors[self._display].clear()
                problems.append((str(shortcut), "taken" if BAD_ACCESS in codes
                                 else f"X error {codes[0]}"))
                continue
            self._grabbed[(keycode, base)] = action
            log.info("global shortcut %s: %s", shortcut, action)
        QTimer.singleShot(0, self._read_events)  # XSync may have queued events already
        return problems

    def ungrab_all(self) -> None:
        for keycode, base in self._grabbed:
            for extra in self._lock_masks:
                self._lib.XUngrabKey(self._display, keycode, base | extra, self._root)
        if self._grabbed:
            self._lib.XSync(self._display, 0)
        self._grabbed.clear()

    def _read_events(self, *_: Any) -> None:
        if not self._display:
            return
        event = _XEvent()
        ignored = 0
        for mask in self._lock_masks:
            ignored |= mask
        while self._lib.XPending(self._display):
            self._lib.XNextEvent(self._display, ctypes.byref(event))
            if event.type not in (KEY_PRESS, KEY_RELEASE):
                continue
            key = event.xkey
            if event.type == KEY_RELEASE:
                self._down.discard(key.keycode)
                continue
            if key.keycode in self._down:
                continue  # held down: answer must not turn into hang up
            self._down.add(key.keycode)
            action = self._grabbed.get((key.keycode, key.state & ~ignored & 0xFF))
            if action:
                self.activated.emit(action)

    def close(self) -> None:
        if not self._display:
            return
        self._notifier.setEnabled(False)
        self.ungrab_all()
        _errors.pop(self._display, None)
        self._lib.XCloseDisplay(self._display)
        self._display = 0


def create(platform_name: str, on_activated: Callable[[str], None],
           parent: QObject | None = None) -> tuple[X11Shortcuts | None, str]:
    """The grabber, or None and why not."""
    reason = unavailable_reason(platform_name)
    if reason:
        return None, reason
    try:
        keys = X11Shortcuts(parent)
    except OSError as exc:
        return None, str(exc)
    keys.activated.connect(on_activated)
    return keys, ""
