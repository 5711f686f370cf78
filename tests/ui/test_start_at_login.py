"""Start at login: the settings dialog's checkbox writes and removes the XDG autostart entry
(in a temporary XDG_CONFIG_HOME); its Exec line, parsed as a desktop would, starts this app."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from softphone.autostart import desktop_entry, entry_path
from softphone.settings import load_settings

pytestmark = [pytest.mark.ui]


def parse_exec(value: str) -> list[str]:
    """An ``Exec`` value as the Desktop Entry spec reads it: the string escapes first, then
    double-quoted arguments (with \\" \\` \\$ \\\\ inside), then ``%%`` -> ``%``."""
    unescaped, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            unescaped.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
                             .get(value[i + 1], "\\" + value[i + 1]))
            i += 2
            continue
        unescaped.append(c)
        i += 1
    text = "".join(unescaped)
    args: list[str] = []
    current: list[str] | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            current = current if current is not None else []
            i += 1
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"`$\\':
                    i += 1
                current.append(text[i])
                i += 1
        elif c == " ":
            if current is not None:
                args.append("".join(current))
            current = None
        else:
            assert c not in "\\\"'`$", f"unquoted reserved character in {text!r}"
            current = (current or []) + [c]
        i += 1
    if current is not None:
        args.append("".join(current))
    return [a.replace("%%", "%") for a in args]


def read_entry(path: Path) -> dict[str, str]:
    return read_entry_text(path.read_text("utf-8"))


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _save_with_checkbox(qtbot: Any, window: Any, checked: bool) -> None:
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert dialog.start_at_login.isEnabled()
    dialog.start_at_login.setChecked(checked)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def test_checkbox_writes_and_removes_the_autostart_entry(qtbot: Any, app: Any,
                                                         config_home: Path,
                                                         profile_dir: Path) -> None:
    path = config_home / "autostart" / "softphone.desktop"
    assert not path.exists()
    _save_with_checkbox(qtbot, app.window, True)
    assert app.window.statusBar().currentMessage() == "Settings saved"
    assert tomllib.loads((profile_dir / "softphone.toml").read_text())["ui"]["start_at_login"]
    entry = read_entry(path)
    assert entry["Type"] == "Application"
    argv = parse_exec(entry["Exec"])
    # a temporary profile is not the default one: it is spelt out, and the start is minimized
    assert argv == [sys.executable, "-m", "softphone", "--profile", str(profile_dir.resolve()),
                    "--minimized"]
    # the command really is this app and takes these options
    done = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2])))
    assert done.returncode == 0 and done.stdout.startswith("softphone "), done.stderr

    _save_with_checkbox(qtbot, app.window, False)
    assert not path.exists()
    assert not load_settings(profile_dir).ui.start_at_login


def test_an_unwritable_autostart_dir_is_reported_and_nothing_breaks(
        qtbot: Any, app: Any, config_home: Path, profile_dir: Path) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the directory should be")
    _save_with_checkbox(qtbot, app.window, True)
    message = app.window.statusBar().currentMessage()
    assert message.startswith("Settings saved, but start at login was not changed: ")
    assert str(config_home / "autostart") in message
    # the setting says what happens at login: nothing
    assert not load_settings(profile_dir).ui.start_at_login
    assert not app.settings.ui.start_at_login


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_autostart_dir_is_reported(qtbot: Any, app: Any, config_home: Path) -> None:
    (config_home / "autostart").mkdir(parents=True)
    (config_home / "autostart").chmod(0o500)
    try:
        _save_with_checkbox(qtbot, app.window, True)
        assert "Permission denied" in app.window.statusBar().currentMessage()
    finally:
        (config_home / "autostart").chmod(0o700)


def test_exec_quotes_odd_profile_paths_and_leaves_out_the_default_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_home: Path) -> None:
    odd = tmp_path / 'my "calls" $HOME 100% \\ `x`'
    odd.mkdir()
    argv = parse_exec(read_entry_text(desktop_entry(odd))["Exec"])
    assert argv[-3:] == ["--profile", str(odd.resolve()), "--minimized"]

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = tmp_path / "data" / "softphone"
    default.mkdir(parents=True)
    argv = parse_exec(read_entry_text(desktop_entry(default))["Exec"])
    assert argv == [sys.executable, "-m", "softphone", "--minimized"]
    assert entry_path() == config_home / "autostart" / "softphone.desktop"


def read_entry_text(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return dict(parser["Desktop Entry"])
