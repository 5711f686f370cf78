"""Contacts and companies: create, change, find (search-as-you-type, caller lookup), erase,
and the bulk import's entry. A part of :class:`softphone.crm.store.Store`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from softphone.crm import queries
from softphone.crm.convert import (
    SqlRunner,
    company_view,
    contact_view,
    contact_views,
    contact_views_by_id,
    fold,
    search_text,
    utcnow,
)
from softphone.crm.database import Database
from softphone.crm.errors import ConflictError, NotFoundError, known_errors
from softphone.crm.matching import find_caller
from softphone.crm.models import (
    Call,
    Company,
    Contact,
    Deal,
    Message,
    MissedEntry,
    Phone,
    Task,
)
from softphone.crm.phones import is_usable, reverse_digits
from softphone.crm.records import ContactRecord, ImportResult
from softphone.crm.views import (
    CompanyView,
    ContactView,
    ErasedContact,
    Match,
    NormalizedNumber,
)

_CONTACT_FIELDS = {
    "name", "company", "position", "emails", "tags", "notes", "do_not_call", "phones",
}
_DIGIT_QUERY = re.compile(r"^\+?[\d\s\-.()/]+$")
_MAX_CHAR = "\U0010ffff"


class ContactBook:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ contacts

    def _company_id(self, session: Session, name: str | None) -> int | None:
        name = (name or "").strip()
        if not name:
            return None
        key = fold(name)
        found = session.scalar(select(Company.id).where(Company.name_fold == key))
        if found is not None:
            return found
        company = Company(name=name, name_fold=key, created_at=utcnow())
        session.add(company)
        session.flush()
        return company.id

    def _phone_rows(
        self, raw_phones: Iterable[tuple[str, ...] | str], *, strict: bool = True
    ) -> list[tuple[str, str, bool, NormalizedNumber]]:
        rows: list[tuple[str, str, bool, NormalizedNumber]] = []
        seen: set[str] = set()
        for item in raw_phones:
            if isinstance(item, str):
                raw, label, primary = item, "work", False
            else:
                raw = item[0]
                label = item[1] if len(item) > 1 and item[1] else "work"
                primary = bool(item[2]) if len(item) > 2 else False
            number = self.db.normalize(raw)
            if not is_usable(number):
                if strict:
                    raise ValueError(f"not a phone number: {raw!r}")
                continue
            key = number.key or raw
            if key in seen:
                continue
            seen.add(key)
            rows.append((raw.strip(), label, primary, number))
        if rows and not any(r[2] for r in rows):
            rows[0] = (rows[0][0], rows[0][1], True, rows[0][3])
        return rows

    @staticmethod
    def _phone(contact_id: int, position: int, raw: str, label: str, primary: bool,
               number: NormalizedNumber) -> Phone:
        return Phone(
            contact_id=contact_id, raw=raw, e164=number.e164, national=number.national,
            rev=reverse_digits(number.national), kind=number.kind, label=label,
            is_primary=primary, position=position,
        )

    def refresh_search(self, session: Session, contact: Contact) -> None:
        """The contact's search text, after its phones or company changed."""
        phones = session.execute(
            select(Phone.raw, Phone.e164, Phone.national).where(Phone.contact_id == contact.id)
        )
        company = (
            session.scalar(select(Company.name).where(Company.id == contact.company_id))
            if contact.company_id
            else None
        )
        contact.search_fold = search_text(
            contact.name, company, contact.position, contact.emails or [], phones,
            contact.tags or [],
        )

    def create_contact(
        self,
        name: str,
        *,
        company: str | None = None,
        position: str | None = None,
        phones: Iterable[tuple[str, ...] | str] = (),
        emails: Iterable[str] = (),
        tags: Iterable[str] = (),
        notes: str = "",
        do_not_call: bool = False,
    ) -> ContactView:
        """Add a contact. Raises ValueError for an empty name or a phone that is no number."""
        name = (name or "").strip()
        if not name:
            raise ValueError("a contact needs a name")
        phone_rows = self._phone_rows(phones)
        emails_list, tags_list = clean_list(emails), clean_list(tags)
        now = utcnow()
        with self.db.session() as s:
            company_id = self._company_id(s, company)
            contact = Contact(
                name=name, name_fold=fold(name), company_id=company_id,
                position=position or None, emails=emails_list, tags=tags_list,
                notes=notes or "", do_not_call=bool(do_not_call),
                search_fold=search_text(
                    name, company if company_id else None, position, emails_list,
                    [(raw, n.e164, n.national) for raw, _, _, n in phone_rows], tags_list,
                ),
                created_at=now, updated_at=now, version=1,
            )
            s.add(contact)
            s.flush()
            self.index_new_contacts(s, contact.id, contact.id)
            for i, (raw, label, primary, number) in enumerate(phone_rows):
                s.add(self._phone(contact.id, i, raw, label, primary, number))
            s.flush()
            return contact_view(s, contact)

    def index_new_contacts(self, s: Session, first_id: int, last_id: int) -> None:
        """Add new contacts to the SQLite full-text index (see migration 0002)."""
        if self.db.dialect == "sqlite":
            s.execute(
                text(
                    "INSERT INTO contact_fts(rowid, search_fold) SELECT id, search_fold "
                    "FROM contacts WHERE id BETWEEN :a AND :b"
                ),
                {"a": first_id, "b": last_id},
            )

    def update_contact(
        self, /, contact_id: int, *, expected_version: int | None = None, **fields: Any
    ) -> ContactView:
        """Change fields (name, company, position, emails, tags, notes, do_not_call, phones).

        With ``expected_version`` the change is refused with ConflictError when somebody saved
        the contact meanwhile (optimistic locking). ``phones`` replaces the whole list.
        """
        unknown = set(fields) - _CONTACT_FIELDS
        if unknown:
            raise TypeError(f"unknown contact fields: {sorted(unknown)}")
        phone_rows = self._phone_rows(fields["phones"]) if "phones" in fields else None
        with self.db.session() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise NotFoundError(f"contact {contact_id} does not exist")
            if expected_version is not None and contact.version != expected_version:
                raise ConflictError(detail=f"version {contact.version} != {expected_version}")
            values: dict[str, Any] = {}
            if "name" in fields:
                name = (fields["name"] or "").strip()
                if not name:
                    raise ValueError("a contact needs a name")
                values.update(name=name, name_fold=fold(name))
            if "company" in fields:
                values["company_id"] = self._company_id(s, fields["company"])
            if "position" in fields:
                values["position"] = fields["position"] or None
            for key in ("emails", "tags"):
                if key in fields:
                    values[key] = clean_list(fields[key])
            if "notes" in fields:
                values["notes"] = fields["notes"] or ""
            if "do_not_call" in fields:
                values["do_not_call"] = bool(fields["do_not_call"])
            values["updated_at"] = utcnow()
            values["version"] = contact.version + 1
            done = s.execute(
                update(Contact)
                .where(Contact.id == contact_id, Contact.version == contact.version)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(detail="changed concurrently")
            if phone_rows is not None:
                s.execute(delete(Phone).where(Phone.contact_id == contact_id))
                for i, (raw, label, primary, number) in enumerate(phone_rows):
                    s.add(self._phone(contact_id, i, raw, label, primary, number))
                s.flush()
            s.refresh(contact)
            self.refresh_search(s, contact)
            s.flush()
            return contact_view(s, contact)

    def add_phone(
        self, contact_id: int, raw: str, label: str = "work", primary: bool = False
    ) -> ContactView:
        number = self.db.normalize(raw)
        if not is_usable(number):
            raise ValueError(f"not a phone number: {raw!r}")
        with self.db.session() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise NotFoundError(f"contact {contact_id} does not exist")
            existing = list(s.scalars(select(Phone).where(Phone.contact_id == contact_id)))
            if not any((p.e164 or p.national) == number.key for p in existing):
                if primary:
                    for p in existing:
                        p.is_primary = False
                position = max((p.position for p in existing), default=-1) + 1
                s.add(self._phone(contact_id, position, raw.strip(), label or "work",
                                  primary or not existing, number))
                contact.updated_at = utcnow()
                contact.version += 1
                s.flush()
                self.refresh_search(s, contact)
                s.flush()
            return contact_view(s, contact)

    def get_contact(self, contact_id: int) -> ContactView | None:
        with self.db.session() as s:
            views = queries.contact_views_by_id(self.db.runner(s), [contact_id])
            return views[0] if views else None

    def get_company(self, company_id: int) -> CompanyView | None:
        with self.db.session() as s:
            company = s.get(Company, company_id)
            return company_view(company) if company else None

    def company_people(self, company_id: int) -> list[ContactView]:
        with self.db.session() as s:
            people = s.scalars(
                select(Contact).where(Contact.company_id == company_id).order_by(Contact.name_fold)
            ).all()
            return contact_views(s, people)

    def delete_contact(self, contact_id: int) -> bool:
        """Delete the contact (phones, tasks, deals go with it; calls stay, unlinked)."""
        with self.db.session() as s:
            done = s.execute(delete(Contact).where(Contact.id == contact_id))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def erase_contact(self, contact_id: int) -> ErasedContact:
        """Forget a person entirely (privacy request): the contact, its calls, wrap-ups, tasks,
        deals, chat messages and inbox entries. Recordings inside the profile are deleted;
        paths outside it are returned in ``recording_paths`` for the caller to delete."""
        with self.db.session() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise NotFoundError(f"contact {contact_id} does not exist")
            keys = [
                k
                for (e164, national) in s.execute(
                    select(Phone.e164, Phone.national).where(Phone.contact_id == contact_id)
                )
                if (k := e164 or national)
            ]
            recordings = [
                p
                for p in s.scalars(
                    select(Call.recording_path).where(
                        Call.contact_id == contact_id, Call.recording_path.is_not(None)
                    )
                )
                if p
            ]
            tasks = s.execute(delete(Task).where(Task.contact_id == contact_id)).rowcount  # type: ignore[attr-defined]
            deals = s.execute(delete(Deal).where(Deal.contact_id == contact_id)).rowcount  # type: ignore[attr-defined]
            calls = s.execute(delete(Call).where(Call.contact_id == contact_id)).rowcount  # type: ignore[attr-defined]
            s.execute(delete(Message).where(Message.contact_id == contact_id))
            s.execute(delete(MissedEntry).where(MissedEntry.contact_id == contact_id))
            if keys:
                s.execute(delete(MissedEntry).where(MissedEntry.number_key.in_(keys)))
            s.execute(delete(Contact).where(Contact.id == contact_id))
        outside, deleted = [], []
        profile = self.db.profile.resolve()
        for path_text in recordings:
            path = Path(path_text)
            if not path.is_absolute():
                path = profile / path
            try:
                inside = path.resolve().is_relative_to(profile)
            except OSError:
                inside = False
            if inside:
                path.unlink(missing_ok=True)
                deleted.append(str(path))
            else:
                outside.append(path_text)
        return ErasedContact(contact_id, calls, tasks, deals, tuple(outside), tuple(deleted))

    def iter_contacts(self, batch_size: int = 1000) -> Iterator[ContactView]:
        """Every contact, by id, loaded ``batch_size`` at a time (export)."""
        last = 0
        while True:
            with self.db.session() as s:
                batch = s.scalars(
                    select(Contact).where(Contact.id > last).order_by(Contact.id).limit(batch_size)
                ).all()
                views = contact_views(s, batch)
            if not views:
                return
            yield from views
            last = views[-1].id

    def count_contacts(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(text("SELECT count(*) FROM contacts")) or 0)

    # ------------------------------------------------------------------ search

    def search(self, query: str, limit: int = 20) -> list[ContactView]:
        """Search-as-you-type: names, companies, positions, emails, tags (case-insensitive,
        any script) and any run of a phone's digits. Names starting with the query first."""
        q = fold(query)
        if not q or limit <= 0:
            return []
        if _DIGIT_QUERY.match(q) and any(ch.isdigit() for ch in q):
            words = ["".join(ch for ch in q if ch.isdigit())]
        else:
            words = q.split()
        with self.db.session() as s:
            ids: list[int] = list(
                s.scalars(
                    select(Contact.id)
                    .where(*self._prefix(Contact.name_fold, q))
                    .order_by(Contact.name_fold)
                    .limit(limit)
                )
            )
            if len(ids) < limit:
                want = limit - len(ids)
                for cid in self._search_ids(s, words, want + len(ids)):
                    if cid not in ids:
                        ids.append(cid)
                        if len(ids) >= limit:
                            break
            return contact_views_by_id(s, ids)

    def _prefix(self, column: Any, prefix: str) -> list[Any]:
        if self.db.dialect == "sqlite":
            return [column >= prefix, column < prefix + _MAX_CHAR]
        return [column.startswith(prefix, autoescape=True)]

    def _search_ids(self, s: Session, words: list[str], limit: int) -> list[int]:
        long_words = [w for w in words if len(w) >= 3]
        short_words = [w for w in words if len(w) < 3]
        if self.db.dialect == "sqlite" and long_words:
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
            if not short_words:
                return list(
                    s.scalars(
                        text("SELECT rowid FROM contact_fts WHERE contact_fts MATCH :m LIMIT :n"),
                        {"m": match, "n": limit},
                    )
                )
            stmt = text(
                "SELECT c.id FROM contact_fts f JOIN contacts c ON c.id = f.rowid "
                "WHERE contact_fts MATCH :m "
                + "".join(f"AND instr(c.search_fold, :w{i}) > 0 " for i in range(len(short_words)))
                + "LIMIT :n"
            )
            params: dict[str, Any] = {"m": match, "n": limit}
            params.update({f"w{i}": w for i, w in enumerate(short_words)})
            return list(s.scalars(stmt, params))
        conditions = [Contact.search_fold.contains(w, autoescape=True) for w in words]
        return list(s.scalars(select(Contact.id).where(*conditions).limit(limit)))

    # ------------------------------------------------------------------ lookup

    def lookup(self, number_or_uri: str) -> Match:
        """Who is calling? Tiers: exact E.164, national number, unique suffix (>= 7 digits).

        Withheld callers, short service numbers and internal extensions never match a
        stranger (an extension stored exactly as such does match). See ``matching``."""
        number = self.db.normalize(number_or_uri)
        if number.kind == "withheld":
            return Match(None, matched_by="withheld")
        with known_errors(), self.db.engine.connect() as conn:
            return find_caller(SqlRunner(conn, self.db.dialect), number)

    # ------------------------------------------------------------------ import / export

    def import_contacts(
        self,
        records: Iterable[ContactRecord],
        *,
        progress: Any = None,
        batch_size: int = 5000,
    ) -> ImportResult:
        """Bulk import; see ``softphone.crm.importing``."""
        from softphone.crm.importing import ImportTarget, import_contacts

        target = ImportTarget(self.db.engine, self.db.region, self.index_new_contacts)
        with known_errors():
            return import_contacts(target, records, progress=progress, batch_size=batch_size)


def clean_list(items: Iterable[str] | None) -> list[str]:
    """Stripped, non-empty, each once, in order."""
    out: list[str] = []
    for item in items or ():
        item = (item or "").strip()
        if item and item not in out:
            out.append(item)
    return out
