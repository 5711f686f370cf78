"""The agent's call actions, carried out on the engine and the workflow.

Engine commands return at once (the work happens on the SIP thread), so these run on the UI
thread. Errors the user must see go to ``message`` (the status bar).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from softphone.sip.events import CallState
from softphone.ui.common import translate
from softphone.workflow import CallWorkflow
from softphone.workflow_updates import CallInfo

log = logging.getLogger("softphone.ui")


def invalid_target_text(target: str, reason: str) -> str:
    """Why ``target`` cannot be dialled, in the user's language (the engine's words are in
    English, for the log)."""
    if "without a server" in reason:
        return translate("Phone", "“%1” cannot be dialled from an account without a server: "
                         "type user@host or sip:user@host.").replace("%1", target)
    if "port out of range" in reason:
        return translate("Phone", "“%1”: the port must be between 1 and 65535.").replace(
            "%1", target)
    if "empty" in reason:
        return translate("Phone", "Type a number or an address to call.")
    return translate("Phone", "“%1” is not a phone number or a SIP address: type a number, "
                     "user@host or sip:user@host. Nothing was sent.").replace("%1", target)


class PhoneController(QObject):
    message = Signal(str)
    current_changed = Signal()

    def __init__(self, engine: Any, workflow: CallWorkflow,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.workflow = workflow
        self.current_call_id: int | None = None
        self.consults: dict[int, int] = {}  # consultation call -> call to transfer
        #: what each outgoing call dialled, as typed (a redial from another account needs the
        #: number, not the URI made for the first account): call id -> (target, contact id)
        self.dialled: dict[int, tuple[str, int | None]] = {}
        self.last_dialled: tuple[str, int | None, str | None] | None = None
        #: which account a call to a contact (or None) goes out from; None: the default
        self.choose_account: Callable[[int | None], str | None] = lambda _contact: None
        self.account_names: list[str] = []  # the enabled accounts (set with the chooser)

    # --- helpers ------------------------------------------------------------------------------
    def _run(self, what: str, fn: Any, *args: Any) -> Any:
        if self.engine is None:
            self.message.emit(translate("Phone", "The phone is not running."))
            return None
        try:
            return fn(*args)
        except ValueError as exc:  # InvalidTarget and bad input: the message says why
            self.message.emit(str(exc))
        except Exception as exc:
            log.warning("%s failed: %s", what, exc)
            self.message.emit(translate("Phone", "%1 failed: %2").replace("%1", what)
                              .replace("%2", str(exc)))
        return None

    def current(self) -> CallInfo | None:
        calls = self.workflow.calls()
        for c in calls:
            if c.call_id == self.current_call_id:
                return c
        talking = [c for c in calls if c.state != CallState.INCOMING and not c.ringing_in]
        return talking[-1] if talking else None

    def ringing(self) -> list[CallInfo]:
        return [c for c in self.workflow.calls() if c.ringing_in]

    def _set_current(self, call_id: int | None) -> None:
        self.current_call_id = call_id
        self.current_changed.emit()

    # --- actions ------------------------------------------------------------------------------
    def dial(self, target: str, contact_id: int | None = None,
             account: str | None = None) -> int | None:
        """Call ``target``; ``account`` None: the one chosen for the contact (or the default)."""
        target = target.strip()
        if not target:
            return None
        if self.engine is None:
            self.message.emit(translate("Phone", "The phone is not running."))
            return None
        if account is None:
            account = self.choose_account(contact_id)
        # the engine holds the other talking calls as this one goes out (sip/call_ops.py)
        try:
            call_id = self.workflow.dial(target, contact_id=contact_id, account=account)
        except ValueError as exc:
            log.info("not dialled %r: %s", target, exc)
            self.message.emit(invalid_target_text(target, str(exc)))
            return None
        except Exception as exc:
            self.message.emit(translate("Phone", "Cannot call: %1").replace("%1", str(exc)))
            return None
        self.dialled[call_id] = (target, contact_id)
        self.last_dialled = (target, contact_id, account)
        self._set_current(call_id)
        return call_id

    def redial(self, account: str | None = None) -> None:
        """Call the last number dialled again, from the same account unless ``account`` is
        given (after a restart: the call log's last call out)."""
        if self.last_dialled is not None:
            target, contact_id, used = self.last_dialled
            self.dial(target, contact_id, account or used)
            return

        agent = self.workflow.agent

        def job(store: Any) -> Any:
            # this desk's last call out (a shared CRM holds the other agents' calls too)
            rows = store.list_calls(direction="out", limit=50)
            mine = [r for r in rows if agent is None or r.agent in (None, agent)]
            return mine[0] if mine else None

        def done(row: Any) -> None:
            if row is None:
                self.message.emit(translate("Phone", "Nothing to redial yet."))
                return
            number = row.number if row.number and row.number.lstrip("+").isdigit() \
                else row.remote_uri
            self.dial(number, row.contact_id, account or self._known_account(row.account))

        self.workflow.db.submit(job, done, lambda exc: self.message.emit(str(exc)))

    @Slot(int)
    def answer(self, call_id: int) -> None:
        self._run(translate("Phone", "Answer"), self.workflow.answer, call_id)
        self._set_current(call_id)

    @Slot(int)
    def decline(self, call_id: int) -> None:
        self._run(translate("Phone", "Decline"), self.workflow.reject, call_id, 486)

    def decline_ringing(self) -> None:
        ringing = self.ringing()
        if ringing:
            self.decline(ringing[0].call_id)

    def answer_ringing(self) -> bool:
        """Answer the first ringing call (``softphone answer``, a headset button); whether
        there was one."""
        ringing = self.ringing()
        if ringing:
            self.answer(ringing[0].call_id)
        return bool(ringing)

    def end_call(self) -> bool:
        """Hang up the current call, else decline the ringing one (``softphone hangup``, the
        hang-up key); whether there was a call to end."""
        current = self.current()
        if current is not None:
            self.hangup(current.call_id)
            return True
        ringing = self.ringing()
        if ringing:
            self.decline(ringing[0].call_id)
        return bool(ringing)

    @Slot(int)
    def hangup(self, call_id: int) -> None:
        self._run(translate("Phone", "Hang up"), self.workflow.hangup, call_id)

    def hangup_current(self) -> None:
        c = self.current()
        if c is not None:
            self.hangup(c.call_id)

    @Slot(int, bool)
    def hold(self, call_id: int, on: bool) -> None:
        command = self.engine.hold if on else self.engine.resume
        self._run(translate("Phone", "Hold"), command, call_id)

    @Slot(bool)
    def mute(self, on: bool) -> None:
        self._run(translate("Phone", "Mute"), self.engine.set_mute, on)

    @Slot(int, str)
    def dtmf(self, call_id: int, digits: str) -> None:
        self._run(translate("Phone", "Keypad"), self.engine.send_dtmf, call_id, digits)

    @Slot(int, str)
    def transfer(self, call_id: int, target: str) -> None:
        if self._run(translate("Phone", "Transfer"), self.engine.transfer, call_id, target) is None:
            self.message.emit(translate("Phone", "Transferring to %1…").replace("%1", target))

    @Slot(int, str, int)
    def consult(self, call_id: int, target: str, contact_id: int) -> None:
        new = self.dial(target, contact_id if contact_id >= 0 else None)
        if new is not None:
            self.consults[new] = call_id

    @Slot(int, int)
    def complete_transfer(self, call_id: int, consult_id: int) -> None:
        self._run(translate("Phone", "Transfer"), self.engine.attended_transfer, call_id,
                  consult_id)
        self.consults.pop(consult_id, None)

    @Slot(list)
    def conference(self, call_ids: list[int]) -> None:
        if len(call_ids) > 1:
            self._run(translate("Phone", "Conference"), self.engine.conference, call_ids)

    @Slot(int, bool)
    def record(self, call_id: int, on: bool) -> None:
        if on:
            self._run(translate("Phone", "Recording"), self.engine.start_recording, call_id)
        else:
            self._run(translate("Phone", "Recording"), self.engine.stop_recording, call_id)

    @Slot(int)
    def switch_to(self, call_id: int) -> None:
        """Take ``call_id`` (resume it or answer it); the engine holds the current call."""
        target = self.workflow.call(call_id)
        if target is None:
            return
        if target.ringing_in:
            self._run(translate("Phone", "Answer"), self.workflow.answer, call_id)
        elif target.held:
            self._run(translate("Phone", "Resume"), self.engine.resume, call_id)
        self._set_current(call_id)

    def hangup_and_answer(self, call_id: int) -> None:
        """Call waiting: end the current call and take the waiting one."""
        for c in self.workflow.calls():
            if c.call_id != call_id and c.answered_at is not None:
                self.hangup(c.call_id)
        self._run(translate("Phone", "Answer"), self.workflow.answer, call_id)
        self._set_current(call_id)

    def set_output_device(self, name: str, settings_audio: Any) -> None:
        if self.engine is None:
            return
        audio = self.engine.audio
        self._run(translate("Phone", "Sound device"), self.engine.run_on_sip_thread,
                  lambda: audio.set_devices(settings_audio.input, name or None,
                                            settings_audio.ringer))

    def _known_account(self, name: str | None) -> str | None:
        return name if name in self.account_names else None  # still configured?

    def ended(self, call_id: int) -> None:
        self.consults.pop(call_id, None)
        if len(self.dialled) > 50:  # the bar's redial needs the last ones only
            for old in list(self.dialled)[:-20]:
                del self.dialled[old]
        if self.current_call_id == call_id:
            rest = self.workflow.calls()
            self._set_current(rest[-1].call_id if rest else None)
