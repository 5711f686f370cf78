"""``[ui]`` start at login and global shortcuts: defaults, validation naming key and line,
round trip through save_settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from softphone.settings import (
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    settings_path,
)
from softphone.shortcuts import ShortcutError, parse_shortcut


def write(profile: Path, text: str) -> Path:
    path = settings_path(profile)
    path.write_text(text, "utf-8")
    return path


def test_defaults(profile_dir: Path) -> None:
    ui = load_settings(profile_dir).ui
    assert ui.start_at_login is False
    assert (ui.shortcut_answer, ui.shortcut_hangup, ui.shortcut_mute) == (
        "Ctrl+Alt+A", "Ctrl+Alt+H", "Ctrl+Alt+M")


def test_shortcuts_are_read_in_canonical_spelling_and_empty_turns_one_off(
        profile_dir: Path) -> None:
    write(profile_dir, '[ui]\nstart_at_login = true\nshortcut_answer = "alt+ctrl+f9"\n'
                       'shortcut_hangup = ""\nshortcut_mute = "Super+Shift+m"\n')
    ui = load_settings(profile_dir).ui
    assert ui.start_at_login is True
    assert ui.shortcut_answer == "Ctrl+Alt+F9"
    assert ui.shortcut_hangup == ""
    assert ui.shortcut_mute == "Shift+Meta+M"


@pytest.mark.parametrize(
    "text, key, line, why",
    [
        ('[ui]\nclose_to_tray = true\nshortcut_answer = "Ctrl+Alt+"\n', "ui.shortcut_answer",
         3, "expected modifiers and a key"),
        ('[ui]\nshortcut_hangup = "Hyper+H"\n', "ui.shortcut_hangup", 2, "unknown modifier"),
        ('[ui]\n\nshortcut_mute = "Ctrl+Alt+Mute"\n', "ui.shortcut_mute", 3, "unknown key"),
        ('[ui]\nshortcut_answer = "A"\n', "ui.shortcut_answer", 2, "needs Ctrl, Alt or Meta"),
        ('[ui]\nshortcut_answer = "Shift+Space"\n', "ui.shortcut_answer", 2, "needs Ctrl"),
        ('[ui]\nshortcut_answer = 5\n', "ui.shortcut_answer", 2, "expected a string"),
        ('[ui]\nstart_at_login = "yes"\n', "ui.start_at_login", 2, "true or false"),
        ('[ui]\nshortcut_answer = "Ctrl+Alt+H"\n', "ui.shortcut_answer", 2,
         "already the shortcut of shortcut_hangup"),
    ],
)
def test_bad_values_name_key_and_line(profile_dir: Path, text: str, key: str,
                                      line: int | None, why: str) -> None:
    path = write(profile_dir, text)
    with pytest.raises(SettingsError) as err:
        load_settings(profile_dir)
    message = str(err.value)
    assert key in message and why in message
    if line is not None:
        assert f"(line {line})" in message
    assert path.read_text("utf-8") == text


def test_bare_function_keys_are_allowed() -> None:
    assert str(parse_shortcut("F13")) == "F13"
    assert str(parse_shortcut("pause")) == "Pause"
    with pytest.raises(ShortcutError):
        parse_shortcut("F36")


def test_save_round_trip(profile_dir: Path) -> None:
    settings = Settings()
    ui = dataclasses.replace(settings.ui, start_at_login=True, shortcut_answer="Ctrl+Alt+F1",
                             shortcut_mute="")
    save_settings(profile_dir, dataclasses.replace(settings, ui=ui))
    text = settings_path(profile_dir).read_text("utf-8")
    assert "shortcut_hangup" not in text  # defaults are not written
    assert load_settings(profile_dir).ui == ui
