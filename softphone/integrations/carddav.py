"""Two-way contact sync with a CardDAV address book (Nextcloud, Radicale, any RFC 6352 server).

One run (:meth:`CardDavSync.run`):

1. *Pull*: what changed on the server since the last run (the sync token of RFC 6578, else
   every card's ETag compared with ours). A card new there becomes a contact here (or is
   linked to the same person already here: same name and a shared number or e-mail). A card
   changed there updates its contact; when the contact changed here too, the two changes are
   merged field by field (:func:`softphone.crm.vcard_sync.merge`): what lost is written into
   the contact's history, and the merged card goes back to the server. A card deleted there
   deletes its contact, unless the contact changed here since (then it is kept, noted in its
   history, and uploaded again).
2. *Push*: contacts changed here (their ``version`` moved since the last sync) are written
   over the server's card with ``If-Match`` (the server's last ETag: a card that changed there
   meanwhile is merged first); contacts deleted here are deleted there (``If-Match`` again: a
   card changed there since is brought back here instead of lost); new contacts are created
   (``If-None-Match: *``).

Every step commits on its own, and the sync token is stored only after a pull that finished:
a run that stops half-way (network gone, app killed) is resumed by the next one, which redoes
only what did not finish. A new card's link is written *before* its upload, so an upload that
arrived but whose answer was lost is recognised (``If-None-Match`` fails) and not duplicated.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from softphone.crm.errors import ConflictError, NotFoundError
from softphone.crm.phones import is_usable
from softphone.crm.store_sync import IGNORED, SYNCED, UPLOADING, CardDavItemView
from softphone.crm.vcard_sync import (
    CardFields,
    clean,
    fields_of_contact,
    history_fields,
    merge,
    new_uid,
    read_card,
    write_card,
)
from softphone.integrations.carddav_client import (
    CardDavClient,
    CardDavError,
    NotFound,
    PreconditionFailed,
)

log = logging.getLogger("softphone.integrations.carddav")
SOURCE = "carddav"
TOKEN_KEY = "sync_token"


@dataclass
class SyncReport:
    created_here: int = 0
    updated_here: int = 0
    deleted_here: int = 0
    created_there: int = 0
    updated_there: int = 0
    deleted_there: int = 0
    conflicts: int = 0
    unreadable: int = 0
    #: items left for the next run (changed while we synced, a server error on one card)
    postponed: list[str] = field(default_factory=list)
    used_sync_token: bool = False

    @property
    def changed_here(self) -> bool:
        return bool(self.created_here or self.updated_here or self.deleted_here)

    def summary(self) -> str:
        return (f"here: {self.created_here} new, {self.updated_here} changed, "
                f"{self.deleted_here} deleted; server: {self.created_there} new, "
                f"{self.updated_there} changed, {self.deleted_there} deleted; "
                f"{self.conflicts} conflict(s) merged"
                + (f"; {len(self.postponed)} left for the next sync" if self.postponed else ""))


class CardDavSync:
    """Syncs one address book with the contacts of ``store`` (a full ``Store``)."""

    def __init__(self, store: Any, client: CardDavClient, book: str | None = None) -> None:
        self.store = store
        self.client = client
        #: the key the links are kept under: the configured URL (stable across discovery)
        self.book = book or client.url

    def _usable(self, raw: str) -> str | None:
        number = self.store.normalize(raw)
        return number.key if is_usable(number) else None

    def _read(self, text: str | None) -> tuple[CardFields | None, str | None]:
        if not text:
            return None, None
        fields, uid = read_card(text)
        if fields is not None:
            fields = clean(fields, self._usable)
            if not fields.name or not (fields.phones or fields.emails):
                fields = None
        return fields, uid

    # ------------------------------------------------------------------------------------------
    def run(self) -> SyncReport:
        report = SyncReport()
        self.client.address_book()  # fails early (and clearly) when the server is unusable
        items = {i.href: i for i in self.store.carddav_items(self.book)}
        token = self.store.carddav_state(self.book, TOKEN_KEY)
        known = {h: i.etag for h, i in items.items() if i.state != UPLOADING}
        changes = self.client.changes(token, known)
        report.used_sync_token = changes.token is not None
        todo = [h for h, etag in changes.changed.items()
                if h not in items or items[h].etag != etag]
        unlinked = set(self.store.contacts_without_card(self.book))
        for href, (etag, text) in self.client.fetch(todo).items():
            try:
                self._pulled(href, etag, text, items.get(href), unlinked, report)
            except (ConflictError, PreconditionFailed) as exc:
                log.info("CardDAV: %s changed while syncing (%s): next time", href, exc)
                report.postponed.append(href)
        for href in changes.removed:
            item = items.get(href)
            if item is not None and item.state != UPLOADING:
                try:
                    self._removed_there(item, report)
                except ConflictError:
                    report.postponed.append(href)
        if changes.token and not report.postponed:
            self.store.set_carddav_state(self.book, TOKEN_KEY, changes.token)
        self._push(report)
        log.info("CardDAV sync: %s", report.summary())
        return report

    # --- pull ---------------------------------------------------------------------------------
    def _pulled(self, href: str, etag: str, text: str, item: CardDavItemView | None,
                unlinked: set[int], report: SyncReport) -> None:
        theirs, uid = self._read(text)
        uid = uid or (item.uid if item is not None else new_uid())
        contact = None
        if item is not None and item.contact_id is not None:
            contact = self.store.get_contact(item.contact_id)
        if theirs is None:  # a group, an empty card: leave it on the server as it is
            report.unreadable += 1
            self.store.save_carddav_item(
                self.book, href, contact_id=contact.id if contact else None, uid=uid,
                etag=etag, base_card=text, synced_version=contact.version if contact else None,
                state=SYNCED if contact else IGNORED)
            return
        if contact is None:
            same = self._same_person(theirs, unlinked)
            if same is None:
                view = self.store.create_contact(**theirs.as_update())
                report.created_here += 1
                self.store.save_carddav_item(self.book, href, contact_id=view.id, uid=uid,
                                             etag=etag, base_card=text,
                                             synced_version=view.version)
                return
            unlinked.discard(same.id)
            self._merge_into(same, None, theirs, href, etag, text, uid, report)
            return
        base, _ = self._read(item.base_card if item is not None else None)
        if item is not None and contact.version == item.synced_version:
            view = contact
            if fields_of_contact(contact) != theirs:
                view = self.store.update_contact(contact.id, expected_version=contact.version,
                                                 **theirs.as_update())
                report.updated_here += 1
            self.store.save_carddav_item(self.book, href, contact_id=view.id, uid=uid,
                                         etag=etag, base_card=text, synced_version=view.version)
            return
        self._merge_into(contact, base, theirs, href, etag, text, uid, report)

    def _merge_into(self, contact: Any, base: CardFields | None, theirs: CardFields, href: str,
                    etag: str, text: str, uid: str, report: SyncReport) -> None:
        here = clean(fields_of_contact(contact), self._usable)
        result = merge(base, here, theirs)
        if result.conflicts:
            report.conflicts += 1
        if result.lost_here:
            self.store.add_history(
                contact.id, source=SOURCE, kind="conflict", fields=history_fields(
                    result.lost_here),
                note="changed here and on the CardDAV server; the server's value was kept")
        view = contact
        if result.fields != here:
            view = self.store.update_contact(contact.id, expected_version=contact.version,
                                             **result.fields.as_update())
            report.updated_here += 1
        card, new_etag = text, etag
        if result.fields != theirs:
            card = write_card(result.fields, uid, text, theirs)
            new_etag = self.client.put(href, card, etag=etag) or ""
            report.updated_there += 1
        self.store.save_carddav_item(self.book, href, contact_id=view.id, uid=uid,
                                     etag=new_etag, base_card=card, synced_version=view.version)

    def _same_person(self, theirs: CardFields, unlinked: set[int]) -> Any:
        """A contact here that is not linked yet and is clearly the same person."""
        if not unlinked:
            return None
        keys = {self._usable(raw) for raw, _ in theirs.phones} - {None}
        emails = {e.casefold() for e in theirs.emails}
        for candidate in self.store.search(theirs.name, limit=20):
            if candidate.id not in unlinked or \
                    candidate.name.casefold() != theirs.name.casefold():
                continue
            if keys & {self._usable(p.raw) for p in candidate.phones} or \
                    emails & {e.casefold() for e in candidate.emails}:
                return candidate
        return None

    def _removed_there(self, item: CardDavItemView, report: SyncReport) -> None:
        contact = (self.store.get_contact(item.contact_id)
                   if item.contact_id is not None else None)
        if contact is not None and contact.version == item.synced_version:
            self.store.delete_contact(contact.id)
            report.deleted_here += 1
        elif contact is not None:
            self.store.add_history(
                contact.id, source=SOURCE, kind="kept",
                fields={}, note="deleted on the CardDAV server, kept because it changed here; "
                "uploaded again")
            report.conflicts += 1
        self.store.delete_carddav_item(self.book, item.href)

    # --- push ---------------------------------------------------------------------------------
    def _push(self, report: SyncReport) -> None:
        items = self.store.carddav_items(self.book)
        versions = self.store.contact_versions(
            [i.contact_id for i in items if i.contact_id is not None])
        for item in items:
            try:
                if item.state == UPLOADING:
                    self._upload(item.contact_id, item, report)
                elif item.state == SYNCED and item.contact_id is None:
                    self._delete_there(item, report)
                elif item.state == SYNCED and versions.get(item.contact_id or 0) \
                        != item.synced_version:
                    self._update_there(item, report)
            except (PreconditionFailed, ConflictError) as exc:
                log.info("CardDAV: %s changed meanwhile (%s): next time", item.href, exc)
                report.postponed.append(item.href)
        for contact_id in self.store.contacts_without_card(self.book):
            self._upload(contact_id, None, report)

    def _upload(self, contact_id: int | None, item: CardDavItemView | None,
                report: SyncReport) -> None:
        contact = self.store.get_contact(contact_id) if contact_id is not None else None
        uid = item.uid if item is not None else new_uid()
        href = item.href if item is not None else self.client.new_href(uid)
        if contact is None:  # deleted here before its upload finished
            if item is not None:
                with contextlib.suppress(NotFound):
                    self.client.delete(href, None)
                self.store.delete_carddav_item(self.book, href)
            return
        fields = clean(fields_of_contact(contact), self._usable)
        # the link first: an upload whose answer is lost is found again, not duplicated
        self.store.save_carddav_item(self.book, href, contact_id=contact.id, uid=uid,
                                     etag=None, base_card=None, synced_version=None,
                                     state=UPLOADING)
        card = write_card(fields, uid)
        try:
            etag = self.client.put(href, card)
        except PreconditionFailed:  # it arrived last time: take the server's copy as the base
            got = self.client.get(href)
            if got is None:
                raise CardDavError(f"{href}: exists and does not") from None
            etag, card = got
        self.store.save_carddav_item(self.book, href, contact_id=contact.id, uid=uid,
                                     etag=etag or "", base_card=card,
                                     synced_version=contact.version)
        report.created_there += 1

    def _update_there(self, item: CardDavItemView, report: SyncReport) -> None:
        contact = self.store.get_contact(item.contact_id) if item.contact_id else None
        if contact is None:
            return
        here = clean(fields_of_contact(contact), self._usable)
        base, _ = self._read(item.base_card)
        if base == here:  # only fields the server does not keep changed (or a no-op save)
            self.store.save_carddav_item(self.book, item.href, contact_id=contact.id,
                                         uid=item.uid, etag=item.etag, base_card=item.base_card,
                                         synced_version=contact.version)
            return
        card = write_card(here, item.uid, item.base_card, base)
        try:
            etag = self.client.put(item.href, card, etag=item.etag or None)
        except PreconditionFailed:
            got = self.client.get(item.href)  # changed there too: merge now
            if got is None:
                raise
            self._pulled(item.href, got[0], got[1], item, set(), report)
            return
        self.store.save_carddav_item(self.book, item.href, contact_id=contact.id, uid=item.uid,
                                     etag=etag or "", base_card=card,
                                     synced_version=contact.version)
        report.updated_there += 1

    def _delete_there(self, item: CardDavItemView, report: SyncReport) -> None:
        try:
            self.client.delete(item.href, item.etag)
        except NotFound:
            pass
        except PreconditionFailed:  # changed there since: bring it back rather than lose it
            got = self.client.get(item.href)
            if got is not None:
                self.store.delete_carddav_item(self.book, item.href)
                self._pulled(item.href, got[0], got[1], None, set(), report)
                return
        self.store.delete_carddav_item(self.book, item.href)
        report.deleted_there += 1


def sync_once(store: Any, url: str, username: str | None, password: str | None, *,
              timeout: float = 30.0, verify_tls: bool = True) -> SyncReport:
    client = CardDavClient(url, username, password, timeout=timeout, verify_tls=verify_tls)
    try:
        return CardDavSync(store, client).run()
    except NotFoundError as exc:
        raise CardDavError(str(exc)) from None
