"""A refused softphone.toml at a desktop start: a window says what is wrong (issue 14 item 6).

Started from a menu or at login there is no terminal: the message (also written to the log)
shows in a window with the setting, the line and the problem, and three ways on: open the
file (the desktop's editor), try again once it is fixed, or start with the default settings
for now. The file is never rewritten: with defaults the app does not save settings at all
(``app.apply_settings`` applies them until quit and says so).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import plain_label

log = logging.getLogger("softphone")

DEFAULTS, RETRY, QUIT = "defaults", "retry", "quit"


@dataclass(frozen=True)
class SettingsProblem:
    """A SettingsError's message taken apart: ``PATH: KEY (line N): PROBLEM``."""

    path: Path
    key: str
    line: int | None
    problem: str

    @classmethod
    def from_message(cls, message: str, path: Path) -> SettingsProblem:
        text = message.removeprefix(f"{path}: ")
        line = None
        found = re.search(r"\(?\bline (\d+)(?:, column \d+)?\)?", text)
        if found:
            line = int(found.group(1))
        key = ""
        keyed = re.match(r"^([\w.\[\]-]+) \(line \d+\): (.*)$", text, re.S) or \
            re.match(r"^([\w.\[\]-]+): (.*)$", text, re.S)
        if keyed and not keyed.group(1).startswith("line"):
            key, text = keyed.group(1), keyed.group(2)
        text = re.sub(r"^line \d+: ", "", text)
        return cls(path, key, line, text.strip())


class SettingsProblemDialog(QDialog):
    """The problem, and Open the file / Try again / Start with defaults for now / Quit.
    ``choice`` is DEFAULTS, RETRY or QUIT once it closes."""

    def __init__(self, problem: SettingsProblem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsProblem")
        self.setWindowTitle(self.tr("Softphone: the settings file has an error"))
        self.problem = problem
        self.choice = QUIT
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label(self.tr(
            "Softphone could not use its settings file. Nothing in the file was changed."),
            self, bold=True))
        form = QFormLayout()
        self.file_label = plain_label(str(problem.path), self, name="problemFile")
        self.key_label = plain_label(problem.key or self.tr("(the whole file)"), self,
                                     name="problemKey")
        self.line_label = plain_label(str(problem.line) if problem.line else "–", self,
                                      name="problemLine")
        self.what_label = plain_label(problem.problem, self, name="problemText")
        form.addRow(self.tr("File"), self.file_label)
        form.addRow(self.tr("Setting"), self.key_label)
        form.addRow(self.tr("Line"), self.line_label)
        form.addRow(self.tr("What is wrong"), self.what_label)
        lay.addLayout(form)
        self.note = plain_label(self.tr(
            "Fix the file and press Try again, or start with the default settings for now: "
            "your file stays as it is, and settings changed meanwhile are not saved."), self)
        lay.addWidget(self.note)
        self.open_label: QLabel = plain_label("", self, name="openResult")
        self.open_label.hide()
        lay.addWidget(self.open_label)
        buttons = QDialogButtonBox(self)
        self.open_button = QPushButton(self.tr("Open the file"), self)
        self.retry_button = QPushButton(self.tr("Try again"), self)
        self.defaults_button = QPushButton(self.tr("Start with defaults for now"), self)
        self.quit_button = QPushButton(self.tr("Quit"), self)
        for b, role in ((self.open_button, QDialogButtonBox.ButtonRole.ActionRole),
                        (self.retry_button, QDialogButtonBox.ButtonRole.ActionRole),
                        (self.defaults_button, QDialogButtonBox.ButtonRole.AcceptRole),
                        (self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)):
            buttons.addButton(b, role)
        lay.addWidget(buttons)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.retry_button.clicked.connect(lambda: self._close_with(RETRY))
        self.defaults_button.clicked.connect(lambda: self._close_with(DEFAULTS))
        self.quit_button.clicked.connect(lambda: self._close_with(QUIT))
        self.defaults_button.setDefault(True)

    def _close_with(self, choice: str) -> None:
        self.choice = choice
        self.accept() if choice != QUIT else self.reject()

    def _on_open_clicked(self) -> None:
        url = QUrl.fromLocalFile(str(self.problem.path))
        if not QDesktopServices.openUrl(url):
            self.open_label.setText(self.tr("No program to open it was found: edit %1 with "
                                            "any text editor.").replace("%1", url.toLocalFile()))
            self.open_label.show()


def start_after_settings_error(args: Any, profile: Path, error: Exception,
                               run_gui: Callable[..., int]) -> int:
    """The desktop start when ``softphone.toml`` was refused: the window above until the
    user fixes the file (Try again), starts with defaults, or quits (exit status 2)."""
    from PySide6.QtWidgets import QApplication

    from softphone.app import install_translation
    from softphone.settings import Settings, SettingsError, load_settings, settings_path

    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translation(app, None)
    path = settings_path(profile)
    while True:
        dialog = SettingsProblemDialog(SettingsProblem.from_message(str(error), path))
        dialog.show()
        log.info("the settings problem is shown in a window; waiting for the user")
        dialog.exec()
        if dialog.choice == RETRY:
            try:
                settings = load_settings(profile)
            except SettingsError as exc:
                log.error("settings file still refused: %s", exc)
                error = exc
                continue
            log.info("settings file fixed: starting with it")
            return run_gui(args, profile, settings)
        if dialog.choice == DEFAULTS:
            log.warning("starting with the default settings; %s left as it is", path)
            return run_gui(args, profile, Settings(), settings_error=str(error))
        return 2
