"""The accounts' registration states as the status bar shows them ("Office: registered; Home:
failed (403 Forbidden)"), and the worst of them for the tray."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from softphone.sip import events as ev
from softphone.ui.common import translate


class AccountStatus:
    def __init__(self, label: QLabel) -> None:
        self.label = label
        self.state = "ok"  # the tray's status: "ok" or "failed" (an account failed)
        self._registration: dict[str, ev.RegistrationChanged] = {}

    def registration_changed(self, event: ev.RegistrationChanged) -> None:
        if event.state == ev.RegistrationState.UNREGISTERED and event.reason == "removed":
            self._registration.pop(event.account, None)  # no longer configured
        else:
            self._registration[event.account] = event
        self._show()

    def accounts_changed(self, names: set[str]) -> None:
        """The settings now configure the accounts ``names``: the others leave at once (the
        engine's "removed" event follows)."""
        for gone in [n for n in self._registration if n not in names]:
            del self._registration[gone]
        self._show()

    def _show(self) -> None:
        parts = []
        worst = "ok"
        for name, r in self._registration.items():
            if r.state == ev.RegistrationState.REGISTERED:
                parts.append(translate("MainWindow", "%1: registered").replace("%1", name))
            elif r.state == ev.RegistrationState.LAN:
                parts.append(translate("MainWindow", "%1: ready (LAN)").replace("%1", name))
            elif r.state == ev.RegistrationState.FAILED:
                worst = "failed"
                why = f"{r.code} {r.reason}".strip()
                parts.append(translate("MainWindow", "%1: failed (%2)").replace(
                    "%1", name).replace("%2", why))
            elif r.state == ev.RegistrationState.REGISTERING:
                parts.append(translate("MainWindow", "%1: registering…").replace("%1", name))
            else:
                parts.append(translate("MainWindow", "%1: offline").replace("%1", name))
        self.label.setText("; ".join(parts))
        self.state = worst
