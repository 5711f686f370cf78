"""The embedded SQLite store before it is needed in full: plain ``sqlite3``, no SQLAlchemy.

An idle app only reads the missed-call inbox and the open tasks; an incoming call only looks
the caller up (with their tasks, deals and last calls) and logs the call's start. Loading
SQLAlchemy and the ORM for that costs ~30 MiB of resident memory for as long as the app runs
(bench/bench_startup.py). :class:`LightStore` serves exactly those, through the same SQL as the
full :class:`~softphone.crm.store.Store` (``softphone.crm.queries``, ``softphone.crm.matching``)
and returning the same frozen views; any other method loads the full Store on first use (on
the calling thread: the DB worker, never the UI) and from then on everything goes to it.

The light path applies only when nothing needs more: the embedded database exists, its schema
is the migrations' head, and no journaled call-log write waits. Otherwise :func:`open_store`
opens the full Store at once (which migrates, refuses a newer schema with the same error, and
replays the journal), as it does for a PostgreSQL ``database_url``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softphone.crm import queries
from softphone.crm.errors import StoreError, known_errors
from softphone.crm.journal import JOURNAL_NAME, PendingJournal, new_pending_id
from softphone.crm.matching import find_caller, log_call_start
from softphone.crm.phones import normalize, region_known
from softphone.crm.queries import as_utc
from softphone.crm.views import (
    CallView,
    ContactView,
    DealView,
    IgnoredView,
    Match,
    MissedView,
    NormalizedNumber,
    RegionReport,
    TaskView,
    WrapupView,
)
from softphone.profile import database_file

if TYPE_CHECKING:
    from softphone.crm.store import Store

log = logging.getLogger("softphone.crm")

_SHARED = ("on_pending", "default_region", "agent")  # set here, set on the full Store too


def _waiting_for_region(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute(queries.WAITING_FOR_REGION).fetchall())

DEFAULT_BUSY_TIMEOUT_MS = 5000  # as softphone.crm.db's


def open_store(url: str | None, profile: Path, default_region: str = "",
               agent: str | None = None, *,
               busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Any:
    """The app's store: a :class:`LightStore` for the embedded database when it is ready to
    use as it is, else the full Store (same arguments and errors as ``Store.open``)."""
    if not url:
        light = LightStore.try_open(Path(profile), default_region, agent,
                                    busy_timeout_ms=busy_timeout_ms)
        if light is not None:
            return light
    from softphone.crm.store import Store

    return Store.open(url, profile, default_region, agent, busy_timeout_ms=busy_timeout_ms)


class _SqliteRunner:
    """``queries.Runner`` over a ``sqlite3`` connection."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Mapping[str, Any]) -> int:
        return self.conn.execute(sql, params).rowcount


class LightStore:
    """The Store's start-up and incoming-call methods over ``sqlite3``; the rest (any other
    attribute) loads the full Store. Use it from one thread (the DB worker)."""

    dialect = "sqlite"
    #: Called (on the writing thread) when a call-log write was journaled instead of saved.
    on_pending: Callable[[StoreError], None] | None = None

    def __init__(self, conn: sqlite3.Connection, profile: Path, *, default_region: str,
                 agent: str | None, busy_timeout_ms: int) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._db = _SqliteRunner(conn)
        self.profile = profile
        self.default_region = (default_region or "").upper()
        self.agent = agent
        self.journal = PendingJournal(profile / JOURNAL_NAME)
        self._busy_timeout_ms = busy_timeout_ms
        self._full: Store | None = None
        self._load_lock = threading.Lock()
        self._interrupted_before_id: int | None = None
        self._interrupted_done = False

    @classmethod
    def try_open(cls, profile: Path, default_region: str = "", agent: str | None = None,
                 *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> LightStore | None:
        """The light store, or None when the full Store must open (no database yet, a schema
        to migrate or refuse, journaled writes to replay, or the file cannot be read)."""
        path = database_file(profile)
        if not path.is_file():
            return None
        journal = PendingJournal(profile / JOURNAL_NAME)
        if journal:
            return None
        head = queries.head_from_files()
        if head is None:
            return None
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error:
            return None
        try:
            for pragma in queries.sqlite_pragmas(busy_timeout_ms):
                conn.execute(pragma)
            stored = conn.execute(queries.STORED_REVISION).fetchall()
        except sqlite3.Error as err:  # the full Store says what is wrong, in the user's words
            log.info("contact database: full open (%s)", err)
            conn.close()
            return None
        if len(stored) != 1 or stored[0][0] != head:
            conn.close()
            return None
        if region_known(default_region) and _waiting_for_region(conn):
            conn.close()  # numbers that came with no region: the full Store normalises them
            return None
        store = cls(conn, profile, default_region=default_region, agent=agent,
                    busy_timeout_ms=busy_timeout_ms)
        store._close_interrupted_calls()
        return store

    # ------------------------------------------------------------------ the full store

    @property
    def full_loaded(self) -> bool:
        return self._full is not None

    def load_full(self, why: str = "") -> Store:
        """The full Store (opened now if it is not yet); the light connection is closed."""
        with self._load_lock:
            if self._full is None:
                from softphone.crm.store import Store

                log.info("contact database: loading the full store%s",
                         f" ({why})" if why else "")
                full = Store.open(None, self.profile, self.default_region, self.agent,
                                  busy_timeout_ms=self._busy_timeout_ms,
                                  interrupted_before_id=self._interrupted_before_id)
                full.on_pending = self.on_pending
                self._full = full
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            return self._full

    def __getattr__(self, name: str) -> Any:
        # only for what this class does not have: the rest of the Store's API
        if name.startswith("__") or name in ("_full", "_conn", "_load_lock"):
            raise AttributeError(name)
        return getattr(self.load_full(name), name)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _SHARED and self.__dict__.get("_full") is not None:
            setattr(self._full, name, value)

    def set_region(self, region: str | None) -> RegionReport:
        """As ``Store.set_region``: numbers read from now on use ``region``; those that came
        with no region are normalised (by the full Store, loaded only if there are any)."""
        self.default_region = (region or "").upper()
        if self._full is not None:
            return self._full.set_region(region)
        if not region_known(self.default_region) or self._conn is None:
            return RegionReport()
        try:
            waiting = _waiting_for_region(self._conn)
        except sqlite3.Error as err:
            log.warning("cannot look for numbers waiting for a region: %s", err)
            waiting = True
        if not waiting:
            return RegionReport()
        full = self.load_full("set_region")  # opened with the region: it normalised them
        return full.opening_region_report or full.set_region(region)

    def set_agent(self, agent: str | None) -> None:
        self.agent = agent

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _transaction(self) -> Iterator[queries.Runner]:
        """One transaction; known driver errors become StoreError subclasses."""
        assert self._conn is not None
        with known_errors():
            self._conn.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _close_interrupted_calls(self) -> None:
        """As ``Store._close_interrupted_calls``: this agent's calls a crash left open become
        ``interrupted`` (only rows that existed now; retried by the full Store if busy)."""
        try:
            with self._transaction() as db:
                self._interrupted_before_id = queries.last_call_id(db)
                count = queries.close_interrupted(db, self.agent, self._interrupted_before_id)
        except StoreError as err:
            log.warning("cannot close interrupted calls yet: %s", err)
            return
        self._interrupted_done = True
        if count:
            log.warning("closed %d call(s) left open by a crash as interrupted", count)

    def close(self) -> None:
        if self._full is None and self.journal:
            self.load_full("closing with journaled writes")
        if self._full is not None:
            self._full.close()
        elif self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> LightStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads

    def normalize(self, raw: str) -> NormalizedNumber:
        return normalize(raw or "", self.default_region)

    def lookup(self, number_or_uri: str) -> Match:
        if self._full is not None:
            return self._full.lookup(number_or_uri)
        number = self.normalize(number_or_uri)
        if number.kind == "withheld":
            return Match(None, matched_by="withheld")
        with self._transaction() as db:
            return find_caller(db, number)

    def get_contact(self, contact_id: int) -> ContactView | None:
        if self._full is not None:
            return self._full.get_contact(contact_id)
        with self._transaction() as db:
            views = queries.contact_views_by_id(db, [contact_id])
        return views[0] if views else None

    def open_tasks(self, contact_id: int | None = None,
                   due_before: datetime | None = None) -> list[TaskView]:
        if self._full is not None:
            return self._full.open_tasks(contact_id, due_before)
        with self._transaction() as db:
            return queries.open_tasks(db, contact_id, due_before)

    def deals(self, contact_id: int | None = None,
              company_id: int | None = None) -> list[DealView]:
        if self._full is not None:
            return self._full.deals(contact_id, company_id)
        with self._transaction() as db:
            return queries.deals(db, contact_id, company_id)

    def unread_conversations(self) -> list[Any]:
        """The chat badge at start (``crm/office_queries.py``)."""
        if self._full is not None:
            return self._full.unread_conversations()
        from softphone.crm.office_queries import unread_conversations

        with self._transaction() as db:
            return list(unread_conversations(db, self.agent))

    def close_unanswered_messages(self) -> int:
        """At start (``crm/office_queries.py``)."""
        if self._full is not None:
            return self._full.close_unanswered_messages()
        from softphone.crm.office_queries import close_unanswered_messages

        with self._transaction() as db:
            return close_unanswered_messages(db, self.agent)

    def contacts_tagged(self, tags: Any, limit: int = 500) -> list[ContactView]:
        """The colleagues kept in the CRM, at start (``crm/office_queries.py``)."""
        if self._full is not None:
            return self._full.contacts_tagged(tags, limit)
        from softphone.crm.office_queries import contacts_tagged

        with self._transaction() as db:
            return contacts_tagged(db, tuple(tags), limit)

    def missed_inbox(self) -> list[MissedView]:
        if self._full is not None:
            return self._full.missed_inbox()
        with self._transaction() as db:
            return queries.missed_inbox(db)

    def list_calls(self, *, since: datetime | None = None, direction: str | None = None,
                   outcome: str | None = None, query: str | None = None,
                   contact_id: int | None = None, limit: int = 200,
                   until: datetime | None = None, account: str | None = None,
                   number: str | None = None) -> list[CallView]:
        """The caller card's last calls (``contact_id`` or ``number``, and ``limit``) here;
        any other listing by the full Store."""
        others = (since, direction, outcome, query, until, account)
        if (self._full is not None or any(x is not None for x in others)
                or (contact_id is None) == (not number)):
            return self.load_full("list_calls").list_calls(
                since=since, direction=direction, outcome=outcome, query=query,
                contact_id=contact_id, limit=limit, until=until, account=account,
                number=number)
        number_key = None
        if number:
            nn = self.normalize(number)
            if nn.kind in ("withheld", "invalid"):
                return []
            number_key = nn.key
        with self._transaction() as db:
            return queries.recent_calls(db, contact_id=contact_id, number_key=number_key,
                                        limit=limit)

    # ------------------------------------------------------------------ the call log

    def pending_count(self) -> int:
        return len(self.journal)

    def flush_pending(self) -> int:
        if self._full is None and not self.journal:
            return 0
        return self.load_full("flush_pending").flush_pending()

    def call_started(self, *, direction: str, account: str, number: str, remote_uri: str = "",
                     display_name: str = "", started_at: datetime, sip_call_id: str = "",
                     contact_id: int | None = None) -> int:
        """As ``Store.call_started``: the row id, or a negative pending id when the database
        refused the write (journaled; the full Store writes it later)."""
        args: dict[str, Any] = dict(
            direction=direction, account=account, number=number, remote_uri=remote_uri,
            display_name=display_name, started_at=started_at, sip_call_id=sip_call_id,
            contact_id=contact_id)
        if self._full is not None or self.journal or not self._interrupted_done:
            return self.load_full("call_started").call_started(**args)
        if direction not in ("in", "out"):
            raise ValueError(f"direction must be 'in' or 'out', not {direction!r}")
        pending = new_pending_id()
        row = dict(args, account=account or "", number=number or "",
                   remote_uri=remote_uri or "", display_name=display_name or "",
                   started_at=as_utc(started_at), sip_call_id=sip_call_id or "",
                   agent=self.agent, client_key=str(pending))
        nn = self.normalize(number or remote_uri)
        try:
            with self._transaction() as db:
                return log_call_start(db, nn, **row)
        except StoreError as err:  # kept for the full Store to write, as Store._write does
            self.journal.append("call_started", row)
            log.warning("call log write deferred: %s", err.detail or err)
            if self.on_pending is not None:
                try:
                    self.on_pending(err)
                except Exception:
                    log.exception("on_pending callback failed")
            return pending

    # ------------------------------------------------------------------ by the full Store
    # What a call needs after its start (it loads the full Store behind the card's lookup:
    # softphone.workflow), spelt out so the light store implements the workflow's CallStore.

    def call_answered(self, call_row_id: int, answered_at: datetime) -> CallView | None:
        return self.load_full("call_answered").call_answered(call_row_id, answered_at)

    def call_ended(self, call_row_id: int, *, ended_at: datetime, outcome: str,
                   sip_status: int | None = None, recording_path: str | None = None,
                   quality: dict[str, Any] | None = None,
                   reason: str | None = None) -> CallView | None:
        return self.load_full("call_ended").call_ended(
            call_row_id, ended_at=ended_at, outcome=outcome, sip_status=sip_status,
            recording_path=recording_path, quality=quality, reason=reason)

    def get_call(self, call_row_id: int) -> CallView | None:
        return self.load_full("get_call").get_call(call_row_id)

    def link_call(self, call_row_id: int, contact_id: int | None) -> CallView | None:
        return self.load_full("link_call").link_call(call_row_id, contact_id)

    def save_wrapup(self, call_row_id: int, *, outcome: str | None, reason: str = "",
                    note: str = "", author: str | None = None) -> WrapupView:
        return self.load_full("save_wrapup").save_wrapup(
            call_row_id, outcome=outcome, reason=reason, note=note, author=author)

    def add_task(self, *, kind: str, title: str, due_at: datetime | None,
                 contact_id: int | None = None, call_id: int | None = None,
                 number: str | None = None) -> TaskView:
        return self.load_full("add_task").add_task(
            kind=kind, title=title, due_at=due_at, contact_id=contact_id, call_id=call_id,
            number=number)

    def create_contact(self, name: str, *, company: str | None = None,
                       position: str | None = None,
                       phones: Iterable[tuple[str, ...] | str] = (),
                       emails: Iterable[str] = (), tags: Iterable[str] = (),
                       notes: str = "", do_not_call: bool = False) -> ContactView:
        return self.load_full("create_contact").create_contact(
            name, company=company, position=position, phones=phones, emails=emails, tags=tags,
            notes=notes, do_not_call=do_not_call)

    def add_phone(self, contact_id: int, raw: str, label: str = "work",
                  primary: bool = False) -> ContactView:
        return self.load_full("add_phone").add_phone(contact_id, raw, label, primary)

    def add_deal(self, *, title: str, stage: str = "new",
                 amount: Decimal | float | int | str | None = None,
                 contact_id: int | None = None, company_id: int | None = None) -> DealView:
        return self.load_full("add_deal").add_deal(
            title=title, stage=stage, amount=amount, contact_id=contact_id,
            company_id=company_id)

    def ignore_number(self, raw: str, kind: str) -> IgnoredView:
        return self.load_full("ignore_number").ignore_number(raw, kind)
