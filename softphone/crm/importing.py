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
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from softphone.crm.bulk import paused_gc
from softphone.crm.convert import fold, search_text, utcnow
from softphone.crm.errors import known_errors
from softphone.crm.models import Company, Contact, Phone
from softphone.crm.phones import normalize, reverse_digits
from softphone.crm.records import ContactRecord, ImportResult, SkippedRow
from softphone.crm.views import NormalizedNumber


@dataclass(frozen=True)
class ImportTarget:
    """Where an import writes: the database engine, the region that numbers without a country
    get, and the full-text indexer of new contacts (``index_new_contacts(session, first_id,
    last_id)``, the store's own)."""

    engine: Engine
    region: str
    index_new_contacts: Callable[[Session, int, int], None]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


# (as typed, label, number, key): one usable phone of a record
_PhoneItem = tuple[str, str, NormalizedNumber, str]


class _Group:
    """One contact to create or update: the first record and everything merged into it."""

    __slots__ = (
        "company",
        "created",
        "do_not_call",
        "emails",
        "existing_id",
        "name",
        "notes",
        "phones",
        "position",
        "tags",
    )

    def __init__(self, name: str, company: str | None, position: str | None, notes: str,
                 do_not_call: bool, existing_id: int | None = None) -> None:
        self.name = name
        self.company = company
        self.position = position
        self.notes = notes
        self.do_not_call = do_not_call
        self.emails: list[str] = []
        self.tags: list[str] = []
        self.phones: list[_PhoneItem] = []
        self.existing_id = existing_id  # the stored contact (set for new ones once written)
        self.created = False  # made by this batch


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


def _add_unique(target: list[str], items: Iterable[str], *, fold_case: bool = False) -> None:
    """Append ``items`` not in ``target`` yet (e-mails: ``fold_case``, letter case ignored)."""
    seen = {t.casefold() for t in target} if fold_case else set(target)
    for item in items:
        item = (item or "").strip()
        key = item.casefold() if fold_case else item
        if item and key not in seen:
            target.append(item)
            seen.add(key)


def import_contacts(
    store: ImportTarget,
    records: Iterable[ContactRecord],
    *,
    progress: Callable[[int], Any] | None = None,
    batch_size: int = 5000,
) -> ImportResult:
    result = ImportResult()
    # number key -> (contact id, name) of everyone having it (stored or made by this import)
    known: dict[str, list[tuple[int, str]]] = {}
    companies: dict[str, int] = {}
    sqlite = store.dialect == "sqlite"
    with paused_gc(), store.engine.connect() as conn:
        if sqlite:
            # let the write-ahead log grow during the import: one checkpoint at the end
            # instead of one every few batches rewriting the same index pages again
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 100000")
            conn.commit()
            # with the change log's triggers (migration 0008) each row's statement keeps a
            # statement journal: in memory, not a temp file (a few pages a row; the phones'
            # insert 2.3x cheaper, bench/bench_change_feed.py)
            _temp_store(conn, "MEMORY")
        try:
            if sqlite and not _in_memory(store):
                _import_overlapped(store, conn, records, result, known, companies, progress,
                                   max(1, batch_size))
                return result
            for batch in _batches(records, max(1, batch_size)):
                with (
                    known_errors(),
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
                    _temp_store(conn, "DEFAULT")
    return result


def _temp_store(conn: Connection, value: str) -> None:
    """``PRAGMA temp_store`` outside a transaction (SQLite refuses it inside one; our engine
    emits its own BEGIN, so the DBAPI connection is idle between SQLAlchemy transactions)."""
    raw = conn.connection.driver_connection
    if raw is not None:
        raw.execute(f"PRAGMA temp_store = {value}")


def _parse_batch(
    store: ImportTarget, batch: list[ContactRecord], result: ImportResult
) -> list[tuple[ContactRecord, str, list[_PhoneItem]]]:
    """Records with a name and at least one usable number; the others skipped with why."""
    parsed: list[tuple[ContactRecord, str, list[_PhoneItem]]] = []
    region = store.region
    skipped = result.skipped
    result.total_rows += len(batch)
    for record in batch:
        name = record.name.strip() if record.name else ""
        if not name:
            skipped.append(SkippedRow(record.source_row, "no name",
                                      _short(", ".join(p[0] for p in record.phones))))
            continue
        phones: list[_PhoneItem] = []
        for raw, label in record.phones:
            number = normalize(raw or "", region)
            key = number.e164 or number.national  # number.key
            if key and number.kind != "withheld":  # is_usable()
                phones.append(((raw or "").strip(), label or "work", number, key))
        if not phones and not _unique(record.emails or ()):
            # an e-mail alone still makes a contact (issue 14); nothing to reach: skipped
            text = ", ".join(p[0] for p in record.phones) or name
            reason = ("no usable phone number or e-mail" if record.phones
                      else "no phone number or e-mail")
            skipped.append(SkippedRow(record.source_row, reason, _short(text)))
            continue
        parsed.append((record, name, phones))
    return parsed


def email_key(email: str) -> str:
    """The merge key of a contact known by an e-mail address (phones' keys are numbers)."""
    return "mailto:" + email.strip().casefold()


def _email_keys(record: ContactRecord) -> list[str]:
    return [email_key(e) for e in _unique(record.emails or ())]


def _next_id(s: Session, model: Any) -> int:
    """The first free id of ``model``'s table; taking the write lock first (see
    ``_insert_returning_ids``), so nobody else can use it before we commit."""
    s.execute(text("CREATE TEMP TABLE IF NOT EXISTS _softphone_lock (x)"))  # take the lock
    s.execute(text("DELETE FROM _softphone_lock"))
    return int(s.scalar(select(func.max(model.id))) or 0) + 1


def _in_memory(store: ImportTarget) -> bool:
    database = store.engine.url.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:")


def _import_overlapped(
    store: ImportTarget,
    conn: Connection,
    records: Iterable[ContactRecord],
    result: ImportResult,
    known: dict[str, list[tuple[int, str]]],
    companies: dict[str, int],
    progress: Callable[[int], Any] | None,
    batch_size: int,
) -> None:
    """``import_contacts`` on an SQLite file: the same batches and transactions, but the end
    of each (adding its new contacts to the full-text index, the commit: single SQLite calls
    that run without the GIL, a third of the database time) is left to a helper thread while
    the next batch is parsed and matched. Stored numbers are looked up on a second
    connection meanwhile; the ones this import wrote are in ``known`` already."""
    pending: tuple[Future[None], int] | None = None

    def wait() -> None:
        nonlocal pending
        if pending is not None:
            future, total = pending
            pending = None
            future.result()
            if progress is not None:
                progress(total)

    with (
        store.engine.connect() as reader,
        ThreadPoolExecutor(1, thread_name_prefix="crm-import") as helper,
    ):
        try:
            for batch in _batches(records, batch_size):
                with known_errors():
                    parsed = _parse_batch(store, batch, result)
                    try:
                        _find_known(store, reader, parsed, known)
                    finally:
                        reader.rollback()  # no snapshot kept between batches
                    groups = _group(parsed, known, result)
                    wait()
                    s = Session(bind=conn, expire_on_commit=False)
                    try:
                        s.begin()
                        span = _write_groups(store, s, groups, known, companies, index=False)
                    except BaseException:
                        s.rollback()
                        s.close()
                        raise
                    pending = (helper.submit(_finish_batch, store, s, span), result.total_rows)
            with known_errors():
                wait()
        finally:
            if pending is not None:  # failed meanwhile: let the helper end before going on
                with suppress(BaseException):
                    pending[0].result()


def _finish_batch(store: ImportTarget, s: Session, span: tuple[int, int] | None) -> None:
    """The helper thread's part of a batch: full-text entries of its new contacts, commit."""
    try:
        if span is not None:
            store.index_new_contacts(s, *span)
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


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
    store: ImportTarget,
    s: Session,
    batch: list[ContactRecord],
    result: ImportResult,
    known: dict[str, list[tuple[int, str]]],
    companies: dict[str, int],
) -> None:
    parsed = _parse_batch(store, batch, result)
    _find_known(store, s.connection(), parsed, known)
    groups = _group(parsed, known, result)
    _write_groups(store, s, groups, known, companies, index=True)


def _write_groups(
    store: ImportTarget,
    s: Session,
    groups: list[_Group],
    known: dict[str, list[tuple[int, str]]],
    companies: dict[str, int],
    *,
    index: bool,
) -> tuple[int, int] | None:
    """Create and update the batch's contacts; the new ids (first, last) if there are any.
    With ``index=False`` they are not yet in the full-text index
    (``ImportTarget.index_new_contacts``)."""
    now = utcnow()
    new = [g for g in groups if g.existing_id is None]
    span = _insert_new(store, s, new, companies, known, now, index=index) if new else None
    merges = [g for g in groups if g.existing_id is not None and not g.created]
    if merges:
        _merge_batch(s, merges, companies, now)
        for g in merges:
            for _, _, _, key in g.phones:
                entries = known.setdefault(key, [])
                if all(cid != g.existing_id for cid, _ in entries):
                    entries.append((g.existing_id or 0, g.name))
    return span


def _find_known(
    store: ImportTarget,
    conn: Connection,
    parsed: list[tuple[ContactRecord, str, list[_PhoneItem]]],
    known: dict[str, list[tuple[int, str]]],
) -> None:
    """Numbers already stored (not yet seen by this import): who has them, into ``known``."""
    e164s: set[str] = set()
    nationals: set[str] = set()
    for _, _, phones in parsed:
        for _, _, number, key in phones:
            if key not in known:
                (e164s if number.e164 else nationals).add(key)
    for key in e164s:
        known[key] = []
    for key in nationals:
        known[key] = []
    _find_known_emails(conn, parsed, known)
    if store.dialect == "sqlite":  # one statement per batch, the keys as one JSON array
        for sql, wanted in ((_KNOWN_E164_SQLITE, e164s), (_KNOWN_NATIONAL_SQLITE, nationals)):
            if wanted:
                for key, cid, name in conn.exec_driver_sql(sql, (json.dumps(sorted(wanted)),)):
                    known[key].append((cid, name))
        return
    for chunk in _chunks(sorted(e164s), 500):
        for e164, cid, name in conn.execute(
            select(Phone.e164, Phone.contact_id, Contact.name)
            .join(Contact, Contact.id == Phone.contact_id)
            .where(Phone.e164.in_(chunk))
        ):
            known[e164 or ""].append((cid, name))
    for chunk in _chunks(sorted(nationals), 500):
        for national, cid, name in conn.execute(
            select(Phone.national, Phone.contact_id, Contact.name)
            .join(Contact, Contact.id == Phone.contact_id)
            .where(and_(Phone.e164.is_(None), Phone.national.in_(chunk)))
        ):
            known[national or ""].append((cid, name))


def _find_known_emails(
    conn: Connection,
    parsed: list[tuple[ContactRecord, str, list[_PhoneItem]]],
    known: dict[str, list[tuple[int, str]]],
) -> None:
    """Stored contacts with the e-mails of this batch's phone-less records (rare: one pass
    over the contacts that have e-mails, only when such records come)."""
    wanted = {key for record, _, phones in parsed if not phones
              for key in _email_keys(record) if key not in known}
    if not wanted:
        return
    for key in wanted:
        known[key] = []
    for cid, name, emails in conn.execute(select(Contact.id, Contact.name, Contact.emails)):
        for email in (emails if isinstance(emails, list) else json.loads(emails or "[]")):
            key = email_key(str(email))
            if key in wanted:
                known[key].append((cid, name))


def _group(
    parsed: list[tuple[ContactRecord, str, list[_PhoneItem]]],
    known: dict[str, list[tuple[int, str]]],
    result: ImportResult,
) -> list[_Group]:
    """The contacts to create or update: each record folded into the first earlier record of
    this batch, or stored contact, that has one of its numbers and a name that agrees."""
    groups: list[_Group] = []
    by_key: dict[str, list[_Group]] = {}
    by_existing: dict[int, _Group] = {}
    created = merged = 0
    for record, name, phones in parsed:
        group: _Group | None = None
        # a contact without a phone is recognised by its e-mail (a re-import adds nobody)
        keys = [item[3] for item in phones] or _email_keys(record)
        for key in keys:
            candidates = by_key.get(key)
            if candidates is not None:
                for candidate in candidates:
                    if names_agree(candidate.name, name):
                        group = candidate
                        break
                if group is not None:
                    break
            stored = known.get(key)
            if stored:
                for cid, stored_name in stored:
                    if names_agree(stored_name, name):
                        group = by_existing.get(cid)
                        if group is None:
                            group = _Group(stored_name, None, None, "", False, cid)
                            by_existing[cid] = group
                            groups.append(group)
                        break
                if group is not None:
                    break
        if group is None:  # nobody with this number and this name: a new contact
            group = _Group(name, record.company or None, record.position or None,
                           record.notes or "", record.do_not_call)
            groups.append(group)
            created += 1
            if record.emails:
                group.emails = _unique(record.emails)
            if record.tags:
                group.tags = _unique(record.tags)
            for key in _email_keys(record):  # a later phone-less record may be this person
                by_key.setdefault(key, []).append(group)
            if len(phones) == 1:
                group.phones = phones
                key = phones[0][3]
                bucket = by_key.get(key)
                if bucket is None:
                    by_key[key] = [group]
                else:
                    bucket.append(group)
                continue
            if not phones:
                continue
            have: set[str] = set()
        else:
            merged += 1
            group.company = group.company or record.company or None
            group.position = group.position or record.position or None
            if record.notes and record.notes not in group.notes:
                group.notes = (group.notes + "\n" + record.notes).strip()
            group.do_not_call = group.do_not_call or record.do_not_call
            have = {item[3] for item in group.phones}
            if record.emails:
                _add_unique(group.emails, record.emails, fold_case=True)
            if record.tags:
                _add_unique(group.tags, record.tags)
            group.phones = list(group.phones)
        for item in phones:
            key = item[3]
            if key not in have:
                group.phones.append(item)
                have.add(key)
            bucket = by_key.get(key)
            if bucket is None:
                by_key[key] = [group]
            elif group not in bucket:
                bucket.append(group)
    result.created += created
    result.merged += merged
    return groups


def _unique(items: Iterable[str]) -> list[str]:
    """``items`` stripped, without blanks and repeats (``_add_unique`` into a new list)."""
    out: list[str] = []
    for item in items:
        item = (item or "").strip()
        if item and item not in out:
            out.append(item)
    return out


_CONTACT_COLUMNS = ("name", "name_fold", "company_id", "position", "emails", "tags", "notes",
                    "do_not_call", "search_fold", "created_at", "updated_at", "version")
_PHONE_COLUMNS = ("contact_id", "raw", "e164", "national", "rev", "kind", "label",
                  "is_primary", "position")


def _insert_new(
    store: ImportTarget,
    s: Session,
    new: list[_Group],
    companies: dict[str, int],
    known: dict[str, list[tuple[int, str]]],
    now: Any,
    *,
    index: bool = True,
) -> tuple[int, int]:
    """Write the batch's new contacts, their phones and (``index``) their full-text entries;
    their ids (first, last)."""
    _ensure_companies(s, {g.company.strip() for g in new if g.company and g.company.strip()},
                      companies)
    conn = s.connection()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # values as the column types would bind them, converted once per batch
        c = Contact.__table__.c
        stamp = _bind(conn, c.created_at, now)
        dnc = {False: _bind(conn, c.do_not_call, False), True: _bind(conn, c.do_not_call, True)}
        to_json = _JsonCache(c.emails.type.bind_processor(conn.dialect))
    rows: list[tuple[Any, ...]] = []
    for g in new:
        name_fold = fold(g.name)
        company = g.company
        search = search_text(
            g.name, company, g.position, g.emails,
            [(raw, n.e164, n.national) for raw, _, n, _ in g.phones], g.tags)
        company_id = companies.get(fold(company)) if company else None
        if sqlite:
            rows.append((g.name, name_fold, company_id, g.position, to_json(g.emails),
                         to_json(g.tags), g.notes, dnc[bool(g.do_not_call)], search, stamp,
                         stamp, 1))
        else:
            rows.append((g.name, name_fold, company_id, g.position, g.emails, g.tags, g.notes,
                         g.do_not_call, search, now, now, 1))
    ids = _insert_returning_ids(s, Contact, _CONTACT_COLUMNS, rows)
    if index:
        store.index_new_contacts(s, min(ids), max(ids))
    if sqlite:
        p = Phone.__table__.c
        primary = {False: _bind(conn, p.is_primary, False), True: _bind(conn, p.is_primary, True)}
    else:
        primary = {False: False, True: True}
    phone_rows: list[tuple[Any, ...]] = []
    for g, cid in zip(new, ids, strict=True):
        g.existing_id = cid
        g.created = True
        name = g.name
        for key in (email_key(e) for e in g.emails):  # for the next batches' e-mail-only rows
            known.setdefault(key, []).append((cid, name))
        for i, (raw, label, n, key) in enumerate(g.phones):
            national = n.national
            phone_rows.append((cid, raw, n.e164, national, national[::-1] if national else None,
                               n.kind, label, primary[i == 0], i))
            entries = known.get(key)
            if entries is None:
                known[key] = [(cid, name)]
            else:
                entries.append((cid, name))
    if phone_rows:
        _executemany(s, Phone, _PHONE_COLUMNS, phone_rows)
    return min(ids), max(ids)


def _bind(conn: Any, column: Any, value: Any) -> Any:
    """``value`` as ``column``'s type binds it on this connection's dialect."""
    processor = column.type.bind_processor(conn.dialect)
    return value if processor is None else processor(value)


class _JsonCache:
    """A JSON column's bind processor, remembered for repeated small lists (tags, [])."""

    def __init__(self, processor: Callable[[Any], Any] | None) -> None:
        self.processor = processor or json.dumps
        self.cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, items: list[str]) -> Any:
        key = tuple(items)
        found = self.cache.get(key)
        if found is None:
            found = self.processor(items)
            if len(self.cache) < 4096:
                self.cache[key] = found
        return found


_C = Contact.__table__.c
_MERGE_LOAD = select(_C.id, _C.name, _C.company_id, _C.position, _C.emails, _C.tags,
                     _C.notes, _C.do_not_call, _C.version)


def _merge_batch(
    s: Session, merges: list[_Group], companies: dict[str, int], now: Any
) -> None:
    """Fold each group into its stored contact: a few queries and two executemany."""
    ids = [g.existing_id for g in merges if g.existing_id is not None]
    contacts: dict[int, dict[str, Any]] = {}
    stored: dict[int, list[tuple[str, str | None, str | None, int]]] = defaultdict(list)
    for chunk in _chunks(ids, 500):
        for row in s.execute(_MERGE_LOAD.where(_C.id.in_(chunk))):
            contacts[row.id] = row._asdict()
        for cid, raw, e164, national, position in s.execute(
            select(Phone.contact_id, Phone.raw, Phone.e164, Phone.national, Phone.position)
            .where(Phone.contact_id.in_(chunk))
        ):
            stored[cid].append((raw, e164, national, position))
    _ensure_companies(s, {g.company.strip() for g in merges if g.company and g.company.strip()},
                      companies)
    company_ids = {c["company_id"] for c in contacts.values() if c["company_id"]}
    company_ids |= {companies[fold(g.company)] for g in merges
                    if g.company and fold(g.company) in companies}
    company_names: dict[int, str] = {}
    for chunk in _chunks(sorted(company_ids), 500):
        company_names.update(
            s.execute(select(Company.id, Company.name).where(Company.id.in_(chunk))).all()
        )
    new_phones: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    for g in merges:
        contact = contacts.get(g.existing_id or 0)
        if contact is None:
            continue
        cid = contact["id"]
        phones = stored[cid]
        had_phones = bool(phones)
        have = {e164 or national for _, e164, national, _ in phones}
        position = max((p[3] for p in phones), default=-1) + 1
        changed = False
        for raw, label, number, key in g.phones:
            if key not in have:
                national = number.national
                new_phones.append((cid, raw, number.e164, national,
                                   reverse_digits(national), number.kind, label,
                                   not had_phones and position == 0, position))
                phones.append((raw, number.e164, national, position))
                have.add(key)
                position += 1
                changed = True
        old_emails = contact["emails"] or []
        old_tags = contact["tags"] or []
        emails, tags = list(old_emails), list(old_tags)
        _add_unique(emails, g.emails, fold_case=True)
        _add_unique(tags, g.tags)
        if emails != old_emails or tags != old_tags:
            contact["emails"], contact["tags"] = emails, tags
            changed = True
        if g.company and contact["company_id"] is None:
            contact["company_id"] = companies.get(fold(g.company))
            changed = True
        if g.position and not contact["position"]:
            contact["position"] = g.position
            changed = True
        if g.notes and g.notes not in (contact["notes"] or ""):
            contact["notes"] = ((contact["notes"] or "") + "\n" + g.notes).strip()
            changed = True
        if g.do_not_call and not contact["do_not_call"]:
            contact["do_not_call"] = True
            changed = True
        if changed:
            company_id = contact["company_id"]
            updates.append({
                "_id": cid, "company_id": company_id, "position": contact["position"],
                "emails": contact["emails"] or [], "tags": contact["tags"] or [],
                "notes": contact["notes"], "do_not_call": contact["do_not_call"],
                "updated_at": now, "version": contact["version"] + 1,
                "search_fold": search_text(
                    contact["name"], company_names.get(company_id) if company_id else None,
                    contact["position"], contact["emails"] or [],
                    [(raw, e164, national) for raw, e164, national, _ in phones],
                    contact["tags"] or [],
                ),
            })
    if new_phones:
        if s.get_bind().dialect.name == "sqlite":
            p = Phone.__table__.c
            conn = s.connection()
            new_phones = [(*row[:7], _bind(conn, p.is_primary, row[7]), row[8])
                          for row in new_phones]
        _executemany(s, Phone, _PHONE_COLUMNS, new_phones)
    if updates:
        s.connection().execute(
            update(cast(Table, Contact.__table__)).where(_C.id == bindparam("_id")).values(
                {name: bindparam(name) for name in updates[0] if name != "_id"}
            ),
            updates,
        )


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
        if s.get_bind().dialect.name == "sqlite":
            now = _bind(s.connection(), Company.__table__.c.created_at, now)
        ids = _insert_returning_ids(
            s, Company, ("name", "name_fold", "created_at"),
            [(wanted[k], k, now) for k in missing],
        )
        cache.update(zip(missing, ids, strict=True))


def _insert_returning_ids(
    s: Session, model: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> list[int]:
    """Insert ``rows`` (values of the columns ``names``) in bulk; their new ids, in order.

    SQLite cannot return ids of a multi-row insert in order, so SQLAlchemy would fall back to
    one statement per row; inside our write transaction (the store's SQLite transactions hold
    the write lock from their first write, and this runs after one) the next ids are
    max(id)+1.. so they are assigned explicitly and inserted with one executemany. On SQLite
    the values must be bound already (``_bind``); elsewhere the column types convert them.
    """
    if s.get_bind().dialect.name != "sqlite":
        return list(s.scalars(
            insert(model).returning(model.id, sort_by_parameter_order=True),
            [dict(zip(names, row, strict=True)) for row in rows],
        ))
    first = _next_id(s, model)
    ids = list(range(first, first + len(rows)))
    _executemany(s, model, ("id", *names),
                 [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)])
    return ids


def _executemany(
    s: Session, model: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """One DBAPI executemany. SQLite: ``rows`` hold bound values (``_bind``); elsewhere the
    columns' SQLAlchemy types convert them."""
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(insert(model), [dict(zip(names, row, strict=True)) for row in rows])
        return
    sql = (f"INSERT INTO {model.__table__.name} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")
    conn.exec_driver_sql(sql, rows)


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

