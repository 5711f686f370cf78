"""vCard files from phones and address books: 2.1, 3.0, 4.0 and broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softphone.crm.io import ImportFileError, read_contacts
from softphone.crm.io_vcard import fold, vcard_text

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crm"


def test_phone_export_v30_folded_lines_qp_cyrillic_and_labels() -> None:
    parsed = read_contacts(FIXTURES / "phone_export_v30.vcf")
    assert parsed.format == "vcard"
    assert parsed.skipped == [] and parsed.warnings == []
    petrov, kuz, dup = parsed.records
    assert petrov.name == "Сергей Петров"  # quoted-printable, CHARSET=UTF-8
    assert petrov.company == "ООО Ромашка"
    assert petrov.position == "Менеджер по продажам"
    assert petrov.phones == [("+7 (916) 555-12-34", "mobile"), ("8 (495) 123-45-67", "work")]
    assert petrov.emails == ["petrov@example.ru"]
    assert petrov.tags == ["клиенты", "VIP"]
    assert petrov.notes == (
        "Первая строка\nвторая строка, с запятой и точкой с запятой; вот так. "
        "Очень длинная заметка, перенесённая по RFC 2426.\nDepartment: Отдел продаж")
    # A QP value continued with "=" soft line breaks.
    assert kuz.name == "Александра Викторовна Кузнецова-Тимофеева"
    assert kuz.phones == [("+7 999 000-11-22", "mobile"), ("+7 999 000-11-23", "дача"),
                          ("8 812 555 01 02", "home")]
    assert dup.source_row == 3 and dup.phones == [("89165551234", "mobile")]


def test_android_v21_bare_params_and_windows_1251_charset() -> None:
    oleg, maria = read_contacts(FIXTURES / "android_v21.vcf").records
    assert oleg.name == "Олег Смирнов"
    assert oleg.phones == [("+79035550001", "mobile"), ("+74955550002", "work")]
    assert maria.name == "Мария Орлова"  # from N alone, CHARSET=WINDOWS-1251
    assert maria.phones == [("8 (495) 555-00-03", "home")]


def test_v40_tel_uris_pref_escapes_and_kept_properties() -> None:
    emily, carlos = read_contacts(FIXTURES / "contacts_v40.vcf").records
    assert emily.name == "Dr. Emily O'Brien"
    assert emily.company == "Contoso, Ltd."
    # The extension is split off (the number must match callers) and kept in the notes.
    assert emily.phones == [("+1-202-555-0175", "mobile"), ("+1-202-555-0100", "work")]
    assert emily.tags == ["customer", "enterprise,large"]
    assert emily.notes.splitlines() == [
        "Line one", "Line two", "Extension 42: +1-202-555-0100 ext. 42",
        "Address: 1 Main St, Springfield, IL, 62701, USA", "Birthday: 19800412"]
    assert carlos.do_not_call is True
    assert carlos.phones == [("(202) 555-0143", "work")]


def test_pref_number_comes_first() -> None:
    text = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL;TYPE=HOME:+1 212 555 0100\r\n"
            "TEL;TYPE=CELL,PREF:+1 212 555 0101\r\nEND:VCARD\r\n")
    path = Path(__file__).parent / "unused"
    from softphone.crm.io_vcard import parse_vcard
    (record,) = parse_vcard(text, path).records
    assert record.phones[0] == ("+1 212 555 0101", "mobile")


def test_broken_vcard_is_reported_card_by_card() -> None:
    parsed = read_contacts(FIXTURES / "broken.vcf")
    names = {r.source_row: r.name for r in parsed.records}
    # Missing END: read up to the next card / the end of the file; nothing is lost.
    assert names == {1: "Missing End", 2: "Nameless Plumbing", 4: "Garbled Lines",
                     5: "Truncated At End"}
    reasons = {s.source_row: s.reason for s in parsed.skipped}
    assert reasons[3].startswith("no phone number or e-mail")
    assert "outside BEGIN:VCARD" in reasons[0]
    remarks = [(w.source_row, w.reason) for w in parsed.warnings]
    assert any(row == 1 and "no END:VCARD" in why for row, why in remarks)
    assert any(row == 5 and "no END:VCARD" in why for row, why in remarks)
    assert any(row == 2 and "no name" in why for row, why in remarks)
    assert any(row == 4 and "unreadable line(s) 19" in why for row, why in remarks)
    garbled = next(r for r in parsed.records if r.source_row == 4)
    assert "Phone: n/a" in garbled.notes


def test_not_a_vcard(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf"
    path.write_text("hello\nworld\n")
    with pytest.raises(ImportFileError, match="no vCard"):
        read_contacts(path)
    csv = tmp_path / "x.csv"
    csv.write_text("BEGIN:VCARD\nFN:A\nTEL:+12125550100\nEND:VCARD\n")
    assert read_contacts(csv).format == "vcard"  # sniffed from the content
    with pytest.raises(ImportFileError, match="vCard file, not CSV"):
        read_contacts(csv, format="csv")


def test_fold_keeps_lines_short_and_characters_whole() -> None:
    line = "NOTE:" + "Очень длинная заметка " * 20
    folded = fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(p.encode()) <= 75 for p in physical)
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")) |
    st.sampled_from([",", ";", "\\", "\n", ":", '"']),
    max_size=40,
)
_name = _text.map(str.strip).filter(lambda s: s and "\n" not in s)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_name, company=st.one_of(st.none(), _name), notes=_text.map(str.strip),
       tags=st.lists(_name.filter(lambda s: "," not in s), max_size=3, unique=True),
       version=st.sampled_from(["3.0", "4.0"]), dnc=st.booleans())
def test_written_vcard_reads_back_the_same(tmp_path: Path, name: str, company: str | None,
                                           notes: str, tags: list[str], version: str,
                                           dnc: bool) -> None:
    text = vcard_text(name=name, company=company, position="Boss",
                      phones=[("8 (916) 123-45-67", "+79161234567", "mobile", True),
                              ("1234", None, "dacha", False)],
                      emails=["a@b.example"], tags=tags, notes=notes, do_not_call=dnc,
                      version=version)
    path = tmp_path / "round.vcf"
    path.write_text(text, encoding="utf-8", newline="")
    (back,) = read_contacts(path).records
    assert (back.name, back.company, back.position, back.tags, back.do_not_call) == (
        name, company, "Boss", tags, dnc)
    assert back.phones == [("+79161234567", "mobile"), ("1234", "dacha")]
    assert back.notes == notes


def test_v21_unfolded_base64_photo_is_skipped_quietly(tmp_path: Path) -> None:
    path = tmp_path / "photo.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Photo Person\r\n"
        "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\n"
        "ofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL\r\n\r\n"
        "TEL;CELL:+79160000000\r\nEND:VCARD\r\n", encoding="utf-8", newline="")
    parsed = read_contacts(path)
    assert parsed.records[0].phones == [("+79160000000", "mobile")]
    assert parsed.warnings == []
