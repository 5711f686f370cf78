"""An outgoing call's progress in words, and why it failed: "Busy (486)", "Number not found
(404)", "No answer", "Server unavailable (503)", "Not allowed (403)".

:class:`CallProgressBar` sits under the dial field: it follows the call being dialled
(calling, ringing, the far end's audio before the answer) and, when the call fails, keeps the
reason on screen with Redial and "Call from another account" until dismissed or the next call.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMenu, QPushButton, QToolButton, QWidget

from softphone.sip.events import CallState, Direction
from softphone.ui.common import button, plain_label, translate
from softphone.ui.look import state_colour
from softphone.workflow import BUSY, NO_ANSWER
from softphone.workflow_updates import CallInfo

#: SIP final answers and what they mean for the agent ("%1": the code)
_FAILURES: dict[int, str] = {
    486: QT_TRANSLATE_NOOP("CallProgress", "Busy (%1)"),
    600: QT_TRANSLATE_NOOP("CallProgress", "Busy (%1)"),
    404: QT_TRANSLATE_NOOP("CallProgress", "Number not found (%1)"),
    604: QT_TRANSLATE_NOOP("CallProgress", "Number not found (%1)"),
    410: QT_TRANSLATE_NOOP("CallProgress", "Number no longer in use (%1)"),
    484: QT_TRANSLATE_NOOP("CallProgress", "Incomplete number (%1)"),
    485: QT_TRANSLATE_NOOP("CallProgress", "Ambiguous number (%1)"),
    403: QT_TRANSLATE_NOOP("CallProgress", "Not allowed (%1)"),
    401: QT_TRANSLATE_NOOP("CallProgress", "Not authorised: check the account's password (%1)"),
    407: QT_TRANSLATE_NOOP("CallProgress", "Not authorised: check the account's password (%1)"),
    488: QT_TRANSLATE_NOOP("CallProgress", "No common codec with the other side (%1)"),
    606: QT_TRANSLATE_NOOP("CallProgress", "No common codec with the other side (%1)"),
    503: QT_TRANSLATE_NOOP("CallProgress", "Server unavailable (%1)"),
    500: QT_TRANSLATE_NOOP("CallProgress", "Server error (%1)"),
    502: QT_TRANSLATE_NOOP("CallProgress", "Bad gateway (%1)"),
    504: QT_TRANSLATE_NOOP("CallProgress", "Server timed out (%1)"),
    603: QT_TRANSLATE_NOOP("CallProgress", "Declined (%1)"),
    415: QT_TRANSLATE_NOOP("CallProgress", "Not supported by the other side (%1)"),
    420: QT_TRANSLATE_NOOP("CallProgress", "Not supported by the other side (%1)"),
    481: QT_TRANSLATE_NOOP("CallProgress", "The call no longer exists (%1)"),
}


def failure_text(code: int, outcome: str | None, rang: bool = True) -> str:
    """Why an outgoing call did not connect, in words with the SIP code.

    ``rang``: the far end rang (a provisional answer came); a timeout before that means the
    server never answered, after it that nobody picked up.
    """
    if code in (408, 0) and not rang:
        text = translate("CallProgress", "No answer from the server (%1)")
        return text.replace("%1", str(code or 408))
    if code in (408, 480) or (outcome == NO_ANSWER and code in (0, 200)):
        return translate("CallProgress", "No answer")
    if code == 487:
        return translate("CallProgress", "Cancelled")
    known = _FAILURES.get(code)
    if known is not None:
        return translate("CallProgress", known).replace("%1", str(code))
    if outcome == BUSY:
        return translate("CallProgress", "Busy (%1)").replace("%1", str(code))
    if 400 <= code < 700:
        return translate("CallProgress", "Call failed (%1)").replace("%1", str(code))
    return translate("CallProgress", "Call failed")


def progress_text(call: CallInfo) -> str:
    """Where an outgoing call stands, for the bar and the call panel."""
    if call.state == CallState.CALLING:
        return translate("CallProgress", "Calling…")
    if call.state == CallState.EARLY:
        if call.early_media:
            return translate("CallProgress", "Ringing: the other side plays audio (early media)")
        return translate("CallProgress", "Ringing…")
    if call.state == CallState.CONNECTING:
        return translate("CallProgress", "Answered, connecting…")
    if call.state == CallState.CONFIRMED:
        return translate("CallProgress", "Answered")
    return ""


class CallProgressBar(QFrame):
    """The call being dialled, then (if it failed) why, with Redial and another account."""

    redial_requested = Signal(str, int, str)  # target, contact id (-1), account ("": same)
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callProgress")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        self.text_label = plain_label("", self, bold=True, name="callProgressText")
        self.who_label = plain_label("", self, name="callProgressWho")
        self.redial_button = button(self.tr("Redial"), self, name="redialButton",
                                    tooltip=self.tr("Call the same number again"))
        self.other_account_button = QPushButton(self.tr("Call from another account"), self)
        self.other_account_button.setObjectName("otherAccountButton")
        self.other_account_menu = QMenu(self.other_account_button)
        self.other_account_button.setMenu(self.other_account_menu)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("callProgressClose")
        self.close_button.setText("✕")
        self.close_button.setToolTip(self.tr("Dismiss (Esc)"))
        self.close_button.setShortcut(QKeySequence("Esc"))
        self.close_button.setAutoRaise(True)
        lay.addWidget(self.text_label)
        lay.addWidget(self.who_label, 1)
        lay.addWidget(self.redial_button)
        lay.addWidget(self.other_account_button)
        lay.addWidget(self.close_button)
        self.redial_button.clicked.connect(self._on_redial_clicked)
        self.close_button.clicked.connect(self.dismiss)
        self.call_id: int | None = None
        self.failed = False
        self._rang: set[int] = set()
        self._target = ""
        self._contact_id = -1
        self._accounts: list[str] = []
        self._account = ""
        self.hide()

    # --- what the bar shows -----------------------------------------------------------------
    def set_accounts(self, names: list[str]) -> None:
        """The accounts a call can go out from (the menu of "Call from another account")."""
        self._accounts = list(names)
        if self.failed:
            self._fill_other_accounts()

    def show_progress(self, call: CallInfo, target: str, contact_id: int | None) -> None:
        """An outgoing call moved on (its target and contact as dialled, for a redial)."""
        if call.direction != Direction.OUTGOING:
            return
        if call.state == CallState.EARLY:
            self._rang.add(call.call_id)
        if call.state in (CallState.CONFIRMED, CallState.DISCONNECTED):
            if call.call_id == self.call_id and not self.failed:
                self.dismiss()  # answered: the call panel takes over
            return
        self.call_id = call.call_id
        self.failed = False
        self._remember(call, target, contact_id)
        self._show(progress_text(call), call, self._progress_state(call))
        self.redial_button.hide()
        self.other_account_button.hide()

    def show_failure(self, call: CallInfo, target: str, contact_id: int | None) -> None:
        """An outgoing call ended unanswered: why, and what to do next."""
        if call.direction != Direction.OUTGOING or call.answered_at is not None:
            return
        rang = call.call_id in self._rang
        self._rang.discard(call.call_id)
        self.call_id = call.call_id
        self.failed = True
        self._remember(call, target, contact_id)
        text = failure_text(call.code, call.outcome, rang)
        self._show(text, call, "failed")
        # the code for support; the far end's own reason phrase is in the log and the history
        self.text_label.setToolTip(self.tr("SIP status %1").replace("%1", str(call.code))
                                   if call.code else "")
        self.redial_button.setVisible(bool(self._target))
        self._fill_other_accounts()

    def _remember(self, call: CallInfo, target: str, contact_id: int | None) -> None:
        self._target = target or call.number or call.remote_uri
        self._contact_id = contact_id if contact_id is not None else -1
        self._account = call.account

    def _show(self, text: str, call: CallInfo, state: str) -> None:
        self.text_label.setText(text)
        self.text_label.setStyleSheet(f"color:{state_colour(state, self.palette())}")
        who = call.title
        if call.account and len(self._accounts) > 1:
            who = self.tr("%1 · from %2").replace("%1", who).replace("%2", call.account)
        self.who_label.setText(who)
        self.show()

    @staticmethod
    def _progress_state(call: CallInfo) -> str:
        return "calling" if call.state == CallState.CALLING else "ringing"

    def _fill_other_accounts(self) -> None:
        menu = self.other_account_menu
        menu.clear()
        others = [a for a in self._accounts if a != self._account]
        for name in others:
            action = menu.addAction(name)
            action.triggered.connect(lambda _=False, n=name: self._call_from(n))
        self.other_account_button.setVisible(self.failed and bool(others) and bool(self._target))

    # --- actions ------------------------------------------------------------------------------
    @Slot()
    def _on_redial_clicked(self) -> None:
        if self._target:
            self.redial_requested.emit(self._target, self._contact_id, self._account)

    def _call_from(self, account: str) -> None:
        self.redial_requested.emit(self._target, self._contact_id, account)

    @Slot()
    def dismiss(self) -> None:
        self.failed = False
        self.call_id = None
        self.hide()
        self.dismissed.emit()

    @property
    def target(self) -> str:
        return self._target
