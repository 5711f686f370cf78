"""Reading a user's file as text: encoding detection shared by the CSV and vCard readers.

Files come from Excel (Windows-1251 or UTF-8 with a BOM, sometimes UTF-16 "Unicode text"),
from phones and from other CRMs. The rule: UTF-8 when the bytes are valid UTF-8, else
Windows-1251; a spreadsheet or another binary file is recognised and explained instead of
being read as garbage.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path


class ImportFileError(Exception):
    """A file that cannot be imported at all; the message tells the user what to do."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # the codec actually used, e.g. "utf-8", "utf-8-sig", "cp1251", "utf-16"


_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path}: is a directory, not a file") from None
    except PermissionError:
        raise ImportFileError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def decode(data: bytes, path: Path, encoding: str | None = None, *,
           save_as: str = "CSV") -> DecodedText:
    """Decode ``data``: the given ``encoding``, else BOM, else UTF-8 strict, else Windows-1251."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(f"unknown encoding {encoding!r} (try utf-8 or cp1251)") from None
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            return DecodedText(_strip_bom(data.decode(codec)), codec)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportFileError(
                f"{path}: is not valid {encoding}: byte 0x{data[exc.start]:02x} on line {line} "
                f"cannot be decoded; leave out --encoding to detect the encoding"
            ) from None
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ImportFileError(
                f"{path}: this is {what}, not a {save_as} file; "
                f"open it and save it as {save_as}, then import that file"
            )
    if data.startswith(codecs.BOM_UTF8):
        try:
            return DecodedText(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start + 3].count(b"\n") + 1
            raise ImportFileError(
                f"{path}: starts with a UTF-8 mark but line {line} is not valid UTF-8; "
                f"the file is damaged or mixes encodings (use --encoding to force one)"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return DecodedText(_strip_bom(data.decode("utf-16")), "utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(f"{path}: starts with a UTF-16 mark but is not valid UTF-16") \
                from None
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 4 and len(sample) >= 4:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return DecodedText(data.decode(codec), codec)
        except UnicodeDecodeError:
            pass
    if b"\x00" in sample:
        raise ImportFileError(
            f"{path}: looks like a binary file, not {save_as} text; "
            f"export the contacts as {save_as} and import that file"
        )
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    codec = _guess_cyrillic(data[:65536])
    try:
        return DecodedText(data.decode(codec), codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path}: is neither UTF-8 nor Windows-1251 (line {line}); "
            f"give the encoding with --encoding (e.g. koi8-r, cp866, latin-1)"
        ) from None


_LOWER_CYRILLIC = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _guess_cyrillic(sample: bytes) -> str:
    """Windows-1251 unless the text reads far better as KOI8-R or DOS cp866 (old 1C exports).

    Russian text is mostly lower-case letters; KOI8-R read as Windows-1251 turns them into
    capitals, cp866 into symbols. The code page giving the most lower-case Cyrillic wins.
    """
    best, best_score = "cp1251", -1
    for codec in ("cp1251", "koi8_r", "cp866"):
        text = sample.decode(codec, errors="replace")
        score = sum(1 for ch in text if ch in _LOWER_CYRILLIC)
        if score > best_score * 1.5 if best_score > 0 else score > best_score:
            best, best_score = codec, score
    if best == "cp1251":
        # Western text (cp1252: "Müller") read as cp1251 gives words mixing Latin and
        # Cyrillic letters ("Mьller"); real Russian words are all Cyrillic.
        words = re.findall(r"[^\W\d_]+", sample.decode("cp1251", errors="replace"))
        mixed = sum(1 for w in words if _has_latin(w) and not w.isascii())
        cyrillic = sum(1 for w in words if not _has_latin(w) and not w.isascii())
        if mixed > cyrillic:
            return "cp1252"
    return best


def _has_latin(word: str) -> bool:
    return any("a" <= ch.lower() <= "z" for ch in word)


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def shorten(text: str, limit: int = 80) -> str:
    """One line of at most ``limit`` characters, for reports."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_EXTENSION = re.compile(
    r"^(?P<main>.*\d[\s).\-]*?)\s*[,;]?\s*(?:ext\.?|extension|x|доб\.?|добавочный|вн\.?|#)"
    r"\s*[:.]?\s*(?P<ext>\d{1,6})\s*$",
    re.IGNORECASE,
)


def split_extension(raw: str) -> tuple[str, str | None]:
    """``"8 (495) 765-43-21 доб. 204"`` -> ``("8 (495) 765-43-21", "204")``."""
    m = _EXTENSION.match(raw.strip())
    if not m or sum(ch.isdigit() for ch in m.group("main")) < 5:
        return raw, None
    return m.group("main").strip(" ,;"), m.group("ext")
