"""The call log: calls, the missed-call inbox, wrap-ups and the statistics over them.

Its writes (call start/answer/end, linking, wrap-ups) go through the store's journaled writes
(``softphone.crm.journaled``): never lost. A call started while the database is unavailable
gets a *pending id* (a negative number) that stays valid: later calls with it are resolved
once the row exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from softphone.crm import queries
from softphone.crm.convert import (
    as_utc,
    call_views,
    utcnow,
    wrapup_view,
)
from softphone.crm.database import Database
from softphone.crm.errors import NotFoundError, StoreError
from softphone.crm.journal import new_pending_id
from softphone.crm.journaled import JournaledWrites
from softphone.crm.matching import log_call_start
from softphone.crm.models import (
    Call,
    Contact,
    IgnoredNumber,
    MissedEntry,
    Wrapup,
)
from softphone.crm.views import (
    CALL_OUTCOMES,
    MISSED_OUTCOMES,
    CallView,
    ContactView,
    MissedView,
    Stats,
    WrapupView,
)

log = logging.getLogger("softphone.crm")


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((as_utc(later) - as_utc(earlier)).total_seconds()))


class CallLog:
    """The call-centric part of :class:`softphone.crm.store.Store`."""

    def __init__(self, db: Database, writes: JournaledWrites,
                 search: Callable[[str, int], list[ContactView]]) -> None:
        self.db = db
        self.writes = writes
        self._search = search  # contacts by name/number: the history's search finds calls
        #: the last call row when the profile was first opened: only rows up to it may be
        #: closed as interrupted (set before :meth:`close_interrupted_calls`)
        self.interrupted_before_id: int | None = None
        self._interrupted_done = True
        for op, apply in (("call_started", self._do_call_started),
                          ("call_answered", self._do_call_answered),
                          ("call_ended", self._do_call_ended),
                          ("link_call", self._do_link_call),
                          ("save_wrapup", self._do_save_wrapup)):
            writes.handle(op, apply)

    def before_write(self) -> None:
        """Before each journaled write: close the calls a crash left open, if that failed
        at start (a busy database)."""
        if not self._interrupted_done:
            self.close_interrupted_calls()

    def resolve(self, s: Session, call_id: int) -> Call:
        """The call row ``call_id`` (a pending id, negative, once its row exists)."""
        if call_id < 0:
            row = s.scalar(select(Call).where(Call.client_key == str(call_id)))
        else:
            row = s.get(Call, call_id)
        if row is None:
            raise NotFoundError(f"call {call_id} does not exist")
        return row

    # ------------------------------------------------------------------ call log

    def call_started(
        self,
        *,
        direction: str,
        account: str,
        number: str,
        remote_uri: str = "",
        display_name: str = "",
        started_at: datetime,
        sip_call_id: str = "",
        contact_id: int | None = None,
    ) -> int:
        """Log a call as it starts ringing or is dialled; the contact is matched unless given.

        Returns the row id, or a negative pending id when the database refused the write (the
        call is journaled and the pending id works with every other call-log method)."""
        if direction not in ("in", "out"):
            raise ValueError(f"direction must be 'in' or 'out', not {direction!r}")
        pending = new_pending_id()
        args = dict(
            direction=direction, account=account or "", number=number or "",
            remote_uri=remote_uri or "", display_name=display_name or "",
            started_at=as_utc(started_at), sip_call_id=sip_call_id or "",
            contact_id=contact_id, agent=self.db.agent, client_key=str(pending),
        )
        row_id = self.writes.write("call_started", args)
        return pending if row_id is None else int(row_id)

    def _do_call_started(
        self, *, direction: str, account: str, number: str, remote_uri: str,
        display_name: str, started_at: datetime, sip_call_id: str, contact_id: int | None,
        agent: str | None, client_key: str | None = None,
    ) -> int:
        nn = self.db.normalize(number or remote_uri)
        with self.db.session() as s:
            return log_call_start(
                self.db.runner(s), nn, direction=direction, account=account, number=number,
                remote_uri=remote_uri, display_name=display_name,
                started_at=as_utc(started_at), sip_call_id=sip_call_id,
                contact_id=contact_id, agent=agent, client_key=client_key)

    def call_answered(self, call_row_id: int, answered_at: datetime) -> CallView | None:
        """The call connected. Clears the number's missed-call inbox entry."""
        return self.writes.write(  # type: ignore[no-any-return]
            "call_answered", {"call_id": call_row_id, "answered_at": as_utc(answered_at)}
        )

    def _do_call_answered(self, *, call_id: int, answered_at: datetime) -> CallView:
        with self.db.session() as s:
            row = self.resolve(s, call_id)
            row.answered_at = answered_at
            row.ring_seconds = _seconds(answered_at, row.started_at)
            s.flush()
            self._clear_missed(s, row)
            return call_views(s, [row])[0]

    def call_ended(
        self,
        call_row_id: int,
        *,
        ended_at: datetime,
        outcome: str,
        sip_status: int | None = None,
        recording_path: str | None = None,
        quality: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> CallView | None:
        """The call is over. Missed inbound calls (never connected: missed, no answer, busy,
        failed) land in the missed-call inbox. ``reason``: why, in words, for the history."""
        if outcome not in CALL_OUTCOMES:
            raise ValueError(f"unknown call outcome {outcome!r}; one of {CALL_OUTCOMES}")
        args: dict[str, Any] = {
            "call_id": call_row_id, "ended_at": as_utc(ended_at), "outcome": outcome,
            "sip_status": sip_status, "recording_path": recording_path,
            "quality": dict(quality) if quality else None,
        }
        if reason:
            args["reason"] = reason[:300]
        return self.writes.write("call_ended", args)  # type: ignore[no-any-return]

    def _do_call_ended(
        self, *, call_id: int, ended_at: datetime, outcome: str, sip_status: int | None,
        recording_path: str | None, quality: dict[str, Any] | None, reason: str | None = None,
    ) -> CallView:
        with self.db.session() as s:
            row = self.resolve(s, call_id)
            row.ended_at = ended_at
            row.outcome = outcome
            row.sip_status = sip_status
            if recording_path:
                row.recording_path = str(recording_path)
            if quality:
                row.quality = quality
            if reason:
                row.end_reason = reason
            row.talk_seconds = _seconds(ended_at, row.answered_at) if row.answered_at else 0
            row.ring_seconds = _seconds(row.answered_at or ended_at, row.started_at)
            s.flush()
            if row.answered_at is not None:
                self._clear_missed(s, row)
            elif row.direction == "in" and outcome in MISSED_OUTCOMES:
                self._add_missed(s, row)
            return call_views(s, [row])[0]

    def link_call(self, call_row_id: int, contact_id: int | None) -> CallView | None:
        """Attach a call (and its open inbox entry) to a contact, e.g. after "add contact"."""
        return self.writes.write(  # type: ignore[no-any-return]
            "link_call", {"call_id": call_row_id, "contact_id": contact_id}
        )

    def _do_link_call(self, *, call_id: int, contact_id: int | None) -> CallView:
        with self.db.session() as s:
            row = self.resolve(s, call_id)
            if contact_id is not None and s.get(Contact, contact_id) is None:
                raise NotFoundError(f"contact {contact_id} does not exist")
            row.contact_id = contact_id
            if row.number_key:
                s.execute(
                    update(MissedEntry)
                    .where(MissedEntry.number_key == row.number_key,
                           MissedEntry.cleared_at.is_(None))
                    .values(contact_id=contact_id)
                )
            s.flush()
            return call_views(s, [row])[0]

    def get_call(self, call_row_id: int) -> CallView | None:
        with self.db.session() as s:
            try:
                row = self.resolve(s, call_row_id)
            except NotFoundError:
                return None
            return call_views(s, [row])[0]

    def list_calls(
        self,
        *,
        since: datetime | None = None,
        direction: str | None = None,
        outcome: str | None = None,
        query: str | None = None,
        contact_id: int | None = None,
        limit: int = 200,
        until: datetime | None = None,
        account: str | None = None,
        number: str | None = None,
    ) -> list[CallView]:
        """Newest first. ``number``: calls with that number, whatever its spelling (the
        indexed key; ``query`` is a search and scans the calls)."""
        conditions: list[Any] = []
        number_key = None
        if number:
            nn = self.db.normalize(number)
            if nn.kind in ("withheld", "invalid"):
                return []
            number_key = nn.key
            conditions.append(Call.number_key == number_key)
        if not any((since, until, direction, outcome, query, account)) and (
                (contact_id is None) != (number_key is None)):
            # the caller card's last calls: the light reader's statement (softphone.crm.light)
            with self.db.session() as s:
                return queries.recent_calls(self.db.runner(s), contact_id=contact_id,
                                            number_key=number_key, limit=limit)
        if since is not None:
            conditions.append(Call.started_at >= as_utc(since))
        if until is not None:
            conditions.append(Call.started_at < as_utc(until))
        if direction:
            conditions.append(Call.direction == direction)
        if outcome == "missed":
            conditions.extend([Call.direction == "in", Call.outcome.in_(MISSED_OUTCOMES)])
        elif outcome:
            conditions.append(Call.outcome == outcome)
        if contact_id is not None:
            conditions.append(Call.contact_id == contact_id)
        if account:
            conditions.append(Call.account == account)
        if query and query.strip():
            q = query.strip()
            digits = "".join(ch for ch in q if ch.isdigit())
            alternatives: list[Any] = [Call.display_name.contains(q, autoescape=True)]
            if digits and len(digits) >= 3:
                alternatives.append(Call.number.contains(digits, autoescape=True))
            ids = [c.id for c in self._search(q, 50)]
            if ids:
                alternatives.append(Call.contact_id.in_(ids))
            words = queries.fold(q)
            if words:  # the wrap-up's outcome, reason and note, whatever the letter case
                alternatives.append(Call.id.in_(select(Wrapup.call_id).where(
                    Wrapup.search_fold.contains(words, autoescape=True))))
            conditions.append(or_(*alternatives))
        with self.db.session() as s:
            rows = s.scalars(
                select(Call).where(*conditions).order_by(Call.started_at.desc(), Call.id.desc())
                .limit(limit)
            ).all()
            return call_views(s, rows)

    def close_interrupted_calls(self) -> int:
        """Rows left open by a crash (no outcome) become ``interrupted``; only this agent's,
        and only rows that existed when the store opened. Retried on the next call-log write
        if the database is busy now."""
        try:
            with self.db.session() as s:
                db = self.db.runner(s)
                if self.interrupted_before_id is None:
                    self.interrupted_before_id = queries.last_call_id(db)
                count = queries.close_interrupted(db, self.db.agent, self.interrupted_before_id)
        except StoreError as err:
            log.warning("cannot close interrupted calls yet: %s", err)
            self._interrupted_done = False
            return 0
        self._interrupted_done = True
        if count:
            log.warning("closed %d call(s) left open by a crash as interrupted", count)
        return count

    # ------------------------------------------------------------------ missed inbox

    def _add_missed(self, s: Session, row: Call) -> None:
        if not row.number_key:
            return
        if s.scalar(select(IgnoredNumber.id).where(IgnoredNumber.number_key == row.number_key)):
            return
        entry = s.scalar(
            select(MissedEntry).where(
                MissedEntry.number_key == row.number_key, MissedEntry.cleared_at.is_(None)
            )
        )
        if entry is None:
            s.add(MissedEntry(
                number_key=row.number_key, number=row.number, contact_id=row.contact_id,
                account=row.account, count=1, first_at=row.started_at, last_at=row.started_at,
            ))
        else:
            entry.count += 1
            entry.last_at = max(entry.last_at, row.started_at)
            entry.account = row.account
            if row.contact_id is not None:
                entry.contact_id = row.contact_id

    def _clear_missed(self, s: Session, row: Call) -> None:
        if not row.number_key or row.answered_at is None:
            return
        for entry in s.scalars(
            select(MissedEntry).where(
                MissedEntry.number_key == row.number_key,
                MissedEntry.cleared_at.is_(None),
                MissedEntry.first_at < row.started_at,
            )
        ):
            entry.cleared_at = row.answered_at
            entry.callback_seconds = _seconds(row.answered_at, entry.first_at)
            entry.cleared_by_call_id = row.id

    def missed_inbox(self) -> list[MissedView]:
        """Open missed-call entries, one per number, most recent first."""
        with self.db.session() as s:
            return queries.missed_inbox(self.db.runner(s))

    def dismiss_missed(self, number: str) -> bool:
        """Clear a number's inbox entry by hand (no callback time is recorded)."""
        key = self.db.normalize(number).key or number
        with self.db.session() as s:
            done = s.execute(
                update(MissedEntry)
                .where(or_(MissedEntry.number_key == key, MissedEntry.number == number),
                       MissedEntry.cleared_at.is_(None))
                .values(cleared_at=utcnow())
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ wrap-ups

    def save_wrapup(
        self,
        call_row_id: int,
        *,
        outcome: str | None,
        reason: str = "",
        note: str = "",
        author: str | None = None,
    ) -> WrapupView:
        """Create or replace the call's wrap-up (cheap: called on every keystroke)."""
        now = utcnow()
        args = {"call_id": call_row_id, "outcome": outcome, "reason": reason or "",
                "note": note or "", "author": author or self.db.agent, "updated_at": now}
        view = self.writes.write("save_wrapup", args)
        if view is None:
            return WrapupView(call_row_id, outcome, reason or "", note or "",
                              author or self.db.agent, now)
        return view  # type: ignore[no-any-return]

    def _do_save_wrapup(
        self, *, call_id: int, outcome: str | None, reason: str, note: str,
        author: str | None, updated_at: datetime,
    ) -> WrapupView:
        with self.db.session() as s:
            real_id = call_id if call_id > 0 else self.resolve(s, call_id).id
            wrapup = s.get(Wrapup, real_id)
            if wrapup is None:
                if s.get(Call, real_id) is None:
                    raise NotFoundError(f"call {call_id} does not exist")
                wrapup = Wrapup(call_id=real_id)
                s.add(wrapup)
            wrapup.outcome, wrapup.reason, wrapup.note = outcome, reason, note
            wrapup.author, wrapup.updated_at = author, updated_at
            wrapup.search_fold = queries.wrapup_fold(outcome, reason, note)
            s.flush()
            return wrapup_view(wrapup)

    def get_wrapup(self, call_row_id: int) -> WrapupView | None:
        with self.db.session() as s:
            try:
                real_id = self.resolve(s, call_row_id).id
            except NotFoundError:
                return None
            wrapup = s.get(Wrapup, real_id)
            return wrapup_view(wrapup) if wrapup else None

    # ------------------------------------------------------------------ statistics

    def statistics(
        self,
        *,
        since: datetime,
        until: datetime,
        account: str | None = None,
        agent: str | None = None,
        bucket: str = "day",
        tz: Any = None,
        top: int = 10,
    ) -> Stats:
        """Figures for [since, until); buckets and busiest hours in ``tz`` (default UTC)."""
        from softphone.crm.stats import compute_statistics

        with self.db.session() as s:
            return compute_statistics(s, since=as_utc(since), until=as_utc(until),
                                      account=account, agent=agent, bucket=bucket, tz=tz,
                                      top=top)


def iter_chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
