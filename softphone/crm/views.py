"""Frozen views returned by the store: plain values, never live ORM objects.

Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # decimal's C module is not loaded for an annotation (start-up)
    from decimal import Decimal

#: Why a lookup matched (or did not): the caller card shows it.
MATCHED_BY = ("e164", "national", "suffix", "company", "none", "withheld", "short", "ignored")

CALL_OUTCOMES = (
    "answered", "missed", "rejected", "busy", "failed", "no_answer", "interrupted",
)
#: Inbound outcomes that land in the missed-call inbox and count as "missed" in statistics.
MISSED_OUTCOMES = ("missed", "no_answer", "busy", "failed")
TASK_KINDS = ("call_back", "meeting", "todo")
IGNORE_KINDS = ("spam", "internal")


@dataclass(frozen=True)
class NormalizedNumber:
    """A number or SIP/tel URI as understood by the store.

    ``kind``: ``"number"`` (a full number, ``e164`` set), ``"local"`` (digits that are not a
    full number, e.g. a city number without area code), ``"extension"`` (3-4 digits),
    ``"short"`` (service numbers: 112, 911, 5-6 digit short codes), ``"noregion"`` (7+
    digits without "+" read with no default region: kept as they came, not normalised, until
    a region is set), ``"withheld"``
    (anonymous, restricted, empty) or ``"invalid"`` (no digits, e.g. ``sip:alice@pbx``).
    ``national`` holds the national significant digits (or the bare digits for
    local/extension/short numbers), the key used for national and suffix matching.
    """

    raw: str
    e164: str | None
    national: str | None
    kind: str

    @property
    def key(self) -> str | None:
        """The identity of the number: E.164 if known, else its digits."""
        return self.e164 or self.national


@dataclass(frozen=True)
class PhoneView:
    raw: str
    e164: str | None
    label: str
    primary: bool
    national: str | None = None


@dataclass(frozen=True)
class CompanyView:
    id: int
    name: str


@dataclass(frozen=True)
class ContactView:
    id: int
    name: str
    company: str | None
    company_id: int | None
    position: str | None
    phones: tuple[PhoneView, ...]
    emails: tuple[str, ...]
    tags: tuple[str, ...]
    notes: str
    do_not_call: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def primary_phone(self) -> PhoneView | None:
        for phone in self.phones:
            if phone.primary:
                return phone
        return self.phones[0] if self.phones else None


@dataclass(frozen=True)
class Match:
    """The answer of :meth:`Store.lookup`: who is calling and why the store thinks so."""

    contact: ContactView | None
    company: CompanyView | None = None
    people: list[ContactView] = field(default_factory=list)
    matched_by: str = "none"
    number: str | None = None  # E.164 when known
    ignored: str | None = None  # "spam" / "internal" when the number is on the ignore list

    @property
    def found(self) -> bool:
        return self.contact is not None or self.company is not None


@dataclass(frozen=True)
class WrapupView:
    call_id: int
    outcome: str | None
    reason: str
    note: str
    author: str | None
    updated_at: datetime


@dataclass(frozen=True)
class CallView:
    id: int
    direction: str
    account: str
    number: str
    remote_uri: str
    display_name: str
    contact_id: int | None
    contact_name: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: int | None
    ring_seconds: int | None
    outcome: str | None
    sip_status: int | None
    recording_path: str | None
    quality: dict[str, Any] | None
    agent: str | None
    wrapup: WrapupView | None
    sip_call_id: str = ""
    #: why it ended so, in words ("offered: G726-32/8000" for a call refused for its codecs)
    end_reason: str | None = None


@dataclass(frozen=True)
class TaskView:
    id: int
    kind: str
    title: str
    due_at: datetime | None
    done: bool
    done_at: datetime | None
    contact_id: int | None
    call_id: int | None
    number: str | None
    created_at: datetime


@dataclass(frozen=True)
class DealView:
    id: int
    title: str
    stage: str
    amount: Decimal | None
    contact_id: int | None
    company_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MissedView:
    number: str
    contact_id: int | None
    contact_name: str | None
    count: int
    first_at: datetime
    last_at: datetime
    account: str | None = None


@dataclass(frozen=True)
class IgnoredView:
    number: str  # the key: E.164 or digits
    raw: str
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class ErasedContact:
    """What :meth:`Store.erase_contact` removed. ``recording_paths`` outside the profile are
    left for the caller to delete; ``deleted_files`` were inside the profile and are gone."""

    contact_id: int
    calls: int
    tasks: int
    deals: int
    recording_paths: tuple[str, ...]
    deleted_files: tuple[str, ...]


@dataclass(frozen=True)
class Stats:
    calls: int
    answered: int
    missed: int
    missed_rate: float  # missed / inbound calls, 0.0 when there were none
    total_talk_seconds: int
    avg_talk_seconds: float
    avg_ring_seconds: float
    avg_time_to_callback_seconds: float | None
    per_bucket: list[tuple[datetime, int, int, int, int]]  # (start, calls, answered, missed, talk)
    busiest_hours: list[tuple[int, int]]  # (hour of day 0-23, calls), busiest first
    top_contacts: list[tuple[int, str, int]]  # (contact_id, name, calls)
    inbound: int = 0
    outbound: int = 0


@dataclass(frozen=True)
class RegionReport:
    """What setting a region changed (``Store.set_region``): numbers that had come with no
    region, now normalised, and calls linked to their contacts."""

    phones: int = 0
    calls: int = 0
    linked: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.phones or self.calls or self.linked)
