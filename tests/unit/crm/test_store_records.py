"""crm/store_records.py: tasks (kinds, default titles, done and undone, moved, deleted twice,
soonest due first), deals (owner required, exact amounts, only known fields updated) and the
ignore list (one row per number whatever its spelling, a clear error for a non-number)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from softphone.crm.errors import NotFoundError
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def test_task_kinds_and_default_titles(store: Store) -> None:
    with pytest.raises(ValueError, match="call_back"):
        store.add_task(kind="email", title="x", due_at=None)
    task = store.add_task(kind="call_back", title="   ", due_at=T0, number="+74951234567")
    assert (task.title, task.due_at, task.done, task.number) == (
        "call back", T0, False, "+74951234567")


def test_a_task_on_a_pending_call_points_at_the_row_written(store: Store) -> None:
    row = store.call_started(direction="in", account="a", number="+74951234567", started_at=T0)
    task = store.add_task(kind="todo", title="send offer", due_at=None, call_id=row)
    assert task.call_id == row  # a real row here; a pending (negative) id is resolved
    with pytest.raises(NotFoundError):
        store.add_task(kind="todo", title="x", due_at=None, call_id=-1)


def test_open_tasks_soonest_first_undated_last_done_hidden(store: Store) -> None:
    ann = store.create_contact("Ann")
    later = store.add_task(kind="todo", title="later", due_at=T0 + timedelta(days=2))
    undated = store.add_task(kind="todo", title="someday", due_at=None, contact_id=ann.id)
    soon = store.add_task(kind="meeting", title="soon", due_at=T0, contact_id=ann.id)
    done = store.add_task(kind="todo", title="done", due_at=T0 - timedelta(days=1))
    store.complete_task(done.id)
    assert [t.id for t in store.open_tasks()] == [soon.id, later.id, undated.id]
    assert [t.id for t in store.open_tasks(contact_id=ann.id)] == [soon.id, undated.id]
    assert [t.id for t in store.open_tasks(due_before=T0 + timedelta(days=1))] == [soon.id]


def test_complete_undo_move_and_delete(store: Store) -> None:
    task = store.add_task(kind="todo", title="t", due_at=T0)
    done = store.complete_task(task.id)
    assert done.done and done.done_at is not None
    undone = store.complete_task(task.id, done=False)
    assert not undone.done and undone.done_at is None
    moved = store.move_task(task.id, T0 + timedelta(hours=3))
    assert (moved.due_at, moved.title, moved.kind) == (T0 + timedelta(hours=3), "t", "todo")
    assert store.move_task(task.id, None).due_at is None
    assert store.delete_task(task.id) is True
    assert store.delete_task(task.id) is False  # already gone: not an error
    for change in (store.complete_task, lambda i: store.move_task(i, T0)):
        with pytest.raises(NotFoundError, match=f"task {task.id}"):
            change(task.id)


def test_deals_belong_to_someone_and_keep_exact_amounts(store: Store) -> None:
    ann = store.create_contact("Ann")
    with pytest.raises(ValueError, match="contact or a company"):
        store.add_deal(title="orphan")
    deal = store.add_deal(title="  Licences ", amount=0.1, contact_id=ann.id, stage="")
    assert (deal.title, deal.stage, deal.amount) == ("Licences", "new", Decimal("0.1"))
    updated = store.update_deal(deal.id, amount="1999.99", stage="won")
    assert (updated.amount, updated.stage) == (Decimal("1999.99"), "won")
    assert updated.updated_at >= deal.updated_at
    assert store.update_deal(deal.id, amount=None).amount is None
    with pytest.raises(TypeError, match="owner"):
        store.update_deal(deal.id, owner="bob")
    with pytest.raises(NotFoundError):
        store.update_deal(deal.id + 1, stage="won")
    other = store.create_contact("Bob")
    store.add_deal(title="other", contact_id=other.id)
    assert [d.title for d in store.deals(contact_id=ann.id)] == ["Licences"]
    assert len(store.deals()) == 2


def test_the_ignore_list_has_one_row_per_number(store: Store) -> None:
    with pytest.raises(ValueError, match="spam"):
        store.ignore_number("+74951234567", "annoying")
    with pytest.raises(ValueError, match="not a phone number"):
        store.ignore_number("hello", "spam")
    first = store.ignore_number(" 8 495 123-45-67 ", "spam")
    assert (first.number, first.raw, first.kind) == ("+74951234567", "8 495 123-45-67", "spam")
    again = store.ignore_number("+7 (495) 123 45 67", "internal")  # same number: kind changes
    assert (again.raw, again.kind) == ("8 495 123-45-67", "internal")
    assert len(store.ignored_numbers()) == 1
    assert store.unignore_number("84951234567") is True
    assert store.unignore_number("84951234567") is False
    assert store.ignored_numbers() == []
