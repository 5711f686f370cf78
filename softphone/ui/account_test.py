"""The settings dialog's account "Test" button: the engine registers a temporary copy of the
account as typed and the answer is shown next to the button.

The engine's future completes on the SIP thread; its result comes back to the main thread as
a queued signal, so the dialog never waits. A watchdog covers an engine that stops before it
answers (its future would never complete).
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from softphone.settings import AccountSettings

log = logging.getLogger("softphone.ui")

PROBE_TIMEOUT = 12.0  # seconds the engine waits for the registrar


class AccountTester(QObject):
    """Runs one account test at a time; ``finished(text, ok)`` carries the sentence to show
    (``ok``: True registered / fine, False failed)."""

    finished = Signal(str, bool)
    _result = Signal(int, object)  # generation, ProbeResult or Exception (from the SIP thread)

    def __init__(self, engine: Any, parent: QObject | None = None,
                 timeout: float = PROBE_TIMEOUT) -> None:
        super().__init__(parent)
        self.engine = engine
        self.timeout = timeout
        self.busy = False
        self._generation = 0
        self._result.connect(self._on_result, Qt.ConnectionType.QueuedConnection)
        self._watchdog = QTimer(self, singleShot=True)
        self._watchdog.setInterval(int(timeout * 1000) + 8000)
        self._watchdog.timeout.connect(self._on_watchdog)

    @Slot(object)
    def test(self, account: AccountSettings) -> None:
        self._generation += 1
        generation = self._generation
        engine = self.engine
        if engine is None or not getattr(engine, "running", False):
            self.finished.emit(self.tr("The phone is not running: the account cannot be "
                                       "tested now."), False)
            return
        try:
            future = engine.test_account(account, timeout=self.timeout)
        except Exception as exc:
            self.finished.emit(self.tr("The test could not start: %1").replace("%1", str(exc)),
                               False)
            return
        self.busy = True
        self._watchdog.start()

        def done(fut: concurrent.futures.Future[Any]) -> None:
            # SIP thread (or here, if it already finished): only hand the result over.
            exc = fut.exception()
            self._result.emit(generation, exc if exc is not None else fut.result())

        future.add_done_callback(done)

    @Slot(int, object)
    def _on_result(self, generation: int, result: Any) -> None:
        if generation != self._generation:
            return  # an older test the user started again meanwhile
        self._watchdog.stop()
        self.busy = False
        if isinstance(result, BaseException):
            self.finished.emit(self.tr("The test could not run: %1").replace("%1", str(result)),
                               False)
            return
        text = self.result_text(result)
        nat = self.nat_text(getattr(result, "nat", None))
        if nat:
            text = f"{text}\n{nat}"
        self.finished.emit(text, result.outcome in ("registered", "lan"))

    @Slot()
    def _on_watchdog(self) -> None:
        self._generation += 1
        self.busy = False
        self.finished.emit(self.tr("No answer from the phone engine: try again."), False)

    def nat_text(self, nat: Any) -> str:
        """The NAT type the account's STUN server saw (``stun_check.NatReport``); "" when
        the account has no STUN server. Only what was observed is said."""
        if nat is None:
            return ""
        kind, public = nat.kind, nat.public
        if kind == "open":
            return self.tr("NAT: none, this computer has a public address (%1)").replace(
                "%1", public)
        if kind == "cone":
            text = self.tr("NAT: cone NAT, a stable public address (%1): STUN is enough for "
                           "calls").replace("%1", public)
            filtering = {
                "endpoint-independent": self.tr("it lets in packets from anyone"),
                "address-dependent": self.tr("it lets in packets only from hosts we sent to"),
                "address-and-port-dependent": self.tr(
                    "it lets in packets only from the exact address and port we sent to"),
            }.get(nat.filtering, "")
            return f"{text}; {filtering}" if filtering else text
        if kind == "symmetric":
            return self.tr("NAT: symmetric NAT (public address %1, a new port for every "
                           "destination): calls need a TURN relay").replace("%1", public)
        if kind == "nat":
            return self.tr("NAT: behind a NAT (public address %1); the STUN server cannot "
                           "tell which kind").replace("%1", public)
        if kind == "blocked":
            return self.tr("NAT: no answer from the STUN server %1 (UDP blocked, or a wrong "
                           "address)").replace("%1", nat.server)
        return self.tr("NAT: the check failed: %1").replace("%1", nat.detail)

    def result_text(self, r: Any) -> str:
        """The sentence for a ``ProbeResult``: what happened and what to check."""
        status = f"{r.code} {r.reason}".strip() if r.code else r.reason
        if r.outcome == "registered":
            return self.tr("Registered (%1)").replace("%1", status)
        if r.outcome == "lan":
            return self.tr("A LAN account needs no registration: the phone listens on %1"
                           ).replace("%1", r.listen)
        if r.outcome == "unresolved":
            return self.tr("The server name does not resolve: %1").replace("%1", r.host)
        if r.outcome == "timeout":
            return self.tr("No answer from the server (408)")
        if r.outcome == "invalid":
            return self.tr("The account settings are not usable: %1").replace("%1", r.reason)
        if r.code in (401, 403, 407):
            return self.tr("Failed: %1 — check the user name and password").replace(
                "%1", status)
        if r.code == 404:
            return self.tr("Failed: %1 — the server does not know this address").replace(
                "%1", status)
        if r.code == 0:
            return self.tr("Failed: %1 — the server cannot be reached").replace(
                "%1", r.reason or self.tr("no connection"))
        return self.tr("Failed: %1").replace("%1", status)


def attach_account_tester(dialog: Any, engine: Any) -> AccountTester:
    """Wire a settings dialog's Test button to the engine (the tester lives with the dialog)."""
    tester = AccountTester(engine, dialog)
    dialog.test_account_requested.connect(tester.test)
    tester.finished.connect(dialog.show_account_test)
    dialog.account_tester = tester
    return tester
