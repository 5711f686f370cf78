"""Import keeps a contact that has an e-mail but no phone (issue 14 item 10), from CSV and
vCard, on SQLite and PostgreSQL; a second import of the same file adds nobody; a record
with neither is still skipped with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.crm.io import import_file
from softphone.crm.store import Store

CSV = """Name,Phone,E-mail,Company
Анна Почтова,,anna@example.ru,Лето
Boris Phone,+7 495 111-22-33,boris@example.com,
Nobody At All,,,
B. Phone,,BORIS@example.com,
"""

VCARD = """BEGIN:VCARD
VERSION:3.0
FN:Анна Почтова
EMAIL;TYPE=work:anna@example.ru
ORG:Лето
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Boris Phone
TEL;TYPE=cell:+7 495 111-22-33
EMAIL:boris@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Nobody At All
END:VCARD
"""


@pytest.mark.parametrize("kind", ["csv", "vcard"])
def test_email_only_contact_is_imported_once(store: Store, tmp_path: Path, kind: str) -> None:
    path = tmp_path / ("people.csv" if kind == "csv" else "people.vcf")
    path.write_text(CSV if kind == "csv" else VCARD, encoding="utf-8")
    report = import_file(store, path)
    people = {c.name: c for c in store.iter_contacts()}
    assert set(people) == {"Анна Почтова", "Boris Phone"}, report.result.skipped
    anna = people["Анна Почтова"]
    assert anna.emails == ("anna@example.ru",) and anna.phones == ()
    assert anna.company == "Лето"
    boris = people["Boris Phone"]
    assert boris.emails == ("boris@example.com",) and len(boris.phones) == 1
    assert [c.name for c in store.search("anna@example")] == ["Анна Почтова"]
    skipped = report.parsed.skipped + report.result.skipped
    assert any("Nobody" in s.text for s in skipped), skipped
    again = import_file(store, path)  # the same file again: nobody added twice
    assert again.result.created == 0
    assert store.count_contacts() == 2
