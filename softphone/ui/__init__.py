"""Widgets, Qt models and dialogs (imports PySide6)."""

from softphone.ui.pyside_fix import guard_signal_emit

guard_signal_emit()
