"""Schema migrations: upgrades keep every row; a newer schema is refused (SQLite + PG)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from softphone.crm.db import (
    current_revision,
    database_url,
    head_revision,
    make_engine,
    migrate,
    script_directory,
)
from softphone.crm.errors import DatabaseCorruptError, NewerSchemaError
from softphone.crm.store import Store

T0 = datetime(2026, 1, 5, 10, 0)


def test_there_is_a_real_upgrade_path() -> None:
    revisions = [r.revision for r in script_directory().walk_revisions()]
    assert len(revisions) >= 2
    assert head_revision() == revisions[0]


def _seed_first_revision(url: str) -> None:
    """A database as the first release left it, filled through that release's schema."""
    engine = make_engine(url)
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO companies (id, name, name_fold, created_at) "
            "VALUES (1, 'ООО Ромашка', 'ооо ромашка', :t)"), {"t": T0})
        for cid, name, phone in ((1, "Иван Петров", "+74951234567"),
                                 (2, "Анна Смирнова", "+74957654321")):
            conn.execute(text(
                "INSERT INTO contacts (id, name, name_fold, company_id, position, emails, tags,"
                " notes, do_not_call, search_fold, created_at, updated_at, version) VALUES "
                "(:id, :name, :fold, 1, NULL, '[\"a@b.ru\"]', '[]', 'note', false, :search,"
                " :t, :t, 3)"),
                {"id": cid, "name": name, "fold": name.casefold(),
                 "search": name.casefold() + " ооо ромашка " + phone[1:], "t": T0})
            conn.execute(text(
                "INSERT INTO phones (contact_id, raw, e164, national, rev, kind, label,"
                " is_primary, position) VALUES (:c, :raw, :raw, :nat, :rev, 'number', 'work',"
                " true, 0)"),
                {"c": cid, "raw": phone, "nat": phone[2:], "rev": phone[2:][::-1]})
        conn.execute(text(
            "INSERT INTO calls (id, direction, account, number, number_key, remote_uri,"
            " display_name, contact_id, started_at, start_hour, answered_at, ended_at,"
            " talk_seconds, ring_seconds, outcome, sip_status, agent, sip_call_id) VALUES"
            " (1, 'in', 'office', '+74951234567', '+74951234567', '', '', 1, :t, :h, :t, :t,"
            " 42, 3, 'answered', 200, 'alice', 'x@y')"),
            {"t": T0, "h": int(T0.replace(tzinfo=UTC).timestamp()) // 3600})
        conn.execute(text(
            "INSERT INTO wrapups (call_id, outcome, reason, note, author, updated_at)"
            " VALUES (1, 'sale', '', 'old note', 'alice', :t)"), {"t": T0})
        conn.execute(text(
            "INSERT INTO tasks (kind, title, due_at, done, contact_id, call_id, created_at)"
            " VALUES ('call_back', 'ring', :t, false, 1, 1, :t)"), {"t": T0})
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_every_row(
    backend: str | None, profile_dir: Path
) -> None:
    url = database_url(backend, profile_dir)
    _seed_first_revision(url)
    store = Store.open(backend, profile_dir, "RU", agent="alice")
    try:
        assert current_revision(store.engine) == head_revision()
        ivan = store.get_contact(1)
        assert ivan is not None and ivan.name == "Иван Петров" and ivan.version == 3
        assert ivan.company == "ООО Ромашка" and ivan.emails == ("a@b.ru",)
        assert store.get_contact(2) is not None
        assert store.count_contacts() == 2
        call = store.get_call(1)
        assert call is not None and call.talk_seconds == 42 and call.contact_name == "Иван Петров"
        assert call.started_at == T0.replace(tzinfo=UTC)
        assert call.wrapup is not None and call.wrapup.note == "old note"
        assert [c.id for c in store.list_calls(query="OLD Note")] == [1]  # 0005's backfill
        assert len(store.open_tasks(contact_id=1)) == 1
        # old rows are found by the new search and by lookup
        assert [c.id for c in store.search("иван")] == [1]
        assert [c.id for c in store.search("смирн")] == [2]
        assert store.lookup("8 495 765-43-21").contact.id == 2  # type: ignore[union-attr]
        # what the new revision added works with old rows
        deal = store.add_deal(title="Renewal", contact_id=1)
        assert store.deals(contact_id=1) == [deal]
        stats = store.statistics(since=T0.replace(tzinfo=UTC, hour=0),
                                 until=T0.replace(tzinfo=UTC, hour=23))
        assert stats.calls == 1 and stats.total_talk_seconds == 42
    finally:
        store.close()


def test_database_from_a_newer_version_is_refused_and_left_untouched(
    backend: str | None, profile_dir: Path
) -> None:
    Store.open(backend, profile_dir, "RU").close()
    engine = make_engine(database_url(backend, profile_dir))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(NewerSchemaError) as err:
        Store.open(backend, profile_dir, "RU")
    assert "newer" in err.value.message and "9999_from_the_future" in err.value.message
    assert current_revision(engine) == "9999_from_the_future"
    engine.dispose()


def test_a_foreign_database_is_not_taken_over(profile_dir: Path) -> None:
    engine = make_engine(database_url(None, profile_dir))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)"))
    engine.dispose()
    with pytest.raises(DatabaseCorruptError, match="not a Softphone"):
        Store.open(None, profile_dir, "RU")


def test_opening_twice_does_not_migrate_again(backend: str | None, profile_dir: Path) -> None:
    Store.open(backend, profile_dir, "RU").close()
    engine = make_engine(database_url(backend, profile_dir))
    assert migrate(engine) == head_revision()  # already there: nothing to do
    engine.dispose()


def test_models_describe_the_migrated_schema(store: Store) -> None:
    """Alembic's autogenerate finds nothing to change (the SQLite full-text index and the
    change feed's trigger-written ``change_log`` aside: SQLite-only, not copied between
    databases, so not a model)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from softphone.crm.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    def is_fts(item: object) -> bool:
        table = item[1] if isinstance(item, tuple) and len(item) > 1 else None
        name = getattr(table, "name", "")
        return name.startswith("contact_fts") or name == "change_log"

    assert [d for d in diff if not is_fts(d)] == []
