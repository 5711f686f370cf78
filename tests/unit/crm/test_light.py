"""crm/light.py on its own: what LightStore answers itself and what it hands to the full Store
(loaded once, on the calling thread), the settings it shares with it, the calls a crash left
open, and when :func:`open_store` does not use it. Same answers as the full store, and the
journal under a locked database: tests/integration/crm/test_light_store.py."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.light import LightStore, open_store
from softphone.crm.store import Store
from softphone.profile import database_file

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        ann = s.create_contact("Ann", phones=["+7 495 123-45-67"])
        row = s.call_started(direction="in", account="office", number="+74951234567",
                             started_at=T0, contact_id=ann.id)
        s.call_ended(row, ended_at=T0 + timedelta(minutes=1), outcome="missed")
    return tmp_path


@pytest.fixture
def light(profile: Path) -> LightStore:
    store = LightStore.try_open(profile, "RU", "alice")
    assert store is not None
    return store


def test_open_store_without_a_database_opens_the_full_store(tmp_path: Path) -> None:
    store = open_store(None, tmp_path, "RU")
    try:
        assert isinstance(store, Store)
    finally:
        store.close()


def test_caller_card_reads_stay_light(light: LightStore) -> None:
    match = light.lookup("8 495 123 45 67")
    assert match.contact is not None and match.contact.name == "Ann"
    assert light.get_contact(match.contact.id) is not None
    assert [c.outcome for c in light.list_calls(contact_id=match.contact.id, limit=3)] == \
        ["missed"]
    assert [c.outcome for c in light.list_calls(number="+74951234567", limit=3)] == ["missed"]
    assert light.list_calls(number="anonymous") == []
    assert light.open_tasks() == [] and light.deals() == []
    assert not light.full_loaded
    light.close()


@pytest.mark.parametrize("filters", [
    {"outcome": "missed"},  # another filter
    {},  # neither a contact nor a number
    {"contact_id": 1, "number": "+74951234567"},  # both
])
def test_any_other_listing_loads_the_full_store(light: LightStore,
                                                filters: dict[str, object]) -> None:
    light.list_calls(**filters)
    assert light.full_loaded
    light.close()


def test_a_method_it_lacks_loads_the_full_store_once_and_closes_its_connection(
        light: LightStore) -> None:
    assert light.count_contacts() == 1  # the full Store's method
    full = light.load_full()
    assert light.load_full() is full
    assert light._conn is None
    assert light.lookup("+74951234567").contact is not None  # now answered by the full Store
    light.close()


def test_shared_settings_follow_to_the_full_store(light: LightStore) -> None:
    light.set_agent("bob")
    full = light.load_full()
    assert full.agent == "bob" and full.default_region == "RU"
    light.set_agent("carol")
    light.default_region = "DE"
    assert full.agent == "carol" and full.default_region == "DE"
    light.close()


def test_a_region_with_nothing_waiting_keeps_the_store_light(light: LightStore) -> None:
    report = light.set_region("de")
    assert light.default_region == "DE" and not light.full_loaded
    assert report == type(report)()
    light.close()


def test_a_call_start_is_logged_light_and_matched(light: LightStore) -> None:
    row = light.call_started(direction="in", account="office", number="84951234567",
                             started_at=T0 + timedelta(hours=1), sip_call_id="x@y")
    assert row > 0 and not light.full_loaded
    assert light.get_call(row).contact_id is not None  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="direction"):
        light.call_started(direction="sideways", account="a", number="1",
                           started_at=T0)
    light.close()


def test_opening_closes_the_calls_a_crash_left_open(profile: Path) -> None:
    with Store.open(None, profile, default_region="RU", agent="alice") as s:
        open_row = s.call_started(direction="out", account="office", number="+74951234567",
                                  started_at=T0 + timedelta(hours=2))
    light = LightStore.try_open(profile, "RU", "alice")
    assert light is not None and not light.full_loaded
    conn = sqlite3.connect(database_file(profile))
    outcome = conn.execute("SELECT outcome FROM calls WHERE id = ?", (open_row,)).fetchone()
    conn.close()
    assert outcome == ("interrupted",)
    light.close()


def test_a_schema_that_is_not_the_head_is_left_to_the_full_store(profile: Path) -> None:
    conn = sqlite3.connect(database_file(profile))
    conn.execute("UPDATE alembic_version SET version_num = 'elsewhere'")
    conn.commit()
    conn.close()
    assert LightStore.try_open(profile, "RU") is None
