"""A call's life: SIP events -> CRM rows -> what the UI must show.

Plain Python without Qt, so it can be tested without a window. The composition root feeds it
SIP events on the UI thread (already queued there by the engine bridge) and gives it two things:

* a :class:`DbRunner`: ``submit(job, on_done, on_error)`` runs ``job(store)`` on the one DB
  worker thread, in submission order, and calls ``on_done(result)`` back on the caller's thread;
* a listener that receives :class:`WorkflowUpdate` values (what to show).

Jobs run in order on a single worker, so a job may use the CRM row id that an earlier job of
the same call stored on its :class:`_CallRecord` (that attribute is only touched on the worker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

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

log = logging.getLogger("softphone.workflow")

Job = Callable[[Any], Any]


class DirectoryRunner(Protocol):
    """Looks a caller up in the company directory off the caller's thread; ``on_done(entry or
    None)`` comes back on the caller's thread within the directory's time bound."""

    def find_caller(self, number: str, on_done: Callable[[Any], None]) -> None: ...


#: (event, call view) on the DB worker after the call's row changed: ringing, answered,
#: ended, wrapup (softphone.integrations.call_events)
CallEventHook = Callable[[str, Any], None]


class DbRunner(Protocol):
    def submit(self, job: Job, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[Exception], None] | None = None) -> None: ...


class SyncDbRunner:
    """Runs each job at once on the calling thread (unit tests, command-line tools)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def submit(self, job: Job, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[Exception], None] | None = None) -> None:
        try:
            result = job(self.store)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
            return
        if on_done is not None:
            on_done(result)


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


# ---------------------------------------------------------------------------------------------
# What the UI sees


@dataclass(frozen=True)
class CallerInfo:
    """What the CRM knows about the other party: the lookup match and its context."""

    match: Any | None = None  # store Match (contact, company, people, matched_by, number, ignored)
    last_call: Any | None = None  # CallView of the previous call with this contact/number
    tasks: tuple[Any, ...] = ()
    deals: tuple[Any, ...] = ()
    #: the company directory's entry (LDAP) when the CRM does not know the caller
    directory: Any | None = None

    @property
    def contact(self) -> Any | None:
        return getattr(self.match, "contact", None)

    @property
    def known(self) -> bool:
        m = self.match
        return m is not None and (m.contact is not None or bool(getattr(m, "people", ())))


@dataclass(frozen=True)
class CallInfo:
    call_id: int
    account: str
    direction: Direction
    state: CallState
    number: str
    remote_uri: str
    display_name: str
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    waiting: bool = False
    held: bool = False
    remote_held: bool = False
    muted: bool = False
    recording_path: str | None = None
    code: int = 0
    reason: str = ""
    outcome: str | None = None
    caller: CallerInfo | None = None
    quality: dict[str, Any] = field(default_factory=dict)
    row_id: int | None = None  # the CRM call row, once written
    early_media: bool = False  # an outgoing call plays the far end's audio before the answer

    @property
    def active(self) -> bool:
        return self.state != CallState.DISCONNECTED

    @property
    def title(self) -> str:
        """Best name for the other party: contact, display name, then number."""
        contact = self.caller.contact if self.caller else None
        if contact is not None:
            return str(contact.name)
        if self.caller is not None and self.caller.directory is not None:
            return str(self.caller.directory.name)
        return self.display_name or self.number or self.remote_uri


@dataclass(frozen=True)
class WorkflowUpdate:
    """One thing changed. ``kind``: call (a call appeared/changed), caller (CRM info arrived),
    ended (the call is over: show the wrap-up when ``wrapup`` is true), data (history, inbox,
    tasks or contacts changed: refresh), error (``message`` fit for the user), refused (an
    incoming call the SIP stack refused: ``refused`` is the engine's event)."""

    kind: str
    call: CallInfo | None = None
    wrapup: bool = False
    message: str = ""
    refused: Any = None


UpdateListener = Callable[[WorkflowUpdate], None]


class _CallRecord:
    """Mutable state of one call. ``row_id`` is written and read only on the DB worker."""

    def __init__(self, info: CallInfo, contact_id: int | None) -> None:
        self.info = info
        self.contact_id = contact_id
        self.row_id: int | None = None
        self.rejected_by_us = False


def _utc(at: float | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(at, UTC)


def _quality_dict(ev: CallQuality) -> dict[str, Any]:
    figures = {"codec": ev.codec, "rx_loss_percent": ev.rx_loss_percent,
               "tx_loss_percent": ev.tx_loss_percent, "jitter_ms": ev.jitter_ms,
               "rtt_ms": ev.rtt_ms, "encryption": ev.encryption or "none"}
    if ev.ice:
        figures["ice"] = ev.ice  # how ICE connected: host, srflx/prflx (through the NATs), relay
    return figures


# ---------------------------------------------------------------------------------------------


class CallWorkflow:
    """Turns SIP events into CRM rows and UI updates; carries out the agent's call actions."""

    def __init__(self, db: DbRunner, listener: UpdateListener, *, engine: Any = None,
                 agent: str | None = None, clock: Callable[[], datetime] | None = None,
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
        if rec is not None and rec.info.direction == Direction.INCOMING and \
                rec.info.answered_at is None:
            rec.rejected_by_us = True
        if self.engine is not None:
            self.engine.hangup(call_id)

    def save_wrapup(self, *, outcome: str | None, reason: str = "", note: str = "",
                    call_id: int | None = None, row_id: int | None = None,
                    on_done: Callable[[Any], None] | None = None) -> None:
        """Upsert the wrap-up of a just-finished call (``call_id``) or of a history row."""
        rec = self._calls.get(call_id) if call_id is not None else None
        agent = self.agent

        def job(store: Any) -> Any:
            target = row_id if row_id is not None else (rec.row_id if rec else None)
            if target is None:
                raise LookupError("the call was not logged")
            saved = store.save_wrapup(target, outcome=outcome, reason=reason, note=note,
                                      author=agent)
            self._publish(store, "wrapup", target)
            return saved

        self.db.submit(job, on_done, self._on_db_error)

    def add_next_action(self, kind: str, title: str, due_at: datetime, *,
                        call_id: int | None = None, row_id: int | None = None,
                        contact_id: int | None = None, number: str | None = None,
                        on_done: Callable[[Any], None] | None = None) -> None:
        """A follow-up task (call_back | meeting | todo) tied to a call and its contact."""
        rec = self._calls.get(call_id) if call_id is not None else None
        if rec is not None:
            contact_id = contact_id if contact_id is not None else rec.contact_id
            number = number or rec.info.number

        def job(store: Any) -> Any:
            target = row_id if row_id is not None else (rec.row_id if rec else None)
            cid = contact_id
            if cid is None and rec is not None:
                cid = rec.contact_id
            return store.add_task(kind=kind, title=title, due_at=due_at, contact_id=cid,
                                  call_id=target, number=number)

        self.db.submit(job, self._done_then_data(on_done), self._on_db_error)

    def create_contact_for_call(self, call_id: int | None, name: str, *,
                                company: str | None = None, number: str | None = None,
                                label: str = "work", deal_title: str | None = None,
                                row_id: int | None = None,
                                on_done: Callable[[Any], None] | None = None) -> None:
        """Create a contact from an unknown caller (number prefilled) and link the call."""
        rec = self._calls.get(call_id) if call_id is not None else None
        number = number or (rec.info.number if rec else None)

        def job(store: Any) -> Any:
            phones = [(number, label)] if number else []
            contact = store.create_contact(name, company=company, phones=phones)
            target = row_id if row_id is not None else (rec.row_id if rec else None)
            if target is not None:
                store.link_call(target, contact.id)
            if deal_title:
                store.add_deal(title=deal_title, stage="new", amount=None,
                               contact_id=contact.id, company_id=contact.company_id)
            return contact

        def done(contact: Any) -> None:
            if rec is not None:
                rec.contact_id = contact.id
                self._refresh_caller(rec)
            if on_done is not None:
                on_done(contact)
            self._emit(WorkflowUpdate("data"))

        self.db.submit(job, done, self._on_db_error)

    def add_number_to_contact(self, call_id: int | None, contact_id: int, *,
                              number: str | None = None, label: str = "work",
                              row_id: int | None = None,
                              on_done: Callable[[Any], None] | None = None) -> None:
        rec = self._calls.get(call_id) if call_id is not None else None
        number = number or (rec.info.number if rec else None)

        def job(store: Any) -> Any:
            if number:
                store.add_phone(contact_id, number, label, False)
            target = row_id if row_id is not None else (rec.row_id if rec else None)
            if target is not None:
                store.link_call(target, contact_id)
            return store.get_contact(contact_id)

        def done(contact: Any) -> None:
            if rec is not None:
                rec.contact_id = contact_id
                self._refresh_caller(rec)
            if on_done is not None:
                on_done(contact)
            self._emit(WorkflowUpdate("data"))

        self.db.submit(job, done, self._on_db_error)

    def ignore_number(self, number: str, kind: str) -> None:
        self.db.submit(lambda store: store.ignore_number(number, kind),
                       self._done_then_data(None), self._on_db_error)

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
            self._emit(WorkflowUpdate("refused", refused=event))

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

            def answered_job(store: Any) -> None:
                if rec.row_id is not None:
                    store.call_answered(rec.row_id, answered_at)
                    self._publish(store, "answered", rec.row_id)

            # answering clears the number's missed-call inbox entry: views refresh
            self.db.submit(answered_job, self._done_then_data(None), self._on_db_error)
        if ev.state == CallState.DISCONNECTED:
            self._end(rec, info, ev)
            return
        rec.info = info
        self._emit(WorkflowUpdate("call", info))

    def _on_call_quality(self, ev: CallQuality) -> None:
        rec = self._calls.get(ev.call_id)
        if rec is None or not rec.info.active:
            return
        rec.info = replace(rec.info, quality=_quality_dict(ev))
        self._emit(WorkflowUpdate("call", rec.info))

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
            self._emit(WorkflowUpdate("call", info))

    # --- the steps ----------------------------------------------------------------------------
    def _begin(self, info: CallInfo, sip_call_id: str) -> _CallRecord:
        contact_id = self._pending_contact.pop(info.call_id, None)
        rec = _CallRecord(info, contact_id)
        self._calls[info.call_id] = rec
        self._forget_old_calls()
        self._emit(WorkflowUpdate("call", info))
        direction = info.direction.value

        def job(store: Any) -> CallerInfo:
            caller = _look_up_caller(store, rec.contact_id, info.number or info.remote_uri)
            contact = caller.contact
            rec.row_id = store.call_started(
                direction=direction, account=info.account, number=info.number,
                remote_uri=info.remote_uri, display_name=info.display_name,
                started_at=info.started_at, sip_call_id=sip_call_id,
                contact_id=rec.contact_id if rec.contact_id is not None else
                (contact.id if contact is not None else None))
            return replace(caller, last_call=_previous_call(store, caller, info.number,
                                                            rec.row_id))

        self.db.submit(job, lambda caller: self._on_caller_found(rec, caller),
                       self._on_db_error)
        if self.call_events is not None:  # after the card's lookup, not before it
            self.db.submit(lambda store: self._publish(store, "ringing", rec.row_id))
        # answering, ending and the wrap-up need the full store: load it now, after the
        # card's lookup (queued behind it), not when the agent clicks
        self.db.submit(_load_full_store, None, self._on_db_error)
        return rec

    def _on_caller_found(self, rec: _CallRecord, caller: CallerInfo) -> None:
        contact = caller.contact
        if rec.contact_id is None and contact is not None:
            rec.contact_id = contact.id
        old = rec.info.caller
        if not caller.known and old is not None and old.directory is not None:
            caller = replace(caller, directory=old.directory)
        rec.info = replace(rec.info, caller=caller, row_id=rec.row_id)
        self._emit(WorkflowUpdate("caller", rec.info))
        if not caller.known and caller.directory is None and self.directory is not None \
                and old is None and getattr(caller.match, "ignored", None) is None:
            number = rec.info.number or rec.info.remote_uri
            if number:
                self.directory.find_caller(
                    number, lambda entry: self._on_directory_answer(rec, entry))

    def _on_directory_answer(self, rec: _CallRecord, entry: Any) -> None:
        caller = rec.info.caller
        if entry is None or caller is None or caller.known:
            return
        rec.info = replace(rec.info, caller=replace(caller, directory=entry))
        self._emit(WorkflowUpdate("caller", rec.info))

    def _refresh_caller(self, rec: _CallRecord) -> None:
        contact_id = rec.contact_id
        number = rec.info.number or rec.info.remote_uri

        def job(store: Any) -> CallerInfo:
            caller = _look_up_caller(store, contact_id, number)
            return replace(caller, last_call=_previous_call(store, caller, number, rec.row_id))

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

        def job(store: Any) -> None:
            if rec.row_id is not None:
                store.call_ended(rec.row_id, ended_at=ended_at, outcome=outcome,
                                 sip_status=ev.code or None, recording_path=recording,
                                 quality=quality, reason=ev.end_reason or None)
                self._publish(store, "ended", rec.row_id)

        def done(_: Any) -> None:
            rec.info = replace(rec.info, row_id=rec.row_id)
            self._emit(WorkflowUpdate("data", rec.info))

        self.db.submit(job, done, self._on_db_error)
        # a wrap-up after a conversation, or after an unanswered call-out (call back later)
        wants_wrapup = answered or outcome in (BUSY, NO_ANSWER)
        self._emit(WorkflowUpdate("ended", info, wrapup=wants_wrapup))

    def _log_unrung(self, account: str, remote_uri: str, display_name: str, number: str,
                    at: float, outcome: str, code: int, reason: str | None = None) -> None:
        when = _utc(at)

        def job(store: Any) -> None:
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

        self.db.submit(job, self._done_then_data(None), self._on_db_error)

    def _publish(self, store: Any, kind: str, row_id: int | None) -> None:
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

    def _done_then_data(self, on_done: Callable[[Any], None] | None
                        ) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            if on_done is not None:
                on_done(result)
            self._emit(WorkflowUpdate("data"))
        return done

    def _on_db_error(self, exc: Exception) -> None:
        log.error("CRM: %s", exc, exc_info=not _is_user_error(exc))
        self._emit(WorkflowUpdate("error", message=str(exc)))

    def _emit(self, update: WorkflowUpdate) -> None:
        try:
            self.listener(update)
        except Exception:
            log.exception("workflow listener failed on %s", update.kind)


def _is_user_error(exc: Exception) -> bool:
    try:
        from softphone.crm.errors import StoreError
    except ImportError:
        return False
    return isinstance(exc, StoreError)


def _load_full_store(store: Any) -> None:
    load = getattr(store, "load_full", None)  # softphone.crm.light.LightStore
    if load is not None:
        load("a call")


def _look_up_caller(store: Any, contact_id: int | None, number: str) -> CallerInfo:
    match = None
    contact = None
    if contact_id is not None:
        contact = store.get_contact(contact_id)
    if number:
        match = store.lookup(number)
    if contact is not None and (match is None or getattr(match, "contact", None) is None
                                or match.contact.id != contact.id):
        match = _ContactMatch(contact=contact, company=None, people=(), matched_by="contact",
                              number=number, ignored=None)
    contact = getattr(match, "contact", None)
    tasks: tuple[Any, ...] = ()
    deals: tuple[Any, ...] = ()
    if contact is not None:
        tasks = tuple(store.open_tasks(contact_id=contact.id))
        deals = tuple(store.deals(contact_id=contact.id))
    return CallerInfo(match=match, tasks=tasks, deals=deals)


def _previous_call(store: Any, caller: CallerInfo, number: str, row_id: int | None) -> Any:
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


@dataclass(frozen=True)
class _ContactMatch:
    """A match made by the agent's choice (clicked a contact), shaped like the store's Match."""

    contact: Any
    company: Any
    people: tuple[Any, ...]
    matched_by: str
    number: str
    ignored: Any


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
