"""Small helpers shared by the widgets: plain-text labels, formatting, translation."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def plain_label(text: str = "", parent: QWidget | None = None, *, bold: bool = False,
                size: float | None = None, name: str = "") -> QLabel:
    """A label for remote or user data: always plain text, never rich text or links."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    if bold or size:
        font = label.font()
        font.setBold(bold)
        if size:
            font.setPointSizeF(font.pointSizeF() * size)
        label.setFont(font)
    return label


def button(text: str, parent: QWidget | None = None, *, name: str = "",
           shortcut: str | None = None, tooltip: str = "") -> QPushButton:
    btn = QPushButton(text, parent)
    if name:
        btn.setObjectName(name)
    if shortcut:
        btn.setShortcut(shortcut)
        tip = f"{tooltip} ({shortcut})" if tooltip else shortcut
        btn.setToolTip(tip)
    elif tooltip:
        btn.setToolTip(tooltip)
    return btn


def duration(seconds: float | int | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def local_time(at: datetime | None, with_date: bool = True) -> str:
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone()
    today = datetime.now().astimezone().date()
    if not with_date or local.date() == today:
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def outcome_text(outcome: str | None) -> str:
    names = {
        "answered": translate("Outcome", "answered"),
        "missed": translate("Outcome", "missed"),
        "rejected": translate("Outcome", "declined"),
        "busy": translate("Outcome", "busy"),
        "no_answer": translate("Outcome", "no answer"),
        "failed": translate("Outcome", "failed"),
        "interrupted": translate("Outcome", "interrupted"),
    }
    return names.get(outcome or "", outcome or "")


def matched_by_text(matched_by: str) -> str:
    names = {
        "e164": translate("Match", "matched by the full number"),
        "national": translate("Match", "matched by the national number"),
        "suffix": translate("Match", "matched by the last digits of the number"),
        "company": translate("Match", "a company number"),
        "contact": translate("Match", "the contact you called"),
        "withheld": translate("Match", "the number is withheld"),
        "short": translate("Match", "a short or service number"),
        "ignored": translate("Match", "on the ignore list"),
        "none": translate("Match", "not in your contacts"),
    }
    return names.get(matched_by, matched_by)
