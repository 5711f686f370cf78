"""The light SQLite reader (softphone.crm.light): what an idle app and an incoming call need,
without SQLAlchemy, giving the same answers as the full store; everything else, migrations,
a newer schema and journaled writes still go through the full store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.errors import NewerSchemaError
from softphone.crm.journal import JOURNAL_NAME
from softphone.crm.light import LightStore, open_store
from softphone.crm.store import Store
from softphone.profile import database_file

T0 = datetime(2026, 3, 2, 9, 30, 15, 250000, tzinfo=UTC)


def _seed(profile: Path) -> dict[str, int]:
    """A profile a user has used for a while: contacts, calls with wrap-ups, tasks, deals,
    missed calls, an ignored number."""
    with Store.open(None, profile, default_region="RU", agent="alice") as s:
        ann = s.create_contact("Ann Lee", company="Acme", position="CTO",
                               phones=[("8 (495) 123-45-67", "work"), ("+7 916 000-11-22",
                                                                        "mobile")],
                               emails=["ann@acme.ru"], tags=["vip"], notes="likes tea")
        bob = s.create_contact("Bob Sidorov", phones=["+74957654321"])
        s.create_contact("Carol Acme", company="Acme", phones=["+74950000001"])
        s.create_contact("Dan Acme", company="Acme", phones=["+74960000001"])
        first = s.call_started(direction="in", account="office", number="+74951234567",
                               started_at=T0, sip_call_id="a@x")
        s.call_answered(first, T0 + timedelta(seconds=4))
        s.call_ended(first, ended_at=T0 + timedelta(seconds=64), outcome="answered",
                     sip_status=200, quality={"mos": 4.2})
        s.save_wrapup(first, outcome="Interested", note="quote for 20 seats")
        for minutes in (5, 9):
            missed = s.call_started(direction="in", account="office", number="84957654321",
                                    started_at=T0 + timedelta(minutes=minutes))
            s.call_ended(missed, ended_at=T0 + timedelta(minutes=minutes, seconds=20),
                         outcome="missed")
        stranger = s.call_started(direction="in", account="office", number="+74990001122",
                                  started_at=T0 + timedelta(minutes=20))
        s.call_ended(stranger, ended_at=T0 + timedelta(minutes=21), outcome="missed")
        s.add_task(kind="call_back", title="Send the quote", contact_id=ann.id,
                   due_at=T0 + timedelta(days=1), call_id=first)
        s.add_task(kind="todo", title="No date", contact_id=ann.id, due_at=None)
        done = s.add_task(kind="meeting", title="Done already", contact_id=bob.id,
                          due_at=T0 - timedelta(days=1))
        s.complete_task(done.id)
        s.add_deal(title="20 seats", stage="proposal", amount="1234.50", contact_id=ann.id)
        s.ignore_number("+74990009999", "spam")
    return {"ann": ann.id, "bob": bob.id}


@pytest.fixture
def seeded(profile_dir: Path) -> tuple[Path, dict[str, int]]:
    return profile_dir, _seed(profile_dir)


def test_the_light_reader_answers_like_the_full_store(seeded: tuple[Path, dict[str, int]]
                                                      ) -> None:
    profile, ids = seeded
    light = open_store(None, profile, "RU", "alice")
    assert isinstance(light, LightStore)
    full = Store.open(None, profile, default_region="RU", agent="alice")
    try:
        numbers = ["+7 495 123-45-67", "84951234567", "4951234567", "sip:+79160001122@pbx",
                   "+74957654321", "+74990009999", "anonymous", "1234567", "+74950000001",
                   "0000001", "+14155550100", "112"]
        for number in numbers:
            assert light.lookup(number) == full.lookup(number), number
        assert light.lookup("+74951234567").contact.name == "Ann Lee"
        assert light.lookup("+74990009999").ignored == "spam"
        for cid in (ids["ann"], ids["bob"], 999):
            assert light.get_contact(cid) == full.get_contact(cid)
            assert light.open_tasks(contact_id=cid) == full.open_tasks(contact_id=cid)
            assert light.deals(contact_id=cid) == full.deals(contact_id=cid)
            assert light.list_calls(contact_id=cid, limit=3) == \
                full.list_calls(contact_id=cid, limit=3)
        for number in ("84957654321", "+74990001122", "+74951234567", "anonymous"):
            assert light.list_calls(number=number, limit=3) == \
                full.list_calls(number=number, limit=3)
        assert light.open_tasks() == full.open_tasks()
        assert [t.title for t in light.open_tasks()] == ["Send the quote", "No date"]
        before = T0 + timedelta(days=2)
        assert light.open_tasks(due_before=before) == full.open_tasks(due_before=before)
        assert light.missed_inbox() == full.missed_inbox()
        assert [(m.number, m.count, m.contact_name) for m in light.missed_inbox()] == [
            ("+74990001122", 1, None), ("+74957654321", 2, "Bob Sidorov")]
        [deal] = light.deals(contact_id=ids["ann"])
        assert str(deal.amount) == "1234.50"
        [last] = light.list_calls(contact_id=ids["ann"], limit=3)
        assert last.wrapup is not None and last.wrapup.note == "quote for 20 seats"
        assert last.quality == {"mos": 4.2} and last.started_at == T0
        assert light.flush_pending() == 0 and light.pending_count() == 0
        assert not light.full_loaded
    finally:
        light.close()
        full.close()


def test_an_idle_profile_is_opened_without_sqlalchemy(seeded: tuple[Path, dict[str, int]]
                                                      ) -> None:
    profile, _ = seeded
    script = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from softphone.crm.light import open_store\n"
        f"s = open_store(None, Path({str(profile)!r}), 'RU', 'alice')\n"
        "out = dict(kind=type(s).__name__, missed=len(s.missed_inbox()),\n"
        "           tasks=len(s.open_tasks()), caller=s.lookup('+74951234567').contact.name,\n"
        "           flushed=s.flush_pending(), sqlalchemy='sqlalchemy' in sys.modules)\n"
        "s.search('ann')\n"
        "out['after_search'] = 'sqlalchemy' in sys.modules\n"
        "s.close()\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    out = json.loads(done.stdout.splitlines()[-1])
    assert out == {"kind": "LightStore", "missed": 2, "tasks": 2, "caller": "Ann Lee",
                   "flushed": 0, "sqlalchemy": False, "after_search": True}


def test_a_call_logged_light_then_the_full_store_takes_over(
        seeded: tuple[Path, dict[str, int]]) -> None:
    profile, ids = seeded
    # a call a crash left open before this start: closed as interrupted at open
    with Store.open(None, profile, default_region="RU", agent="alice") as s:
        crashed = s.call_started(direction="out", account="office", number="+74957654321",
                                 started_at=T0 + timedelta(hours=1))
    store = open_store(None, profile, "RU", "alice")
    assert isinstance(store, LightStore)
    ringing = store.call_started(direction="in", account="office", number="8 495 123 45 67",
                                 remote_uri="sip:84951234567@pbx", display_name="Ann",
                                 started_at=T0 + timedelta(hours=2), sip_call_id="r@x")
    assert ringing > crashed and not store.full_loaded
    # anything else loads the full store; it must not take the ringing call for a crashed one
    store.call_answered(ringing, T0 + timedelta(hours=2, seconds=5))
    assert store.full_loaded
    store.call_ended(ringing, ended_at=T0 + timedelta(hours=2, minutes=1), outcome="answered",
                     sip_status=200)
    assert store.get_call(crashed).outcome == "interrupted"
    call = store.get_call(ringing)
    assert (call.contact_id, call.contact_name, call.number, call.outcome, call.talk_seconds) \
        == (ids["ann"], "Ann Lee", "+74951234567", "answered", 55)
    assert call.started_at == T0 + timedelta(hours=2) and call.sip_call_id == "r@x"
    assert call.display_name == "Ann" and call.agent == "alice"
    store.close()
    with Store.open(None, profile, default_region="RU", agent="alice") as s:
        assert s.get_call(ringing).outcome == "answered"
        assert s.statistics(since=T0, until=T0 + timedelta(days=1)).calls == 6


def test_a_locked_database_journals_the_light_call_start(
        seeded: tuple[Path, dict[str, int]]) -> None:
    profile, ids = seeded
    store = open_store(None, profile, "RU", "alice", busy_timeout_ms=100)
    assert isinstance(store, LightStore)
    told: list[object] = []
    store.on_pending = told.append
    blocker = sqlite3.connect(database_file(profile), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        pending = store.call_started(direction="in", account="office", number="+74951234567",
                                     started_at=T0 + timedelta(hours=3))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert pending < 0 and len(told) == 1
    assert (profile / JOURNAL_NAME).exists()
    store.flush_pending()  # the full store writes it (as it opens)
    assert store.full_loaded and store.pending_count() == 0
    call = store.get_call(pending)
    assert call is not None and call.contact_id == ids["ann"]
    store.close()


def test_what_needs_more_opens_the_full_store(profile_dir: Path) -> None:
    # no database yet: the full store creates it
    first = open_store(None, profile_dir, "RU", "alice")
    assert isinstance(first, Store)
    first.close()
    # journaled writes wait: the full store replays them at open
    (profile_dir / JOURNAL_NAME).write_text(json.dumps({"op": "call_started", "args": {
        "direction": "in", "account": "office", "number": "+74951234567", "remote_uri": "",
        "display_name": "", "started_at": {"$dt": T0.isoformat()}, "sip_call_id": "",
        "contact_id": None, "agent": "alice", "client_key": "-5"}}) + "\n")
    replayed = open_store(None, profile_dir, "RU", "alice")
    assert isinstance(replayed, Store)
    assert replayed.get_call(-5) is not None and replayed.pending_count() == 0
    replayed.close()
    assert isinstance(open_store(None, profile_dir, "RU", "alice"), LightStore)


def test_an_old_schema_is_migrated(profile_dir: Path) -> None:
    from sqlalchemy import text

    from softphone.crm.db import current_revision, database_url, head_revision, make_engine, migrate

    engine = make_engine(database_url(None, profile_dir))
    migrate(engine, "0001")
    engine.dispose()
    store = open_store(None, profile_dir, "RU", "alice")
    assert isinstance(store, Store)  # migrations need the full store
    store.close()
    engine = make_engine(database_url(None, profile_dir))
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deals")).scalar() == 0
    engine.dispose()


def test_a_newer_schema_is_still_refused(seeded: tuple[Path, dict[str, int]]) -> None:
    profile, _ = seeded
    with sqlite3.connect(database_file(profile)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(NewerSchemaError, match="newer Softphone"):
        open_store(None, profile, "RU", "alice")
    with sqlite3.connect(database_file(profile)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("9999_from_the_future",)]
