"""Bulk contact import: thousands of rows per transaction, merged by normalized number.

A record whose number (E.164, else national digits) already belongs to a contact *with a name
that agrees* (same words, any order, initials allowed) - stored before, or an earlier record of
the same import - is folded into that contact (new phones, emails and tags added; empty
company/position/notes filled) instead of being added twice. Colleagues listed with a shared
office number stay separate people who both have that number (lookup answers with the
company).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, func, insert, select, text
from sqlalchemy.orm import Session

from softphone.crm.convert import fold, search_text, utcnow
from softphone.crm.models import Company, Contact, Phone
from softphone.crm.phones import is_usable, normalize, reverse_digits
from softphone.crm.records import ContactRecord, ImportResult, SkippedRow
from softphone.crm.views import NormalizedNumber

if TYPE_CHECKING:
    from softphone.crm.store import Store


@dataclass(eq=False)
class _Group:
    """One contact to create or update: the first record and everything merged into it."""

    name: str
    company: str | None
    position: str | None
    notes: str
    do_not_call: bool
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    phones: list[tuple[str, str, NormalizedNumber]] = field(default_factory=list)
    existing_id: int | None = None


_T = TypeVar("_T")
_WORD = re.compile(r"\w+")


def names_agree(a: str, b: str) -> bool:
    """Could ``a`` and ``b`` name the same person? "Анна Смирнова" ~ "Смирнова А." ~ "Анна";
    "Анна Смирнова" !~ "Борис Орлов". Word order, case and initials do not matter; every word
    of the shorter name must match (or be the initial of) a different word of the longer."""
    wa, wb = _WORD.findall(fold(a)), _WORD.findall(fold(b))
    if not wa or not wb:
        return True
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    free = list(long_)
    full_match = False
    for word in sorted(short, key=len, reverse=True):
        hit = next((w for w in free if w == word), None)
        if hit is not None:
            full_match = full_match or len(word) > 1
        else:
            hit = next((w for w in free if _initial_of(word, w) or _initial_of(w, word)), None)
            if hit is None:
                return False
        free.remove(hit)
    return full_match


def _initial_of(initial: str, word: str) -> bool:
    return len(initial) == 1 and word.startswith(initial)


def _batches(records: Iterable[ContactRecord], size: int) -> Iterator[list[ContactRecord]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _add_unique(target: list[str], items: Iterable[str]) -> None:
    for item in items:
        item = (item or "").strip()
        if item and item not in target:
            target.append(item)


def import_contacts(
    store: Store,
    records: Iterable[ContactRecord],
    *,
    progress: Callable[[int], Any] | None = None,
    batch_size: int = 2000,
) -> ImportResult:
    result = ImportResult()
    # number key -> (contact id, name) of everyone having it (stored or made by this import)
    known: dict[str, list[tuple[int, str]]] = {}
    companies: dict[str, int] = {}
    sqlite = store.dialect == "sqlite"
    with store.engine.connect() as conn:
        if sqlite:
            # let the write-ahead log grow during the import: one checkpoint at the end
            # instead of one every few batches rewriting the same index pages again
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 100000")
            conn.commit()
        try:
            for batch in _batches(records, max(1, batch_size)):
                with (
                    store._guard(),
                    Session(bind=conn, expire_on_commit=False) as s,
                    s.begin(),
                ):
                    _import_batch(store, s, batch, result, known, companies)
                if progress is not None:
                    progress(result.total_rows)
        finally:
            if sqlite:
                with suppress(Exception):  # never hide the error that got us here
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 1000")
                    conn.commit()
    return result


_KNOWN_E164_SQLITE = (
    "SELECT p.e164, p.contact_id, c.name FROM json_each(?) AS j CROSS "
    "JOIN phones AS p ON p.e164 = j.value JOIN contacts AS c ON c.id = p.contact_id"
)
_KNOWN_NATIONAL_SQLITE = (
    "SELECT p.national, p.contact_id, c.name FROM json_each(?) AS j CROSS "
    "JOIN phones AS p ON p.national = j.value AND p.e164 IS NULL "
    "JOIN contacts AS c ON c.id = p.contact_id"
)


def _import_batch(
    store: Store,
    s: Session,
    batch: list[ContactRecord],
    result: ImportResult,
    known: dict[str, list[tuple[int, str]]],
    companies: dict[str, int],
) -> None:
    parsed: list[tuple[ContactRecord, list[tuple[str, str, NormalizedNumber]], list[str]]] = []
    region = store.default_region
    for record in batch:
        result.total_rows += 1
        name = (record.name or "").strip()
        if not name:
            result.skipped.append(SkippedRow(record.source_row, "no name",
                                             _short(", ".join(p[0] for p in record.phones))))
            continue
        phones = []
        keys = []
        for raw, label in record.phones:
            number = normalize(raw or "", region)
            key = number.key
            if key and is_usable(number):
                phones.append(((raw or "").strip(), label or "work", number))
                keys.append(key)
        if not phones:
            text = ", ".join(p[0] for p in record.phones) or name
            reason = "no usable phone number" if record.phones else "no phone number"
            result.skipped.append(SkippedRow(record.source_row, reason, _short(text)))
            continue
        parsed.append((record, phones, keys))

    # numbers already stored (not yet seen by this import): who has them
    e164s = {n.e164 for _, ph, _ in parsed for _, _, n in ph if n.e164 and n.e164 not in known}
    nationals = {n.national for _, ph, _ in parsed for _, _, n in ph
                 if not n.e164 and n.national and n.national not in known}
    for key in e164s | nationals:
        known[key] = []
    if store.dialect == "sqlite":  # one statement per batch, the keys as one JSON array
        conn = s.connection()
        for sql, wanted in ((_KNOWN_E164_SQLITE, e164s), (_KNOWN_NATIONAL_SQLITE, nationals)):
            if wanted:
                for key, cid, name in conn.exec_driver_sql(sql, (json.dumps(sorted(wanted)),)):
                    known[key].append((cid, name))
    else:
        for chunk in _chunks(sorted(e164s), 500):
            for e164, cid, name in s.execute(
                select(Phone.e164, Phone.contact_id, Contact.name)
                .join(Contact, Contact.id == Phone.contact_id)
                .where(Phone.e164.in_(chunk))
            ):
                known[e164 or ""].append((cid, name))
        for chunk in _chunks(sorted(nationals), 500):
            for national, cid, name in s.execute(
                select(Phone.national, Phone.contact_id, Contact.name)
                .join(Contact, Contact.id == Phone.contact_id)
                .where(and_(Phone.e164.is_(None), Phone.national.in_(chunk)))
            ):
                known[national or ""].append((cid, name))

    groups: list[_Group] = []
    by_key: dict[str, list[_Group]] = {}
    by_existing: dict[int, _Group] = {}
    for record, phones, keys in parsed:
        name = record.name.strip()
        group: _Group | None = None
        for key in keys:
            for candidate in by_key.get(key, ()):
                if names_agree(candidate.name, name):
                    group = candidate
                    break
            if group is not None:
                break
            for cid, stored_name in known.get(key, ()):
                if names_agree(stored_name, name):
                    group = by_existing.get(cid)
                    if group is None:
                        group = _Group(name=stored_name, company=None, position=None,
                                       notes="", do_not_call=False, existing_id=cid)
                        by_existing[cid] = group
                        groups.append(group)
                    break
            if group is not None:
                break
        if group is None:  # nobody with this number and this name: a new contact
            group = _Group(name=name, company=record.company or None,
                           position=record.position or None, notes=record.notes or "",
                           do_not_call=record.do_not_call)
            groups.append(group)
            result.created += 1
            have: set[str] = set()
        else:
            result.merged += 1
            group.company = group.company or record.company or None
            group.position = group.position or record.position or None
            if record.notes and record.notes not in group.notes:
                group.notes = (group.notes + "\n" + record.notes).strip()
            group.do_not_call = group.do_not_call or record.do_not_call
            have = {n.key or "" for _, _, n in group.phones}
        if record.emails:
            _add_unique(group.emails, record.emails)
        if record.tags:
            _add_unique(group.tags, record.tags)
        for item, key in zip(phones, keys, strict=True):
            if key not in have:
                group.phones.append(item)
                have.add(key)
            bucket = by_key.get(key)
            if bucket is None:
                by_key[key] = [group]
            elif group not in bucket:
                bucket.append(group)

    now = utcnow()
    new = [g for g in groups if g.existing_id is None]
    if new:
        _ensure_companies(s, {g.company.strip() for g in new if g.company and g.company.strip()},
                          companies)
        rows = [
            {
                "name": g.name, "name_fold": fold(g.name),
                "company_id": companies.get(fold(g.company)) if g.company else None,
                "position": g.position, "emails": g.emails, "tags": g.tags, "notes": g.notes,
                "do_not_call": g.do_not_call,
                "search_fold": search_text(
                    g.name, g.company, g.position, g.emails,
                    [(raw, n.e164, n.national) for raw, _, n in g.phones], g.tags),
                "created_at": now, "updated_at": now, "version": 1,
            }
            for g in new
        ]
        ids = _insert_returning_ids(s, Contact, rows)
        store._index_new_contacts(s, min(ids), max(ids))
        phone_rows = []
        for g, cid in zip(new, ids, strict=True):
            g.existing_id = cid
            for i, (raw, label, number) in enumerate(g.phones):
                phone_rows.append(_phone_row(cid, i, raw, label, number))
                known.setdefault(number.key or "", []).append((cid, g.name))
        if phone_rows:
            _executemany(s, Phone, phone_rows)
    new_ids = {id(g) for g in new}
    merges = [g for g in groups if id(g) not in new_ids and g.existing_id is not None]
    if merges:
        _merge_batch(s, merges, companies, now)
        for g in merges:
            for _, _, number in g.phones:
                entries = known.setdefault(number.key or "", [])
                if all(cid != g.existing_id for cid, _ in entries):
                    entries.append((g.existing_id or 0, g.name))


def _phone_row(cid: int, position: int, raw: str, label: str, n: NormalizedNumber) -> dict:
    return {"contact_id": cid, "raw": raw, "e164": n.e164, "national": n.national,
            "rev": reverse_digits(n.national), "kind": n.kind, "label": label,
            "is_primary": position == 0, "position": position}


def _merge_batch(
    s: Session, merges: list[_Group], companies: dict[str, int], now: Any
) -> None:
    """Fold each group into its stored contact: three queries and one flush for the batch."""
    ids = [g.existing_id for g in merges if g.existing_id is not None]
    contacts: dict[int, Contact] = {}
    stored: dict[int, list[tuple[str, str | None, str | None, int]]] = defaultdict(list)
    for chunk in _chunks(ids, 500):
        contacts.update((c.id, c) for c in s.scalars(select(Contact).where(Contact.id.in_(chunk))))
        for cid, raw, e164, national, position in s.execute(
            select(Phone.contact_id, Phone.raw, Phone.e164, Phone.national, Phone.position)
            .where(Phone.contact_id.in_(chunk))
        ):
            stored[cid].append((raw, e164, national, position))
    _ensure_companies(s, {g.company.strip() for g in merges if g.company and g.company.strip()},
                      companies)
    company_ids = {c.company_id for c in contacts.values() if c.company_id}
    company_ids |= {companies[fold(g.company)] for g in merges
                    if g.company and fold(g.company) in companies}
    company_names: dict[int, str] = {}
    for chunk in _chunks(sorted(company_ids), 500):
        company_names.update(
            s.execute(select(Company.id, Company.name).where(Company.id.in_(chunk))).all()
        )
    new_phones: list[dict[str, Any]] = []
    for g in merges:
        contact = contacts.get(g.existing_id or 0)
        if contact is None:
            continue
        phones = stored[contact.id]
        had_phones = bool(phones)
        have = {e164 or national for _, e164, national, _ in phones}
        position = max((p[3] for p in phones), default=-1) + 1
        changed = False
        for raw, label, number in g.phones:
            if number.key not in have:
                row = _phone_row(contact.id, position, raw, label, number)
                row["is_primary"] = not had_phones and position == 0
                new_phones.append(row)
                phones.append((raw, number.e164, number.national, position))
                have.add(number.key)
                position += 1
                changed = True
        emails = list(contact.emails or [])
        tags = list(contact.tags or [])
        _add_unique(emails, g.emails)
        _add_unique(tags, g.tags)
        if emails != (contact.emails or []) or tags != (contact.tags or []):
            contact.emails, contact.tags = emails, tags
            changed = True
        if g.company and contact.company_id is None:
            contact.company_id = companies.get(fold(g.company))
            changed = True
        if g.position and not contact.position:
            contact.position = g.position
            changed = True
        if g.notes and g.notes not in (contact.notes or ""):
            contact.notes = ((contact.notes or "") + "\n" + g.notes).strip()
            changed = True
        if g.do_not_call and not contact.do_not_call:
            contact.do_not_call = True
            changed = True
        if changed:
            contact.updated_at = now
            contact.version += 1
            contact.search_fold = search_text(
                contact.name,
                company_names.get(contact.company_id) if contact.company_id else None,
                contact.position, contact.emails or [],
                [(raw, e164, national) for raw, e164, national, _ in phones], contact.tags or [],
            )
    if new_phones:
        _executemany(s, Phone, new_phones)
    s.flush()


def _ensure_companies(s: Session, names: set[str], cache: dict[str, int]) -> None:
    wanted = {fold(n): n for n in names if fold(n) not in cache}
    if not wanted:
        return
    for chunk in _chunks(sorted(wanted), 500):
        for cid, key in s.execute(
            select(Company.id, Company.name_fold).where(Company.name_fold.in_(chunk))
        ):
            cache[key] = cid
    missing = [k for k in wanted if k not in cache]
    if missing:
        now = utcnow()
        ids = _insert_returning_ids(
            s, Company, [{"name": wanted[k], "name_fold": k, "created_at": now} for k in missing]
        )
        cache.update(zip(missing, ids, strict=True))


def _insert_returning_ids(s: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in bulk and return their new ids, in order.

    SQLite cannot return ids of a multi-row insert in order, so SQLAlchemy would fall back to
    one statement per row; inside our write transaction (the store's SQLite transactions hold
    the write lock from their first write, and this runs after one) the next ids are
    max(id)+1.. so they are assigned explicitly and inserted with one executemany.
    """
    if s.get_bind().dialect.name != "sqlite":
        return list(s.scalars(insert(model).returning(model.id, sort_by_parameter_order=True),
                              rows))
    s.execute(text("CREATE TEMP TABLE IF NOT EXISTS _softphone_lock (x)"))  # take the lock
    s.execute(text("DELETE FROM _softphone_lock"))
    first = int(s.scalar(select(func.max(model.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    _executemany(s, model, rows)
    return ids


def _executemany(s: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """One DBAPI executemany, values converted by the columns' own SQLAlchemy types."""
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(insert(model), rows)
        return
    table = model.__table__
    names = list(rows[0])
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")
    columns = [[row[n] for row in rows] for n in names]
    for i, processor in enumerate(processors):
        if processor is not None:
            columns[i] = [processor(v) for v in columns[i]]
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

