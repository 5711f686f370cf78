"""What the call workflow (:mod:`softphone.workflow`) needs from the rest of the app, as
Protocols: the contact store, the DB worker that runs its jobs, the SIP engine, the company
directory and the integrations' call-event hook. The composition root (``app.py``) hands it
the real ones; unit tests hand it small fakes with the same signatures.

The store is :class:`~softphone.crm.store.Store` or, until a method needs more,
:class:`~softphone.crm.light.LightStore`; both implement :class:`CallStore` (checked by
``tests/unit/test_workflow_ports.py``). Qt-free, like the workflow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from softphone.crm.views import (
    CallView,
    ContactView,
    DealView,
    IgnoredView,
    Match,
    TaskView,
    WrapupView,
)

if TYPE_CHECKING:  # an annotation: decimal is not loaded at start
    from decimal import Decimal

T = TypeVar("T")


class CallStore(Protocol):
    """The store as the call workflow uses it (on the DB worker)."""

    # --- the caller card
    def lookup(self, number_or_uri: str) -> Match: ...
    def get_contact(self, contact_id: int) -> ContactView | None: ...
    def open_tasks(self, contact_id: int | None = None,
                   due_before: datetime | None = None) -> list[TaskView]: ...
    def deals(self, contact_id: int | None = None,
              company_id: int | None = None) -> list[DealView]: ...
    def list_calls(self, *, contact_id: int | None = None, number: str | None = None,
                   limit: int = 200) -> list[CallView]: ...

    # --- the call log
    def call_started(self, *, direction: str, account: str, number: str, remote_uri: str = "",
                     display_name: str = "", started_at: datetime, sip_call_id: str = "",
                     contact_id: int | None = None) -> int: ...
    def call_answered(self, call_row_id: int, answered_at: datetime) -> CallView | None: ...
    def call_ended(self, call_row_id: int, *, ended_at: datetime, outcome: str,
                   sip_status: int | None = None, recording_path: str | None = None,
                   quality: dict[str, str | float] | None = None,
                   reason: str | None = None) -> CallView | None: ...
    def get_call(self, call_row_id: int) -> CallView | None: ...
    def link_call(self, call_row_id: int, contact_id: int | None) -> CallView | None: ...
    def save_wrapup(self, call_row_id: int, *, outcome: str | None, reason: str = "",
                    note: str = "", author: str | None = None) -> WrapupView: ...

    # --- what the agent adds from the card or the wrap-up
    def add_task(self, *, kind: str, title: str, due_at: datetime | None,
                 contact_id: int | None = None, call_id: int | None = None,
                 number: str | None = None) -> TaskView: ...
    def create_contact(self, name: str, *, company: str | None = None,
                       position: str | None = None,
                       phones: Iterable[tuple[str, ...] | str] = (),
                       emails: Iterable[str] = (), tags: Iterable[str] = (),
                       notes: str = "", do_not_call: bool = False) -> ContactView: ...
    def add_phone(self, contact_id: int, raw: str, label: str = "work",
                  primary: bool = False) -> ContactView: ...
    def add_deal(self, *, title: str, stage: str = "new",
                 amount: Decimal | float | int | str | None = None,
                 contact_id: int | None = None,
                 company_id: int | None = None) -> DealView: ...
    def ignore_number(self, raw: str, kind: str) -> IgnoredView: ...

    # --- the light store loads the full one (the full store: already loaded)
    def load_full(self, why: str = "") -> CallStore: ...


#: a job for the DB worker: runs with the store, its result goes to ``on_done``
Job = Callable[[CallStore], T]


class DbRunner(Protocol):
    """Runs ``job(store)`` on the one DB worker thread, in submission order, and calls
    ``on_done(result)`` (or ``on_error(exc)``) back on the submitting thread."""

    def submit(self, job: Job[T], on_done: Callable[[T], None] | None = None,
               on_error: Callable[[Exception], None] | None = None) -> None: ...


class SyncDbRunner:
    """Runs each job at once on the calling thread (unit tests, command-line tools)."""

    def __init__(self, store: CallStore) -> None:
        self.store = store

    def submit(self, job: Job[T], on_done: Callable[[T], None] | None = None,
               on_error: Callable[[Exception], None] | None = None) -> None:
        try:
            result = job(self.store)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
            return
        if on_done is not None:
            on_done(result)


class CallEngine(Protocol):
    """The SIP engine's call commands (:class:`~softphone.sip.engine.Engine`): they only
    enqueue, so the UI thread may call them."""

    def dial(self, target: str, account: str | None = None) -> int: ...
    def answer(self, call_id: int) -> None: ...
    def reject(self, call_id: int, code: int = 486) -> None: ...
    def hangup(self, call_id: int) -> None: ...
    def hold(self, call_id: int) -> None: ...


class DirectoryPerson(Protocol):
    """A company directory's entry for a caller the CRM does not know
    (``integrations.ldap_directory.DirectoryEntry``)."""

    @property
    def name(self) -> str: ...
    @property
    def company_line(self) -> str: ...


class DirectoryRunner(Protocol):
    """Looks a caller up in the company directory off the caller's thread; ``on_done(entry or
    None)`` comes back on the caller's thread within the directory's time bound."""

    def find_caller(self, number: str,
                    on_done: Callable[[DirectoryPerson | None], None]) -> None: ...


#: (event, call row) on the DB worker after the call's row changed: ringing, answered, ended,
#: wrapup (``softphone.integrations.call_events``)
CallEventHook = Callable[[str, CallView], None]


if TYPE_CHECKING:  # mypy checks that both stores implement CallStore
    from softphone.crm.light import LightStore
    from softphone.crm.store import Store

    def _stores_are_call_stores(full: Store, light: LightStore) -> tuple[CallStore, CallStore]:
        return full, light
