"""Caller matching against the stored phones: the hot path of an incoming call.

Tiers: exact E.164; national number (when one side has no country); a suffix of at least
7 digits, only when it is unique (or shared inside one company). Withheld callers, short
service numbers and internal extensions never match a stranger. Plain SQL text
(``softphone.crm.queries``) so that the full store and the light SQLite reader run the same
statements: a lookup costs a handful of index probes and little Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from softphone.crm.phones import NO_REGION, can_match_stranger, suffix_keys
from softphone.crm.queries import Runner, contact_views_by_id, fold, in_list, insert_call
from softphone.crm.views import CompanyView, Match, NormalizedNumber

_IGNORED = "SELECT kind FROM ignored_numbers WHERE number_key = :key"
_BY_E164 = "SELECT contact_id FROM phones WHERE e164 = :e164 LIMIT 50"
_BY_NATIONAL_NO_COUNTRY = (
    "SELECT contact_id FROM phones WHERE national = :national AND e164 IS NULL LIMIT 50"
)
_BY_NATIONAL = "SELECT contact_id FROM phones WHERE national = :national LIMIT 50"
# stored number ends with the incoming digits (reversed: starts with them)
_REV_RANGE = "SELECT contact_id FROM phones WHERE rev >= :rev_lo AND rev < :rev_hi{} LIMIT 20"
_REV_LIKE = "SELECT contact_id FROM phones WHERE rev LIKE :rev_like{} LIMIT 20"
# stored number is a suffix of the incoming digits
_REV_IN = "SELECT contact_id FROM phones WHERE rev IN ({}){} LIMIT 20"
_NO_COUNTRY = " AND e164 IS NULL"


def _ids(db: Runner, statement: str, **params: Any) -> list[int]:
    ids: list[int] = []
    for (cid,) in db.rows(statement, params):
        if cid not in ids:
            ids.append(cid)
    return ids


def find_caller(db: Runner, number: NormalizedNumber) -> Match:
    """The :class:`Match` for an already normalized number (see ``Store.lookup``)."""
    if number.kind == "withheld":
        return Match(None, matched_by="withheld")
    if number.key:
        rows = db.rows(_IGNORED, {"key": number.key})
        kind = rows[0][0] if rows else None
        if kind:
            return Match(None, matched_by="ignored", number=number.e164, ignored=kind)
    if number.national is None:
        return Match(None, matched_by="none")
    if not can_match_stranger(number):
        ids = _ids(db, _BY_NATIONAL_NO_COUNTRY, national=number.national)
        if ids:
            return _answer(db, ids, "national", number)
        return Match(None, matched_by="short")
    if number.e164:
        ids = _ids(db, _BY_E164, e164=number.e164)
        if ids:
            return _answer(db, ids, "e164", number)
        ids = _ids(db, _BY_NATIONAL_NO_COUNTRY, national=number.national)
    else:
        ids = _ids(db, _BY_NATIONAL, national=number.national)
    if ids:
        return _answer(db, ids, "national", number)
    ids = _suffix_contacts(db, number)
    if ids:
        return _answer(db, ids, "suffix", number)
    return Match(None, matched_by="none", number=number.e164)


def _suffix_contacts(db: Runner, number: NormalizedNumber) -> list[int]:
    national = number.national or ""
    if len(national) < 7:
        return []
    rev = national[::-1]
    # two full numbers (both with a country) that differ are different numbers
    extra = _NO_COUNTRY if number.e164 is not None else ""
    if db.dialect == "sqlite":
        ids = _ids(db, _REV_RANGE.format(extra), rev_lo=rev, rev_hi=rev + ":")  # ":" after "9"
    else:  # collations other than C may not sort ":" after digits
        ids = _ids(db, _REV_LIKE.format(extra), rev_like=rev + "%")
    keys = suffix_keys(national)
    if keys:
        marks, params = in_list("r", list(keys))
        for cid in _ids(db, _REV_IN.format(marks, extra), **params):
            if cid not in ids:
                ids.append(cid)
    return ids


def _answer(db: Runner, ids: list[int], tier: str, number: NormalizedNumber) -> Match:
    people = contact_views_by_id(db, ids)
    people.sort(key=lambda c: fold(c.name))
    if not people:
        return Match(None, matched_by="none", number=number.e164)
    company = None
    company_ids = {c.company_id for c in people}
    if len(company_ids) == 1 and people[0].company_id is not None:
        company = CompanyView(people[0].company_id, people[0].company or "")
    if len(people) == 1:
        return Match(people[0], company, people, tier, number.e164)
    if company is not None:
        return Match(None, company, people, "company", number.e164)
    if tier == "suffix":  # a suffix must be unique to count
        return Match(None, matched_by="none", number=number.e164)
    return Match(None, None, people, tier, number.e164)


def log_call_start(
    db: Runner, nn: NormalizedNumber, *, direction: str, account: str, number: str,
    remote_uri: str, display_name: str, started_at: datetime, sip_call_id: str,
    contact_id: int | None, agent: str | None, client_key: str | None = None,
) -> int:
    """Write a new call-log row (matching the caller unless ``contact_id`` is given); its id.
    ``nn`` is ``number`` (or ``remote_uri``) normalized."""
    if contact_id is None and nn.kind not in ("withheld", "invalid"):
        match = find_caller(db, nn)
        if match.contact is not None:
            contact_id = match.contact.id
    return insert_call(
        db, direction=direction, account=account, number=nn.e164 or number or remote_uri,
        number_key=nn.key if nn.kind not in ("withheld", "invalid") else None,
        remote_uri=remote_uri, display_name=display_name, contact_id=contact_id,
        started_at=started_at, sip_call_id=sip_call_id, agent=agent, client_key=client_key,
        needs_region=nn.kind == NO_REGION)
