"""An MPRIS player on the D-Bus session bus, so that a headset's play/pause button answers.

Linux desktops (GNOME's media keys daemon, KDE's media controller, Xfce, Cinnamon) turn the
headset button - a Bluetooth AVRCP play/pause or a USB HID "Play/Pause" - into a call of
``org.mpris.MediaPlayer2.Player.PlayPause`` on a media player; the key never reaches a window.
So the phone registers itself as a player, ``org.mpris.MediaPlayer2.softphone``, but only
while a call rings or is up: otherwise the button belongs to the music player.

* PlayPause: answer the ringing call, or hang up the call in progress;
* Play: answer a ringing call; Stop: hang up;
* Pause does nothing: desktops send Pause to every player when the screen locks or another
  player starts, and that must never end a call.

While registered the player reports ``PlaybackStatus = "Playing"`` so that the desktop picks it
over a paused music player; the name appears and disappears instead of the status changing, so
no ``PropertiesChanged`` is sent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import ClassInfo, Property, QObject, Signal, Slot
from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection, QDBusObjectPath

log = logging.getLogger("softphone.ui.mpris")

SERVICE = "org.mpris.MediaPlayer2.softphone"
OBJECT_PATH = "/org/mpris/MediaPlayer2"


def session_bus_address() -> str:
    """``$DBUS_SESSION_BUS_ADDRESS``, else the systemd user bus, else "" (no session bus).

    Read at each connection (not through ``QDBusConnection.sessionBus()``, whose address
    libdbus reads once per process)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return f"unix:path={os.path.join(runtime, 'bus')}"
    return ""


@ClassInfo({"D-Bus Interface": "org.mpris.MediaPlayer2"})
class _RootAdaptor(QDBusAbstractAdaptor):
    def __init__(self, player: MprisPlayer, parent: QObject) -> None:
        super().__init__(parent)
        self._player = player

    @Slot()
    def Raise(self) -> None:  # D-Bus method names
        self._player.raise_requested()

    @Slot()
    def Quit(self) -> None:
        pass  # CanQuit is false: a media key must never close the phone

    CanQuit = Property(bool, lambda _s: False)
    CanRaise = Property(bool, lambda _s: True)
    HasTrackList = Property(bool, lambda _s: False)
    Identity = Property(str, lambda _s: "Softphone")
    DesktopEntry = Property(str, lambda _s: "softphone")
    SupportedUriSchemes = Property("QStringList", lambda _s: [])
    SupportedMimeTypes = Property("QStringList", lambda _s: [])


@ClassInfo({"D-Bus Interface": "org.mpris.MediaPlayer2.Player"})
class _PlayerAdaptor(QDBusAbstractAdaptor):
    Seeked = Signal("qlonglong")

    def __init__(self, player: MprisPlayer, parent: QObject) -> None:
        super().__init__(parent)
        self._player = player

    @Slot()
    def PlayPause(self) -> None:
        self._player.act("toggle")

    @Slot()
    def Play(self) -> None:
        self._player.act("answer")

    @Slot()
    def Pause(self) -> None:
        log.debug("MPRIS Pause ignored (screen lock and other players send it)")

    @Slot()
    def Stop(self) -> None:
        self._player.act("hangup")

    @Slot()
    def Next(self) -> None:
        pass

    @Slot()
    def Previous(self) -> None:
        pass

    @Slot("qlonglong")
    def Seek(self, _offset: int) -> None:
        pass

    @Slot(QDBusObjectPath, "qlonglong")
    def SetPosition(self, _track: Any, _position: int) -> None:
        pass

    @Slot(str)
    def OpenUri(self, _uri: str) -> None:
        pass

    def _metadata(self) -> dict[str, Any]:
        call_id, title = self._player.now_playing()
        return {"mpris:trackid": QDBusObjectPath(f"/org/softphone/call/{call_id}"),
                "xesam:title": title}

    def _volume(self) -> float:
        return 1.0

    def _set_volume(self, _value: float) -> None:
        pass  # the call's volume is the headset's own

    PlaybackStatus = Property(str, lambda _s: "Playing")
    Rate = Property(float, lambda _s: 1.0)
    MinimumRate = Property(float, lambda _s: 1.0)
    MaximumRate = Property(float, lambda _s: 1.0)
    Metadata = Property("QVariantMap", _metadata)
    Volume = Property(float, _volume, _set_volume)
    Position = Property("qlonglong", lambda _s: 0)
    CanGoNext = Property(bool, lambda _s: False)
    CanGoPrevious = Property(bool, lambda _s: False)
    CanPlay = Property(bool, lambda _s: True)
    CanPause = Property(bool, lambda _s: True)
    CanSeek = Property(bool, lambda _s: False)
    CanControl = Property(bool, lambda _s: True)


class MprisPlayer(QObject):
    """Registers the player while :meth:`set_active` is on; calls ``on_action`` with
    "toggle", "answer" or "hangup", and ``on_raise`` for the desktop's "show the player"."""

    def __init__(self, on_action: Callable[[str], None], on_raise: Callable[[], None],
                 now_playing: Callable[[], tuple[int, str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_action = on_action
        self._on_raise = on_raise
        self.now_playing = now_playing
        self._connection_name = f"softphone-mpris-{id(self):x}"
        self._connection: QDBusConnection | None = None
        self._object = QObject(self)  # the exported object: its children are the interfaces
        _RootAdaptor(self, self._object)
        _PlayerAdaptor(self, self._object)
        self.service = ""  # the bus name while registered
        self._told_no_bus = False

    def act(self, action: str) -> None:
        log.info("MPRIS %s", action)
        self._on_action(action)

    def raise_requested(self) -> None:
        self._on_raise()

    def _connect(self) -> QDBusConnection | None:
        if self._connection is not None and self._connection.isConnected():
            return self._connection
        address = session_bus_address()
        connection = QDBusConnection.connectToBus(address, self._connection_name) \
            if address else None
        if connection is None or not connection.isConnected():
            if connection is not None:
                QDBusConnection.disconnectFromBus(self._connection_name)
            if not self._told_no_bus:  # once: a desktop without D-Bus is not an error
                self._told_no_bus = True
                log.info("no D-Bus session bus%s: headset buttons work while the window or "
                         "the caller card has the focus",
                         f" at {address}" if address else "")
            return None
        if not connection.registerObject(OBJECT_PATH, self._object,
                                         QDBusConnection.RegisterOption.ExportAdaptors):
            log.warning("MPRIS: cannot export %s: %s", OBJECT_PATH,
                        connection.lastError().message())
            QDBusConnection.disconnectFromBus(self._connection_name)
            return None
        self._connection = connection
        return connection

    def set_active(self, active: bool) -> None:
        """Own the player name while a call rings or is up; give it back afterwards."""
        if active == bool(self.service):
            return
        if not active:
            if self._connection is not None and self._connection.isConnected():
                self._connection.unregisterService(self.service)
            log.info("MPRIS player %s released", self.service)
            self.service = ""
            return
        connection = self._connect()
        if connection is None:
            return
        # a second softphone (another profile) in a call holds the plain name
        for name in (SERVICE, f"{SERVICE}.instance{os.getpid()}"):
            if connection.registerService(name):
                self.service = name
                log.info("MPRIS player %s registered: headset play/pause answers and hangs up",
                         name)
                return
        log.warning("MPRIS: cannot own %s: %s", SERVICE, connection.lastError().message())

    def close(self) -> None:
        self.set_active(False)
        if self._connection is not None:
            self._connection.unregisterObject(OBJECT_PATH)
            self._connection = None
            QDBusConnection.disconnectFromBus(self._connection_name)
