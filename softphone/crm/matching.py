"""Caller matching against the stored phones: the hot path of an incoming call.

Tiers: exact E.164; national number (when one side has no country); a suffix of at least
7 digits, only when it is unique (or shared inside one company). Withheld callers, short
service numbers and internal extensions never match a stranger. Statements are built once
(bound parameters) so that a lookup costs a handful of index probes and little Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select

from softphone.crm.convert import contact_views_by_id, fold
from softphone.crm.models import IgnoredNumber, Phone
from softphone.crm.phones import can_match_stranger, suffix_keys
from softphone.crm.views import CompanyView, Match, NormalizedNumber

# plain table columns: no ORM annotations to adapt on every execution
_P = Phone.__table__.c
_I = IgnoredNumber.__table__.c

_IGNORED = select(_I.kind).where(_I.number_key == bindparam("key"))
_BY_E164 = select(_P.contact_id).where(_P.e164 == bindparam("e164")).limit(50)
_BY_NATIONAL_NO_COUNTRY = (
    select(_P.contact_id)
    .where(_P.national == bindparam("national"), _P.e164.is_(None))
    .limit(50)
)
_BY_NATIONAL = select(_P.contact_id).where(_P.national == bindparam("national")).limit(50)
# stored number ends with the incoming digits (reversed: starts with them)
_REV_RANGE = (
    select(_P.contact_id)
    .where(_P.rev >= bindparam("rev_lo"), _P.rev < bindparam("rev_hi"))
    .limit(20)
)
_REV_RANGE_NO_COUNTRY = _REV_RANGE.where(_P.e164.is_(None))
_REV_LIKE = select(_P.contact_id).where(_P.rev.like(bindparam("rev_like"))).limit(20)
_REV_LIKE_NO_COUNTRY = _REV_LIKE.where(_P.e164.is_(None))
# stored number is a suffix of the incoming digits
_REV_IN = (
    select(_P.contact_id)
    .where(_P.rev.in_(bindparam("revs", expanding=True)))
    .limit(20)
)
_REV_IN_NO_COUNTRY = _REV_IN.where(_P.e164.is_(None))


def _ids(conn: Connection, statement: Any, **params: Any) -> list[int]:
    ids: list[int] = []
    for cid in conn.scalars(statement, params):
        if cid not in ids:
            ids.append(cid)
    return ids


def find_caller(conn: Connection, number: NormalizedNumber) -> Match:
    """The :class:`Match` for an already normalized number (see ``Store.lookup``)."""
    if number.kind == "withheld":
        return Match(None, matched_by="withheld")
    if number.key:
        kind = conn.scalar(_IGNORED, {"key": number.key})
        if kind:
            return Match(None, matched_by="ignored", number=number.e164, ignored=kind)
    if number.national is None:
        return Match(None, matched_by="none")
    if not can_match_stranger(number):
        ids = _ids(conn, _BY_NATIONAL_NO_COUNTRY, national=number.national)
        if ids:
            return _answer(conn, ids, "national", number)
        return Match(None, matched_by="short")
    if number.e164:
        ids = _ids(conn, _BY_E164, e164=number.e164)
        if ids:
            return _answer(conn, ids, "e164", number)
        ids = _ids(conn, _BY_NATIONAL_NO_COUNTRY, national=number.national)
    else:
        ids = _ids(conn, _BY_NATIONAL, national=number.national)
    if ids:
        return _answer(conn, ids, "national", number)
    ids = _suffix_contacts(conn, number)
    if ids:
        return _answer(conn, ids, "suffix", number)
    return Match(None, matched_by="none", number=number.e164)


def _suffix_contacts(conn: Connection, number: NormalizedNumber) -> list[int]:
    national = number.national or ""
    if len(national) < 7:
        return []
    rev = national[::-1]
    # two full numbers (both with a country) that differ are different numbers
    no_country = number.e164 is not None
    if conn.dialect.name == "sqlite":
        ids = _ids(conn, _REV_RANGE_NO_COUNTRY if no_country else _REV_RANGE,
                   rev_lo=rev, rev_hi=rev + ":")  # ":" follows "9"
    else:  # collations other than C may not sort ":" after digits
        ids = _ids(conn, _REV_LIKE_NO_COUNTRY if no_country else _REV_LIKE, rev_like=rev + "%")
    keys = suffix_keys(national)
    if keys:
        for cid in _ids(conn, _REV_IN_NO_COUNTRY if no_country else _REV_IN, revs=keys):
            if cid not in ids:
                ids.append(cid)
    return ids


def _answer(conn: Connection, ids: list[int], tier: str, number: NormalizedNumber) -> Match:
    people = contact_views_by_id(conn, ids)
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
