"""Contacts: create, edit with optimistic locking, search as you type, erase (SQLite + PG)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.errors import ConflictError, NotFoundError
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_create_and_get_returns_frozen_views(store: Store) -> None:
    c = store.create_contact(
        "Иван Петров", company="ООО Ромашка", position="Директор",
        phones=[("8 (495) 123-45-67", "work"), ("+7 916 000 11 22", "mobile")],
        emails=["ivan@romashka.ru"], tags=["vip"], notes="likes tea", do_not_call=True,
    )
    assert c.company == "ООО Ромашка" and c.company_id is not None
    assert [p.e164 for p in c.phones] == ["+74951234567", "+79160001122"]
    assert [p.primary for p in c.phones] == [True, False]
    assert c.phones[0].raw == "8 (495) 123-45-67"
    assert c.emails == ("ivan@romashka.ru",) and c.tags == ("vip",)
    assert c.do_not_call and c.version == 1
    assert c.created_at.tzinfo is not None
    with pytest.raises(AttributeError):
        c.name = "x"  # type: ignore[misc]
    assert store.get_contact(c.id) == c
    assert store.get_contact(c.id + 1000) is None


def test_invalid_input_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="name"):
        store.create_contact("   ", phones=["+74951234567"])
    with pytest.raises(ValueError, match="not a phone number"):
        store.create_contact("X", phones=["anonymous"])


def test_same_company_name_is_one_company(store: Store) -> None:
    a = store.create_contact("A", company="Ромашка")
    b = store.create_contact("B", company="РОМАШКА ")
    assert a.company_id == b.company_id
    assert {p.name for p in store.company_people(a.company_id or 0)} == {"A", "B"}


def test_update_bumps_version_and_refuses_stale_edits(store: Store) -> None:
    c = store.create_contact("Old", phones=["+74951234567"])
    updated = store.update_contact(c.id, expected_version=1, name="New", company="Acme",
                                   tags=["a", "b"])
    assert updated.name == "New" and updated.company == "Acme" and updated.version == 2
    with pytest.raises(ConflictError) as err:
        store.update_contact(c.id, expected_version=1, name="Lost edit")
    assert "changed by someone else" in err.value.message
    assert store.get_contact(c.id).name == "New"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        store.update_contact(c.id + 99, name="x")
    with pytest.raises(TypeError):
        store.update_contact(c.id, colour="red")


def test_update_phones_replaces_them_and_lookup_follows(store: Store) -> None:
    c = store.create_contact("Mover", phones=["+74951234567"])
    store.update_contact(c.id, phones=[("+7 812 000 00 01", "home")])
    assert store.lookup("+74951234567").contact is None
    assert store.lookup("88120000001").contact is not None


def test_add_phone(store: Store) -> None:
    c = store.create_contact("P", phones=["+74951234567"])
    c2 = store.add_phone(c.id, "8 916 000 11 22", "mobile", primary=True)
    assert [p.primary for p in c2.phones] == [False, True]
    assert c2.version == c.version + 1
    same = store.add_phone(c.id, "+7 916 000-11-22")  # already there: nothing added
    assert len(same.phones) == 2
    assert store.lookup("+79160001122").contact.id == c.id  # type: ignore[union-attr]


def test_cyrillic_search_is_case_insensitive(store: Store) -> None:
    ivan = store.create_contact("Иван Петров", company="ООО Ромашка", phones=["+74951234567"])
    store.create_contact("Пётр Иванов", phones=["+74951234568"])
    store.create_contact("John Smith", emails=["john@example.com"], phones=["+74951234569"])
    assert ivan.id in [c.id for c in store.search("иван")]
    assert store.search("иван")[0].name == "Иван Петров"  # name prefix first
    assert {c.name for c in store.search("ИВАН")} == {"Иван Петров", "Пётр Иванов"}
    assert [c.name for c in store.search("петров")] == ["Иван Петров"]
    assert [c.name for c in store.search("ромаш")] == ["Иван Петров"]
    assert store.search("Ив")[0].name == "Иван Петров"
    assert [c.name for c in store.search("john@exa")] == ["John Smith"]
    # every word must match; "ё" is "е": "Пётр Иванов" has "иван" and "пет" too
    assert [c.name for c in store.search("иван пет")] == ["Иван Петров", "Пётр Иванов"]
    assert [c.name for c in store.search("иван петро")] == ["Иван Петров"]
    assert store.search("zzz") == []
    fedorov = store.create_contact("Алексей Фёдоров", phones=["+74951234570"])
    assert [c.id for c in store.search("федоров")] == [fedorov.id]
    assert [c.id for c in store.search("ФЁДОР")] == [fedorov.id]
    assert store.search("") == []


def test_search_finds_any_run_of_digits(store: Store) -> None:
    store.create_contact("Digits", phones=["8 (495) 123-45-67"])
    for query in ("1234567", "495123", "3-45-6", "+7495", "84951", "512345"):
        assert [c.name for c in store.search(query)] == ["Digits"], query


def test_search_limit(store: Store) -> None:
    for i in range(30):
        store.create_contact(f"Анна {i:02d}", phones=[f"+7495000{i:04d}"])
    assert len(store.search("анна", limit=20)) == 20
    assert len(store.search("анна", limit=5)) == 5


def test_delete_keeps_call_history_unlinked(store: Store) -> None:
    c = store.create_contact("Gone", phones=["+74951234567"])
    call = store.call_started(direction="in", account="a", number="+74951234567",
                              started_at=T0)
    assert store.get_call(call).contact_id == c.id  # type: ignore[union-attr]
    assert store.delete_contact(c.id)
    assert store.get_contact(c.id) is None
    assert store.get_call(call).contact_id is None  # type: ignore[union-attr]
    assert not store.delete_contact(c.id)


def test_erase_contact_removes_everything_and_recordings(store: Store, tmp_path: Path) -> None:
    c = store.create_contact("Privacy", phones=["+74951234567"])
    keep = store.create_contact("Other", phones=["+74957654321"])
    inside = store.profile / "recordings" / "r1.wav"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_bytes(b"RIFF")
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(b"RIFF")
    for i, path in enumerate((inside, outside)):
        row = store.call_started(direction="in", account="a", number="+74951234567",
                                 started_at=T0 + timedelta(minutes=i))
        store.call_answered(row, T0 + timedelta(minutes=i, seconds=5))
        store.call_ended(row, ended_at=T0 + timedelta(minutes=i, seconds=50),
                         outcome="answered", recording_path=str(path))
        store.save_wrapup(row, outcome="info", note="secret")
    missed = store.call_started(direction="in", account="a", number="+74951234567",
                                started_at=T0 + timedelta(hours=1))
    store.call_ended(missed, ended_at=T0 + timedelta(hours=1, seconds=30), outcome="missed")
    store.add_task(kind="call_back", title="ring back", due_at=T0, contact_id=c.id)
    store.add_deal(title="Big", amount="100.50", contact_id=c.id)
    other_call = store.call_started(direction="in", account="a", number="+74957654321",
                                    started_at=T0)

    bundle = store.contact_bundle(c.id)
    assert json.loads(json.dumps(bundle)) == bundle  # JSON-serialisable
    assert bundle["contact"]["name"] == "Privacy"
    assert len(bundle["calls"]) == 3 and bundle["calls"][0]["wrapup"]["note"] == "secret"
    assert bundle["deals"][0]["amount"] == "100.50"
    assert len(bundle["tasks"]) == 1

    erased = store.erase_contact(c.id)
    assert erased.calls == 3 and erased.tasks == 1 and erased.deals == 1
    assert not inside.exists() and str(inside) in erased.deleted_files
    assert erased.recording_paths == (str(outside),) and outside.exists()
    assert store.get_contact(c.id) is None
    assert store.list_calls(query="+74951234567") == []
    assert [m.number for m in store.missed_inbox()] == []
    assert store.open_tasks() == [] and store.deals() == []
    assert store.get_contact(keep.id) is not None
    assert store.get_call(other_call) is not None
    with pytest.raises(NotFoundError):
        store.erase_contact(c.id)


def test_iter_contacts_walks_all_in_batches(store: Store) -> None:
    ids = {store.create_contact(f"C{i}", phones=[f"+7495111{i:04d}"]).id for i in range(25)}
    seen = [c.id for c in store.iter_contacts(batch_size=7)]
    assert set(seen) == ids and len(seen) == 25
    assert store.count_contacts() == 25


def test_views_survive_a_closed_store(backend: str | None, profile_dir: Path) -> None:
    s = Store.open(backend, profile_dir, "RU")
    c = s.create_contact("Frozen", phones=["+74951234567"])
    s.close()
    assert c.phones[0].e164 == "+74951234567" and c.name == "Frozen"
