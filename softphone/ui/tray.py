"""The tray icon (when the desktop has a tray) and the app icon, painted at run time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from softphone.ui.common import translate

STATUS_COLORS = {"ok": "#2e7d32", "dnd": "#c62828", "failed": "#9e9e9e", "ringing": "#f9a825",
                 "missed": "#1565c0"}


ICON_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "icons"
ICON_FILES = {"ok": "tray-registered", "dnd": "tray-dnd", "failed": "tray-offline",
              "ringing": "tray-in-call", "missed": "tray-missed"}


def app_icon() -> QIcon:
    icon = QIcon()
    for px in (16, 24, 32, 48, 64, 128, 256):
        path = ICON_DIR / f"softphone-{px}.png"
        if path.exists():
            icon.addFile(str(path))
    return icon if not icon.isNull() else painted_icon("ok")


def status_icon(status: str = "ok", size: int = 64) -> QIcon:
    """The tray icon for a status (from resources/icons), else a painted badge."""
    name = ICON_FILES.get(status)
    if name:
        icon = QIcon()
        for px in (16, 22, 24, 32, 48, 64):
            path = ICON_DIR / f"{name}-{px}.png"
            if path.exists():
                icon.addFile(str(path))
        if not icon.isNull():
            return icon
    return painted_icon(status, size)


def painted_icon(status: str = "ok", size: int = 64) -> QIcon:
    """A round badge with a handset in the status colour."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(STATUS_COLORS.get(status, STATUS_COLORS["ok"])))
    p.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    p.setBrush(QColor("white"))
    s = size / 64
    path = QPainterPath()
    path.moveTo(QPointF(20 * s, 16 * s))
    path.cubicTo(QPointF(14 * s, 22 * s), QPointF(22 * s, 40 * s), QPointF(42 * s, 48 * s))
    path.lineTo(QPointF(48 * s, 42 * s))
    path.lineTo(QPointF(40 * s, 35 * s))
    path.lineTo(QPointF(35 * s, 39 * s))
    path.cubicTo(QPointF(30 * s, 36 * s), QPointF(27 * s, 33 * s), QPointF(25 * s, 29 * s))
    path.lineTo(QPointF(29 * s, 24 * s))
    path.closeSubpath()
    p.drawPath(path)
    p.end()
    return QIcon(pix)


def tray_status(*, account_state: str, ringing: str | None, talking: str | None, dnd: bool,
                missed: int, reminders: list[str], attention: list[str],
                accounts: str) -> tuple[str, str]:
    """The tray icon's status and tooltip: the most pressing state (a call, do-not-disturb, a
    failed account, missed calls or something waiting: ``attention``) and every line.
    ``ringing``/``talking`` are the first such call's title."""
    status, lines = account_state, [translate("MainWindow", "Softphone")]
    if ringing is not None:
        lines.append(translate("MainWindow", "Incoming call: %1").replace("%1", ringing))
    if talking is not None:
        lines.append(translate("MainWindow", "In call: %1").replace("%1", talking))
    if dnd:
        lines.append(translate("MainWindow", "Do not disturb is on"))
    if missed:
        lines.append(translate("MainWindow", "Missed calls: %1").replace("%1", str(missed)))
    lines += reminders + attention
    if accounts:
        lines.append(accounts)
    if ringing is not None or talking is not None:
        status = "ringing"
    elif dnd:
        status = "dnd"
    elif status == "ok" and (missed or attention):
        status = "missed"
    return status, "\n".join(lines)


class Tray(QObject):
    """Status icon with a menu: show the window, do-not-disturb, quit."""

    show_requested = Signal()
    quit_requested = Signal()
    message_clicked = Signal()

    def __init__(self, dnd_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(status_icon("ok"), parent)
        menu = QMenu(parent)
        show = menu.addAction(translate("Tray", "Show Softphone"))
        show.triggered.connect(self.show_requested)
        menu.addAction(dnd_action)
        self._separator = menu.addSeparator()
        quit_action = menu.addAction(translate("Tray", "Quit"))
        quit_action.triggered.connect(self.quit_requested)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._on_activated)
        self.icon.messageClicked.connect(self.message_clicked)
        self.icon.show()

    def add_action(self, action: QAction) -> None:
        """An action of another part (call voicemail) in the menu, above Quit."""
        self.menu.insertAction(self._separator, action)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def set_status(self, status: str, text: str) -> None:
        self.icon.setIcon(status_icon(status))
        self.icon.setToolTip(text)

    def notify(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()


class TrayWatch(QObject):
    """Makes the tray icon now if the desktop has a tray, else as soon as one appears: at
    login, an app started from autostart often runs before the panel that hosts the tray."""

    CHECK_MS = 2000
    GIVE_UP_AFTER_CHECKS = 300  # ten minutes: a desktop with no tray at all stops being asked

    def __init__(self, parent: QObject, make_tray: Callable[[], None]) -> None:
        super().__init__(parent)
        self._make_tray = make_tray
        self._checks = 0
        self._timer = QTimer(self)
        self._timer.setInterval(self.CHECK_MS)
        self._timer.timeout.connect(self.check)
        if not self.check():
            self._timer.start()

    @property
    def waiting(self) -> bool:
        return self._timer.isActive()

    def check(self) -> bool:
        """Whether the tray icon exists now."""
        if Tray.available():
            self._timer.stop()
            self._make_tray()
            return True
        self._checks += 1
        if self._checks > self.GIVE_UP_AFTER_CHECKS:
            self._timer.stop()
        return False
