"""crm/database.py: one short transaction per ``session()`` (committed on success, nothing
kept when the block fails), driver errors turned into the store's errors with a message for
the user, numbers read in the region of the moment."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from softphone.crm.database import Database
from softphone.crm.db import database_url, make_engine, migrate
from softphone.crm.errors import DatabaseLockedError
from softphone.profile import database_file


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(database_url(None, tmp_path), busy_timeout_ms=50)
    migrate(engine)
    yield engine
    engine.dispose()


def add_company(db: Database, s: Session, name: str) -> None:
    db.runner(s).run("INSERT INTO companies (name, name_fold, created_at) VALUES (:n, :f, :at)",
                     {"n": name, "f": name.casefold(), "at": datetime.now(UTC)})


def names(db: Database) -> list[str]:
    with db.session() as s:
        return [row[0] for row in db.runner(s).rows("SELECT name FROM companies ORDER BY name",
                                                    {})]


def test_a_session_commits_when_its_block_ends(engine: Engine, tmp_path: Path) -> None:
    db = Database(engine, tmp_path)
    with db.session() as s:
        add_company(db, s, "Acme")
    assert names(db) == ["Acme"]
    assert db.dialect == "sqlite" and db.profile == tmp_path


def test_nothing_is_kept_when_the_block_fails(engine: Engine, tmp_path: Path) -> None:
    db = Database(engine, tmp_path)
    with pytest.raises(RuntimeError), db.session() as s:
        add_company(db, s, "Half")
        raise RuntimeError("bug in the middle")
    assert names(db) == []


def test_a_locked_database_is_reported_as_such(engine: Engine, tmp_path: Path) -> None:
    db = Database(engine, tmp_path)
    holder = sqlite3.connect(database_file(tmp_path), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseLockedError, match="busy"), db.session() as s:
            add_company(db, s, "Acme")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert names(db) == []


def test_numbers_are_read_in_the_region_set_now(engine: Engine, tmp_path: Path) -> None:
    db = Database(engine, tmp_path, region="ru", agent="alice")
    assert (db.region, db.agent) == ("RU", "alice")
    assert db.normalize("8 495 123-45-67").e164 == "+74951234567"
    db.region = "US"
    assert db.normalize("(202) 555-0143").e164 == "+12025550143"
    assert Database(engine, tmp_path).normalize("84951234567").e164 is None  # no region
    assert db.normalize(None).kind == "withheld"  # type: ignore[arg-type]  # no caller id
