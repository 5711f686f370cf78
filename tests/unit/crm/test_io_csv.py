"""CSV contact files as users really have them: Excel cp1251, BOMs, Google/Outlook exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softphone.crm.io import ImportFileError, read_contacts, records_to_csv
from softphone.crm.records import ContactRecord

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crm"


def write(tmp_path: Path, text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def by_row(rows: list) -> dict[int, object]:
    return {r.source_row: r for r in rows}


def test_excel_cp1251_semicolon_with_russian_headers() -> None:
    parsed = read_contacts(FIXTURES / "clients_cp1251_semicolon.csv")
    assert parsed.encoding == "cp1251"
    assert parsed.delimiter == ";"
    records = by_row(parsed.records)
    ivanov = records[3]
    assert ivanov.name == "Иванов Иван Иванович"
    assert ivanov.company == 'ООО "Ромашка"'
    assert ivanov.position == "Директор"
    assert ivanov.phones == [("8 (495) 123-45-67", "work"), ("+7 916 111-22-33", "mobile")]
    assert ivanov.emails == ["ivanov@romashka.ru"]
    assert ivanov.tags == ["VIP", "опт"]
    assert ivanov.notes == "Звонить после 14:00"
    assert records[4].do_not_call is True
    assert records[3].do_not_call is False
    # The same person in another number format is still handed over (the store merges it).
    assert records[7].phones == [("+7 (495) 123-45-67", "work")]
    # A word instead of a number is not lost: it goes to the notes, with a remark.
    assert records[9].phones == [("8 903 777 88 99", "mobile")]
    assert "Телефон: нет" in records[9].notes
    assert [w.source_row for w in parsed.warnings] == [9]
    skipped = {s.source_row: s.reason for s in parsed.skipped}
    assert skipped == {
        1: "above the header row",
        6: "no phone number or e-mail",
        8: "no phone number or e-mail",
        10: "no phone number or e-mail",
    }
    assert "Сидоров" in by_row(parsed.skipped)[6].text
    # "доб. 204" (extension) is split off the number and kept in the notes.
    assert records[11].phones == [("8 (495) 765-43-21", "work")]
    assert records[11].notes == "Extension 204: 8 (495) 765-43-21 доб. 204"


def test_utf8_bom_multiline_notes_blank_lines_and_garbage() -> None:
    parsed = read_contacts(FIXTURES / "contacts_utf8_bom.csv")
    assert parsed.encoding == "utf-8-sig"
    assert parsed.delimiter == ","
    records = by_row(parsed.records)
    assert sorted(records) == [2, 7, 8, 10, 11]
    john = records[2]
    assert john.name == "John Smith"  # no BOM glued to the first header
    assert john.notes == "Met at the expo.\nPrefers e-mail; call only\nafter 5pm"
    assert john.phones == [("+1 (212) 555-0100", "work"), ("+1 917 555 0101", "mobile")]
    assert john.tags == ["customer", "vip"]
    assert records[7].company == "Globex, Corp."
    bob = records[10]
    assert bob.phones == [("+1 212 555 0123", "work"), ("+1 212 555 0124", "work")]
    assert bob.emails == ["bob@stone.example", "bob2@stone.example"]
    assert records[11].name == "Initech"  # no name: named after the company
    # Blank lines (3, 6) are rows but not reported; the row without a number and #N/A are.
    assert {s.source_row: s.reason for s in parsed.skipped} == {
        4: "no phone number or e-mail",
        9: "no phone number or e-mail",
    }
    assert parsed.total_rows == 10


def test_first_middle_last_are_combined_in_the_users_order(tmp_path: Path) -> None:
    ru = write(tmp_path, "Фамилия;Имя;Отчество;Моб. телефон\nИванов;Иван;Иванович;89161234567\n",
               "ru.csv", "cp1251")
    en = write(tmp_path, "First Name,Last Name,Home Phone\nJohn,Smith,212 555 0100\n", "en.csv")
    assert read_contacts(ru).records[0].name == "Иванов Иван Иванович"
    assert read_contacts(ru).records[0].phones == [("89161234567", "mobile")]
    assert read_contacts(en).records[0].name == "John Smith"
    assert read_contacts(en).records[0].phones == [("212 555 0100", "home")]


def test_google_contacts_export(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,"
        "Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,"
        "Organization 1 - Name,Organization 1 - Title\n"
        "Ann Lee,Ann,Lee,* myContacts ::: Clients,* Work,ann@lee.example,Mobile,"
        "+1 650-555-0101 ::: +1 650-555-0102,Work,+1 650-555-0199,Lee & Co,Owner\n"
    ))
    (record,) = read_contacts(path).records
    assert record.name == "Ann Lee"
    assert record.phones == [("+1 650-555-0101", "mobile"), ("+1 650-555-0102", "mobile"),
                             ("+1 650-555-0199", "work")]
    assert record.emails == ["ann@lee.example"]
    assert record.tags == ["Clients"]
    assert (record.company, record.position) == ("Lee & Co", "Owner")
    assert record.notes == ""


def test_outlook_export_keeps_unknown_columns_in_the_notes(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "First Name,Last Name,Company,Job Title,Business Phone,Mobile Phone,"
        "E-mail Address,E-mail Display Name,Business City,Birthday\n"
        "Eve,Adams,Initrode,CFO,(312) 555-0100,(312) 555-0101,eve@initrode.example,"
        "Eve Adams (eve@initrode.example),Chicago,1/2/1980\n"
    ))
    parsed = read_contacts(path)
    (record,) = parsed.records
    assert record.name == "Eve Adams"
    assert record.phones == [("(312) 555-0100", "work"), ("(312) 555-0101", "mobile")]
    assert record.emails == ["eve@initrode.example"]
    assert "Business City: Chicago" in record.notes
    assert "Birthday: 1/2/1980" in record.notes
    assert "Business City" in parsed.kept_columns


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, sep: str) -> None:
    text = sep.join(["Name", "Phone", "Company"]) + "\n" + \
        sep.join(["Ann, the boss" if sep != "," else "Ann", "+1 212 555 0100", "X"]) + "\n"
    parsed = read_contacts(write(tmp_path, text))
    assert parsed.delimiter == sep
    assert parsed.records[0].phones == [("+1 212 555 0100", "work")]


def test_excel_sep_line_and_utf16_unicode_text(tmp_path: Path) -> None:
    sep = write(tmp_path, "sep=;\nИмя;Телефон\nАнна;+7 916 000 00 00\n", "sep.csv")
    assert read_contacts(sep).records[0].name == "Анна"
    # Excel's "Unicode text" export: UTF-16 with a BOM, tab separated.
    u16 = tmp_path / "unicode.txt"
    u16.write_bytes("Имя\tТелефон\r\nАнна\t+7 916 000 00 00\r\n".encode("utf-16"))
    parsed = read_contacts(u16)
    assert parsed.encoding == "utf-16"
    assert parsed.records[0].name == "Анна"


def test_unclosed_quote_does_not_swallow_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = [f"Person {i},+1 212 555 {1000 + i},ok" for i in range(20)]
    rows[3] = 'Broken "quote,+1 212 555 1003,"oops'
    text = "Name,Phone,Notes\n" + "\n".join(rows) + "\n"
    parsed = read_contacts(write(tmp_path, text))
    assert len(parsed.records) == 20
    assert parsed.records[3].name == 'Broken "quote'
    assert any("unclosed quote" in w.reason for w in parsed.warnings)


def test_extra_cells_are_kept(tmp_path: Path) -> None:
    parsed = read_contacts(write(tmp_path, "Name,Phone\nAnn,+1 212 555 0100,spare,cells\n"))
    assert parsed.records[0].notes == "spare; cells"
    assert "more cells" in parsed.warnings[0].reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (b"abc\x00\x01\x02\x03def\x00\x00\xff" * 10, "binary"),
        ("Город,Улица\nМосква,Тверская\n".encode(), "no header row with known columns"),
        ("Город;Код\nМосква;495\n".encode(), "no header row with known columns"),
        (b"Name,Phone,Company\nAnn;+1 212 555 0100;X\nBob;+1 212 555 0101;Y\n",
         "rows seem to use semicolons"),
    ],
)
def test_unusable_files_are_explained(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        read_contacts(path)


def test_missing_file_and_wrong_encoding_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_contacts(tmp_path / "nope.csv")
    path = write(tmp_path, "Имя;Телефон\nАнна;+7 916 000 00 00\n", encoding="cp1251")
    with pytest.raises(ImportFileError, match=r"not valid utf-8.*line 1"):
        read_contacts(path, encoding="utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding"):
        read_contacts(path, encoding="klingon")
    assert read_contacts(path, encoding="cp1251").records[0].name == "Анна"


def test_forced_encoding_koi8(tmp_path: Path) -> None:
    path = write(tmp_path, "Имя;Телефон\nАнна;+7 916 000 00 00\n", encoding="koi8-r")
    assert read_contacts(path, encoding="koi8-r").records[0].name == "Анна"


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")) |
    st.sampled_from([",", ";", '"', "\n", "\t", "'", "\\"]),
    max_size=30,
)
_name = _text.map(str.strip).filter(lambda s: s and "\n" not in s and "\t" not in s)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=_name,
    company=st.one_of(st.none(), _name),
    notes=_text.map(lambda s: s.strip().replace("\t", " ")),
    phones=st.lists(st.from_regex(r"\+7 9\d\d \d{3}-\d\d-\d\d", fullmatch=True), min_size=1,
                    max_size=3),
    tags=st.lists(st.from_regex(r"[A-Za-zА-Яа-я]{1,8}([,;] ?[a-z]{1,3})?", fullmatch=True),
                  max_size=3, unique=True),
    dnc=st.booleans(),
)
def test_written_csv_reads_back_the_same(tmp_path: Path, name: str, company: str | None,
                                         notes: str, phones: list[str], tags: list[str],
                                         dnc: bool) -> None:
    record = ContactRecord(name=name, company=company, phones=[(p, "mobile") for p in phones],
                           emails=["a@b.example"], tags=tags, notes=notes, do_not_call=dnc)
    path = tmp_path / "round.csv"
    records_to_csv([record], path)
    (back,) = read_contacts(path).records
    assert (back.name, back.company, back.phones, back.emails, back.tags, back.do_not_call) == (
        name, company, record.phones, record.emails, tags, dnc)
    assert back.notes == "\n".join(line for line in [notes] if line)


@pytest.mark.parametrize(("codec", "text", "name"), [
    ("koi8-r", "Фамилия;Имя;Телефон\nИванова;Мария;+7 916 000 00 00\n", "Иванова Мария"),
    ("cp866", "Фамилия;Имя;Телефон\nИванова;Мария;+7 916 000 00 00\n", "Иванова Мария"),
    ("cp1252", "Name;Phone\nJürgen Müller;+49 30 1234567\nFrançois Lefèvre;+33 1 23 45 67\n",
     "Jürgen Müller"),
])
def test_other_legacy_encodings_are_recognised(tmp_path: Path, codec: str, text: str,
                                               name: str) -> None:
    parsed = read_contacts(write(tmp_path, text, encoding=codec))
    assert parsed.records[0].name == name


def test_long_multiline_note_with_commas_is_not_mistaken_for_an_unclosed_quote(
        tmp_path: Path) -> None:
    note = "\n".join(f"line {i}: apples, pears" for i in range(15))
    text = f'Name,Phone,Notes\nAnn,+1 212 555 0100,"{note}"\nBob,+1 212 555 0101,\n'
    parsed = read_contacts(write(tmp_path, text))
    assert [r.name for r in parsed.records] == ["Ann", "Bob"]
    assert parsed.records[0].notes == note
    assert parsed.warnings == []


def test_file_without_a_header_row_is_read_by_content(tmp_path: Path) -> None:
    text = ("Иванов Иван;8 (495) 123-45-67;ivanov@example.ru;Москва\n"
            "Петрова Анна;+7 916 111-22-33;;Тверь\n"
            "Сидоров;89031234567;s@example.ru;\n")
    parsed = read_contacts(write(tmp_path, text))
    assert [(r.source_row, r.name, r.phones[0][0]) for r in parsed.records] == [
        (1, "Иванов Иван", "8 (495) 123-45-67"), (2, "Петрова Анна", "+7 916 111-22-33"),
        (3, "Сидоров", "89031234567")]
    assert parsed.records[0].emails == ["ivanov@example.ru"]
    assert parsed.records[0].notes == "Column 4: Москва"
    assert "no header row" in parsed.warnings[0].reason
    assert parsed.skipped == []


def test_unrecognised_header_above_phone_data_is_reported_as_a_row(tmp_path: Path) -> None:
    text = "Контактное лицо;Номер\nИванов Иван;8 (495) 123-45-67\nПетрова;89161112233\n"
    parsed = read_contacts(write(tmp_path, text))
    assert [r.name for r in parsed.records] == ["Иванов Иван", "Петрова"]
    assert [(s.source_row, s.reason) for s in parsed.skipped] == [
        (1, "no phone number or e-mail")]
