"""Tasks (call back / meeting / to-do), deals and the ignore list (spam, internal numbers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from softphone.crm import queries
from softphone.crm.convert import as_utc, deal_view, task_view, utcnow
from softphone.crm.database import Database
from softphone.crm.errors import NotFoundError
from softphone.crm.models import Call, Deal, IgnoredNumber, Task
from softphone.crm.views import (
    IGNORE_KINDS,
    TASK_KINDS,
    DealView,
    IgnoredView,
    TaskView,
)


class Records:
    """The part of :class:`softphone.crm.store.Store` about tasks, deals and ignored numbers;
    ``resolve_call(session, id)`` is the call log's (a task may name a pending call id)."""

    def __init__(self, db: Database, resolve_call: Callable[[Session, int], Call]) -> None:
        self.db = db
        self._resolve = resolve_call

    # ------------------------------------------------------------------ tasks

    def add_task(
        self,
        *,
        kind: str,
        title: str,
        due_at: datetime | None,
        contact_id: int | None = None,
        call_id: int | None = None,
        number: str | None = None,
    ) -> TaskView:
        if kind not in TASK_KINDS:
            raise ValueError(f"task kind must be one of {TASK_KINDS}")
        with self.db.session() as s:
            if call_id is not None and call_id < 0:
                call_id = self._resolve(s, call_id).id
            task = Task(kind=kind, title=title.strip() or kind.replace("_", " "),
                        due_at=as_utc(due_at) if due_at else None, done=False,
                        contact_id=contact_id, call_id=call_id, number=number,
                        created_at=utcnow())
            s.add(task)
            s.flush()
            return task_view(task)

    def complete_task(self, task_id: int, done: bool = True) -> TaskView:
        with self.db.session() as s:
            task = s.get(Task, task_id)
            if task is None:
                raise NotFoundError(f"task {task_id} does not exist")
            task.done = done
            task.done_at = utcnow() if done else None
            s.flush()
            return task_view(task)

    def move_task(self, task_id: int, due_at: datetime | None) -> TaskView:
        """A new due time (None: no due time); a task moved keeps everything else."""
        with self.db.session() as s:
            task = s.get(Task, task_id)
            if task is None:
                raise NotFoundError(f"task {task_id} does not exist")
            task.due_at = as_utc(due_at) if due_at else None
            s.flush()
            return task_view(task)

    def delete_task(self, task_id: int) -> bool:
        """Remove a task; False when it was already gone (another desk deleted it)."""
        with self.db.session() as s:
            task = s.get(Task, task_id)
            if task is None:
                return False
            s.delete(task)
            return True

    def open_tasks(
        self, contact_id: int | None = None, due_before: datetime | None = None
    ) -> list[TaskView]:
        with self.db.session() as s:
            return queries.open_tasks(self.db.runner(s), contact_id, due_before)

    # ------------------------------------------------------------------ deals

    def add_deal(
        self,
        *,
        title: str,
        stage: str = "new",
        amount: Decimal | float | int | str | None = None,
        contact_id: int | None = None,
        company_id: int | None = None,
    ) -> DealView:
        if contact_id is None and company_id is None:
            raise ValueError("a deal belongs to a contact or a company")
        now = utcnow()
        with self.db.session() as s:
            deal = Deal(title=title.strip(), stage=stage or "new",
                        amount=Decimal(str(amount)) if amount is not None else None,
                        contact_id=contact_id, company_id=company_id,
                        created_at=now, updated_at=now)
            s.add(deal)
            s.flush()
            return deal_view(deal)

    def update_deal(self, /, deal_id: int, **fields: Any) -> DealView:
        allowed = {"title", "stage", "amount", "contact_id", "company_id"}
        if set(fields) - allowed:
            raise TypeError(f"unknown deal fields: {sorted(set(fields) - allowed)}")
        with self.db.session() as s:
            deal = s.get(Deal, deal_id)
            if deal is None:
                raise NotFoundError(f"deal {deal_id} does not exist")
            for key, value in fields.items():
                if key == "amount" and value is not None:
                    value = Decimal(str(value))
                setattr(deal, key, value)
            deal.updated_at = utcnow()
            s.flush()
            return deal_view(deal)

    def deals(self, contact_id: int | None = None, company_id: int | None = None) -> list[DealView]:
        with self.db.session() as s:
            return queries.deals(self.db.runner(s), contact_id, company_id)

    # ------------------------------------------------------------------ ignore list

    def ignore_number(self, raw: str, kind: str) -> IgnoredView:
        """Never match (and never put in the missed-call inbox) this number."""
        if kind not in IGNORE_KINDS:
            raise ValueError(f"ignore kind must be one of {IGNORE_KINDS}")
        key = self.db.normalize(raw).key
        if not key:
            raise ValueError(f"not a phone number: {raw!r}")
        with self.db.session() as s:
            row = s.scalar(select(IgnoredNumber).where(IgnoredNumber.number_key == key))
            if row is None:
                row = IgnoredNumber(number_key=key, raw=raw.strip(), kind=kind,
                                    created_at=utcnow())
                s.add(row)
            else:
                row.kind = kind
            s.flush()
            return IgnoredView(row.number_key, row.raw, row.kind, row.created_at)

    def unignore_number(self, raw: str) -> bool:
        key = self.db.normalize(raw).key or raw
        with self.db.session() as s:
            row = s.scalar(select(IgnoredNumber).where(IgnoredNumber.number_key == key))
            if row is None:
                return False
            s.delete(row)
            return True

    def ignored_numbers(self) -> list[IgnoredView]:
        with self.db.session() as s:
            return [IgnoredView(r.number_key, r.raw, r.kind, r.created_at)
                    for r in s.scalars(select(IgnoredNumber).order_by(IgnoredNumber.id))]
