"""crm/io_text.py: a user's file read as text (the encodings spreadsheets, phones and old CRMs
write), binary files explained instead of read as garbage, extensions split off numbers."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from softphone.crm.io_text import ImportFileError, decode, read_bytes, shorten, split_extension

FILE = Path("contacts.csv")
RUSSIAN = "Имя;Телефон\nАнна Смирнова;+7 495 765-43-21\nБорис Петров;8 916 000 00 00\n"


@pytest.mark.parametrize(("data", "text", "encoding"), [
    (RUSSIAN.encode("utf-8"), RUSSIAN, "utf-8"),
    (codecs.BOM_UTF8 + RUSSIAN.encode("utf-8"), RUSSIAN, "utf-8-sig"),  # Excel's "CSV UTF-8"
    (RUSSIAN.encode("utf-16"), RUSSIAN, "utf-16"),  # Excel's "Unicode text"
    (RUSSIAN.encode("utf-16-le"), RUSSIAN, "utf-16-le"),  # no BOM
    (RUSSIAN.encode("cp1251"), RUSSIAN, "cp1251"),  # Excel on a Russian Windows
    (RUSSIAN.encode("koi8_r"), RUSSIAN, "koi8_r"),
    (RUSSIAN.encode("cp866"), RUSSIAN, "cp866"),  # an old 1C export
    ("Name,Phone\nJürgen Müller,+49 30 123456\n".encode("cp1252"),
     "Name,Phone\nJürgen Müller,+49 30 123456\n", "cp1252"),
])
def test_the_encoding_is_found(data: bytes, text: str, encoding: str) -> None:
    decoded = decode(data, FILE)
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_a_given_encoding_wins_and_a_wrong_one_says_where() -> None:
    assert decode(RUSSIAN.encode("koi8_r"), FILE, "koi8-r").text == RUSSIAN
    assert decode(codecs.BOM_UTF8 + b"a;b\n", FILE, "utf-8").text == "a;b\n"
    with pytest.raises(ImportFileError, match=r"not valid utf-8: byte 0x\w\w on line 2"):
        decode("a;b\nАнна;1\n".encode("cp1251"), FILE, "utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding 'latin-9000'"):
        decode(b"a", FILE, "latin-9000")


@pytest.mark.parametrize(("data", "what"), [
    (b"PK\x03\x04rest", "Excel workbook"),
    (b"\xd0\xcf\x11\xe0rest", "old Excel"),
    (b"%PDF-1.7", "PDF"),
    (b"\x7fELF\x00\x00\x01\x02\x00\x00\x00", "binary file"),
])
def test_binary_files_are_explained(data: bytes, what: str) -> None:
    with pytest.raises(ImportFileError, match=what) as caught:
        decode(data, FILE, save_as="vCard")
    assert str(caught.value).startswith("contacts.csv: ")


def test_a_damaged_utf8_file_with_a_mark_is_refused() -> None:
    with pytest.raises(ImportFileError, match="line 2 is not valid UTF-8"):
        decode(codecs.BOM_UTF8 + b"a\n\xff\xfe\n", FILE)


def test_unreadable_paths_say_why(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_bytes(tmp_path / "missing.csv")
    with pytest.raises(ImportFileError, match="is a directory"):
        read_bytes(tmp_path)
    (tmp_path / "ok.csv").write_bytes(b"x")
    assert read_bytes(tmp_path / "ok.csv") == b"x"


def test_extensions_and_report_lines() -> None:
    assert split_extension("8 (495) 765-43-21 доб. 204") == ("8 (495) 765-43-21", "204")
    assert split_extension("+1 212 555 0100 ext. 12") == ("+1 212 555 0100", "12")
    assert split_extension("+1 212 555 0100 x7") == ("+1 212 555 0100", "7")
    assert split_extension("ext 12") == ("ext 12", None)  # no number before it
    assert split_extension("+7 495 765-43-21") == ("+7 495 765-43-21", None)
    assert shorten("a  b\n c") == "a b c"
    assert shorten("x" * 100, 10) == "x" * 9 + "…"
