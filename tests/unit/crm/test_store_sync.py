"""crm/store_sync.py: a contact's history (newest first, limited, only for a contact that
exists), the CardDAV links of each address book kept apart, contacts still to upload, the
versions a sync compares, and per-book sync state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.crm.errors import NotFoundError
from softphone.crm.store import Store
from softphone.crm.store_sync import IGNORED, SYNCED, UPLOADING


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def test_history_newest_first_limited_and_only_of_real_contacts(store: Store) -> None:
    ann = store.create_contact("Ann")
    bob = store.create_contact("Bob")
    for n in range(3):
        store.add_history(ann.id, source="carddav", kind="updated", fields={"n": n},
                          note=f"change {n}")
    store.add_history(bob.id, source="import", kind="created", fields={"name": "Bob"})
    history = store.contact_history(ann.id)
    assert [(h.fields, h.note) for h in history] == [
        ({"n": 2}, "change 2"), ({"n": 1}, "change 1"), ({"n": 0}, "change 0")]
    assert [h.fields for h in store.contact_history(ann.id, limit=1)] == [{"n": 2}]
    with pytest.raises(NotFoundError, match="contact 999"):
        store.add_history(999, source="x", kind="y", fields={})


def test_card_links_are_per_book_and_saving_again_updates(store: Store) -> None:
    ann = store.create_contact("Ann")
    store.save_carddav_item("work", "/a.vcf", contact_id=ann.id, uid="u1", etag='"1"',
                            base_card="BEGIN:VCARD", synced_version=1)
    store.save_carddav_item("home", "/a.vcf", contact_id=None, uid="u9", etag=None,
                            base_card=None, synced_version=None, state=IGNORED)
    store.save_carddav_item("work", "/a.vcf", contact_id=ann.id, uid="u1", etag='"2"',
                            base_card="BEGIN:VCARD2", synced_version=2)
    [work] = store.carddav_items("work")
    assert (work.href, work.etag, work.synced_version, work.state) == ("/a.vcf", '"2"', 2, SYNCED)
    home = store.carddav_item("home", "/a.vcf")
    assert home is not None and (home.contact_id, home.state) == (None, IGNORED)
    assert store.carddav_item("work", "/b.vcf") is None
    store.delete_carddav_item("work", "/a.vcf")
    assert store.carddav_items("work") == [] and store.carddav_item("home", "/a.vcf")


def test_contacts_without_a_card_in_that_book(store: Store) -> None:
    ann, bob, eve = (store.create_contact(n) for n in ("Ann", "Bob", "Eve"))
    store.save_carddav_item("work", "/b.vcf", contact_id=bob.id, uid="b", etag=None,
                            base_card=None, synced_version=None, state=UPLOADING)
    store.save_carddav_item("work", "/x.vcf", contact_id=None, uid="x", etag=None,
                            base_card=None, synced_version=None, state=IGNORED)
    assert store.contacts_without_card("work") == [ann.id, eve.id]
    assert store.contacts_without_card("home") == [ann.id, bob.id, eve.id]


def test_contact_versions_grow_with_each_change_and_skip_unknown_ids(store: Store) -> None:
    ann = store.create_contact("Ann")
    before = store.contact_versions([ann.id, 12345])
    assert set(before) == {ann.id}
    store.update_contact(ann.id, name="Ann Petrova")
    assert store.contact_versions([ann.id])[ann.id] > before[ann.id]
    many = [store.create_contact(f"C{n}").id for n in range(3)]
    # more ids than one IN list takes are asked in chunks
    assert set(store.contact_versions(many + list(range(10_000, 11_000)))) == set(many)


def test_sync_state_per_book_and_key(store: Store) -> None:
    assert store.carddav_state("work", "ctag") is None
    store.set_carddav_state("work", "ctag", "c1")
    store.set_carddav_state("home", "ctag", "h1")
    store.set_carddav_state("work", "ctag", "c2")
    assert (store.carddav_state("work", "ctag"), store.carddav_state("home", "ctag")) == (
        "c2", "h1")
    store.set_carddav_state("work", "ctag", None)
    store.set_carddav_state("work", "never-set", None)  # removing what is not there is fine
    assert store.carddav_state("work", "ctag") is None
