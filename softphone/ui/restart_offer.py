"""The offer to restart now when saved settings apply only at the next start."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from softphone.ui.common import translate


def restart_offer(parent: QWidget, reasons: list[str], *, in_call: bool,
                  restart: Callable[[], None]) -> QMessageBox:
    """Shown at once, not modal: the agent may go on working and restart later."""
    text = translate("MainWindow",
                     "The new settings for %1 apply when Softphone starts again.").replace(
        "%1", ", ".join(reasons))
    if in_call:
        text += " " + translate("MainWindow", "Restarting now ends the calls in progress.")
    box = QMessageBox(QMessageBox.Icon.Information,
                      translate("MainWindow", "Restart Softphone?"), text,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("restartOffer")
    button = box.addButton(translate("MainWindow", "Restart now"),
                           QMessageBox.ButtonRole.AcceptRole)
    box.addButton(translate("MainWindow", "Later"), QMessageBox.ButtonRole.RejectRole)
    button.clicked.connect(restart)
    box.setModal(False)
    box.show()
    return box
