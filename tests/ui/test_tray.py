"""The tray icon on a real X server with a real system tray: a private Xvfb (its own free
display number) with trayer, a standalone XEmbed tray; the app runs on the xcb platform in its
own process, with no session bus (Qt docks its icon through XEmbed). What a user notices: the
icon is docked in the tray, its tooltip and picture follow do-not-disturb, a real call and a
real missed call, closing the window leaves the phone in the tray, a click on the icon or the
menu's Show brings the window back, the menu's Quit ends the app, and a minimized start shows
only the icon but still pops the caller card. Every process started here is ended here."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.ipc import request
from tests.harness import x11
from tests.harness.sip_peers import wait_until
from tests.integration.hardening.apps import AppProcess, app_env

pytestmark = [pytest.mark.ui, pytest.mark.integration]

TRAY_STATE = """
from softphone.ui.tray import status_icon
t = window.tray
shown = t.icon.icon().pixmap(22).toImage()
result = [t.icon.toolTip(), [s for s in ('ok', 'dnd', 'failed', 'ringing', 'missed')
                             if status_icon(s).pixmap(22).toImage() == shown]]
"""


@pytest.fixture
def display() -> Iterator[str]:
    for tool in ("Xvfb", "xdotool", "xwininfo", "trayer"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is needed (scripts/bootstrap.sh test)")
    with x11.xvfb("1280x1024x24") as name:  # the tray stays clear of the app's windows
        yield name


@pytest.fixture
def tray(display: str) -> Iterator[x11.Tray]:
    with x11.tray_host(display) as host:
        yield host


def xcb_env(display: str, tmp_path: Path) -> dict[str, str]:
    env = app_env()
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display, XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def softphone(tmp_path: Path, display: str, toml: str) -> subprocess.Popen[bytes]:
    """The real entry point, ``softphone --profile P``, on the xcb platform."""
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "softphone.toml").write_text(toml)
    stderr = (tmp_path / "app.stderr").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "softphone", "--profile", str(profile)],
                            env=xcb_env(display, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=stderr)
    stderr.close()
    return proc


def listening(proc: subprocess.Popen[bytes], tmp_path: Path) -> str:
    """The app's SIP address, once its engine listens (from ``softphone status``)."""
    def listen() -> str | None:
        assert proc.poll() is None, (tmp_path / "app.stderr").read_text()
        reply = request(tmp_path / "profile", "status", [], timeout=2.0)
        first = reply.message.splitlines()[0] if reply and reply.message else ""
        address = first.removeprefix("listen: ")
        return address if first.startswith("listen: ") and not address.endswith(":0") \
            else None

    return wait_until(listen, 30.0, "the app to listen")  # type: ignore[no-any-return]


def app_on_xcb(tmp_path: Path, display: str) -> AppProcess:
    """The app (driven through AppProcess) on ``display``, with a profile listening anywhere."""
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "softphone.toml").write_text('[sip]\nlisten = "127.0.0.1:0"\n')
    return AppProcess(profile, env=xcb_env(display, tmp_path))


def docked_icon(tray: x11.Tray) -> tuple[str, str, int, int, int, int]:
    icons = wait_until(tray.icons, 15.0, "the app's icon docked in the tray")
    assert len(icons) == 1, icons
    return icons[0]  # type: ignore[no-any-return]


def click(display: str, icon: tuple[str, str, int, int, int, int], button: int) -> None:
    _win, _name, w, h, x, y = icon
    x11.xdotool(display, "mousemove", str(x + w // 2), str(y + h // 2),
                "click", str(button))


def pixels(app: AppProcess, icon: tuple[str, str, int, int, int, int]) -> str:
    """What the X server shows where the icon is docked (a hash of the screen's pixels)."""
    _win, _name, w, h, x, y = icon
    data = app.run("from PySide6.QtCore import QBuffer\n"
                   f"img = app.primaryScreen().grabWindow(0, {x}, {y}, {w}, {h}).toImage()\n"
                   "buf = QBuffer(); buf.open(QBuffer.OpenModeFlag.WriteOnly)\n"
                   "img.save(buf, 'PNG')\n"
                   "result = bytes(buf.data()).hex()")
    return hashlib.sha256(bytes.fromhex(data)).hexdigest()


def choose(app: AppProcess, display: str, icon: tuple[str, str, int, int, int, int],
           action: str) -> None:
    """Right-click the docked icon and click the menu's item ``action`` (an expression)."""
    click(display, icon, 3)
    x_, y_ = app.wait("m = window.tray.menu\n"
                      f"r = m.actionGeometry({action})\n"
                      "p = m.mapToGlobal(r.center())\n"
                      "result = m.isVisible() and [p.x(), p.y()]", 10.0, "the tray menu")
    x11.xdotool(display, "mousemove", str(x_), str(y_), "click", "1")
    app.wait("result = not window.tray.menu.isVisible()", 10.0, "the menu to close")


def test_the_tray_icon_docks_follows_the_app_and_brings_the_window_back(
        tmp_path: Path, display: str, tray: x11.Tray, make_baresip: Any) -> None:
    app = app_on_xcb(tmp_path, display)
    try:
        app.start()
        assert app.run("from PySide6.QtWidgets import QSystemTrayIcon\n"
                       "result = QSystemTrayIcon.isSystemTrayAvailable()")
        assert app.run("result = window.tray is not None and window.tray.icon.isVisible()")
        icon = docked_icon(tray)
        assert app.proc is not None
        mine = x11.x(display, "xdotool", "search", "--pid", str(app.proc.pid)).split()
        assert int(icon[0], 16) in {int(w) for w in mine}, (icon, mine)

        def state(status: str, *words: str) -> list[Any]:
            def now() -> list[Any] | None:
                tip, statuses = app.run(TRAY_STATE)
                return [tip, statuses] if statuses == [status] and all(
                    w in tip for w in words) else None
            return wait_until(now, 15.0, f"the tray to show {status} {words}")  # type: ignore

        tip, _ = state("ok", "Softphone", "ready (LAN)")
        assert "Do not disturb" not in tip and "Missed" not in tip
        ok_pixels = wait_until(lambda: pixels(app, icon), 5.0, "the icon's pixels")

        # do-not-disturb from the tray menu: the icon turns to DND, the tooltip says so
        choose(app, display, icon, "window.dnd_action")
        assert app.run("result = window.dnd_action.isChecked()")
        state("dnd", "Do not disturb is on")
        dnd_pixels = wait_until(lambda: (p := pixels(app, icon)) != ok_pixels and p, 5.0,
                                "the docked icon to repaint for DND")
        choose(app, display, icon, "window.dnd_action")
        assert not app.run("result = window.dnd_action.isChecked()")
        tip, _ = state("ok")
        assert "Do not disturb" not in tip
        wait_until(lambda: pixels(app, icon) == ok_pixels, 5.0, "the icon back to normal")

        # a real call: ringing, then answered (as `softphone answer` does), then hung up
        listen = app.run("result = engine.listen_address")
        peer = make_baresip(user="+74950001111", auto_answer=False)
        peer.dial(f"sip:agent@{listen}")
        peer.wait_event("CALL_RINGING", timeout=10)
        state("ringing", "Incoming call: +74950001111")
        in_call_pixels = wait_until(
            lambda: (p := pixels(app, icon)) not in (ok_pixels, dnd_pixels) and p, 5.0,
            "the docked icon to repaint for the call")
        reply = request(tmp_path / "profile", "answer", [], timeout=5.0)
        assert reply is not None and reply.ok, reply
        peer.wait_event("CALL_ESTABLISHED", timeout=10)
        state("ringing", "In call: +74950001111")
        peer.hangup()
        peer.wait_event("CALL_CLOSED", timeout=10)
        tip, _ = state("ok")
        assert "call:" not in tip

        # a real missed call: the caller gives up before anyone answers
        since = len(peer.events)
        peer.dial(f"sip:agent@{listen}")
        peer.wait_event("CALL_RINGING", timeout=10, since=since)
        state("ringing", "Incoming call")
        peer.hangup()
        peer.wait_event("CALL_CLOSED", timeout=10, since=since)
        state("missed", "Missed calls: 1")
        wait_until(lambda: pixels(app, icon) not in (ok_pixels, dnd_pixels, in_call_pixels),
                   5.0, "the docked icon to repaint for the missed call")

        # close-to-tray: the window goes, the phone and its icon stay
        main = hex(app.run("result = int(window.winId())"))
        assert x11.viewable(display, main)
        app.run("window.close()")
        wait_until(lambda: not x11.viewable(display, main), 10.0, "the window to unmap")
        assert app.running()
        assert docked_icon(tray)[0] == icon[0]
        # a click on the icon brings the window back
        click(display, icon, 1)
        wait_until(lambda: x11.viewable(display, main), 10.0, "the window back on a click")
        # and so does the menu's Show
        app.run("window.close()")
        wait_until(lambda: not x11.viewable(display, main), 10.0, "the window to unmap again")
        choose(app, display, icon, "m.actions()[0]")
        wait_until(lambda: x11.viewable(display, main), 10.0, "the window back from Show")
        assert app.running()
    finally:
        app.close()


def test_a_tray_that_appears_after_the_app_gets_the_icon(tmp_path: Path, display: str) -> None:
    """At login the app (from autostart) may run before the panel that hosts the tray."""
    app = app_on_xcb(tmp_path, display)
    try:
        app.start()
        assert app.run("result = window.tray is None and window._tray_watch.waiting")
        app.run("window._tray_watch._timer.setInterval(100)")  # no 2 s waits in a test
        with x11.tray_host(display) as tray:
            icon = docked_icon(tray)
            assert app.proc is not None
            mine = x11.x(display, "xdotool", "search", "--pid", str(app.proc.pid)).split()
            assert int(icon[0], 16) in {int(w) for w in mine}, (icon, mine)
            assert app.run("result = window.tray is not None and window.tray.icon.isVisible()"
                           " and not window._tray_watch.waiting")
            assert "Softphone" in app.run("result = window.tray.icon.toolTip()")
    finally:
        app.close()


def test_a_minimized_start_shows_only_the_icon_pops_the_card_and_quits_from_the_menu(
        tmp_path: Path, display: str, tray: x11.Tray, make_baresip: Any) -> None:
    """The real entry point (`softphone --profile P`) as a login autostart runs it."""
    proc = softphone(tmp_path, display,
                     '[sip]\nlisten = "127.0.0.1:0"\n\n[ui]\nstart_minimized = true\n')

    def shown() -> set[str]:
        """The app's viewable X windows."""
        return {hex(int(w)) for w in x11.x(display, "xdotool", "search", "--onlyvisible",
                                             "--pid", str(proc.pid)).split()}

    try:
        listen = listening(proc, tmp_path)
        icon = docked_icon(tray)
        assert icon[1] == "Softphone", icon
        assert shown() == {icon[0]}  # the icon, no window

        peer = make_baresip(user="+74950002222", auto_answer=False)
        peer.dial(f"sip:agent@{listen}")
        peer.wait_event("CALL_RINGING", timeout=10)
        # the caller card pops up at the top right, and the tray's balloon by the icon
        popped = wait_until(lambda: len(shown() - {icon[0]}) == 2 and shown() - {icon[0]},
                            10.0, "the caller card and the tray's message")
        where = {w[0]: w for w in x11.children(display, "root")
                 if int(w[0], 16) in {int(p, 16) for p in popped}}
        card = next(w for w in where.values() if w[5] < 200)
        balloon = next(w for w in where.values() if w is not card)
        assert card[2] > 150 and card[3] > 50, card
        assert abs(balloon[5] + balloon[3] - icon[5]) < 60, (balloon, icon)
        peer.hangup()
        peer.wait_event("CALL_CLOSED", timeout=10)
        wait_until(lambda: not x11.viewable(display, card[0]), 10.0, "the card to go")

        click(display, icon, 1)
        window = wait_until(lambda: shown() - {icon[0], balloon[0]}, 10.0,
                            "the window on a click")
        assert len(window) == 1, window
        assert '"Softphone"' in x11.x(display, "xwininfo", "-id", next(iter(window)))

        # Quit, the last item of the tray menu: the app ends, with status 0
        click(display, icon, 3)
        menu = wait_until(lambda: shown() - {icon[0], balloon[0]} - window, 10.0,
                          "the tray menu")
        assert len(menu) == 1, menu
        _win, _name, w, h, x, y = next(c for c in x11.children(display, "root")
                                       if int(c[0], 16) == int(next(iter(menu)), 16))
        x11.xdotool(display, "mousemove", str(x + w // 2), str(y + h - 12),
                    "click", "1")
        assert proc.wait(30) == 0, (tmp_path / "app.stderr").read_text()
        wait_until(lambda: not tray.icons(), 10.0, "the icon to leave the tray")
    finally:
        x11.stop(proc)


def test_sigterm_quits_with_the_window_shown_and_a_tray(
        tmp_path: Path, display: str, tray: x11.Tray) -> None:
    """Logout or `kill` with the window open: the app quits (status 0) and leaves the tray,
    though closing its window only hides it to the tray."""
    proc = softphone(tmp_path, display, '[sip]\nlisten = "127.0.0.1:0"\n')
    try:
        listening(proc, tmp_path)
        docked_icon(tray)
        shown = x11.x(display, "xdotool", "search", "--onlyvisible", "--pid", str(proc.pid))
        assert len(shown.split()) == 2, shown  # the window and the icon
        proc.terminate()
        assert proc.wait(15) == 0, (tmp_path / "app.stderr").read_text()
        wait_until(lambda: not tray.icons(), 10.0, "the icon to leave the tray")
    finally:
        x11.stop(proc)
