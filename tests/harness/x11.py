"""A private X server (Xvfb on a display number it picks itself) and a standalone system tray
(trayer, an XEmbed tray: what Qt's QSystemTrayIcon docks into on xcb when no
StatusNotifierWatcher is on the session bus). Every process started here is ended here."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.harness.sip_peers import wait_until


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):  # a pipe left open warns
        if pipe is not None:
            pipe.close()


@contextmanager
def xvfb(size: str = "800x600x24") -> Iterator[str]:
    """A private X display (``":N"``); Xvfb picks a free display number (-displayfd)."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size,
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 15.0)
        assert ready, "Xvfb did not start"
        number = os.read(read_fd, 32).decode().strip()
        assert number.isdigit(), number
        yield f":{number}"
    finally:
        os.close(read_fd)
        stop(proc)


def x_env(display: str) -> dict[str, str]:
    """The environment of an X client on ``display``, with no session bus: Qt then docks its
    tray icon through XEmbed, not StatusNotifierItem."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    return env


def x(display: str, *argv: str) -> str:
    """Output of an X tool (xdotool, xwininfo) run on ``display``."""
    done = subprocess.run(list(argv), env=x_env(display), capture_output=True, text=True,
                          timeout=10)
    return done.stdout


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=x_env(display), check=True, timeout=10)


def children(display: str, window: str) -> list[tuple[str, str, int, int, int, int]]:
    """Direct children of ``window`` (an id, or "root"): (id, name, width, height, x, y
    relative to the root)."""
    out = []
    which = ["-root"] if window == "root" else ["-id", window]
    for line in x(display, "xwininfo", "-children", *which).splitlines():
        m = re.match(r'\s+(0x[0-9a-f]+) (.*?):.*?(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+'
                     r'\+(-?\d+)\+(-?\d+)', line)
        if m:
            out.append((m[1], m[2].strip('"'), int(m[3]), int(m[4]), int(m[5]), int(m[6])))
    return out


def viewable(display: str, window: str) -> bool:
    return "IsViewable" in x(display, "xwininfo", "-id", window)


class Tray:
    """trayer on ``display``: its panel window, and the icons docked in it. With no window
    manager nothing keeps the panel on top: it sits at the bottom right, where the app's
    windows (its main window at the top left, its caller cards at the top right) do not
    cover it on a large enough screen."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.proc = subprocess.Popen(
            ["trayer", "--edge", "bottom", "--align", "right", "--widthtype", "request",
             "--height", "24", "--SetDockType", "false", "--SetPartialStrut", "false"],
            env=x_env(display), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.panel = wait_until(self._panel, 10.0, "the trayer panel")

    def _panel(self) -> str | None:
        assert self.proc.poll() is None, "trayer exited"
        for line in x(self.display, "xwininfo", "-root", "-children").splitlines():
            m = re.match(r'\s+(0x[0-9a-f]+) "panel": \("panel" "trayer"\)', line)
            if m:
                return m[1]
        return None

    def icons(self) -> list[tuple[str, str, int, int, int, int]]:
        """The docked icons: the client windows in trayer's sockets (children of its panel),
        each as (window, name, width, height, x, y)."""
        return [icon for sock in children(self.display, self.panel)
                for icon in children(self.display, sock[0])]

    def close(self) -> None:
        stop(self.proc)


@contextmanager
def tray_host(display: str) -> Iterator[Tray]:
    if shutil.which("trayer") is None or shutil.which("xwininfo") is None:
        raise AssertionError("trayer and xwininfo are needed (scripts/bootstrap.sh test)")
    tray = Tray(display)
    try:
        yield tray
    finally:
        tray.close()
