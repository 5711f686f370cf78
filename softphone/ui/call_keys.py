"""Headset buttons, media keys and global shortcuts: what they do with the calls.

Three ways a key reaches the phone, from the most to the least direct:

* a key event in the window or a caller card (a USB headset's HID button arrives as
  ``Key_MediaTogglePlayPause``, ``Key_Call``, ``Key_Hangup``... when the desktop passes it on);
* an MPRIS ``PlayPause`` from the desktop (Linux desktops send the headset button to a media
  player, not to the focused window): :mod:`softphone.ui.mpris`, registered while a call rings
  or is up;
* a global shortcut (``[ui] shortcut_answer`` / ``shortcut_hangup`` / ``shortcut_mute``), on X11
  only: :mod:`softphone.ui.x11_keys`.

The headset button toggles: a ringing call is answered, a call in progress is hung up (with a
call waiting the first press ends the current call, the next one answers). The hang-up key always
hangs up (or declines the ringing call).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent

from softphone.settings import UiSettings
from softphone.ui.mpris import MprisPlayer

log = logging.getLogger("softphone.ui.keys")

TOGGLE_KEYS = frozenset({Qt.Key.Key_MediaTogglePlayPause, Qt.Key.Key_MediaPlay,
                         Qt.Key.Key_MediaPause, Qt.Key.Key_Call, Qt.Key.Key_ToggleCallHangup})
HANGUP_KEYS = frozenset({Qt.Key.Key_Hangup})


class CallKeys(QObject):
    """Owned by the main window; ``watch`` a caller card so that its keys work too."""

    def __init__(self, window: Any, ui: UiSettings) -> None:
        super().__init__(window)
        self.window = window
        self.phone = window.phone
        window.installEventFilter(self)
        self.mpris = MprisPlayer(self.on_action, window.bring_to_front, self._now_playing, self)
        self.global_keys: Any = None
        self.problems: list[tuple[str, str]] = []
        self._shortcuts: dict[str, str] = {}
        self._unavailable = ""
        self._start_ui = ui  # the global shortcuts wait for start() (app.create_parts)

    def start(self) -> None:
        """Grab the global shortcuts (Xlib loaded, keys grabbed: ~10 ms; the app does it once
        the window has shown), unless newer settings came meanwhile."""
        if not self._shortcuts:
            self.apply_settings(self._start_ui)

    # --- what the keys do ---------------------------------------------------------------------
    def on_action(self, action: str) -> None:
        """ "toggle" (headset button), "answer", "hangup" or "mute"."""
        current = self.phone.current()
        if action == "toggle":
            action = "hangup" if current is not None else "answer"
        if action == "answer":
            done = self.phone.answer_ringing()
        elif action == "hangup":
            done = self.phone.end_call()
        else:
            done = action == "mute" and current is not None
            if done:
                self.phone.mute(not current.muted)
        if not done:
            log.debug("%s: no call to act on", action)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if key not in TOGGLE_KEYS and key not in HANGUP_KEYS:
            return False
        if not event.isAutoRepeat():  # a held button is one press
            log.info("key %s", Qt.Key(key).name)
            self.on_action("hangup" if key in HANGUP_KEYS else "toggle")
        return True

    def watch(self, widget: QObject) -> None:
        """The caller card is a window of its own: its key events never reach the main one."""
        widget.installEventFilter(self)

    # --- MPRIS --------------------------------------------------------------------------------
    def calls_changed(self) -> None:
        """Own the MPRIS player while a call rings or is up, so that the headset button (which
        the desktop sends to a media player) answers; give it back to the music player after."""
        self.mpris.set_active(bool(self.window.workflow.calls()))

    def _now_playing(self) -> tuple[int, str]:
        calls = self.window.workflow.calls()
        current = self.phone.current() or (calls[0] if calls else None)
        return (current.call_id, current.title) if current is not None else (0, "")

    # --- global shortcuts ---------------------------------------------------------------------
    def apply_settings(self, ui: UiSettings) -> None:
        wanted = {"answer": ui.shortcut_answer, "hangup": ui.shortcut_hangup,
                  "mute": ui.shortcut_mute}
        if wanted == self._shortcuts:
            return
        self._shortcuts = wanted
        if self.global_keys is None and not self._unavailable and any(wanted.values()):
            from softphone.ui import x11_keys

            self.global_keys, self._unavailable = x11_keys.create(
                QGuiApplication.platformName(), self.on_action, self)
            if self.global_keys is None:
                log.info("global shortcuts are not available (%s); bind `softphone answer`, "
                         "`softphone hangup` in the desktop's keyboard settings instead",
                         self._unavailable)
        if self.global_keys is None:
            return
        self.problems = self.global_keys.grab(wanted)
        for shortcut, why in self.problems:
            log.warning("global shortcut %s not set: %s", shortcut, why)
            if why == "taken":
                text = self.tr("The global shortcut %1 is taken by another "
                                             "application: choose another one in Settings.")
            elif why == "no key":
                text = self.tr("The global shortcut %1 has no key on this "
                                             "keyboard.")
            else:
                text = self.tr("The global shortcut %1 could not be set: %2")
            self.window.show_message(text.replace("%1", shortcut).replace("%2", why))

    def stop(self) -> None:
        self.window.removeEventFilter(self)
        self.mpris.close()
        if self.global_keys is not None:
            self.global_keys.close()
            self.global_keys = None
