"""crm/contacts.py: creating and changing contacts (a name required, numbers checked and kept
once, a primary phone, companies shared whatever their case, optimistic locking), search as
you type (name prefix first, any script and case, digits anywhere in a number, short words),
lookup of withheld callers, deleting against erasing (privacy: calls, tasks, deals, messages,
inbox and recordings inside the profile go), and export in batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.contacts import ContactBook, clean_list
from softphone.crm.errors import ConflictError, NotFoundError
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def test_a_contact_needs_a_name_and_real_numbers(store: Store) -> None:
    with pytest.raises(ValueError, match="needs a name"):
        store.create_contact("   ")
    with pytest.raises(ValueError, match="not a phone number: 'call me'"):
        store.create_contact("Ann", phones=["call me"])
    assert store.count_contacts() == 0  # nothing half-written


def test_numbers_kept_once_first_one_primary_labels_default(store: Store) -> None:
    ann = store.create_contact(" Ann ", phones=["+7 495 123-45-67", ("8 495 1234567", "home"),
                                                ("+7 916 000-00-01", "")],
                               emails=["a@x", " a@x", ""], tags=["vip", "vip"])
    assert ann.name == "Ann"
    assert [(p.e164, p.label, p.primary) for p in ann.phones] == [
        ("+74951234567", "work", True), ("+79160000001", "work", False)]
    assert (ann.emails, ann.tags) == (("a@x",), ("vip",))
    explicit = store.create_contact("Bob", phones=["+74950000001", ("+74950000002", "cell", 1)])
    assert [p.primary for p in explicit.phones] == [False, True]


def test_companies_are_shared_whatever_their_case(store: Store) -> None:
    ann = store.create_contact("Ann", company="Acme")
    bob = store.create_contact("Bob", company="  ACME ")
    assert ann.company_id == bob.company_id is not None
    assert [c.name for c in store.company_people(ann.company_id)] == ["Ann", "Bob"]
    company = store.get_company(ann.company_id)
    assert company is not None and company.name == "Acme"
    assert store.create_contact("Eve", company=" ").company_id is None


def test_update_checks_fields_and_versions(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["+74951234567"])
    with pytest.raises(TypeError, match="salary"):
        store.update_contact(ann.id, salary=1)
    with pytest.raises(ValueError, match="needs a name"):
        store.update_contact(ann.id, name=" ")
    with pytest.raises(NotFoundError):
        store.update_contact(ann.id + 1, name="X")
    changed = store.update_contact(ann.id, expected_version=ann.version, position="Buyer",
                                   phones=["+74950000009"], do_not_call=1)
    assert changed.version == ann.version + 1
    assert (changed.position, changed.do_not_call) == ("Buyer", True)
    assert [p.e164 for p in changed.phones] == ["+74950000009"]  # the list is replaced
    with pytest.raises(ConflictError):  # somebody saved it meanwhile
        store.update_contact(ann.id, expected_version=ann.version, notes="stale")
    assert store.get_contact(ann.id).notes == ""  # type: ignore[union-attr]
    assert store.lookup("+74950000009").contact.id == ann.id  # type: ignore[union-attr]
    assert store.lookup("+74951234567").contact is None


def test_add_phone_once_and_primary_moves(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["+74951234567"])
    same = store.add_phone(ann.id, "8 (495) 123-45-67")
    assert len(same.phones) == 1 and same.version == ann.version  # nothing changed
    more = store.add_phone(ann.id, "+79160000001", label="cell", primary=True)
    assert [(p.e164, p.primary) for p in more.phones] == [("+74951234567", False),
                                                          ("+79160000001", True)]
    assert [c.id for c in store.search("9160000001")] == [ann.id]
    with pytest.raises(ValueError, match="not a phone number"):
        store.add_phone(ann.id, "n/a")
    with pytest.raises(NotFoundError):
        store.add_phone(ann.id + 1, "+74950000000")


def test_search_as_you_type(store: Store) -> None:
    fedorov = store.create_contact("Фёдоров Иван", company="Рога и копыта",
                                   phones=["+7 495 123-45-67"], emails=["ivan@roga.example"])
    anna = store.create_contact("Anna", position="Buyer at Ivanhoe")
    ivanova = store.create_contact("Ivanova Maria", tags=["vip"])
    assert [c.id for c in store.search("федоров")] == [fedorov.id]
    assert [c.id for c in store.search("КОПЫТА")] == [fedorov.id]
    assert [c.id for c in store.search("123-45")] == [fedorov.id]  # digits inside a number
    assert store.search("ivan")[0].id == ivanova.id  # name prefix first
    assert {c.id for c in store.search("ivan")} == {ivanova.id, anna.id, fedorov.id}
    assert [c.id for c in store.search("ivan vi")] == [ivanova.id]  # a short word too
    assert [c.id for c in store.search("ivan", limit=1)] == [ivanova.id]
    assert store.search("  ") == [] and store.search("ivan", limit=0) == []
    assert store.search('"; DROP') == []


def test_lookup_never_matches_a_withheld_caller(store: Store) -> None:
    store.create_contact("Ann", phones=["+74951234567"])
    match = store.lookup("sip:anonymous@pbx")
    assert match.contact is None and match.matched_by == "withheld"


def test_delete_keeps_the_calls_erase_forgets_the_person(store: Store, tmp_path: Path) -> None:
    ann = store.create_contact("Ann", phones=["+74951234567"])
    bob = store.create_contact("Bob", phones=["+74950000001"])
    inside = tmp_path / "recordings" / "ann.wav"
    inside.parent.mkdir()
    inside.write_bytes(b"RIFF")
    outside = tmp_path.parent / "elsewhere-ann.wav"
    for n, path in enumerate((inside, outside)):
        row = store.call_started(direction="in", account="o", number="+74951234567",
                                 started_at=T0 + timedelta(minutes=n))
        store.call_ended(row, ended_at=T0 + timedelta(minutes=n, seconds=9), outcome="missed",
                         recording_path=str(path))
    store.add_task(kind="todo", title="t", due_at=None, contact_id=ann.id)
    store.add_deal(title="d", contact_id=ann.id)
    store.message_received(account="o", remote_uri="sip:+74951234567@pbx", body="hi")
    bob_call = store.call_started(direction="in", account="o", number="+74950000001",
                                  started_at=T0)
    erased = store.erase_contact(ann.id)
    assert (erased.calls, erased.tasks, erased.deals) == (2, 1, 1)
    assert erased.recording_paths == (str(outside),)  # for the caller to delete
    assert not inside.exists()
    assert store.missed_inbox() == [] and store.conversation(contact_id=ann.id) == []
    assert [c.id for c in store.list_calls()] == [bob_call]
    with pytest.raises(NotFoundError):
        store.erase_contact(ann.id)
    assert store.delete_contact(bob.id) is True and store.delete_contact(bob.id) is False
    assert store.get_call(bob_call).contact_id is None  # type: ignore[union-attr]


def test_export_reads_every_contact_in_batches(store: Store) -> None:
    ids = [store.create_contact(f"C{n}").id for n in range(5)]
    book = store.contact_book
    assert isinstance(book, ContactBook)
    assert [c.id for c in book.iter_contacts(batch_size=2)] == ids
    assert store.count_contacts() == 5


def test_clean_list() -> None:
    assert clean_list([" a ", "b", "a", "", None, "b "]) == ["a", "b"]  # type: ignore[list-item]
    assert clean_list(None) == []
