"""vCards for two-way sync: read a server's card into the fields the CRM keeps, write a contact
back into *that* card without losing what the CRM does not keep, and merge two changes.

The project's vCard reader and writer (:mod:`softphone.crm.io_vcard`) do the parsing and the
writing; what sync adds: a card is read without folding addresses, birthdays etc. into the
notes (they stay in the server's card, untouched), and a write replaces only the properties
of the fields that changed (a ``TEL`` keeps its parameters, an ``ADR``, ``PHOTO`` or ``X-``
property of another client survives every round trip).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from softphone.crm import io_vcard
from softphone.crm.records import ContactRecord, SkippedRow

#: vCard properties the CRM keeps, by field
_FIELD_PROPS = {
    "name": ("FN", "N"), "company": ("ORG",), "position": ("TITLE",), "phones": ("TEL",),
    "emails": ("EMAIL",), "tags": ("CATEGORIES",), "notes": ("NOTE",),
    "do_not_call": ("X-SOFTPHONE-DO-NOT-CALL",),
}
_READ = {"FN", "N", "ORG", "TITLE", "ROLE", "TEL", "EMAIL", "CATEGORIES", "NOTE",
         "X-SOFTPHONE-DO-NOT-CALL", "X-DO-NOT-CALL", "X-ABLABEL"}
FIELDS = tuple(_FIELD_PROPS)
LIST_FIELDS = ("phones", "emails", "tags")


@dataclass(frozen=True)
class CardFields:
    name: str
    company: str | None = None
    position: str | None = None
    phones: tuple[tuple[str, str], ...] = ()  # (as typed, label)
    emails: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    notes: str = ""
    do_not_call: bool = False

    def as_update(self) -> dict[str, Any]:
        """Keyword arguments for ``Store.update_contact`` / ``create_contact``."""
        values = asdict(self)
        values["phones"] = [tuple(p) for p in self.phones]
        values["emails"] = list(self.emails)
        values["tags"] = list(self.tags)
        return values


def clean(fields: CardFields, usable: Callable[[str], str | None]) -> CardFields:
    """The fields as the store will keep them: numbers it can read (``usable(raw)`` gives
    the number's identity or None), each once; e-mails and tags once, in order."""
    phones: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw, label in fields.phones:
        key = usable(raw)
        if key is None or key in seen:
            continue
        seen.add(key)
        phones.append((raw.strip(), label or "work"))
    return replace(fields, name=fields.name.strip(), company=(fields.company or "").strip()
                   or None, position=(fields.position or "").strip() or None,
                   phones=tuple(phones), emails=_unique(fields.emails),
                   tags=_unique(fields.tags))


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.strip() for s in items if s and s.strip()))


def fields_of_contact(contact: Any) -> CardFields:
    """A store ContactView as card fields."""
    return CardFields(name=contact.name, company=contact.company, position=contact.position,
                      phones=tuple((p.raw, p.label or "work") for p in contact.phones),
                      emails=tuple(contact.emails), tags=tuple(contact.tags),
                      notes=contact.notes or "", do_not_call=bool(contact.do_not_call))


def read_card(text: str) -> tuple[CardFields | None, str | None]:
    """(fields, UID) of one card; fields are None for a card the CRM cannot keep (no name, no
    number and no e-mail: e.g. a group or an empty card)."""
    cards = io_vcard.read_cards(text, [], [])
    if not cards:
        return None, None
    card = cards[0]
    uid = next((io_vcard.property_value(p) for p in card.props if p.name == "UID"), None)
    card.props = [p for p in card.props if p.name in _READ]
    record = io_vcard.card_to_record(card, [])
    if isinstance(record, SkippedRow):
        return None, uid
    # only the card's NOTE: what the importer adds to the notes (department, extension, role)
    # stays in its own property on the server
    record.notes = "\n".join(v for p in card.props if p.name == "NOTE"
                             if (v := io_vcard.property_value(p)))
    return _fields_of_record(record), uid


def _fields_of_record(record: ContactRecord) -> CardFields:
    return CardFields(name=record.name, company=record.company, position=record.position,
                      phones=tuple((raw, label) for raw, label in record.phones),
                      emails=tuple(record.emails), tags=tuple(record.tags),
                      notes=record.notes, do_not_call=record.do_not_call)


def new_uid() -> str:
    return str(uuid.uuid4())


def write_card(fields: CardFields, uid: str, base_text: str | None = None,
               base_fields: CardFields | None = None) -> str:
    """The card to store on the server. With the server's last card (``base_text``, read as
    ``base_fields``) only the properties of changed fields are replaced."""
    rev = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if base_text is None:
        text = _fresh(fields, "4.0", rev)
        lines = _lines(text)
        return _join([lines[0], lines[1], f"UID:{io_vcard.vcard_escape(uid, comma=False)}",
                      *lines[2:]])
    base_lines = _lines(base_text)
    version = next((ln.split(":", 1)[1].strip() for ln in base_lines
                    if ln.upper().startswith("VERSION:")), "3.0")
    fresh = _lines(_fresh(fields, "4.0" if version == "4.0" else "3.0", rev))
    changed = [f for f in FIELDS if base_fields is None
               or getattr(fields, f) != getattr(base_fields, f)]
    drop = {p for f in changed for p in _FIELD_PROPS[f]} | {"REV"}
    tel_groups = {_group_and_name(ln)[0] for ln in base_lines
                  if _group_and_name(ln)[1] == "TEL"} - {""}
    kept: list[str] = []
    for line in base_lines:
        group, name = _group_and_name(line)
        if name in ("BEGIN", "END"):
            continue
        if name in drop or (name == "X-ABLABEL" and group in tel_groups and "TEL" in drop):
            continue
        kept.append(line)
    if not any(_group_and_name(ln)[1] == "UID" for ln in kept):
        kept.insert(1, f"UID:{io_vcard.vcard_escape(uid, comma=False)}")
    used_groups = {_group_and_name(ln)[0] for ln in kept}
    added: list[str] = []
    for line in fresh:
        group, name = _group_and_name(line)
        if name in ("BEGIN", "END", "VERSION"):
            continue
        if name in drop or (name == "X-ABLABEL" and "TEL" in drop):
            added.append(_regroup(line, group, used_groups))
    return _join(["BEGIN:VCARD", *kept, *added, "END:VCARD"])


def _fresh(fields: CardFields, version: str, rev: str) -> str:
    phones = [(raw, None, label, i == 0) for i, (raw, label) in enumerate(fields.phones)]
    return io_vcard.vcard_text(name=fields.name, company=fields.company,
                               position=fields.position, phones=phones, emails=fields.emails,
                               tags=fields.tags, notes=fields.notes,
                               do_not_call=fields.do_not_call, version=version, rev=rev)


def _lines(text: str) -> list[str]:
    return [line for _n, line in io_vcard.logical_lines(text) if line.strip()]


def _join(lines: list[str]) -> str:
    return "".join(io_vcard.fold(line) for line in lines)


def _group_and_name(line: str) -> tuple[str, str]:
    head = line.split(":", 1)[0].split(";", 1)[0]
    group, _, name = head.rpartition(".")
    return group, name.upper()


def _regroup(line: str, group: str, used: set[str]) -> str:
    """``itemN.`` groups of the fresh lines renamed so they do not collide with kept ones."""
    if not group:
        return line
    new = group
    n = 100
    while new in used:
        n += 1
        new = f"item{n}"
    return new + line[len(group):]


# ---------------------------------------------------------------------------------------------
# Merging


@dataclass(frozen=True)
class Merge:
    fields: CardFields
    #: the values that lost a conflict on this side (kept in the contact's history)
    lost_here: dict[str, Any]
    conflicts: tuple[str, ...]


def merge(base: CardFields | None, here: CardFields, server: CardFields) -> Merge:
    """Three-way merge of a contact changed here and on the server since ``base``.

    A field changed on one side takes that side's value. Changed on both: numbers, e-mails
    and tags keep everything from both sides (nothing to lose); other fields take the
    server's value (it is what every other client shows), and this side's value goes into
    ``lost_here`` for the contact's history."""
    values: dict[str, Any] = {}
    lost: dict[str, Any] = {}
    conflicts: list[str] = []
    for f in FIELDS:
        mine, theirs = getattr(here, f), getattr(server, f)
        old = getattr(base, f) if base is not None else None
        if mine == theirs:
            values[f] = mine
        elif base is not None and mine == old:
            values[f] = theirs
        elif base is not None and theirs == old:
            values[f] = mine
        else:
            conflicts.append(f)
            if f in LIST_FIELDS:
                values[f] = _union(theirs, mine)
            else:
                values[f] = theirs
                if mine not in (None, "", False):
                    lost[f] = mine
    return Merge(CardFields(**values), lost, tuple(conflicts))


def _union(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    out = list(first)
    if first and isinstance(first[0], tuple):  # phones: one per number, whatever the label
        numbers = {p[0] for p in out}
        out += [p for p in second if p[0] not in numbers]
    else:
        out += [x for x in second if x not in out]
    return tuple(out)


def history_fields(lost: dict[str, Any]) -> dict[str, Any]:
    """``lost_here`` as JSON values (tuples as lists)."""
    return {k: ([list(x) if isinstance(x, tuple) else x for x in v]
                if isinstance(v, tuple) else v) for k, v in lost.items()}
