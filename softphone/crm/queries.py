"""SQL shared by the full :class:`~softphone.crm.store.Store` and the light SQLite reader.

The queries an idle app and an incoming call need (caller lookup, the caller's tasks, deals and
last calls, the missed-call inbox, open tasks, logging a new call, closing calls a crash left
open) are written once, as SQL text with ``:named`` parameters, which both SQLAlchemy's
``text()`` and the ``sqlite3`` module accept. The Store runs them through a SQLAlchemy
connection (SQLite or PostgreSQL); :mod:`softphone.crm.light` runs them through ``sqlite3``
without importing SQLAlchemy (~30 MiB: bench/bench_startup.py). Both get the same frozen views.

No SQLAlchemy here. Values cross the seam as the drivers give them: SQLite returns datetimes
as SQLAlchemy's text format, JSON as text and booleans as integers; PostgreSQL returns native
types. The converters below accept both.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from softphone.crm.views import (
    CallView,
    ContactView,
    DealView,
    MissedView,
    PhoneView,
    TaskView,
    WrapupView,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Runner(Protocol):
    """Runs one statement on an open connection (inside the caller's transaction)."""

    dialect: str

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[Sequence[Any]]: ...

    def run(self, sql: str, params: Mapping[str, Any]) -> int:
        """Execute; the number of rows changed."""
        ...


# ------------------------------------------------------------------------------ values


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def fold(text: str | None) -> str:
    """Unicode casefold (SQLite's lower() only knows ASCII): "Иван" -> "иван"; "ё" is
    folded to "е" as Russian writers use them interchangeably ("Фёдоров" / "Федоров")."""
    return _fold(text) if text else ""


@lru_cache(maxsize=16384)
def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def wrapup_fold(outcome: str | None, reason: str | None, note: str | None) -> str:
    """What a wrap-up is found by (the history's search): its words, folded."""
    return fold(" ".join(t for t in (outcome, reason, note) if t))


def bind_dt(dialect: str, value: datetime) -> Any:
    """A datetime as the schema stores it: naive UTC; on SQLite in SQLAlchemy's text format
    (string comparison must order it like the rows SQLAlchemy wrote)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    value = value.replace(tzinfo=None)
    if dialect == "sqlite":
        return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
                f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}."
                f"{value.microsecond:06d}")
    return value


def to_dt(value: Any) -> Any:
    """A stored datetime (text on SQLite, naive on PostgreSQL) as aware UTC; None stays."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def to_json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def to_decimal(value: Any) -> Decimal | None:
    """NUMERIC(14, 2): SQLite gives a float (read like SQLAlchemy: two decimals)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(f"{float(value):.2f}")


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``:name0, :name1, ...`` and their parameters (IN lists for both drivers)."""
    names = [f"{name}{i}" for i in range(len(values))]
    return ", ".join(":" + n for n in names), dict(zip(names, values, strict=True))


# ------------------------------------------------------------------------------ schema


@lru_cache(maxsize=1)
def head_from_files() -> str | None:
    """The single head revision, read from the migration files' ``revision`` and
    ``down_revision`` lines (None when that is not plain: then Alembic decides)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text("utf-8")
        rev = re.search(r"""^revision\s*(?::[^=]*)?=\s*["']([^"']+)["']""", text, re.MULTILINE)
        down = re.search(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", text, re.MULTILINE)
        if rev is None:
            continue
        revisions.add(rev.group(1))
        if down is not None:
            downs.update(re.findall(r"""["']([^"']+)["']""", down.group(1)))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


STORED_REVISION = "SELECT version_num FROM alembic_version"


def sqlite_pragmas(busy_timeout_ms: int, *, in_memory: bool = False) -> list[str]:
    """Every SQLite connection of the app: WAL, foreign keys, a busy timeout."""
    pragmas = [
        f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
        "PRAGMA foreign_keys = ON",
        "PRAGMA cache_size = -32768",  # 32 MiB per connection
    ]
    if not in_memory:
        pragmas += ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                    "PRAGMA mmap_size = 268435456"]
    return pragmas


# ------------------------------------------------------------------------------ contacts

_CONTACTS = (
    "SELECT c.id, c.name, co.name, c.company_id, c.position, c.emails, c.tags, c.notes, "
    "c.do_not_call, c.created_at, c.updated_at, c.version "
    "FROM contacts c LEFT OUTER JOIN companies co ON co.id = c.company_id "
    "WHERE c.id IN ({ids})"
)
_PHONES = (
    "SELECT contact_id, raw, e164, label, is_primary, national FROM phones "
    "WHERE contact_id IN ({ids}) ORDER BY position, id"
)


def phones_of(db: Runner, ids: Sequence[int]) -> dict[int, list[PhoneView]]:
    phones: dict[int, list[PhoneView]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        marks, params = in_list("i", list(ids[start : start + 500]))
        for cid, raw, e164, label, primary, national in db.rows(
                _PHONES.format(ids=marks), params):
            phones[cid].append(PhoneView(raw, e164, label, bool(primary), national))
    return phones


def contact_views_by_id(db: Runner, ids: Sequence[int]) -> list[ContactView]:
    """Views of the contacts with ``ids`` (order kept, missing ones left out): two queries
    (the hot path of caller lookup and search-as-you-type)."""
    if not ids:
        return []
    rows: dict[int, Sequence[Any]] = {}
    for start in range(0, len(ids), 500):
        marks, params = in_list("i", list(ids[start : start + 500]))
        for row in db.rows(_CONTACTS.format(ids=marks), params):
            rows[row[0]] = row
    phones = phones_of(db, list(rows))
    out = []
    for cid in ids:
        found = rows.get(cid)
        if found is None:
            continue
        (_, name, company, company_id, position, emails, tags, notes, dnc, created, updated,
         version) = found
        out.append(ContactView(
            id=cid, name=name, company=company, company_id=company_id, position=position,
            phones=tuple(phones.get(cid, ())), emails=tuple(to_json(emails) or ()),
            tags=tuple(to_json(tags) or ()), notes=notes or "", do_not_call=bool(dnc),
            created_at=to_dt(created), updated_at=to_dt(updated), version=version,
        ))
    return out


# ------------------------------------------------------------------------------ tasks, deals

_TASK_COLUMNS = ("id, kind, title, due_at, done, done_at, contact_id, call_id, number, "
                 "created_at")


def task_from_row(row: Sequence[Any]) -> TaskView:
    (tid, kind, title, due_at, done, done_at, contact_id, call_id, number, created) = row
    return TaskView(id=tid, kind=kind, title=title, due_at=to_dt(due_at), done=bool(done),
                    done_at=to_dt(done_at), contact_id=contact_id, call_id=call_id,
                    number=number, created_at=to_dt(created))


def open_tasks(db: Runner, contact_id: int | None = None,
               due_before: datetime | None = None) -> list[TaskView]:
    """Not done, soonest due first (no due date last)."""
    where = ["NOT done"]
    params: dict[str, Any] = {}
    if contact_id is not None:
        where.append("contact_id = :contact_id")
        params["contact_id"] = contact_id
    if due_before is not None:
        where.append("due_at IS NOT NULL AND due_at < :due_before")
        params["due_before"] = bind_dt(db.dialect, due_before)
    sql = (f"SELECT {_TASK_COLUMNS} FROM tasks WHERE {' AND '.join(where)} "
           "ORDER BY due_at IS NULL, due_at, id")
    return [task_from_row(r) for r in db.rows(sql, params)]


def deals(db: Runner, contact_id: int | None = None,
          company_id: int | None = None) -> list[DealView]:
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if contact_id is not None:
        where.append("contact_id = :contact_id")
        params["contact_id"] = contact_id
    if company_id is not None:
        where.append("company_id = :company_id")
        params["company_id"] = company_id
    sql = ("SELECT id, title, stage, amount, contact_id, company_id, created_at, updated_at "
           f"FROM deals WHERE {' AND '.join(where)} ORDER BY id")
    return [
        DealView(id=i, title=title, stage=stage, amount=to_decimal(amount), contact_id=cid,
                 company_id=coid, created_at=to_dt(created), updated_at=to_dt(updated))
        for i, title, stage, amount, cid, coid, created, updated in db.rows(sql, params)
    ]


# ------------------------------------------------------------------------------ calls

_CALL_COLUMNS = (
    "c.id, c.direction, c.account, c.number, c.remote_uri, c.display_name, c.contact_id, "
    "ct.name, c.started_at, c.answered_at, c.ended_at, c.talk_seconds, c.ring_seconds, "
    "c.outcome, c.sip_status, c.recording_path, c.quality, c.agent, c.sip_call_id, "
    "w.outcome, w.reason, w.note, w.author, w.updated_at, c.end_reason"
)


def recent_calls(db: Runner, *, contact_id: int | None = None, number_key: str | None = None,
                 limit: int = 3) -> list[CallView]:
    """A contact's (or a number's, by its indexed key) newest calls, newest first."""
    key: int | str
    if contact_id is not None:
        where, key = "c.contact_id = :key", contact_id
    elif number_key is not None:
        where, key = "c.number_key = :key", number_key
    else:
        raise ValueError("recent_calls needs a contact or a number")
    sql = (f"SELECT {_CALL_COLUMNS} FROM calls c "
           "LEFT OUTER JOIN contacts ct ON ct.id = c.contact_id "
           "LEFT OUTER JOIN wrapups w ON w.call_id = c.id "
           f"WHERE {where} ORDER BY c.started_at DESC, c.id DESC LIMIT :limit")
    out = []
    for row in db.rows(sql, {"key": key, "limit": int(limit)}):
        (cid, direction, account, number, remote_uri, display_name, contact, contact_name,
         started, answered, ended, talk, ring, outcome, sip_status, recording, quality, agent,
         sip_call_id, w_outcome, w_reason, w_note, w_author, w_updated, end_reason) = row
        wrapup = None
        if w_updated is not None:
            wrapup = WrapupView(call_id=cid, outcome=w_outcome, reason=w_reason or "",
                                note=w_note or "", author=w_author,
                                updated_at=to_dt(w_updated))
        quality = to_json(quality)
        out.append(CallView(
            id=cid, direction=direction, account=account, number=number,
            remote_uri=remote_uri, display_name=display_name, contact_id=contact,
            contact_name=contact_name if contact else None, started_at=to_dt(started),
            answered_at=to_dt(answered), ended_at=to_dt(ended), talk_seconds=talk,
            ring_seconds=ring, outcome=outcome, sip_status=sip_status,
            recording_path=recording, quality=dict(quality) if quality else None,
            agent=agent, wrapup=wrapup, sip_call_id=sip_call_id or "",
            end_reason=end_reason,
        ))
    return out


_INSERT_CALL = (
    "INSERT INTO calls (direction, account, number, number_key, remote_uri, display_name, "
    "contact_id, started_at, start_hour, sip_call_id, agent, client_key, needs_region) "
    "VALUES (:direction, :account, :number, :number_key, :remote_uri, :display_name, "
    ":contact_id, :started_at, :start_hour, :sip_call_id, :agent, :client_key, "
    ":needs_region) RETURNING id"
)


def insert_call(db: Runner, *, direction: str, account: str, number: str,
                number_key: str | None, remote_uri: str, display_name: str,
                contact_id: int | None, started_at: datetime, sip_call_id: str,
                agent: str | None, client_key: str | None, needs_region: bool = False) -> int:
    """One new call-log row (a call starts ringing or is dialled); its id. ``needs_region``:
    ``number`` is digits read with no region set (normalised once one is)."""
    if client_key is not None:
        rows = db.rows("SELECT id FROM calls WHERE client_key = :k", {"k": client_key})
        if rows:  # replayed twice (crash during a flush)
            return int(rows[0][0])
    rows = db.rows(_INSERT_CALL, dict(
        direction=direction, account=account, number=number, number_key=number_key,
        remote_uri=remote_uri, display_name=display_name, contact_id=contact_id,
        started_at=bind_dt(db.dialect, started_at),
        start_hour=int(started_at.timestamp()) // 3600, sip_call_id=sip_call_id,
        agent=agent, client_key=client_key, needs_region=needs_region))
    return int(rows[0][0])


def last_call_id(db: Runner) -> int:
    rows = db.rows("SELECT max(id) FROM calls", {})
    return int(rows[0][0] or 0) if rows else 0


def close_interrupted(db: Runner, agent: str | None, before_id: int) -> int:
    """Calls of ``agent`` with no outcome (left open by a crash), up to ``before_id``, become
    ``interrupted``. Returns how many."""
    agent_cond = "agent IS NULL" if agent is None else "agent = :agent"
    return db.run(
        "UPDATE calls SET outcome = 'interrupted' "
        f"WHERE outcome IS NULL AND {agent_cond} AND id <= :before",
        {"agent": agent, "before": before_id} if agent is not None else {"before": before_id})


# ------------------------------------------------------------------------------ missed inbox


def missed_inbox(db: Runner) -> list[MissedView]:
    """Open missed-call entries, one per number, most recent first."""
    sql = ("SELECT m.number, m.contact_id, c.name, m.count, m.first_at, m.last_at, m.account "
           "FROM missed_inbox m LEFT OUTER JOIN contacts c ON c.id = m.contact_id "
           "WHERE m.cleared_at IS NULL ORDER BY m.last_at DESC")
    return [
        MissedView(number=number, contact_id=cid, contact_name=name, count=count,
                   first_at=to_dt(first), last_at=to_dt(last), account=account)
        for number, cid, name, count, first, last, account in db.rows(sql, {})
    ]


#: Does anything wait for a region? (numbers that came while none was set: crm.regions)
#: Such a phone has no E.164 (``phones.normalize``): ``e164 IS NULL`` lets the index answer;
#: ``kind`` alone read every phone at each start (~150 ms, ~90 MiB of the file mapped in).
WAITING_FOR_REGION = (
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM calls WHERE needs_region) "
    "OR EXISTS (SELECT 1 FROM phones WHERE e164 IS NULL AND kind = 'noregion')"
)
