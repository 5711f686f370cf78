"""A call's life: SIP events -> CRM rows -> what the UI must show.

Plain Python without Qt, so it can be tested without a window. The composition root feeds it
SIP events on the UI thread (already queued there by the engine bridge) and gives it two things:

* a :class:`DbRunner`: ``submit(job, on_done, on_error)`` runs ``job(store)`` on the one DB
  worker thread, in submission order, and calls ``on_done(result)`` back on the caller's thread;
* a listener that receives the update events (what to show).

Jobs run in order on a single worker, so a job may use the CRM row id that an earlier job of
the same call stored in its :class:`~softphone.workflow_updates.CallRow` (written and read on
the worker only). What it needs of the store, the engine and the directory is typed in
:mod:`softphone.workflow_ports`; what it tells the UI, in :mod:`softphone.workflow_updates`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from softphone.crm.views import CallView, ContactView, DealView, Match, TaskView, WrapupView
from softphone.sip.events import (
    CallForwarded,
    CallMediaChanged,
    CallQuality,
    CallRejectedByRule,
    CallState,
    CallStateChanged,
    Direction,
    IncomingCall,
    IncomingCallRefused,
    SipEvent,
)
from softphone.workflow_ports import (
    CallEngine,
    CallEventHook,
    CallStore,
    DbRunner,
    DirectoryPerson,
    DirectoryRunner,
)
from softphone.workflow_updates import (
    CallChanged,
    CallEnded,
    CallerFound,
    CallerInfo,
    CallInfo,
    CallRefused,
    CallRow,
    DataChanged,
    QualityFigures,
    WorkflowError,
    WorkflowUpdate,
)

log = logging.getLogger("softphone.workflow")

T = TypeVar("T")

#: the tables a call's row changes touch (the missed-call inbox follows the calls)
CALL_TABLES = frozenset({"calls", "missed_inbox"})


# ---------------------------------------------------------------------------------------------
# Outcomes

ANSWERED = "answered"
MISSED = "missed"
REJECTED = "rejected"
BUSY = "busy"
NO_ANSWER = "no_answer"
FAILED = "failed"
FORWARDED = "rejected"  # the store has no "forwarded": it never rang here; status 302 tells


def call_outcome(direction: Direction | str, answered: bool, code: int, local_hangup: bool,
                 rejected_by_us: bool = False) -> str:
    """The outcome of a finished call, from how it ended.

    Incoming: answered -> answered; we declined -> rejected; otherwise (the caller gave up,
    the ring timed out, another device took it) -> missed. Outgoing: answered -> answered;
    486/600 -> busy; 408/480/487 or we cancelled -> no_answer; any other 4xx/5xx/6xx -> failed.
    """
    if answered:
        return ANSWERED
    if str(direction) == Direction.INCOMING.value:
        return REJECTED if rejected_by_us or local_hangup else MISSED
    if code in (486, 600):
        return BUSY
    if code in (408, 480, 487) or local_hangup:
        return NO_ANSWER
    if 400 <= code < 700:
        return FAILED
    return NO_ANSWER if code == 0 else FAILED


UpdateListener = Callable[[WorkflowUpdate], None]


class _CallRecord:
    """Mutable state of one call (UI thread); its row's id is written on the DB worker."""

    def __init__(self, info: CallInfo, contact_id: int | None) -> None:
        self.info = info
        self.contact_id = contact_id
        self.rejected_by_us = False

    @property
    def row(self) -> CallRow:
        return self.info.row


def _utc(at: float | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(at, UTC)


def _quality_dict(ev: CallQuality) -> QualityFigures:
    figures: QualityFigures = {
        "codec": ev.codec, "rx_loss_percent": ev.rx_loss_percent,
        "tx_loss_percent": ev.tx_loss_percent, "rtt_ms": ev.rtt_ms,
        "encryption": ev.encryption or "none"}
    if ev.jitter_ms is not None:  # None: not measured right (sip/rtcp_clock.py)
        figures["jitter_ms"] = ev.jitter_ms
    if ev.ice:
        figures["ice"] = ev.ice  # how ICE connected: host, srflx/prflx (through the NATs), relay
    return figures


# ---------------------------------------------------------------------------------------------


class CallWorkflow:
    """Turns SIP events into CRM rows and UI updates; carries out the agent's call actions."""

    def __init__(self, db: DbRunner, listener: UpdateListener, *,
                 engine: CallEngine | None = None, agent: str | None = None,
                 clock: Callable[[], datetime] | None = None,
                 call_events: CallEventHook | None = None,
                 directory: DirectoryRunner | None = None) -> None:
        self.db = db
        self.call_events = call_events
        self.directory = directory
        self.listener = listener
        self.engine = engine
        self.agent = agent
        self.clock = clock or (lambda: datetime.now(UTC))
        self._calls: dict[int, _CallRecord] = {}
        self._pending_contact: dict[int, int] = {}

    # --- queries ------------------------------------------------------------------------------
    def calls(self) -> list[CallInfo]:
        """Calls not yet disconnected, oldest first."""
        return [r.info for r in self._calls.values() if r.info.active]

    def call(self, call_id: int) -> CallInfo | None:
        rec = self._calls.get(call_id)
        return rec.info if rec else None

    # --- agent actions ------------------------------------------------------------------------
    def dial(self, target: str, contact_id: int | None = None, account: str | None = None) -> int:
        """Dial ``target`` (number or SIP URI); raises the engine's InvalidTarget (ValueError)."""
        if self.engine is None:
            raise RuntimeError("no SIP engine")
        call_id = int(self.engine.dial(target, account=account))
        if contact_id is not None:
            self._pending_contact[call_id] = contact_id
            rec = self._calls.get(call_id)
            if rec is not None and rec.contact_id is None:
                rec.contact_id = contact_id
        return call_id

    def answer(self, call_id: int) -> None:
        if self.engine is not None:
            self.engine.answer(call_id)

    def reject(self, call_id: int, code: int = 486) -> None:
        rec = self._calls.get(call_id)
        if rec is not None:
            rec.rejected_by_us = True
        if self.engine is not None:
            self.engine.reject(call_id, code)

    def hangup(self, call_id: int) -> None:
        rec = self._calls.get(call_id)
        if rec is not None and rec.info.ringing_in:
            rec.rejected_by_us = True
        if self.engine is not None:
            self.engine.hangup(call_id)

    def _row_of(self, call_id: int | None, row: CallRow | None) -> CallRow | None:
        """The row a wrap-up action is for: the one given (the wrap-up's, a history row's),
        else that of the call ``call_id``."""
        if row is not None:
            return row
        rec = self._calls.get(call_id) if call_id is not None else None
        return rec.row if rec is not None else None

    def save_wrapup(self, *, outcome: str | None, reason: str = "", note: str = "",
                    call_id: int | None = None, row: CallRow | None = None,
                    on_done: Callable[[WrapupView], None] | None = None) -> None:
        """Upsert the wrap-up of a just-finished call (``call_id``) or of a call ``row``."""
        target = self._row_of(call_id, row)
        agent = self.agent

        def job(store: CallStore) -> WrapupView:
            if target is None or target.id is None:
                raise LookupError("the call was not logged")
            saved = store.save_wrapup(target.id, outcome=outcome, reason=reason, note=note,
                                      author=agent)
            self._publish(store, "wrapup", target.id)
            return saved

        self.db.submit(job, on_done, self._on_db_error)

    def add_next_action(self, kind: str, title: str, due_at: datetime, *,
                        call_id: int | None = None, row: CallRow | None = None,
                        contact_id: int | None = None, number: str | None = None,
                        on_done: Callable[[TaskView], None] | None = None) -> None:
        """A follow-up task (call_back | meeting | todo) tied to a call and its contact."""
        rec = self._calls.get(call_id) if call_id is not None else None
        target = self._row_of(call_id, row)
        if rec is not None:
            contact_id = contact_id if contact_id is not None else rec.contact_id
            number = number or rec.info.number

        def job(store: CallStore) -> TaskView:
            cid = contact_id
            if cid is None and rec is not None:
                cid = rec.contact_id
            return store.add_task(kind=kind, title=title, due_at=due_at, contact_id=cid,
                                  call_id=target.id if target is not None else None,
                                  number=number)

        self.db.submit(job, self._done_then_data(on_done, {"tasks"}), self._on_db_error)

    def create_contact_for_call(self, call_id: int | None, name: str, *,
                                company: str | None = None, number: str | None = None,
                                label: str = "work", deal_title: str | None = None,
                                row: CallRow | None = None,
                                on_done: Callable[[ContactView], None] | None = None) -> None:
        """Create a contact from an unknown caller (number prefilled) and link the call."""
        rec = self._calls.get(call_id) if call_id is not None else None
        target = self._row_of(call_id, row)
        number = number or (rec.info.number if rec else None)

        def job(store: CallStore) -> ContactView:
            phones = [(number, label)] if number else []
            contact = store.create_contact(name, company=company, phones=phones)
            if target is not None and target.id is not None:
                store.link_call(target.id, contact.id)
            if deal_title:
                store.add_deal(title=deal_title, stage="new", amount=None,
                               contact_id=contact.id, company_id=contact.company_id)
            return contact

        def done(contact: ContactView) -> None:
            if rec is not None:
                rec.contact_id = contact.id
                self._refresh_caller(rec)
            if on_done is not None:
                on_done(contact)
            self._emit(DataChanged(CALL_TABLES | {"contacts", "companies", "phones", "deals"}))

        self.db.submit(job, done, self._on_db_error)

    def add_number_to_contact(self, call_id: int | None, contact_id: int, *,
                              number: str | None = None, label: str = "work",
                              row: CallRow | None = None,
                              on_done: Callable[[ContactView | None], None] | None = None
                              ) -> None:
        rec = self._calls.get(call_id) if call_id is not None else None
        target = self._row_of(call_id, row)
        number = number or (rec.info.number if rec else None)

        def job(store: CallStore) -> ContactView | None:
            if number:
                store.add_phone(contact_id, number, label, False)
            if target is not None and target.id is not None:
                store.link_call(target.id, contact_id)
            return store.get_contact(contact_id)

        def done(contact: ContactView | None) -> None:
            if rec is not None:
                rec.contact_id = contact_id
                self._refresh_caller(rec)
            if on_done is not None:
                on_done(contact)
            self._emit(DataChanged(CALL_TABLES | {"contacts", "phones"}))

        self.db.submit(job, done, self._on_db_error)

    def ignore_number(self, number: str, kind: str) -> None:
        self.db.submit(lambda store: store.ignore_number(number, kind),
                       self._done_then_data(None, {"ignored_numbers", "missed_inbox"}),
                       self._on_db_error)

    # --- SIP events ---------------------------------------------------------------------------
    def on_sip_event(self, event: SipEvent) -> None:
        """Handle one engine event (on the thread that owns this workflow)."""
        if isinstance(event, IncomingCall):
            self._on_incoming_call(event)
        elif isinstance(event, CallStateChanged):
            self._on_call_state_changed(event)
        elif isinstance(event, CallQuality):
            self._on_call_quality(event)
        elif isinstance(event, CallMediaChanged):
            self._on_call_media_changed(event)
        elif isinstance(event, CallRejectedByRule):
            self._log_unrung(event.account, event.remote_uri, event.display_name, event.number,
                             event.at, MISSED, event.code)
        elif isinstance(event, CallForwarded):
            self._log_unrung(event.account, event.remote_uri, event.display_name, event.number,
                             event.at, FORWARDED, 302)
        elif isinstance(event, IncomingCallRefused):
            # a customer called and never rang here (no common codec): failed, with why
            self._log_unrung(event.account, event.remote_uri, event.display_name, event.number,
                             event.at, FAILED, event.code, reason=refusal_reason(event))
            self._emit(CallRefused(event))

    def _on_incoming_call(self, ev: IncomingCall) -> None:
        if ev.call_id in self._calls:
            rec = self._calls[ev.call_id]
            rec.info = replace(rec.info, waiting=ev.waiting)
            return
        info = CallInfo(call_id=ev.call_id, account=ev.account, direction=Direction.INCOMING,
                        state=CallState.INCOMING, number=ev.number, remote_uri=ev.remote_uri,
                        display_name=ev.display_name, started_at=_utc(ev.at),
                        waiting=ev.waiting)
        self._begin(info, ev.sip_call_id)

    def _on_call_state_changed(self, ev: CallStateChanged) -> None:
        rec = self._calls.get(ev.call_id)
        if rec is None:
            info = CallInfo(call_id=ev.call_id, account=ev.account, direction=ev.direction,
                            state=ev.state, number=ev.number, remote_uri=ev.remote_uri,
                            display_name=ev.display_name, started_at=_utc(ev.at))
            rec = self._begin(info, "")
        info = rec.info
        was_answered = info.answered_at is not None
        info = replace(info, state=ev.state, held=ev.held, remote_held=ev.remote_held,
                       muted=ev.muted, code=ev.code, reason=ev.reason,
                       recording_path=ev.recording_path or info.recording_path,
                       display_name=info.display_name or ev.display_name,
                       number=info.number or ev.number)
        if ev.state == CallState.CONFIRMED and not was_answered:
            info = replace(info, answered_at=_utc(ev.at))
            rec.info = info
            answered_at = info.answered_at
            row = rec.row

            def answered_job(store: CallStore) -> None:
                if row.id is not None and answered_at is not None:
                    store.call_answered(row.id, answered_at)
                    self._publish(store, "answered", row.id)

            # answering clears the number's missed-call inbox entry: views refresh
            self.db.submit(answered_job, self._done_then_data(None, CALL_TABLES),
                           self._on_db_error)
        if ev.state == CallState.DISCONNECTED:
            self._end(rec, info, ev)
            return
        rec.info = info
        self._emit(CallChanged(info))

    def _on_call_quality(self, ev: CallQuality) -> None:
        rec = self._calls.get(ev.call_id)
        if rec is None or not rec.info.active:
            return
        rec.info = replace(rec.info, quality=_quality_dict(ev))
        self._emit(CallChanged(rec.info))

    def _on_call_media_changed(self, ev: CallMediaChanged) -> None:
        rec = self._calls.get(ev.call_id)
        if rec is None or not ev.active or not rec.info.active:
            return
        info = rec.info
        # the call panel's padlock (or "not encrypted"); the call log keeps it with the figures
        encryption = ev.encryption or "none"
        if info.quality.get("encryption") != encryption:
            info = replace(info, quality={**info.quality, "encryption": encryption})
        # EARLY only: the answer's own media update comes after CONNECTING (the engine's order)
        if info.state == CallState.EARLY and not info.early_media:
            # audio before the answer: a ringback, an announcement ("the number is not ...")
            info = replace(info, early_media=True)
        if info != rec.info:
            rec.info = info
            self._emit(CallChanged(info))

    # --- the steps ----------------------------------------------------------------------------
    def _begin(self, info: CallInfo, sip_call_id: str) -> _CallRecord:
        contact_id = self._pending_contact.pop(info.call_id, None)
        rec = _CallRecord(info, contact_id)
        self._calls[info.call_id] = rec
        self._forget_old_calls()
        direction = info.direction.value
        row = info.row

        def job(store: CallStore) -> CallerInfo:
            caller = _look_up_caller(store, rec.contact_id, info.number or info.remote_uri)
            contact = caller.contact
            row.id = store.call_started(
                direction=direction, account=info.account, number=info.number,
                remote_uri=info.remote_uri, display_name=info.display_name,
                started_at=info.started_at, sip_call_id=sip_call_id,
                contact_id=rec.contact_id if rec.contact_id is not None else
                (contact.id if contact is not None else None))
            return replace(caller, last_call=_previous_call(store, caller, info.number, row.id))

        self.db.submit(job, lambda caller: self._on_caller_found(rec, caller),
                       self._on_db_error)
        if self.call_events is not None:  # after the lookup and the row, not before them
            self.db.submit(lambda store: self._publish(store, "ringing", row.id))
        # answering, ending and the wrap-up need the full store: load it now, after the
        # card's lookup (queued behind it), not when the agent clicks
        self.db.submit(_load_full_store, None, self._on_db_error)
        # Then the card: the row is being written on the DB worker while the window builds
        # it (a crash meanwhile loses no call), and the card never waits for the database.
        # rec.info: a synchronous runner (tests, tools) has found the caller already.
        self._emit(CallChanged(rec.info))
        return rec

    def _on_caller_found(self, rec: _CallRecord, caller: CallerInfo) -> None:
        contact = caller.contact
        if rec.contact_id is None and contact is not None:
            rec.contact_id = contact.id
        old = rec.info.caller
        if not caller.known and old is not None and old.directory is not None:
            caller = replace(caller, directory=old.directory)
        rec.info = replace(rec.info, caller=caller)
        self._emit(CallerFound(rec.info))
        ignored = caller.match.ignored if caller.match is not None else None
        if not caller.known and caller.directory is None and self.directory is not None \
                and old is None and ignored is None:
            number = rec.info.number or rec.info.remote_uri
            if number:
                self.directory.find_caller(
                    number, lambda entry: self._on_directory_answer(rec, entry))

    def _on_directory_answer(self, rec: _CallRecord, entry: DirectoryPerson | None) -> None:
        caller = rec.info.caller
        if entry is None or caller is None or caller.known:
            return
        rec.info = replace(rec.info, caller=replace(caller, directory=entry))
        self._emit(CallerFound(rec.info))

    def _refresh_caller(self, rec: _CallRecord) -> None:
        contact_id = rec.contact_id
        number = rec.info.number or rec.info.remote_uri
        row = rec.row

        def job(store: CallStore) -> CallerInfo:
            caller = _look_up_caller(store, contact_id, number)
            return replace(caller, last_call=_previous_call(store, caller, number, row.id))

        self.db.submit(job, lambda caller: self._on_caller_found(rec, caller),
                       self._on_db_error)

    def _end(self, rec: _CallRecord, info: CallInfo, ev: CallStateChanged) -> None:
        answered = info.answered_at is not None
        outcome = call_outcome(info.direction, answered, ev.code, ev.local_hangup,
                               rec.rejected_by_us)
        ended_at = _utc(ev.at)
        info = replace(info, ended_at=ended_at, outcome=outcome)
        rec.info = info
        quality = dict(info.quality)
        recording = info.recording_path
        row = rec.row

        def job(store: CallStore) -> None:
            if row.id is not None:
                store.call_ended(row.id, ended_at=ended_at, outcome=outcome,
                                 sip_status=ev.code or None, recording_path=recording,
                                 quality=quality, reason=ev.end_reason or None)
                self._publish(store, "ended", row.id)

        self.db.submit(job, self._done_then_data(None, CALL_TABLES), self._on_db_error)
        # a wrap-up after a conversation, or after an unanswered call-out (call back later)
        wants_wrapup = answered or outcome in (BUSY, NO_ANSWER)
        self._emit(CallEnded(info, wrapup=wants_wrapup))

    def _log_unrung(self, account: str, remote_uri: str, display_name: str, number: str,
                    at: float, outcome: str, code: int, reason: str | None = None) -> None:
        when = _utc(at)

        def job(store: CallStore) -> None:
            caller = _look_up_caller(store, None, number or remote_uri)
            contact = caller.contact
            row = store.call_started(direction="in", account=account, number=number,
                                     remote_uri=remote_uri, display_name=display_name,
                                     started_at=when, sip_call_id="",
                                     contact_id=contact.id if contact is not None else None)
            self._publish(store, "ringing", row)
            store.call_ended(row, ended_at=when, outcome=outcome, sip_status=code,
                             recording_path=None, quality={}, reason=reason)
            self._publish(store, "ended", row)

        self.db.submit(job, self._done_then_data(None, CALL_TABLES), self._on_db_error)

    def _publish(self, store: CallStore, kind: str, row_id: int | None) -> None:
        """Hand the call's row to the integrations (webhooks, Bitrix24); on the DB worker."""
        if self.call_events is None or row_id is None:
            return
        try:
            view = store.get_call(row_id)
            if view is not None:
                self.call_events(kind, view)
        except Exception:
            log.exception("call event %s of call %s not queued", kind, row_id)

    def _forget_old_calls(self) -> None:
        """Keep finished calls a while (the wrap-up refers to them), not forever."""
        finished = [cid for cid, r in self._calls.items() if not r.info.active]
        for cid in finished[:-20]:
            del self._calls[cid]

    def _done_then_data(self, on_done: Callable[[T], None] | None, tables: set[str] |
                        frozenset[str]) -> Callable[[T], None]:
        def done(result: T) -> None:
            if on_done is not None:
                on_done(result)
            self._emit(DataChanged(frozenset(tables)))
        return done

    def _on_db_error(self, exc: Exception) -> None:
        log.error("CRM: %s", exc, exc_info=not _is_user_error(exc))
        self._emit(WorkflowError(str(exc)))

    def _emit(self, update: WorkflowUpdate) -> None:
        try:
            self.listener(update)
        except Exception:
            log.exception("workflow listener failed on %s", type(update).__name__)


def _is_user_error(exc: Exception) -> bool:
    try:
        from softphone.crm.errors import StoreError
    except ImportError:
        return False
    return isinstance(exc, StoreError)


def _load_full_store(store: CallStore) -> None:
    store.load_full("a call")  # the light store's; the full store is loaded already


def _look_up_caller(store: CallStore, contact_id: int | None, number: str) -> CallerInfo:
    match = None
    contact = None
    if contact_id is not None:
        contact = store.get_contact(contact_id)
    if number:
        match = store.lookup(number)
    if contact is not None and (match is None or match.contact is None
                                or match.contact.id != contact.id):
        # the agent's choice (clicked a contact to call): that contact, whatever the number
        match = Match(contact, matched_by="contact", number=number)
    contact = match.contact if match is not None else None
    tasks: tuple[TaskView, ...] = ()
    deals: tuple[DealView, ...] = ()
    if contact is not None:
        tasks = tuple(store.open_tasks(contact_id=contact.id))
        deals = tuple(store.deals(contact_id=contact.id))
    return CallerInfo(match=match, tasks=tasks, deals=deals)


def _previous_call(store: CallStore, caller: CallerInfo, number: str,
                   row_id: int | None) -> CallView | None:
    contact = caller.contact
    if contact is not None:
        rows = store.list_calls(contact_id=contact.id, limit=3)
    elif number:  # by the indexed number key: a search would scan every call (1.4 s at 500k)
        rows = store.list_calls(number=number, limit=3)
    else:
        return None
    for row in rows:
        if row.id != row_id:
            return row
    return None


def refusal_reason(event: IncomingCallRefused) -> str:
    """What the call log keeps of a refusal: the caller's codecs when none was in common
    (488), else the SIP reason phrase. Language-neutral: the window words it."""
    if event.unencrypted:
        return "unencrypted"
    if event.code == 488 and event.offered:
        return "offered: " + ", ".join(event.offered)
    return event.reason


def due_in_days(days: int, now: datetime | None = None, hour: int = 10,
                minute: int = 0) -> datetime:
    """A follow-up ``days`` from now at ``hour``:``minute`` local time, as UTC. The local
    time of *that* day counts (its own daylight-saving offset, not today's)."""
    day = (now or datetime.now(UTC)).astimezone().date() + timedelta(days=days)
    # a naive local time: astimezone() reads it with the offset in force on that date
    return datetime(day.year, day.month, day.day, hour, minute).astimezone(UTC)
