"""A refused softphone.toml at a desktop start (issue 14 item 6): a window with the setting,
the line and the problem, "Open the file" and "Start with defaults for now"; the message is in
the log; the file is never rewritten; command-line subcommands keep stderr and exit 2."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from softphone.app import apply_settings
from softphone.logs import LOG_FILE
from softphone.profile import logs_dir
from softphone.settings import SettingsError, load_settings, settings_path
from softphone.ui.settings_problem import (
    DEFAULTS,
    SettingsProblem,
    SettingsProblemDialog,
)
from tests.harness.sip_peers import wait_until

pytestmark = [pytest.mark.ui]

REPO = Path(__file__).resolve().parents[2]
BROKEN = '[calls]\nauto_answer = true\n\n[crm]\ndefault_region = "Russia"\n'


def refused(profile: Path) -> SettingsError:
    settings_path(profile).write_text(BROKEN, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(profile)
    return caught.value


class OpenedUrls(QObject):
    """Qt's own hook for opening URLs: records what the window asked to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


def test_the_window_names_the_setting_line_and_problem(qtbot: Any, profile_dir: Path) -> None:
    error = refused(profile_dir)
    problem = SettingsProblem.from_message(str(error), settings_path(profile_dir))
    dialog = SettingsProblemDialog(problem)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.key_label.text() == "crm.default_region"
    assert dialog.line_label.text() == "5"
    assert "two-letter country code" in dialog.what_label.text()
    assert dialog.file_label.text() == str(settings_path(profile_dir))
    opened = OpenedUrls()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        dialog.open_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opened.urls == [str(settings_path(profile_dir))]
    assert dialog.isVisible()  # still there: fix the file, then Try again
    dialog.defaults_button.click()
    assert dialog.choice == DEFAULTS and not dialog.isVisible()
    assert settings_path(profile_dir).read_text(encoding="utf-8") == BROKEN


def test_a_toml_syntax_error_names_its_line(profile_dir: Path) -> None:
    settings_path(profile_dir).write_text('[calls]\nauto_answer = \n', encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(profile_dir)
    problem = SettingsProblem.from_message(str(caught.value), settings_path(profile_dir))
    assert problem.line == 2 and "TOML" in problem.problem


def test_running_on_defaults_never_writes_the_file(qtbot: Any, app: Any,
                                                  profile_dir: Path) -> None:
    refused(profile_dir)
    app.settings_error = "crm.default_region (line 5): expected a two-letter country code"
    app.window.show_settings_notice("Default settings: softphone.toml has an error")
    apply_settings(app, dataclasses.replace(
        app.settings, calls=dataclasses.replace(app.settings.calls, outcomes=("A", "B"))), {})
    assert settings_path(profile_dir).read_text(encoding="utf-8") == BROKEN
    assert list(app.window.wrapup.outcome_buttons) == ["A", "B"]  # applied all the same
    assert "not saved" in app.window.statusBar().currentMessage()
    assert app.window.settings_notice.isVisible()


def test_a_desktop_start_waits_in_the_window_and_logs_it(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    settings_path(profile).write_text(BROKEN, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SOFTPHONE_KEYRING="file")
    proc = subprocess.Popen([sys.executable, "-m", "softphone", "--profile", str(profile)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        log = logs_dir(profile) / LOG_FILE

        def logged() -> str | None:
            assert proc.poll() is None, f"exited {proc.returncode}: {proc.stderr.read()}"
            text = log.read_text(encoding="utf-8") if log.exists() else ""
            return text if "shown in a window" in text else None

        text = wait_until(logged, 30.0, "the refusal in the log and the window")
        assert "settings file refused" in text and "crm.default_region (line 5)" in text
        assert proc.poll() is None  # waits for the user: not the silent exit 2 of before
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()  # type: ignore[union-attr]  # a pipe left open warns
    assert settings_path(profile).read_text(encoding="utf-8") == BROKEN


def test_command_line_subcommands_keep_stderr_and_exit_2(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    settings_path(profile).write_text(BROKEN, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "softphone", "--profile", str(profile),
                           "contacts", "lookup", "+74951234567"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "crm.default_region (line 5)" in done.stderr
    assert "the settings file was not changed" in done.stderr
    assert settings_path(profile).read_text(encoding="utf-8") == BROKEN
