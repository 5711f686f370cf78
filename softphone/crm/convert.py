"""Rows to frozen views, and the casefolded search text kept beside each contact."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from softphone.crm.models import Call, Company, Contact, Deal, Phone, Task, Wrapup
from softphone.crm.phones import digits_of
from softphone.crm.views import (
    CallView,
    CompanyView,
    ContactView,
    DealView,
    PhoneView,
    TaskView,
    WrapupView,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def fold(text: str | None) -> str:
    """Unicode casefold (SQLite's lower() only knows ASCII): "Иван" -> "иван"; "ё" is
    folded to "е" as Russian writers use them interchangeably ("Фёдоров" / "Федоров")."""
    return _fold(text) if text else ""


@lru_cache(maxsize=16384)
def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


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
        for digits in (_digits(e164) if e164 else "", national or "", _digits(raw)):
            if digits:
                for other in seen:
                    if digits in other:
                        break
                else:
                    seen.append(digits)
    parts.extend(seen)
    return " ".join(parts)


_DROP_NUMBER_PUNCTUATION = str.maketrans("", "", " +()-./")


def _digits(text: str) -> str:
    """``digits_of(text)``, cheaper for the usual "+7 (900) 123-45-67" shapes."""
    plain = text.translate(_DROP_NUMBER_PUNCTUATION)
    return plain if plain.isdecimal() else digits_of(text)


_C, _CO, _P = Contact.__table__.c, Company.__table__.c, Phone.__table__.c
_CONTACTS_BY_ID = (
    select(
        _C.id, _C.name, _CO.name, _C.company_id, _C.position, _C.emails, _C.tags, _C.notes,
        _C.do_not_call, _C.created_at, _C.updated_at, _C.version,
    )
    .select_from(Contact.__table__.outerjoin(Company.__table__, _CO.id == _C.company_id))
    .where(_C.id.in_(bindparam("ids", expanding=True)))
)
_PHONES_OF = (
    select(_P.contact_id, _P.raw, _P.e164, _P.label, _P.is_primary, _P.national)
    .where(_P.contact_id.in_(bindparam("ids", expanding=True)))
    .order_by(_P.position, _P.id)
)


def _phones_of(session: Session | Connection, ids: list[int]) -> dict[int, list[PhoneView]]:
    phones: dict[int, list[PhoneView]] = defaultdict(list)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for cid, raw, e164, label, primary, national in session.execute(
            _PHONES_OF, {"ids": chunk}
        ):
            phones[cid].append(PhoneView(raw, e164, label, bool(primary), national))
    return phones


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
    objects: two queries (the hot path of caller lookup and search-as-you-type)."""
    if not ids:
        return []
    rows = {
        row[0]: row
        for row in session.execute(_CONTACTS_BY_ID, {"ids": list(ids)})
    }
    phones = _phones_of(session, list(rows))
    out = []
    for cid in ids:
        row = rows.get(cid)
        if row is None:
            continue
        (_, name, company, company_id, position, emails, tags, notes, dnc, created, updated,
         version) = row
        out.append(ContactView(
            id=cid, name=name, company=company, company_id=company_id, position=position,
            phones=tuple(phones.get(cid, ())), emails=tuple(emails or ()),
            tags=tuple(tags or ()), notes=notes or "", do_not_call=bool(dnc),
            created_at=created, updated_at=updated, version=version,
        ))
    return out


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
