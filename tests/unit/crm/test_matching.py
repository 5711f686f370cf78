"""crm/matching.py on its own: the tiers of :func:`find_caller` run through a ``Runner`` (here
``sqlite3`` on a database the migrations made), which statements each tier costs, the
PostgreSQL form of the suffix query, and :func:`log_call_start`. The store-level answers on
both backends are in tests/integration/crm/test_store_matching.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from softphone.crm.matching import find_caller, log_call_start
from softphone.crm.phones import normalize
from softphone.crm.store import Store
from softphone.profile import database_file

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class RecordingRunner:
    """``queries.Runner`` over ``sqlite3`` that keeps each statement it ran."""

    def __init__(self, conn: sqlite3.Connection, dialect: str = "sqlite") -> None:
        self.conn = conn
        self.dialect = dialect
        self.statements: list[str] = []

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        self.statements.append(sql)
        return self.conn.execute(sql, dict(params)).fetchall()

    def run(self, sql: str, params: Mapping[str, Any]) -> int:
        self.statements.append(sql)
        return self.conn.execute(sql, dict(params)).rowcount

    def phone_queries(self) -> list[str]:
        return [s for s in self.statements if "FROM phones" in s and "contact_id IN" not in s]


@pytest.fixture
def people(tmp_path: Path) -> Iterator[dict[str, int]]:
    with Store.open(None, tmp_path, default_region="RU") as s:
        ids = {
            "ann": s.create_contact("Ann", phones=["+7 495 123-45-67"]).id,
            "bob": s.create_contact("Bob", phones=["765-43-21"]).id,  # stored without an area
            "carol": s.create_contact("Carol", company="Acme", phones=["+7 495 000-00-01"]).id,
            "dan": s.create_contact("Dan", company="Acme", phones=["+7 495 000-00-01"]).id,
            "ext": s.create_contact("Reception", phones=["101"]).id,
        }
        s.ignore_number("+7 999 000-00-00", "spam")
    yield ids


@pytest.fixture
def db(tmp_path: Path, people: dict[str, int]) -> Iterator[RecordingRunner]:
    conn = sqlite3.connect(database_file(tmp_path), isolation_level=None)
    yield RecordingRunner(conn)
    conn.close()


def ru(raw: str) -> Any:
    return normalize(raw, "RU")


def test_exact_e164_is_one_query_and_names_the_tier(db: RecordingRunner,
                                                    people: dict[str, int]) -> None:
    match = find_caller(db, ru("8 (495) 123-45-67"))
    assert match.contact is not None and match.contact.id == people["ann"]
    assert match.matched_by == "e164" and match.number == "+74951234567"
    assert len(db.phone_queries()) == 1  # no national or suffix query after a hit


def test_a_number_stored_without_area_code_is_found_by_its_unique_suffix(
        db: RecordingRunner, people: dict[str, int]) -> None:
    match = find_caller(db, ru("+7 495 765-43-21"))
    assert match.contact is not None and match.contact.id == people["bob"]
    assert match.matched_by == "suffix"


def test_postgresql_runs_the_suffix_as_like(tmp_path: Path, people: dict[str, int]) -> None:
    conn = sqlite3.connect(database_file(tmp_path), isolation_level=None)
    try:
        pg = RecordingRunner(conn, dialect="postgresql")  # LIKE runs on SQLite too
        match = find_caller(pg, ru("+7 495 765-43-21"))
    finally:
        conn.close()
    assert match.contact is not None and match.contact.id == people["bob"]
    assert any("rev LIKE" in s for s in pg.statements)
    assert not any("rev >=" in s for s in pg.statements)


def test_a_shared_company_number_answers_the_company(db: RecordingRunner,
                                                     people: dict[str, int]) -> None:
    match = find_caller(db, ru("+74950000001"))
    assert match.contact is None and match.matched_by == "company"
    assert match.company is not None and match.company.name == "Acme"
    assert sorted(p.id for p in match.people) == sorted([people["carol"], people["dan"]])


@pytest.mark.parametrize("raw", ["anonymous", ""])
def test_withheld_or_empty_never_queries_phones(db: RecordingRunner, raw: str) -> None:
    match = find_caller(db, ru(raw))
    assert match.contact is None
    assert db.phone_queries() == []


def test_an_ignored_number_is_reported_before_any_phone_query(db: RecordingRunner) -> None:
    match = find_caller(db, ru("+79990000000"))
    assert match.contact is None and match.ignored == "spam" and match.matched_by == "ignored"
    assert db.phone_queries() == []


def test_an_extension_matches_only_an_exact_copy(db: RecordingRunner,
                                                 people: dict[str, int]) -> None:
    match = find_caller(db, ru("101"))
    assert match.contact is not None and match.contact.id == people["ext"]
    assert match.matched_by == "national"
    short = find_caller(db, ru("102"))
    assert short.contact is None and short.matched_by == "short"
    assert not any("rev" in s for s in db.statements)  # never a suffix for short numbers


def test_log_call_start_links_the_matched_contact(db: RecordingRunner,
                                                  people: dict[str, int]) -> None:
    row = log_call_start(db, ru("+74951234567"), direction="in", account="office",
                         number="+74951234567", remote_uri="sip:x@y", display_name="",
                         started_at=T0, sip_call_id="c1", contact_id=None, agent="alice")
    stored = db.conn.execute("SELECT contact_id, number, number_key, agent FROM calls "
                             "WHERE id = ?", (row,)).fetchone()
    assert stored == (people["ann"], "+74951234567", "+74951234567", "alice")


def test_log_call_start_keeps_a_given_contact_and_never_keys_a_withheld_caller(
        db: RecordingRunner, people: dict[str, int]) -> None:
    chosen = log_call_start(db, ru("+74951234567"), direction="out", account="office",
                            number="+74951234567", remote_uri="", display_name="",
                            started_at=T0, sip_call_id="", contact_id=people["bob"],
                            agent=None)
    withheld = log_call_start(db, ru("anonymous"), direction="in", account="office",
                              number="", remote_uri="sip:anonymous@anonymous.invalid",
                              display_name="", started_at=T0, sip_call_id="",
                              contact_id=None, agent=None)
    rows = dict(db.conn.execute("SELECT id, contact_id FROM calls").fetchall())
    assert rows[chosen] == people["bob"]
    assert rows[withheld] is None
    key = db.conn.execute("SELECT number_key FROM calls WHERE id = ?", (withheld,)).fetchone()
    assert key == (None,)
