"""Small helpers shared by the widgets: plain-text labels, formatting, translation."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
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


def paint_button(btn: QPushButton, background: str, bold: bool = True) -> None:
    """A coloured action button (answer, hang up). The font is set on the widget, not in the
    style sheet, so the size hint counts the bold text at every scale."""
    btn.setStyleSheet(f"QPushButton {{ background: {background}; color: white; "
                      f"border: 1px solid {background}; border-radius: 3px; "
                      f"padding: 4px 12px; }} QPushButton:disabled {{ background: #9e9e9e; "
                      f"border-color: #9e9e9e; }}")
    font = btn.font()
    font.setBold(bold)
    btn.setFont(font)


def duration(seconds: float | int | None) -> str:
    """A call's length as a clock: ``0:07``, ``12:34``, ``1:02:03``."""
    if seconds is None:
        return ""
    from softphone.i18n import format_duration

    return format_duration(seconds)


def duration_words(seconds: float | int | None) -> str:
    """A total for reports: ``45 s``, ``12 min``, ``3 h 05 min``."""
    from softphone.i18n import format_duration_words

    return format_duration_words(seconds)


def local_time(at: datetime | None, with_date: bool = True) -> str:
    """``14:05`` today, ``Yesterday 18:30``, else the locale's short date and time."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    from softphone.i18n import format_time, format_when

    return format_when(at) if with_date else format_time(at)


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


def end_reason_text(sip_status: int | None, end_reason: str | None) -> str:
    """Why a call ended so, for the history: a call refused for lack of a common codec says
    which codecs the caller offered (``workflow.refusal_reason``)."""
    reason = end_reason or ""
    if reason == "unencrypted":  # the account takes only encrypted calls (srtp = mandatory)
        return translate("Outcome", "the other side does not support encrypted calls")
    if sip_status == 488 and reason.startswith("offered: "):
        return translate("Outcome", "no common codec: the caller offered %1").replace(
            "%1", reason.removeprefix("offered: "))
    if sip_status == 488:
        return translate("Outcome", "no common codec")
    return reason


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


#: the default wrap-up outcomes ([calls] outcomes): stored as written, shown translated
WRAPUP_OUTCOMES = {
    "Interested": QT_TRANSLATE_NOOP("Outcome", "Interested"),
    "Not interested": QT_TRANSLATE_NOOP("Outcome", "Not interested"),
    "Call back": QT_TRANSLATE_NOOP("Outcome", "Call back"),
    "Wrong number": QT_TRANSLATE_NOOP("Outcome", "Wrong number"),
    "Voicemail": QT_TRANSLATE_NOOP("Outcome", "Voicemail"),
    "Resolved": QT_TRANSLATE_NOOP("Outcome", "Resolved"),
}


def wrapup_outcome_text(outcome: str | None) -> str:
    """A wrap-up outcome as shown: a default one in the user's language, an office's own as
    the admin wrote it."""
    if not outcome:
        return ""
    return translate("Outcome", WRAPUP_OUTCOMES[outcome]) if outcome in WRAPUP_OUTCOMES \
        else outcome


#: phone labels the readers and the dialogs write; others are shown as typed
PHONE_LABELS = {
    "work": QT_TRANSLATE_NOOP("PhoneLabel", "work"),
    "mobile": QT_TRANSLATE_NOOP("PhoneLabel", "mobile"),
    "home": QT_TRANSLATE_NOOP("PhoneLabel", "home"),
    "fax": QT_TRANSLATE_NOOP("PhoneLabel", "fax"),
    "other": QT_TRANSLATE_NOOP("PhoneLabel", "other"),
    "main": QT_TRANSLATE_NOOP("PhoneLabel", "main"),
}


def phone_label_text(label: str | None) -> str:
    if not label:
        return ""
    key = label.strip().lower()
    return translate("PhoneLabel", PHONE_LABELS[key]) if key in PHONE_LABELS else label
