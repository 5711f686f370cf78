"""The contact store: one synchronous, Qt-free API over SQLite or PostgreSQL.

Every public method opens its own short transaction and returns frozen views
(``softphone.crm.views``). Known database errors surface as ``StoreError`` subclasses
(``softphone.crm.errors``); call-log and chat writes refused by a known error are journaled and
retried (``softphone.crm.journaled``). Callers run these methods on a worker thread, never the
Qt main thread.

:class:`Store` is a composition: the open :class:`~softphone.crm.database.Database` and the
parts that use it, each with what it needs passed in: the contact book, the call log, the
records (tasks, deals, the ignore list), contact sync, regions and the chat log. Its public
API is theirs (each method forwards to its part) plus opening, closing and the privacy export.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from sqlalchemy import Engine, select

from softphone.crm.contacts import ContactBook
from softphone.crm.convert import call_views, contact_view, deal_view, task_view, utcnow
from softphone.crm.database import Database
from softphone.crm.db import DEFAULT_BUSY_TIMEOUT_MS, database_url, make_engine, migrate
from softphone.crm.errors import NotFoundError, StoreError, known_errors
from softphone.crm.journal import JOURNAL_NAME, PendingJournal
from softphone.crm.journaled import JournaledWrites
from softphone.crm.messages import MessageLog
from softphone.crm.models import Call, Contact, Deal, Task
from softphone.crm.phones import region_known
from softphone.crm.regions import Regions
from softphone.crm.store_calls import CallLog
from softphone.crm.store_records import Records
from softphone.crm.store_sync import SyncRecords
from softphone.crm.views import NormalizedNumber, RegionReport

log = logging.getLogger("softphone.crm")

P = ParamSpec("P")
R = TypeVar("R")


class _Part(Generic[P, R]):
    """A Store method that is one of its parts': ``store.add_task(...)`` runs
    ``store.records.add_task(...)``. On the class it is the part's function (signatures,
    docs)."""

    def __init__(self, part: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.part = part
        self.method = method
        self.name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type) -> Callable[Concatenate[Any, P], R]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> Callable[P, R]: ...

    def __get__(self, obj: object | None, owner: type) -> Callable[..., R]:
        if obj is None:
            return self.method
        bound: Callable[P, R] = getattr(getattr(obj, self.part), self.name)
        return bound


class Store:
    """The mini-CRM. Create with :meth:`open`; close with :meth:`close`."""

    def __init__(
        self,
        engine: Engine,
        profile: Path,
        *,
        default_region: str = "",
        agent: str | None = None,
    ) -> None:
        self.db = Database(engine, profile, region=default_region, agent=agent)
        self.journal = PendingJournal(self.db.profile / JOURNAL_NAME)
        self.writes = JournaledWrites(self.journal, before_write=self._before_write)
        self.contact_book = ContactBook(self.db)
        self.call_log = CallLog(self.db, self.writes, self.contact_book.search)
        self.records = Records(self.db, self.call_log.resolve)
        self.sync_records = SyncRecords(self.db)
        self.regions = Regions(self.db, self.contact_book.refresh_search)
        self.message_log = MessageLog(self.db, self.writes, self.contact_book.lookup)
        #: what opening with a region normalised (numbers that came with none), if anything
        self.opening_region_report: RegionReport | None = None

    def _before_write(self) -> None:
        self.call_log.before_write()

    # ------------------------------------------------------------------ life cycle

    @classmethod
    def open(
        cls,
        url: str | None,
        profile: Path,
        default_region: str = "",
        agent: str | None = None,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        interrupted_before_id: int | None = None,
    ) -> Store:
        """Open (creating or upgrading) the database at ``url`` (default: the profile's SQLite).

        ``interrupted_before_id``: the last call row that existed when the profile was first
        opened (by the light reader, ``softphone.crm.light``): only rows up to it may be
        closed as interrupted, never a call logged since.

        Raises NewerSchemaError, DatabaseLockedError, DatabaseCorruptError, DiskFullError or
        DatabaseUnavailableError with a message fit for the user.
        """
        profile = Path(profile)
        profile.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url(url, profile), busy_timeout_ms=busy_timeout_ms)
        try:
            with known_errors():
                migrate(engine)
            store = cls(engine, profile, default_region=default_region, agent=agent)
            store.call_log.interrupted_before_id = interrupted_before_id
            try:
                store.flush_pending()
            except StoreError as err:
                log.warning("pending call-log entries not written yet: %s", err)
            store.call_log.close_interrupted_calls()
            if region_known(store.default_region):  # numbers that came with no region
                store.opening_region_report = store.set_region(store.default_region)
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        try:
            self.flush_pending()
        except StoreError as err:
            log.warning("closing with call-log entries still pending: %s", err)
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load_full(self, why: str = "") -> Store:
        """This store (the light reader's ``load_full`` opens one; here it is open already)."""
        return self

    # ------------------------------------------------------------------ settings and state

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @property
    def dialect(self) -> str:
        return self.db.dialect

    @property
    def profile(self) -> Path:
        return self.db.profile

    @property
    def default_region(self) -> str:
        """ISO region for national numbers; "" none (such numbers wait: crm.regions)."""
        return self.db.region

    @default_region.setter
    def default_region(self, region: str) -> None:
        self.db.region = (region or "").upper()

    @property
    def agent(self) -> str | None:
        """Who this desk's calls, wrap-ups and messages are written by."""
        return self.db.agent

    @agent.setter
    def agent(self, agent: str | None) -> None:
        self.db.agent = agent

    def set_agent(self, agent: str | None) -> None:
        """Calls and wrap-ups written from now on carry ``agent``."""
        self.db.agent = agent

    def normalize(self, raw: str) -> NormalizedNumber:
        return self.db.normalize(raw)

    @property
    def on_pending(self) -> Callable[[StoreError], None] | None:
        """Called (on the writing thread) when a write was journaled instead of saved."""
        return self.writes.on_pending

    @on_pending.setter
    def on_pending(self, callback: Callable[[StoreError], None] | None) -> None:
        self.writes.on_pending = callback

    @property
    def last_error(self) -> StoreError | None:
        return self.writes.last_error

    @property
    def retry_interval(self) -> float:
        """After a failed replay, writes skip the retry for this many seconds."""
        return self.writes.retry_interval

    @retry_interval.setter
    def retry_interval(self, seconds: float) -> None:
        self.writes.retry_interval = seconds

    # ------------------------------------------------------------------ the parts' API

    pending_count = _Part("writes", JournaledWrites.pending_count)
    flush_pending = _Part("writes", JournaledWrites.flush_pending)

    create_contact = _Part("contact_book", ContactBook.create_contact)
    index_new_contacts = _Part("contact_book", ContactBook.index_new_contacts)
    update_contact = _Part("contact_book", ContactBook.update_contact)
    add_phone = _Part("contact_book", ContactBook.add_phone)
    get_contact = _Part("contact_book", ContactBook.get_contact)
    get_company = _Part("contact_book", ContactBook.get_company)
    company_people = _Part("contact_book", ContactBook.company_people)
    delete_contact = _Part("contact_book", ContactBook.delete_contact)
    erase_contact = _Part("contact_book", ContactBook.erase_contact)
    iter_contacts = _Part("contact_book", ContactBook.iter_contacts)
    count_contacts = _Part("contact_book", ContactBook.count_contacts)
    search = _Part("contact_book", ContactBook.search)
    lookup = _Part("contact_book", ContactBook.lookup)
    import_contacts = _Part("contact_book", ContactBook.import_contacts)

    call_started = _Part("call_log", CallLog.call_started)
    call_answered = _Part("call_log", CallLog.call_answered)
    call_ended = _Part("call_log", CallLog.call_ended)
    link_call = _Part("call_log", CallLog.link_call)
    get_call = _Part("call_log", CallLog.get_call)
    list_calls = _Part("call_log", CallLog.list_calls)
    missed_inbox = _Part("call_log", CallLog.missed_inbox)
    dismiss_missed = _Part("call_log", CallLog.dismiss_missed)
    save_wrapup = _Part("call_log", CallLog.save_wrapup)
    get_wrapup = _Part("call_log", CallLog.get_wrapup)
    statistics = _Part("call_log", CallLog.statistics)

    add_task = _Part("records", Records.add_task)
    complete_task = _Part("records", Records.complete_task)
    move_task = _Part("records", Records.move_task)
    delete_task = _Part("records", Records.delete_task)
    open_tasks = _Part("records", Records.open_tasks)
    add_deal = _Part("records", Records.add_deal)
    update_deal = _Part("records", Records.update_deal)
    deals = _Part("records", Records.deals)
    ignore_number = _Part("records", Records.ignore_number)
    unignore_number = _Part("records", Records.unignore_number)
    ignored_numbers = _Part("records", Records.ignored_numbers)

    add_history = _Part("sync_records", SyncRecords.add_history)
    contact_history = _Part("sync_records", SyncRecords.contact_history)
    carddav_items = _Part("sync_records", SyncRecords.carddav_items)
    carddav_item = _Part("sync_records", SyncRecords.carddav_item)
    save_carddav_item = _Part("sync_records", SyncRecords.save_carddav_item)
    delete_carddav_item = _Part("sync_records", SyncRecords.delete_carddav_item)
    contacts_without_card = _Part("sync_records", SyncRecords.contacts_without_card)
    contact_versions = _Part("sync_records", SyncRecords.contact_versions)
    carddav_state = _Part("sync_records", SyncRecords.carddav_state)
    set_carddav_state = _Part("sync_records", SyncRecords.set_carddav_state)

    set_region = _Part("regions", Regions.set_region)

    message_received = _Part("message_log", MessageLog.message_received)
    message_sent = _Part("message_log", MessageLog.message_sent)
    message_answered = _Part("message_log", MessageLog.message_answered)
    mark_read = _Part("message_log", MessageLog.mark_read)
    conversation = _Part("message_log", MessageLog.conversation)
    unread_conversations = _Part("message_log", MessageLog.unread_conversations)
    close_unanswered_messages = _Part("message_log", MessageLog.close_unanswered_messages)
    contacts_tagged = _Part("message_log", MessageLog.contacts_tagged)

    # ------------------------------------------------------------------ across the parts

    def contact_bundle(self, contact_id: int) -> dict[str, Any]:
        """Everything stored about one contact, JSON-serialisable (privacy export)."""
        with self.db.session() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise NotFoundError(f"contact {contact_id} does not exist")
            view = contact_view(s, contact)
            calls = call_views(
                s,
                s.scalars(
                    select(Call).where(Call.contact_id == contact_id).order_by(Call.started_at)
                ).all(),
            )
            tasks = [task_view(t) for t in s.scalars(
                select(Task).where(Task.contact_id == contact_id).order_by(Task.id))]
            deals = [deal_view(d) for d in s.scalars(
                select(Deal).where(Deal.contact_id == contact_id).order_by(Deal.id))]
        messages = self.conversation(contact_id=contact_id, limit=1_000_000)
        history = self.contact_history(contact_id, limit=1_000_000)
        bundle: dict[str, Any] = _jsonable(
            {
                "format": "softphone-contact-bundle/1",
                "exported_at": utcnow(),
                "contact": asdict(view),
                "calls": [asdict(c) for c in calls],
                "tasks": [asdict(t) for t in tasks],
                "deals": [asdict(d) for d in deals],
                "messages": [asdict(m) for m in messages],
                "history": [asdict(h) for h in history],
            }
        )
        return bundle


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
