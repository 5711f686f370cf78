"""The look: call-control icons (the desktop's icon theme, else ours in the button's text
colour), avatars, call states in colour during a real call, the desktop's light or dark
scheme followed as it changes (a real xdg-desktop-portal with its GTK backend on a private
display and bus), 200 % scaling, and every action reachable from the keyboard with its keys
in the tooltip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from softphone.ui.avatars import COLOURS, avatar_pixmap, colour_for, initials
from softphone.ui.icons import ICON_DIR, THEME_NAMES, bundled_icon, control_icon
from softphone.ui.look import contrast, state_colour
from tests.harness.x11 import stop, x_env, xvfb

pytestmark = [pytest.mark.ui, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]


def _ink(icon: QIcon, size: int = 32) -> QColor:
    """The mean colour of the icon's opaque pixels."""
    image = icon.pixmap(size, size).toImage()
    r = g = b = n = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() > 200:
                r, g, b, n = r + c.red(), g + c.green(), b + c.blue(), n + 1
    assert n, "an empty icon"
    return QColor(r // n, g // n, b // n)


# --- icons ------------------------------------------------------------------------------------

def test_bundled_icons_take_the_text_colour(qapp: Any) -> None:
    for control in THEME_NAMES:
        assert (ICON_DIR / f"call-{control}.svg").exists()
    dark_ink = _ink(bundled_icon("hold", "#202124"))
    light_ink = _ink(bundled_icon("hold", "#e8eaed"))
    assert dark_ink.lightness() < 60 and light_ink.lightness() > 200
    # 200 %: a pixmap drawn at twice the pixels
    sharp = bundled_icon("mute", "#000000").pixmap(QSize(24, 24), 2.0)
    assert (sharp.width(), sharp.devicePixelRatio()) == (48, 2.0)


@pytest.fixture
def icon_theme(tmp_path: Path) -> Iterator[Path]:
    """A freedesktop icon theme (index.theme + scalable icons) on the theme search path."""
    theme = tmp_path / "icons" / "testtheme"
    (theme / "scalable" / "actions").mkdir(parents=True)
    (theme / "index.theme").write_text(
        "[Icon Theme]\nName=testtheme\nDirectories=scalable/actions\n\n"
        "[scalable/actions]\nSize=48\nMinSize=8\nMaxSize=512\nType=Scalable\n")
    svg = (ICON_DIR / "call-answer.svg").read_text().replace("#5c6670", "#ff00ff")
    (theme / "scalable" / "actions" / "call-start.svg").write_text(svg)
    paths, name = QIcon.themeSearchPaths(), QIcon.themeName()
    QIcon.setThemeSearchPaths([str(tmp_path / "icons"), *paths])
    QIcon.setThemeName("testtheme")
    yield theme
    QIcon.setThemeSearchPaths(paths)
    QIcon.setThemeName(name)


def test_the_desktop_icon_theme_comes_first(qapp: Any, icon_theme: Path) -> None:
    answer = _ink(control_icon("answer", "#000000"))
    assert (answer.red(), answer.blue()) > (200, 200) and answer.green() < 60  # the theme's
    hangup = _ink(control_icon("hangup", "#000000"))  # not in the theme: ours
    assert hangup.lightness() < 40


def test_call_controls_show_icons_and_keys(qtbot: Any, app: Any) -> None:
    panel = app.window.call_panel
    for b in (panel.hangup_button, panel.hold_button, panel.mute_button, panel.keypad_button,
              panel.record_button, panel.transfer_button):
        assert not b.icon().isNull(), b.objectName()
        keys = b.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert keys and keys in b.toolTip(), (b.objectName(), b.toolTip())
    assert not app.window.outgoing.pad.call_button.icon().isNull()


# --- avatars ----------------------------------------------------------------------------------

def test_avatars_initials_and_readable_colours(qapp: Any) -> None:
    assert initials("Иван Петров") == "ИП"
    assert initials("Anna Maria Lopez") == "AL"
    assert initials("Globex") == "G"
    assert initials("+7 495 123-45-67") == "#"
    assert colour_for("Иван Петров") == colour_for("  иван петров ")
    assert len({colour_for(f"Contact {i}") for i in range(200)}) == len(COLOURS)
    for colour in COLOURS:
        assert contrast(QColor(colour), QColor("white")) >= 4.5, colour
    sharp = avatar_pixmap("Иван Петров", 40, 2.0)
    assert (sharp.width(), sharp.devicePixelRatio()) == (80, 2.0)


# --- call states in colour, in a real call ------------------------------------------------------

def test_call_states_in_colour(qtbot: Any, app: Any, make_baresip: Any, peer_port: int) -> None:
    window = app.window
    panel = window.call_panel
    peer = make_baresip(user="+74955550066", auto_answer=False, port=peer_port)
    window.phone.dial("+74955550066")
    peer.wait_event("CALL_INCOMING", timeout=10)
    ringing = state_colour("ringing", panel.palette())
    qtbot.waitUntil(lambda: ringing in panel.state_label.styleSheet(), timeout=10_000)
    assert ringing in window.outgoing.bar.text_label.styleSheet()
    peer.accept()
    talking = state_colour("talking", panel.palette())
    qtbot.waitUntil(lambda: talking in panel.state_label.styleSheet(), timeout=10_000)
    assert panel.avatar.isVisible() and panel.avatar.name
    # the call's own figures, live (the engine refreshes them every second)
    qtbot.waitUntil(lambda: panel.quality_label.text().split("/")[0] in
                    ("PCMU", "PCMA", "G722", "opus"), timeout=10_000)
    qtbot.mouseClick(panel.hold_button, Qt.MouseButton.LeftButton)
    held = state_colour("held", panel.palette())
    qtbot.waitUntil(lambda: held in panel.state_label.styleSheet(), timeout=10_000)
    assert len({ringing, talking, held, state_colour("failed", panel.palette())}) == 4
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
    # the next call shows no figures until it has its own
    since = len(peer.events)
    window.phone.dial("+74955550066")
    peer.wait_event("CALL_INCOMING", timeout=10, since=since)
    qtbot.waitUntil(lambda: ringing in panel.state_label.styleSheet(), timeout=10_000)
    assert panel.quality_label.text() == ""
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)


# --- light and dark -----------------------------------------------------------------------------

def test_dark_scheme_palette_and_colours(qtbot: Any, app: Any) -> None:
    from softphone.ui.theme import ColorSchemeFollower

    qapp = QApplication.instance()
    follower = ColorSchemeFollower(qapp)
    window = app.window
    window.listen_label.setStyleSheet(f"color:{state_colour('failed')};")
    try:
        follower.apply(Qt.ColorScheme.Dark)
        palette = qapp.palette()
        assert follower.dark and qapp.style().name() == "fusion"
        for fg, bg in ((QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
                       (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
                       (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button)):
            assert contrast(palette.color(fg), palette.color(bg)) >= 7
        for state in ("calling", "ringing", "talking", "held", "failed"):
            assert contrast(QColor(state_colour(state, palette)),
                            palette.color(QPalette.ColorRole.Window)) >= 4.5, state
        # a message coloured before the switch takes the dark scheme's tone
        assert state_colour("failed", palette) in window.listen_label.styleSheet()
        # an icon drawn in the text colour is light now
        assert _ink(window.call_panel.hold_button.icon()).lightness() > 180
    finally:
        follower.apply(Qt.ColorScheme.Light)
    assert not follower.dark
    assert state_colour("failed") in window.listen_label.styleSheet()


SCHEME_CHILD = """
import json, sys
from PySide6.QtWidgets import QApplication
from softphone.ui.theme import follow_color_scheme
app = QApplication([])
follower = follow_color_scheme(app)
def report(*_):
    print(json.dumps({"scheme": app.styleHints().colorScheme().name,
                      "window": app.palette().window().color().name(),
                      "dark": follower.dark}), flush=True)
follower.changed.connect(report)
report()
from PySide6.QtCore import QTimer
QTimer.singleShot(30000, app.quit)
app.exec()
"""


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A GNOME-like desktop session: X display, session bus, xdg-desktop-portal with its GTK
    backend reading the GNOME setting, as a desktop runs them."""
    for tool in ("Xvfb", "dbus-daemon", "gsettings", "/usr/libexec/xdg-desktop-portal",
                 "/usr/libexec/xdg-desktop-portal-gtk"):
        if shutil.which(tool) is None and not os.path.exists(tool):
            pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh test)")
    with xvfb() as display:
        env = x_env(display)
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR=str(runtime),
                   XDG_CURRENT_DESKTOP="GNOME", HOME=str(tmp_path))
        # services the bus starts (the portal's backend, dconf) get this environment
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            assert bus.stdout is not None
            env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
            subprocess.run(["gsettings", "set", "org.gnome.desktop.interface", "color-scheme",
                            "prefer-dark"], env=env, check=True, timeout=20)
            procs.append(subprocess.Popen(["/usr/libexec/xdg-desktop-portal"], env=env,
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            yield env
        finally:
            for proc in procs:
                stop(proc)
            stop(bus)


def test_follows_the_desktop_scheme_as_it_changes(desktop: dict[str, str]) -> None:
    env = dict(desktop, QT_QPA_PLATFORM="xcb", QT_QPA_PLATFORMTHEME="xdgdesktopportal",
               PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", SCHEME_CHILD], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        first = json.loads(child.stdout.readline())
        assert first["scheme"] == "Dark" and first["dark"], first
        assert QColor(first["window"]).lightness() < 80
        subprocess.run(["gsettings", "set", "org.gnome.desktop.interface", "color-scheme",
                        "default"], env=desktop, check=True, timeout=20)
        second = json.loads(child.stdout.readline())
        assert second["scheme"] == "Light" and not second["dark"], second
        assert QColor(second["window"]).lightness() > 200
    finally:
        child.kill()
        child.communicate(timeout=10)


# --- 200 % ----------------------------------------------------------------------------------------

HIDPI_CHILD = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication, QAbstractButton, QLabel
app = QApplication([])
from softphone.app import create_parts
from softphone.settings import Settings, UiSettings
parts = create_parts(Path(sys.argv[1]), Settings(ui=UiSettings(first_start_page=False)),
                     start_engine=False, use_secrets=False)
w = parts.window
w.show()
app.processEvents()
cut = []
screen = w.screen().availableGeometry()
for i in range(w.tabs.count()):
    w.tabs.setCurrentIndex(i)
    app.processEvents()
    for b in w.findChildren(QAbstractButton):
        if b.isVisible() and b.text() and b.width() < b.minimumSizeHint().width():
            cut.append(b.text())
print(json.dumps({"ratio": w.devicePixelRatioF(), "cut": cut,
                  "fits": screen.contains(w.frameGeometry()) or
                  (w.width() <= screen.width() and w.height() <= screen.height()),
                  "font_px": w.fontInfo().pixelSize()}), flush=True)
"""


@pytest.mark.parametrize("scale", ["1", "2"])
def test_readable_at_100_and_200_percent(tmp_path: Path, scale: str) -> None:
    screen = tmp_path / "screen.json"  # a 1920x1080 monitor (the offscreen default is 800x800)
    screen.write_text(json.dumps({"screens": [{
        "name": "monitor", "x": 0, "y": 0, "width": 1920, "height": 1080,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}",
               QT_SCALE_FACTOR=scale, PYTHONPATH=str(ROOT), SOFTPHONE_KEYRING="file")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    profile = tmp_path / "profile"
    profile.mkdir()
    done = subprocess.run([sys.executable, "-c", HIDPI_CHILD, str(profile)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ratio"] == float(scale)
    assert result["cut"] == [], result  # no button narrower than its text
    assert result["fits"], result  # the window is on the screen, all of it


# --- the keyboard -------------------------------------------------------------------------------

def _buttons(root: QWidget) -> list[QAbstractButton]:
    return [b for b in root.findChildren(QAbstractButton) if b.isVisibleTo(root) and
            b.isEnabled() and (b.text() or not b.icon().isNull())]


def test_every_button_is_reachable_from_the_keyboard(qtbot: Any, app: Any) -> None:
    """A button is reached by Tab, or by its shortcut, which its tooltip shows; the dial
    pad's keys are the keyboard's own digits typed in the dial field."""
    window = app.window
    pad = window.outgoing.pad
    # the pad's keys are the keyboard's digits; its Call is Enter in the dial field and its
    # Redial the window's Ctrl+R (both in their tooltips)
    pad_keys = set(pad.keys.values()) | {pad.backspace_button, pad.call_button,
                                         pad.redial_button}
    assert "Enter" in pad.call_button.toolTip() and "Ctrl+R" in pad.redial_button.toolTip()
    problems = []
    screens: list[tuple[str, QWidget]] = [("phone", window.phone_page)]
    for view in ("contacts", "history", "stats"):
        screens.append((view, getattr(window, view)))
    screens += [("missed", window.missed), ("tasks", window.tasks),
                ("colleagues", window.colleagues), ("call panel", window.call_panel),
                ("wrap-up", window.wrapup)]
    for name, screen in screens:
        window.tabs.setCurrentIndex(max(0, window.tabs.indexOf(screen)))
        if screen in (window.call_panel, window.wrapup):
            window.phone_page.setCurrentWidget(screen)
        for b in _buttons(screen):
            if b in pad_keys:
                continue
            keys = b.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            tab = b.focusPolicy() & Qt.FocusPolicy.TabFocus
            mnemonic = "&" in b.text().replace("&&", "") and keys.startswith("Alt+")
            if keys and not mnemonic and keys not in b.toolTip():
                problems.append(f"{name}: {b.objectName() or b.text()}: {keys} not in its "
                                f"tooltip {b.toolTip()!r}")
            if not keys and not tab:
                problems.append(f"{name}: {b.objectName() or b.text()}: no key, no Tab")
    window.phone_page.setCurrentWidget(window.idle_page)
    assert not problems, "\n".join(problems)
    # the menu bar holds every window action with its keys
    shown = {a.shortcut().toString() for menu in window.menus.values() for a in menu.actions()}
    for keys in ("Ctrl+R", "Ctrl+L", "Ctrl+I", "Ctrl+Shift+E", "Ctrl+,", "Ctrl+Q", "F1",
                 "Ctrl+Shift+N", "Ctrl+Shift+A", "Ctrl+Shift+D", "Ctrl+1"):
        assert keys in shown, keys


def test_keys_work(qtbot: Any, app: Any, make_baresip: Any, peer_port: int) -> None:
    """Real key presses on the window (through Qt's window system path, as a keyboard)."""
    from PySide6.QtTest import QTest

    window = app.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    handle = window.windowHandle()
    window.tabs.setCurrentWidget(window.tasks)
    window.tasks.tree.setFocus()
    QTest.keyClick(handle, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.dial_field.hasFocus()
    QTest.keyClick(handle, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(window, "shortcuts_box", None) is not None
                    and window.shortcuts_box.isVisible(), timeout=5000)
    assert "Ctrl+R" in window.shortcuts_box.text()
    window.shortcuts_box.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.dial_field.setFocus()
    QTest.keyClick(handle, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "import_file_dialog", None) is not None
                    and window.import_file_dialog.isVisible(), timeout=5000)
    window.import_file_dialog.reject()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    # type a number and call with Enter; Ctrl+R calls it again
    peer = make_baresip(user="bob", auto_answer=True, port=peer_port)
    window.activateWindow()
    window.dial_field.setFocus()
    QTest.keyClicks(window.dial_field, "bob")
    QTest.keyClick(window.dial_field, Qt.Key.Key_Return)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=10_000)
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
    if window.phone_page.currentWidget() is window.wrapup:
        QTest.keyClick(handle, Qt.Key.Key_Escape)  # the wrap-up's Skip
    since = len(peer.events)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.dial_field.setFocus()
    QTest.keyClick(handle, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(window.workflow.calls()), timeout=10_000)
    peer.wait_event("CALL_ESTABLISHED", timeout=10, since=since)
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
