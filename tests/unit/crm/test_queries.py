"""crm/queries.py: the shared SQL and its conversions: case folding that finds "Фёдоров" by
"федоров", datetimes bound so that SQLite's text ordering matches the rows SQLAlchemy wrote,
amounts with two decimals, contact views in the order asked (missing ones left out, any
number of ids), a call row replayed twice written once, the schema head read from the files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from softphone.crm import queries
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def test_fold_is_unicode_aware_and_treats_yo_as_ye() -> None:
    assert queries.fold("  Фёдоров   ИВАН ") == "федоров иван"
    assert queries.fold("Straße") == "strasse"
    assert queries.fold(None) == "" and queries.fold("") == ""
    assert queries.wrapup_fold("Deal", None, "Wants  PRICE list") == "deal wants price list"
    assert queries.wrapup_fold(None, "", None) == ""


def test_datetimes_naive_taken_as_utc_and_aware_converted() -> None:
    msk = timezone(timedelta(hours=3))
    assert queries.as_utc(datetime(2026, 3, 2, 12, 0, tzinfo=msk)) == T0.replace(hour=9)
    assert queries.as_utc(datetime(2026, 3, 2, 9, 0)).tzinfo is UTC
    assert queries.to_dt(None) is None
    assert queries.to_dt("2026-03-02 09:00:00.000000") == T0
    assert queries.to_dt(datetime(2026, 3, 2, 9, 0)) == T0


def test_bound_datetimes_order_like_stored_ones(store: Store) -> None:
    """A due time one microsecond later is later; an aware time is compared in UTC."""
    due = T0.replace(microsecond=5)
    task = store.add_task(kind="todo", title="t", due_at=due)
    assert queries.bind_dt("sqlite", due) == "2026-03-02 09:00:00.000005"
    assert queries.bind_dt("postgresql", due) == due.replace(tzinfo=None)
    with store.db.session() as s:
        db = store.db.runner(s)
        assert queries.open_tasks(db, due_before=due) == []
        assert [t.id for t in queries.open_tasks(db, due_before=due + timedelta(
            microseconds=1))] == [task.id]
        msk = timezone(timedelta(hours=3))
        assert queries.open_tasks(db, due_before=datetime(2026, 3, 2, 12, 0, tzinfo=msk)) == []


def test_amounts_have_two_decimals_and_in_lists_name_each_value() -> None:
    assert queries.to_decimal(0.1 + 0.2) == Decimal("0.30")
    assert queries.to_decimal(None) is None
    assert queries.to_decimal(Decimal("1.5")) == Decimal("1.5")
    assert queries.to_json('["a"]') == ["a"] and queries.to_json(["a"]) == ["a"]
    assert queries.in_list("i", [4, 5]) == (":i0, :i1", {"i0": 4, "i1": 5})


def test_contact_views_in_the_order_asked_missing_ones_left_out(store: Store) -> None:
    ids = [store.create_contact(f"C{n}", phones=[f"+7495000{n:04d}"], tags=["t"]).id
           for n in range(3)]
    with store.db.session() as s:
        db = store.db.runner(s)
        views = queries.contact_views_by_id(db, [ids[2], 999_999, ids[0]])
        assert [(v.id, v.name, v.tags) for v in views] == [(ids[2], "C2", ("t",)),
                                                           (ids[0], "C0", ("t",))]
        assert views[0].phones[0].e164 == "+74950000002"
        assert queries.contact_views_by_id(db, []) == []
        # beyond one IN list (500): asked in chunks
        many = queries.contact_views_by_id(db, list(range(100_000, 101_000)) + ids)
        assert [v.id for v in many] == ids


def test_a_call_row_replayed_twice_is_written_once(store: Store) -> None:
    with store.db.session() as s:
        db = store.db.runner(s)
        args = dict(direction="in", account="o", number="+74951234567",
                    number_key="+74951234567", remote_uri="", display_name="",
                    contact_id=None, started_at=T0, sip_call_id="", agent="alice")
        first = queries.insert_call(db, client_key="-42", **args)  # type: ignore[arg-type]
        assert queries.insert_call(db, client_key="-42", **args) == first  # type: ignore[arg-type]
        assert queries.insert_call(db, client_key=None, **args) != first  # type: ignore[arg-type]
        assert queries.last_call_id(db) == first + 1


def test_recent_calls_need_a_contact_or_a_number(store: Store) -> None:
    row = store.call_started(direction="in", account="o", number="+74951234567", started_at=T0)
    store.save_wrapup(row, outcome="deal", note="n")
    with store.db.session() as s:
        db = store.db.runner(s)
        with pytest.raises(ValueError, match="contact or a number"):
            queries.recent_calls(db)
        [call] = queries.recent_calls(db, number_key="+74951234567")
        assert call.wrapup is not None and call.wrapup.note == "n"
        assert call.started_at == T0


def test_interrupted_calls_of_no_agent(store: Store) -> None:
    store.set_agent(None)
    row = store.call_started(direction="in", account="o", number="+74951234567", started_at=T0)
    store.set_agent("alice")
    mine = store.call_started(direction="in", account="o", number="+74951234567", started_at=T0)
    with store.db.session() as s:
        assert queries.close_interrupted(store.db.runner(s), None, mine) == 1
    assert store.get_call(row).outcome == "interrupted"  # type: ignore[union-attr]
    assert store.get_call(mine).outcome is None  # type: ignore[union-attr]


def test_the_schema_head_is_the_one_alembic_finds(tmp_path: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(queries.MIGRATIONS_DIR))
    assert queries.head_from_files() == ScriptDirectory.from_config(config).get_current_head()


def test_in_memory_databases_get_no_wal() -> None:
    on_disk = queries.sqlite_pragmas(1500)
    assert "PRAGMA busy_timeout = 1500" in on_disk and "PRAGMA journal_mode = WAL" in on_disk
    in_memory = queries.sqlite_pragmas(1500, in_memory=True)
    assert "PRAGMA foreign_keys = ON" in in_memory
    assert not any("journal_mode" in p for p in in_memory)
