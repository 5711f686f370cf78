"""crm/models.py is the schema's declarations; its one piece of logic is ``UTCDateTime``:
times are stored as naive UTC whatever zone they were given in (so SQL compares them like
for like on SQLite and PostgreSQL) and always read back aware, in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from softphone.crm.models import Task, UTCDateTime
from softphone.crm.store import Store

MSK = timezone(timedelta(hours=3))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def test_a_time_given_in_any_zone_is_stored_as_utc_and_read_back_aware(store: Store) -> None:
    with store.db.session() as s:
        s.add(Task(kind="todo", title="t", due_at=datetime(2026, 3, 2, 12, 0, tzinfo=MSK),
                   done=False, created_at=datetime(2026, 3, 2, 9, 0)))  # naive: taken as UTC
    with store.db.session() as s:
        raw = store.db.runner(s).rows("SELECT due_at, created_at FROM tasks", {})[0]
        assert [str(v) for v in raw] == ["2026-03-02 09:00:00.000000",
                                         "2026-03-02 09:00:00.000000"]
        task = s.scalars(select(Task)).one()
        assert task.due_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert task.due_at.tzinfo is UTC and task.created_at.tzinfo is UTC
        # a query bound with an aware time in another zone compares in UTC
        assert s.scalars(select(Task).where(
            Task.due_at < datetime(2026, 3, 2, 12, 1, tzinfo=MSK))).all() == [task]


def test_none_stays_none() -> None:
    column = UTCDateTime()
    assert column.process_bind_param(None, None) is None  # type: ignore[arg-type]
    assert column.process_result_value(None, None) is None  # type: ignore[arg-type]
