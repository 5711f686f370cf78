"""Bulk import into the store: merged by normalized number, never added twice (SQLite + PG)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from softphone.crm.records import ContactRecord
from softphone.crm.store import Store


def test_import_creates_merges_and_skips_with_reasons(store: Store) -> None:
    existing = store.create_contact("Иван Петров", phones=["+74951234567"], tags=["old"])
    progress: list[int] = []
    records = [
        ContactRecord("Петров Иван", company="Ромашка", phones=[("8 (495) 123-45-67", "work")],
                      emails=["ivan@r.ru"], tags=["csv"], source_row=2),
        ContactRecord("Анна", company="Ромашка", position="CFO",
                      phones=[("+7 916 000 11 22", "mobile"), ("8 495 000 11 22", "work")],
                      source_row=3),
        ContactRecord("анна", phones=[("89160001122", "mobile")], emails=["a@r.ru"],
                      notes="second row", source_row=4),
        ContactRecord("", phones=[("+7 916 999 99 99", "mobile")], source_row=5),
        ContactRecord("No Phone", source_row=6),
        ContactRecord("Bad Phone", phones=[("anonymous", "work"), ("n/a", "home")],
                      source_row=7),
        ContactRecord("Boss", company="Ромашка", phones=[("+7 926 555 44 33", "work")],
                      do_not_call=True, source_row=8),
    ]
    result = store.import_contacts(records, progress=progress.append, batch_size=3)
    assert result.total_rows == 7
    assert result.created == 2 and result.merged == 2
    assert [(s.source_row, s.reason) for s in result.skipped] == [
        (5, "no name"), (6, "no phone number or e-mail"),
        (7, "no usable phone number or e-mail")]
    assert progress == [3, 6, 7]

    ivan = store.get_contact(existing.id)
    assert ivan is not None
    assert ivan.name == "Иван Петров"  # the stored name wins
    assert ivan.company == "Ромашка" and ivan.emails == ("ivan@r.ru",)
    assert ivan.tags == ("old", "csv") and len(ivan.phones) == 1
    assert ivan.version == existing.version + 1

    anna = store.lookup("+79160001122").contact
    assert anna is not None and anna.name == "Анна" and anna.position == "CFO"
    assert anna.emails == ("a@r.ru",) and anna.notes == "second row"
    assert store.lookup("84950001122").contact == anna
    boss = store.lookup("+79265554433").contact
    assert boss is not None and boss.do_not_call and boss.company_id == anna.company_id
    assert store.count_contacts() == 3
    assert [c.name for c in store.search("анна")] == ["Анна"]


def test_importing_the_same_file_twice_adds_nothing(store: Store) -> None:
    records = [ContactRecord(f"Person {i}", phones=[(f"+7 495 {i:07d}", "work")],
                             source_row=i + 2) for i in range(500)]
    first = store.import_contacts(records)
    assert (first.created, first.merged) == (500, 0)
    second = store.import_contacts(records)
    assert (second.created, second.merged) == (0, 500)
    assert store.count_contacts() == 500
    assert store.lookup("8 495 000 02 50").contact.name == "Person 250"  # type: ignore[union-attr]


def test_imported_contacts_are_found_by_search_and_iterated(store: Store) -> None:
    store.import_contacts([
        ContactRecord("Ольга Кузнецова", company="Ёлка", phones=[("+7 812 111 22 33", "w")]),
        ContactRecord("Oleg", emails=["oleg@elka.ru"], phones=[("+7 812 111 22 34", "w")]),
    ])
    assert [c.name for c in store.search("кузн")] == ["Ольга Кузнецова"]
    assert [c.name for c in store.search("ЁЛКА")] == ["Ольга Кузнецова"]
    assert [c.name for c in store.search("oleg@")] == ["Oleg"]
    assert sorted(c.name for c in store.iter_contacts()) == ["Oleg", "Ольга Кузнецова"]


def test_colleagues_sharing_an_office_number_stay_two_people(store: Store) -> None:
    records = [
        ContactRecord("Анна Смирнова", company="ООО Ромашка",
                      phones=[("8 495 111-22-33", "work"), ("+7 916 100 00 01", "mobile")]),
        ContactRecord("Борис Орлов", company="ООО Ромашка",
                      phones=[("8 495 111-22-33", "work"), ("+7 916 100 00 02", "mobile")]),
        ContactRecord("Смирнова А.", company="ООО Ромашка",
                      phones=[("+7 (495) 111-22-33", "work"), ("+7 916 100 00 01", "mobile")],
                      emails=["anna@romashka.ru"]),
    ]
    result = store.import_contacts(records)
    assert (result.created, result.merged) == (2, 1)
    anna = store.lookup("+79161000001").contact
    boris = store.lookup("+79161000002").contact
    assert anna is not None and anna.name == "Анна Смирнова"
    assert anna.emails == ("anna@romashka.ru",)
    assert boris is not None and boris.name == "Борис Орлов"
    office = store.lookup("84951112233")
    assert office.matched_by == "company" and office.company is not None
    assert {p.name for p in office.people} == {"Анна Смирнова", "Борис Орлов"}
    # the next import of the same people merges into each of them, not into the first
    again = store.import_contacts([
        ContactRecord("Орлов Борис", phones=[("8 495 111 22 33", "work")], tags=["vip"])])
    assert (again.created, again.merged) == (0, 1)
    assert store.get_contact(boris.id).tags == ("vip",)  # type: ignore[union-attr]
    assert store.get_contact(anna.id).tags == ()  # type: ignore[union-attr]


def test_later_batches_merge_into_contacts_of_earlier_ones(store: Store) -> None:
    """Batches overlap on SQLite (the next one is matched while the last commits)."""
    records = [ContactRecord(f"Person {i}", phones=[(f"+7 495 {i:07d}", "work")],
                             emails=[f"p{i}@x.ru"], source_row=i + 2) for i in range(40)]
    records += [ContactRecord(f"person {i}", phones=[(f"8 495 {i:07d}", "mobile"),
                                                     (f"+7 916 {i:07d}", "mobile")],
                              emails=[f"q{i}@x.ru"], source_row=i + 42) for i in range(40)]
    progress: list[int] = []
    result = store.import_contacts(records, progress=progress.append, batch_size=7)
    assert (result.created, result.merged) == (40, 40)
    assert progress == [*range(7, 80, 7), 80]
    assert store.count_contacts() == 40
    person = store.lookup("+79160000013").contact
    assert person is not None and person.name == "Person 13"
    assert person.emails == ("p13@x.ru", "q13@x.ru") and len(person.phones) == 2
    assert [c.name for c in store.search("p3@x.ru")] == ["Person 3"]  # full-text index
    assert [c.name for c in store.search("q39@x")] == ["Person 39"]
    assert [c.name for c in store.search("9160000039")] == ["Person 39"]


def test_a_failing_batch_keeps_the_earlier_ones_and_the_store_usable(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softphone.crm.contacts import ContactBook
    from softphone.crm.errors import DatabaseLockedError

    calls = 0
    original = ContactBook.index_new_contacts

    def flaky(self: ContactBook, *args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise sqlite3.OperationalError("database is locked")
        original(self, *args)

    if store.dialect != "sqlite":
        pytest.skip("the full-text index is SQLite's")
    monkeypatch.setattr(ContactBook, "index_new_contacts", flaky)
    records = [ContactRecord(f"Person {i}", phones=[(f"+7 495 {i:07d}", "work")],
                             emails=[f"p{i}@x.ru"], source_row=i + 2) for i in range(30)]
    with pytest.raises(DatabaseLockedError):
        store.import_contacts(records, batch_size=10)
    assert store.count_contacts() == 10  # the first batch; the second was rolled back
    assert [c.name for c in store.search("p5@x.ru")] == ["Person 5"]
    monkeypatch.setattr(ContactBook, "index_new_contacts", original)
    again = store.import_contacts(records, batch_size=10)
    assert (again.created, again.merged) == (20, 10)
    assert store.count_contacts() == 30
    assert [c.name for c in store.search("p25@x.ru")] == ["Person 25"]
