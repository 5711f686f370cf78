"""Desktop notifications with buttons (the freedesktop ``org.freedesktop.Notifications``
service that GNOME, KDE, Xfce, dunst and others run), for task reminders.

A notification carries actions: ``default`` (a click on it) and ours (``call``). The server
answers a click with an ``ActionInvoked`` signal, which comes back to the UI thread as
:attr:`DesktopNotifications.action_invoked` (our key, the action).

QtDBus cannot send the ``u`` (uint32) arguments ``Notify`` wants from Python, so this speaks
D-Bus with jeepney (pure Python), on threads of its own started at the first notification:
one sends (a reply can take a while from a busy desktop; the window never waits), jeepney's
router thread receives. The bus address is read at each connection (as ``mpris.py`` does).
When there is no session bus or no notification server, :attr:`unavailable` tells the
caller, which then uses the tray's balloon or the window.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from softphone.ui.mpris import session_bus_address

log = logging.getLogger("softphone.ui")

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
TIMEOUT_S = 5.0
#: an icon by file path: a source install has no icon in the desktop's theme
ICON = str(Path(__file__).resolve().parents[2] / "resources" / "icons" / "softphone-64.png")


class DesktopNotifications(QObject):
    action_invoked = Signal(int, str)  # our key, the action ("default" = a click on it)
    dismissed = Signal(int)  # our key: closed by the user or expired
    unavailable = Signal(int, str)  # our key, why: show it another way

    def __init__(self, app_name: str = "Softphone", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app_name = app_name
        self._requests: queue.Queue[tuple[int, str, str, list[tuple[str, str]]] | None] = \
            queue.Queue()
        self._ids: dict[int, int] = {}  # server's notification id -> our key
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._router: Any = None
        self.working: bool | None = None  # None: not tried yet

    def notify(self, key: int, title: str, body: str,
               actions: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        """Show a notification; ``actions``: (action key, button text), ``default`` first
        for the click. Returns at once."""
        if self.working is False:
            self.unavailable.emit(key, "no notification server")
            return
        self._requests.put((key, title, body, list(actions)))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="notifications",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._requests.put(None)
            self._thread.join(TIMEOUT_S + 1)
            self._thread = None

    # --- the notifications thread ------------------------------------------------------------
    def _run(self) -> None:
        try:
            from jeepney import DBusAddress, MatchRule, new_method_call
            from jeepney.io.threading import open_dbus_router
        except ImportError as exc:  # not Linux, or a bundle without it
            self._fail_all(f"jeepney is missing ({exc})")
            return
        address = session_bus_address()
        if not address:
            self._fail_all("no D-Bus session bus")
            return
        try:
            opened = open_dbus_router(bus=address)
            router = opened.__enter__()
        except Exception as exc:
            self._fail_all(f"cannot connect to the session bus: {exc}")
            return
        try:
            self._serve(router, DBusAddress, MatchRule, new_method_call)
        finally:
            opened.__exit__(None, None, None)

    def _serve(self, router: Any, DBusAddress: Any, MatchRule: Any,
               new_method_call: Any) -> None:
        target = DBusAddress(PATH, bus_name=SERVICE, interface=SERVICE)
        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                          interface="org.freedesktop.DBus")
        signals: queue.Queue[Any] = queue.Queue()
        handles = []
        try:
            for name in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", interface=SERVICE, member=name, path=PATH)
                handles.append(router.filter(rule, queue=signals))
                router.send_and_get_reply(new_method_call(bus, "AddMatch", "s",
                                                          (rule.serialise(),)),
                                          timeout=TIMEOUT_S)
        except Exception as exc:
            self._fail_all(f"the session bus does not answer: {exc}")
            return
        reader = threading.Thread(target=self._read_signals, args=(signals,),
                                  name="notifications-signals", daemon=True)
        reader.start()
        while True:
            request = self._requests.get()
            if request is None:
                break
            key, title, body, actions = request
            flat = [part for pair in actions for part in pair]
            message = new_method_call(target, "Notify", "susssasa{sv}i", (
                self.app_name, 0, ICON, title, body, flat,
                {"urgency": ("y", 1), "category": ("s", "x-softphone.reminder"),
                 "desktop-entry": ("s", "softphone")}, 0))
            try:
                reply = router.send_and_get_reply(message, timeout=TIMEOUT_S)
            except Exception as exc:
                self._failed(key, f"no answer from the notification server: {exc}")
                continue
            if reply.header.message_type.name == "error":
                self._failed(key, str(reply.body[0] if reply.body else "error"))
                continue
            with self._lock:
                self._ids[int(reply.body[0])] = key
            self.working = True
        signals.put(None)
        reader.join(TIMEOUT_S)
        for handle in handles:
            handle.close()

    def _read_signals(self, signals: queue.Queue[Any]) -> None:
        from jeepney.low_level import HeaderFields

        while True:
            message = signals.get()
            if message is None:
                return
            member = message.header.fields.get(HeaderFields.member)
            notification = int(message.body[0])
            with self._lock:
                key = self._ids.get(notification)
            if key is None:
                continue  # another application's notification
            if member == "ActionInvoked":
                self.action_invoked.emit(key, str(message.body[1]))  # queued to the UI
            elif member == "NotificationClosed":
                with self._lock:
                    self._ids.pop(notification, None)
                self.dismissed.emit(key)

    def _failed(self, key: int, why: str) -> None:
        if self.working is None:
            self.working = False
        log.info("desktop notification not shown: %s", why)
        self.unavailable.emit(key, why)

    def _fail_all(self, why: str) -> None:
        self.working = False
        log.info("no desktop notifications: %s", why)
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                break
            if request is not None:
                self.unavailable.emit(request[0], why)
        self._thread = None
