"""crm/regions.py: numbers stored while no region was set (contacts' phones and calls) are
normalised once one is; the calls are linked to their contacts, the missed-call inbox and the
ignore list follow the new keys, and two inbox entries of one number become one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.regions import Regions
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="", agent="alice") as s:
        yield s


def missed(store: Store, number: str, at: datetime) -> int:
    row = store.call_started(direction="in", account="office", number=number, started_at=at)
    store.call_ended(row, ended_at=at + timedelta(seconds=20), outcome="missed")
    return row


def test_no_region_keeps_numbers_as_they_came_and_reports_nothing(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["8 495 123-45-67"])
    row = missed(store, "84951234567", T0)
    assert store.get_contact(ann.id).phones[0].e164 is None  # type: ignore[union-attr]
    view = store.get_call(row)
    assert view is not None and view.number == "84951234567"
    assert view.contact_id == ann.id  # matched by its digits meanwhile
    assert store.set_region("") == store.set_region(None)
    assert not store.set_region("").changed
    assert isinstance(store.regions, Regions)


def test_setting_the_region_normalises_phones_and_calls_and_links_them(store: Store) -> None:
    row = missed(store, "84951234567", T0)  # before the contact existed
    ann = store.create_contact("Ann", phones=["8 495 123-45-67"])
    report = store.set_region("ru")
    assert (report.phones, report.calls, report.linked) == (1, 1, 1) and report.changed
    assert store.default_region == "RU"
    assert store.get_contact(ann.id).phones[0].e164 == "+74951234567"  # type: ignore[union-attr]
    view = store.get_call(row)
    assert view is not None and (view.number, view.contact_id) == ("+74951234567", ann.id)
    assert store.lookup("+7 495 123 45 67").contact.id == ann.id  # type: ignore[union-attr]
    assert [c.name for c in store.search("4951234567")] == ["Ann"]
    inbox = store.missed_inbox()
    assert [(m.number, m.contact_id) for m in inbox] == [("+74951234567", ann.id)]
    assert not store.set_region("RU").changed  # nothing waits any more


def test_full_numbers_that_came_before_their_contact_could_be_read_get_linked(
        store: Store) -> None:
    row = missed(store, "+74951234567", T0)  # arrived in full
    ann = store.create_contact("Ann", phones=["8 495 123-45-67"])  # unreadable without region
    assert store.get_call(row).contact_id is None  # type: ignore[union-attr]
    report = store.set_region("RU")
    assert (report.phones, report.calls, report.linked) == (1, 0, 1)
    assert store.get_call(row).contact_id == ann.id  # type: ignore[union-attr]
    assert store.missed_inbox()[0].contact_id == ann.id


def test_two_inbox_entries_of_one_number_become_one(store: Store) -> None:
    missed(store, "+74951234567", T0)
    missed(store, "84951234567", T0 + timedelta(minutes=10))
    missed(store, "84951234567", T0 + timedelta(minutes=20))
    assert sorted(m.count for m in store.missed_inbox()) == [1, 2]
    store.set_region("RU")
    inbox = store.missed_inbox()
    assert len(inbox) == 1
    entry = inbox[0]
    assert (entry.number, entry.count) == ("+74951234567", 3)
    assert (entry.first_at, entry.last_at) == (T0, T0 + timedelta(minutes=20))


def test_an_ignored_number_stays_ignored_in_its_full_form(store: Store) -> None:
    missed(store, "84951234567", T0)
    store.ignore_number("84951234567", "spam")
    store.set_region("RU")
    assert [i.number for i in store.ignored_numbers()] == ["+74951234567"]
    before = len(store.missed_inbox())
    missed(store, "+7 495 123 45 67", T0 + timedelta(hours=1))  # ignored: no inbox entry
    assert len(store.missed_inbox()) == before


def test_a_number_ignored_in_both_forms_is_listed_once(store: Store) -> None:
    missed(store, "84951234567", T0)
    store.ignore_number("84951234567", "spam")
    store.ignore_number("+74951234567", "spam")
    store.set_region("RU")
    assert [i.number for i in store.ignored_numbers()] == ["+74951234567"]


def test_numbers_the_region_cannot_read_keep_waiting(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["84951234567"])
    report = store.set_region("ZZ")  # not a region
    assert not report.changed
    assert store.get_contact(ann.id).phones[0].e164 is None  # type: ignore[union-attr]
