"""Rows to frozen views, and the casefolded search text kept beside each contact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, TextClause, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from softphone.crm import queries
from softphone.crm.models import Call, Company, Contact, Deal, Task, Wrapup
from softphone.crm.phones import digits_of
from softphone.crm.queries import as_utc, fold, utcnow
from softphone.crm.views import (
    CallView,
    CompanyView,
    ContactView,
    DealView,
    TaskView,
    WrapupView,
)

__all__ = ["as_utc", "fold", "utcnow"]  # kept here for the modules that import them from here


@lru_cache(maxsize=512)
def _text(sql: str) -> TextClause:
    return sql_text(sql)


class SqlRunner:
    """``queries.Runner`` over a SQLAlchemy session or connection (SQLite or PostgreSQL)."""

    def __init__(self, conn: Session | Connection, dialect: str | None = None) -> None:
        self.conn = conn
        if dialect is None:
            bind = conn.get_bind() if isinstance(conn, Session) else conn
            dialect = bind.dialect.name
        self.dialect = dialect

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        return list(self.conn.execute(_text(sql), params).all())

    def run(self, sql: str, params: Mapping[str, Any]) -> int:
        result = self.conn.execute(_text(sql), params)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def search_text(
    name: str,
    company: str | None,
    position: str | None,
    emails: Iterable[str],
    phones: Iterable[tuple[str, str | None, str | None]],  # (raw, e164, national)
    tags: Iterable[str] = (),
) -> str:
    """The casefolded text search-as-you-type looks in: words and every phone's digits."""
    parts = [p for p in (fold(name), fold(company), fold(position)) if p]
    for text in emails:
        if text and (folded := fold(text)):
            parts.append(folded)
    for text in tags:
        if text and (folded := fold(text)):
            parts.append(folded)
    seen: list[str] = []
    for raw, e164, national in phones:
        for digits in (digits_only(e164) if e164 else "", national or "", digits_only(raw)):
            if digits:
                for other in seen:
                    if digits in other:
                        break
                else:
                    seen.append(digits)
    parts.extend(seen)
    return " ".join(parts)


_DROP_NUMBER_PUNCTUATION = str.maketrans("", "", " +()-./")


def digits_only(text: str) -> str:
    """``digits_of(text)``, cheaper for the usual "+7 (900) 123-45-67" shapes."""
    plain = text.translate(_DROP_NUMBER_PUNCTUATION)
    return plain if plain.isdecimal() else digits_of(text)


def _phones_of(session: Session | Connection, ids: list[int]) -> dict[int, list[Any]]:
    return queries.phones_of(SqlRunner(session), ids)


def contact_views(session: Session, contacts: Sequence[Contact]) -> list[ContactView]:
    """Views of ``contacts`` (order kept) with phones and company loaded in two queries."""
    if not contacts:
        return []
    phones = _phones_of(session, [c.id for c in contacts])
    company_ids = {c.company_id for c in contacts if c.company_id is not None}
    companies: dict[int, str] = {}
    if company_ids:
        companies = dict(
            session.execute(
                select(Company.id, Company.name).where(Company.id.in_(company_ids))
            ).all()
        )
    return [
        ContactView(
            id=c.id,
            name=c.name,
            company=companies.get(c.company_id) if c.company_id else None,
            company_id=c.company_id,
            position=c.position,
            phones=tuple(phones.get(c.id, ())),
            emails=tuple(c.emails or ()),
            tags=tuple(c.tags or ()),
            notes=c.notes or "",
            do_not_call=bool(c.do_not_call),
            created_at=c.created_at,
            updated_at=c.updated_at,
            version=c.version,
        )
        for c in contacts
    ]


def contact_views_by_id(session: Session | Connection, ids: Sequence[int]) -> list[ContactView]:
    """Views of the contacts with ``ids`` (order kept, missing ones left out), without ORM
    objects (see ``queries.contact_views_by_id``)."""
    return queries.contact_views_by_id(SqlRunner(session), ids)


def contact_view(session: Session, contact: Contact) -> ContactView:
    return contact_views(session, [contact])[0]


def company_view(company: Company) -> CompanyView:
    return CompanyView(id=company.id, name=company.name)


def wrapup_view(w: Wrapup) -> WrapupView:
    return WrapupView(call_id=w.call_id, outcome=w.outcome, reason=w.reason or "",
                      note=w.note or "", author=w.author, updated_at=w.updated_at)


def call_views(session: Session, calls: Sequence[Call]) -> list[CallView]:
    if not calls:
        return []
    ids = [c.id for c in calls]
    wrapups = {w.call_id: w for w in session.scalars(select(Wrapup).where(Wrapup.call_id.in_(ids)))}
    contact_ids = {c.contact_id for c in calls if c.contact_id is not None}
    names: dict[int, str] = {}
    if contact_ids:
        names = dict(
            session.execute(
                select(Contact.id, Contact.name).where(Contact.id.in_(contact_ids))
            ).all()
        )
    out = []
    for c in calls:
        w = wrapups.get(c.id)
        out.append(
            CallView(
                id=c.id, direction=c.direction, account=c.account, number=c.number,
                remote_uri=c.remote_uri, display_name=c.display_name, contact_id=c.contact_id,
                contact_name=names.get(c.contact_id) if c.contact_id else None,
                started_at=c.started_at, answered_at=c.answered_at, ended_at=c.ended_at,
                talk_seconds=c.talk_seconds, ring_seconds=c.ring_seconds, outcome=c.outcome,
                sip_status=c.sip_status, recording_path=c.recording_path,
                quality=dict(c.quality) if c.quality else None, agent=c.agent,
                wrapup=wrapup_view(w) if w else None, sip_call_id=c.sip_call_id or "",
                end_reason=c.end_reason,
            )
        )
    return out


def task_view(t: Task) -> TaskView:
    return TaskView(id=t.id, kind=t.kind, title=t.title, due_at=t.due_at, done=bool(t.done),
                    done_at=t.done_at, contact_id=t.contact_id, call_id=t.call_id,
                    number=t.number, created_at=t.created_at)


def deal_view(d: Deal) -> DealView:
    return DealView(id=d.id, title=d.title, stage=d.stage, amount=d.amount,
                    contact_id=d.contact_id, company_id=d.company_id,
                    created_at=d.created_at, updated_at=d.updated_at)
