"""The store's side of contact sync: a contact's history, and which contact is which card of a
CardDAV address book. No network here (``softphone/integrations/carddav.py`` talks to the
server); each method is one short transaction, so a sync that stops half-way keeps what it
finished."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from softphone.crm.convert import utcnow
from softphone.crm.database import Database
from softphone.crm.errors import NotFoundError
from softphone.crm.models import CardDavItem, CardDavState, Contact, ContactHistory

#: card states: linked to a contact and in sync; a card we cannot read as a contact (no number
#: nor e-mail) that we leave alone; a new card whose upload may not have arrived (resumed)
SYNCED, IGNORED, UPLOADING = "synced", "ignored", "uploading"


@dataclass(frozen=True)
class HistoryView:
    id: int
    contact_id: int
    at: datetime
    source: str
    kind: str
    fields: dict[str, Any]
    note: str


@dataclass(frozen=True)
class CardDavItemView:
    book: str
    href: str
    contact_id: int | None
    uid: str
    etag: str | None
    base_card: str | None
    synced_version: int | None
    state: str


def _item_view(row: CardDavItem) -> CardDavItemView:
    return CardDavItemView(row.book, row.href, row.contact_id, row.uid, row.etag, row.base_card,
                           row.synced_version, row.state)


class SyncRecords:
    """The part of :class:`softphone.crm.store.Store` about contact sync."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ history

    def add_history(self, contact_id: int, *, source: str, kind: str,
                    fields: dict[str, Any], note: str = "") -> HistoryView:
        with self.db.session() as s:
            if s.get(Contact, contact_id) is None:
                raise NotFoundError(f"contact {contact_id} does not exist")
            row = ContactHistory(contact_id=contact_id, at=utcnow(), source=source, kind=kind,
                                 fields=dict(fields), note=note or "")
            s.add(row)
            s.flush()
            return HistoryView(row.id, row.contact_id, row.at, row.source, row.kind,
                               dict(row.fields), row.note)

    def contact_history(self, contact_id: int, limit: int = 50) -> list[HistoryView]:
        """Newest first."""
        with self.db.session() as s:
            rows = s.scalars(select(ContactHistory).where(
                ContactHistory.contact_id == contact_id).order_by(
                ContactHistory.id.desc()).limit(limit)).all()
            return [HistoryView(r.id, r.contact_id, r.at, r.source, r.kind, dict(r.fields),
                                r.note) for r in rows]

    # ------------------------------------------------------------------ CardDAV links

    def carddav_items(self, book: str) -> list[CardDavItemView]:
        with self.db.session() as s:
            return [_item_view(r) for r in s.scalars(
                select(CardDavItem).where(CardDavItem.book == book).order_by(CardDavItem.id))]

    def carddav_item(self, book: str, href: str) -> CardDavItemView | None:
        with self.db.session() as s:
            row = s.scalar(select(CardDavItem).where(CardDavItem.book == book,
                                                     CardDavItem.href == href))
            return _item_view(row) if row is not None else None

    def save_carddav_item(self, book: str, href: str, *, contact_id: int | None, uid: str,
                          etag: str | None, base_card: str | None,
                          synced_version: int | None, state: str = SYNCED) -> None:
        with self.db.session() as s:
            row = s.scalar(select(CardDavItem).where(CardDavItem.book == book,
                                                     CardDavItem.href == href))
            if row is None:
                row = CardDavItem(book=book, href=href)
                s.add(row)
            row.contact_id, row.uid, row.etag = contact_id, uid, etag
            row.base_card, row.synced_version, row.state = base_card, synced_version, state
            s.flush()

    def delete_carddav_item(self, book: str, href: str) -> None:
        with self.db.session() as s:
            s.execute(delete(CardDavItem).where(CardDavItem.book == book,
                                                CardDavItem.href == href))

    def contacts_without_card(self, book: str) -> list[int]:
        """Contacts that have no card in ``book`` yet (to upload), oldest first."""
        with self.db.session() as s:
            linked = select(CardDavItem.contact_id).where(
                CardDavItem.book == book, CardDavItem.contact_id.is_not(None))
            return list(s.scalars(select(Contact.id).where(Contact.id.not_in(linked))
                                  .order_by(Contact.id)))

    def contact_versions(self, ids: list[int]) -> dict[int, int]:
        with self.db.session() as s:
            out: dict[int, int] = {}
            for chunk in _chunks(ids, 500):
                for contact_id, version in s.execute(select(Contact.id, Contact.version).where(
                        Contact.id.in_(chunk))):
                    out[contact_id] = version
            return out

    def carddav_state(self, book: str, key: str) -> str | None:
        with self.db.session() as s:
            row = s.get(CardDavState, (book, key))
            return row.value if row is not None else None

    def set_carddav_state(self, book: str, key: str, value: str | None) -> None:
        with self.db.session() as s:
            row = s.get(CardDavState, (book, key))
            if value is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(CardDavState(book=book, key=key, value=value))
            else:
                row.value = value


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
