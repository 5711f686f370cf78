"""Numbers that arrived while no region was set, normalised once one is (issue 14).

With no default region, ``84951234567`` may be Moscow (RU, trunk prefix 8) or a Vietnamese
number without its "+": nobody can tell, so it is stored as it came (a phone of kind
``noregion``, a call with ``needs_region``) and matched by its digits only. When a region
becomes known (the settings, or a store opened with one) :meth:`Regions.set_region`
normalises those phones and calls, links the calls to their contacts (card, history and
statistics then show them) and re-keys the missed-call inbox and the ignore list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Set as AbstractSet

from sqlalchemy import select
from sqlalchemy.orm import Session

from softphone.crm.database import Database
from softphone.crm.matching import find_caller
from softphone.crm.models import Call, Contact, IgnoredNumber, MissedEntry, Phone
from softphone.crm.phones import NO_REGION, normalize, region_known, reverse_digits
from softphone.crm.views import RegionReport

log = logging.getLogger("softphone.crm")

class Regions:
    """``set_region`` for :class:`softphone.crm.store.Store`; ``refresh_search(session,
    contact)`` is the contacts' (a contact is found by its new digits too)."""

    def __init__(self, db: Database,
                 refresh_search: Callable[[Session, Contact], None]) -> None:
        self.db = db
        self._refresh_search = refresh_search

    def set_region(self, region: str | None) -> RegionReport:
        """Use ``region`` (ISO code, "" for none) from now on, and normalise what arrived
        while none was set. Returns what changed."""
        self.db.region = (region or "").upper()
        if not region_known(self.db.region):
            return RegionReport()
        with self.db.session() as s:
            report = self._normalise_waiting(s, self.db.region)
        if report.changed:
            log.info("region %s: %d phones and %d calls normalised, %d calls linked",
                     self.db.region, report.phones, report.calls, report.linked)
        return report

    def _normalise_waiting(self, s: Session, region: str) -> RegionReport:
        db = self.db.runner(s)
        phones = 0
        new_keys: set[str] = set()  # the phones' new E.164 numbers
        touched: set[int] = set()
        for phone in s.scalars(select(Phone).where(Phone.kind == NO_REGION)):
            nn = normalize(phone.raw, region)
            if nn.kind == NO_REGION:
                continue
            phone.e164, phone.national = nn.e164, nn.national
            phone.rev, phone.kind = reverse_digits(nn.national), nn.kind
            phones += 1
            touched.add(phone.contact_id)
            if nn.e164:
                new_keys.add(nn.e164)
        s.flush()
        for contact in s.scalars(select(Contact).where(Contact.id.in_(touched))):
            self._refresh_search(s, contact)  # found by the new digits too
        calls = linked = 0
        rekeyed: dict[str, tuple[str, str, int | None]] = {}  # old key -> key, number, contact
        for call in s.scalars(select(Call).where(Call.needs_region)):
            nn = normalize(call.number or call.remote_uri, region)
            if nn.kind == NO_REGION:
                continue
            old_key = call.number_key
            call.number = nn.e164 or call.number
            call.number_key = nn.key
            call.needs_region = False
            calls += 1
            if call.contact_id is None and nn.kind not in ("withheld", "invalid"):
                match = find_caller(db, nn)
                if match.contact is not None:
                    call.contact_id = match.contact.id
                    linked += 1
            if old_key and nn.key:
                rekeyed[old_key] = (nn.key, call.number, call.contact_id)
        s.flush()
        # calls that arrived in full (+7...) before their contact's phone could be read
        for e164 in sorted(new_keys):
            match = find_caller(db, normalize(e164, region))
            if match.contact is None:
                continue
            for call in s.scalars(select(Call).where(Call.number_key == e164,
                                                     Call.contact_id.is_(None))):
                call.contact_id = match.contact.id
                linked += 1
            rekeyed.setdefault(e164, (e164, e164, match.contact.id))
        s.flush()
        self._rekey_missed(s, rekeyed)
        self._rekey_ignored(s, region, {k for k, v in rekeyed.items() if k != v[0]})
        return RegionReport(phones, calls, linked)

    @staticmethod
    def _rekey_missed(s: Session, rekeyed: dict[str, tuple[str, str, int | None]]) -> None:
        """Inbox entries follow their calls' new keys; two open entries of one number (its
        national and its full form) become one."""
        for old_key, (key, number, contact_id) in rekeyed.items():
            for entry in s.scalars(select(MissedEntry).where(MissedEntry.number_key == old_key)):
                entry.number_key, entry.number = key, number
                if contact_id is not None:
                    entry.contact_id = contact_id
        s.flush()
        keys = {key for key, _n, _c in rekeyed.values()}
        for key in keys:
            open_entries = list(s.scalars(
                select(MissedEntry).where(MissedEntry.number_key == key,
                                          MissedEntry.cleared_at.is_(None))
                .order_by(MissedEntry.first_at)))
            if len(open_entries) < 2:
                continue
            keep, *rest = open_entries
            for other in rest:
                keep.count += other.count
                keep.last_at = max(keep.last_at, other.last_at)
                keep.contact_id = keep.contact_id or other.contact_id
                keep.account = other.account or keep.account
                s.delete(other)
        s.flush()

    @staticmethod
    def _rekey_ignored(s: Session, region: str, old_keys: AbstractSet[str]) -> None:
        """Numbers ignored by the digits their calls arrived with (no region then) are
        ignored by their full form from now on."""
        if not old_keys:
            return
        for row in s.scalars(select(IgnoredNumber).where(
                IgnoredNumber.number_key.in_(sorted(old_keys)))):
            nn = normalize(row.raw, region)
            if nn.e164 is None or nn.e164 == row.number_key:
                continue
            if s.scalar(select(IgnoredNumber.id).where(IgnoredNumber.number_key == nn.e164)):
                s.delete(row)  # the full form is ignored already
            else:
                row.number_key = nn.e164
        s.flush()
