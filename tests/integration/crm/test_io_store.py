"""Import/export against the real store (SQLite and PostgreSQL): merging, round trips, privacy."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.errors import NotFoundError
from softphone.crm.io import export_contacts, export_person, import_file, records_to_csv
from softphone.crm.records import ContactRecord
from softphone.crm.store import Store

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crm"


def test_excel_file_duplicates_are_merged_not_added_twice(store: Store) -> None:
    report = import_file(store, FIXTURES / "clients_cp1251_semicolon.csv")
    # Иванов appears twice (8 (495) ... and +7 (495) ...): one contact.
    assert (report.result.created, report.result.merged) == (4, 1)
    assert store.count_contacts() == 4
    match = store.lookup("+7 495 123 45 67")
    assert match.contact is not None
    assert match.contact.name == "Иванов Иван Иванович"
    assert "Дубликат с другим форматом номера" in match.contact.notes
    skipped = {s.source_row: s.reason for s in report.skipped}
    assert sorted(skipped) == [1, 6, 8, 10]
    # The extension does not stop the number from matching.
    smirnova = store.lookup("84957654321").contact
    assert smirnova is not None and smirnova.name == "Смирнова Ольга"
    assert "Extension 204" in smirnova.notes


def test_same_person_in_a_vcard_and_a_csv(store: Store) -> None:
    import_file(store, FIXTURES / "phone_export_v30.vcf")
    first = store.count_contacts()
    assert first == 2  # card 3 is card 1's mobile in another format: merged
    csv = FIXTURES.parent / "crm" / "clients_cp1251_semicolon.csv"
    report = import_file(store, csv)
    # Иванов's office number is also Петров's work number in the vCard: merged into Петров.
    assert report.result.merged >= 1
    petrov = store.lookup("+7 916 555 12 34").contact
    assert petrov is not None and petrov.name == "Сергей Петров"
    assert {p.e164 for p in petrov.phones} >= {"+79165551234", "+74951234567"}


@pytest.mark.parametrize(("fmt", "version", "name"),
                         [("csv", "4.0", "all.csv"), ("vcard", "4.0", "all.vcf"),
                          ("vcard", "3.0", "all3.vcf")])
def test_export_then_reimport_merges_everything_creates_nothing(
        store: Store, tmp_path: Path, fmt: str, version: str, name: str) -> None:
    import_file(store, FIXTURES / "clients_cp1251_semicolon.csv")
    import_file(store, FIXTURES / "contacts_utf8_bom.csv")
    import_file(store, FIXTURES / "contacts_v40.vcf")
    before = {c.id: c for c in store.iter_contacts()}
    path = tmp_path / name
    assert export_contacts(store, path, format=fmt, vcard_version=version) == len(before)
    report = import_file(store, path)
    assert report.result.created == 0
    assert report.result.merged == len(before)
    assert report.skipped == []
    after = {c.id: c for c in store.iter_contacts()}
    assert {i: (c.name, c.company, c.notes, c.tags, c.emails, c.do_not_call)
            for i, c in after.items()} == \
        {i: (c.name, c.company, c.notes, c.tags, c.emails, c.do_not_call)
         for i, c in before.items()}
    assert {i: sorted(p.e164 or p.raw for p in c.phones) for i, c in after.items()} == \
        {i: sorted(p.e164 or p.raw for p in c.phones) for i, c in before.items()}


def test_vcard_export_is_readable_by_the_spec(store: Store, tmp_path: Path) -> None:
    store.create_contact("Анна, Мария; \\ Петрова", company="ООО «Свет»",
                         phones=[("8 916 000-00-01", "mobile"), ("+7 495 000 00 02", "дача")],
                         notes="две\nстроки", tags=["a,b", "c"])
    path = tmp_path / "out.vcf"
    export_contacts(store, path, format="vcard")
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    text = raw.decode("utf-8")
    assert "FN:Анна\\, Мария\\; \\\\ Петрова" in text
    assert "TEL;VALUE=uri;TYPE=cell;PREF=1:tel:+79160000001" in text
    assert "item1.X-ABLabel:дача" in text


def test_large_import_reports_progress(store: Store, tmp_path: Path) -> None:
    records = [ContactRecord(name=f"Person {i}", phones=[(f"+7 916 {i:07d}", "mobile")])
               for i in range(5000)]
    path = tmp_path / "big.csv"
    records_to_csv(records, path)
    seen: list[tuple[int, int]] = []
    report = import_file(store, path, batch_size=1000,
                         progress=lambda done, total: seen.append((done, total)))
    assert report.result.created == 5000
    assert seen[0] == (0, 5000) and seen[-1] == (5000, 5000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert [d for d, _ in seen] == [0, 1000, 2000, 3000, 4000, 5000]  # after each batch


def _call_with_recording(store: Store, contact_id: int, when: datetime, recording: Path) -> int:
    call = store.call_started(direction="in", account="office", number="+79161234567",
                              started_at=when, contact_id=contact_id)
    store.call_answered(call, when + timedelta(seconds=3))
    store.call_ended(call, ended_at=when + timedelta(seconds=40), outcome="answered",
                     sip_status=200, recording_path=str(recording))
    return call


def test_export_person_and_erase(store: Store, profile_dir: Path, tmp_path: Path) -> None:
    person = store.create_contact("Ольга Тест", company="Тест", phones=[("+79161234567", "mobile")],
                                  notes="private")
    other = store.create_contact("Someone Else", phones=[("+79160000000", "mobile")])
    inside = profile_dir / "recordings" / "call-1.wav"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_bytes(b"RIFF-inside")
    outside = tmp_path / "elsewhere" / "call-2.wav"
    outside.parent.mkdir()
    outside.write_bytes(b"RIFF-outside")
    now = datetime.now(UTC).replace(microsecond=0)
    _call_with_recording(store, person.id, now - timedelta(hours=2), inside)
    _call_with_recording(store, person.id, now - timedelta(hours=1), outside)

    folder = tmp_path / "export" / "recordings"
    done = export_person(store, person.id, tmp_path / "export" / "person.json",
                         profile=profile_dir, recordings=folder)
    bundle = json.loads((tmp_path / "export" / "person.json").read_text(encoding="utf-8"))
    assert bundle["contact"]["name"] == "Ольга Тест"
    assert bundle["contact"]["notes"] == "private"
    assert len(bundle["calls"]) == 2
    assert sorted(p.read_bytes() for p in done.recordings_copied) == [b"RIFF-inside",
                                                                       b"RIFF-outside"]
    zipped = tmp_path / "person.zip"
    export_person(store, person.id, tmp_path / "p2.json", profile=profile_dir,
                  recordings=zipped)
    with zipfile.ZipFile(zipped) as zf:
        assert sorted(zf.namelist()) == ["call-1.wav", "call-2.wav"]

    erased = store.erase_contact(person.id)
    assert erased.calls == 2
    assert store.get_contact(person.id) is None
    assert store.lookup("+79161234567").contact is None
    assert store.list_calls(contact_id=person.id) == []
    assert not inside.exists()
    assert store.get_contact(other.id) is not None
    with pytest.raises(NotFoundError):
        export_person(store, person.id, tmp_path / "gone.json")
    assert not (tmp_path / "gone.json").exists()


def test_colleagues_sharing_an_office_number_stay_two_contacts(store: Store,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    path.write_text("ФИО;Компания;Телефон;Мобильный\n"
                    "Анна Смирнова;ООО Ромашка;8 495 111-22-33;+7 916 100 00 01\n"
                    "Борис Орлов;ООО Ромашка;8 495 111-22-33;+7 916 100 00 02\n"
                    "Смирнова А.;ООО Ромашка;+7 (495) 111-22-33;+7 916 100 00 01\n",
                    encoding="utf-8")
    report = import_file(store, path)
    assert (report.result.created, report.result.merged) == (2, 1)
    boris = store.lookup("+79161000002").contact
    assert boris is not None and boris.name == "Борис Орлов"
    assert store.lookup("+74951112233").matched_by == "company"
