"""Import and export of contacts (CSV, vCard) and of everything about one person (JSON).

The parsers (:mod:`~softphone.crm.io_csv`, :mod:`~softphone.crm.io_vcard`) turn a user's file
into :class:`~softphone.crm.records.ContactRecord` values plus a list of skipped rows; the
store merges the records by normalized number. This module ties the two together and writes
files atomically (a half-written export never replaces a good one). No ORM, no Qt.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softphone.crm import io_csv, io_vcard
from softphone.crm.bulk import paused_gc
from softphone.crm.io_text import ImportFileError, decode, read_bytes
from softphone.crm.records import ContactRecord, ImportResult, SkippedRow

if TYPE_CHECKING:
    from softphone.crm.store import Store
    from softphone.crm.views import ContactView

__all__ = [
    "FORMATS",
    "ImportFileError",
    "ImportReport",
    "ParsedFile",
    "PersonExport",
    "detect_format",
    "export_contacts",
    "export_person",
    "import_file",
    "read_contacts",
]

FORMATS = ("csv", "vcard")
Progress = Callable[[int, int], None]  # (records done, records in the file)


@dataclass
class ParsedFile:
    """A file read into records, before it meets the database."""

    path: Path
    format: str
    encoding: str
    records: list[ContactRecord]
    skipped: list[SkippedRow]
    warnings: list[SkippedRow]  # imported, with a remark (e.g. a text kept in the notes)
    total_rows: int  # data rows (CSV, without the header) or cards (vCard)
    delimiter: str | None = None
    kept_columns: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        """What a source_row counts: ``row`` or ``card``."""
        return "card" if self.format == "vcard" else "row"


@dataclass
class ImportReport:
    parsed: ParsedFile
    result: ImportResult

    @property
    def skipped(self) -> list[SkippedRow]:
        """Every skipped row, from the parser and from the store, in file order."""
        return sorted([*self.parsed.skipped, *self.result.skipped], key=lambda s: s.source_row)

    @property
    def remarks(self) -> list[SkippedRow]:
        """Remarks about rows that were imported (not about rows skipped after all)."""
        skipped = {s.source_row for s in self.skipped if s.source_row}
        return sorted((w for w in self.parsed.warnings if w.source_row not in skipped),
                      key=lambda w: w.source_row)

    @property
    def usable(self) -> bool:
        return self.result.created + self.result.merged > 0


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".vcf", ".vcard") or io_vcard.looks_like_vcard(text):
        return "vcard"
    return "csv"


def read_contacts(path: str | os.PathLike[str], *, format: str | None = None,
                  encoding: str | None = None) -> ParsedFile:
    """Read a CSV or vCard file; raises :class:`ImportFileError` when it cannot be used."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ImportFileError(f"unknown format {format!r} (use csv or vcard)")
    data = read_bytes(path)
    if not data.strip():
        raise ImportFileError(f"{path}: the file is empty")
    save_as = "vCard" if (format == "vcard" or path.suffix.lower() in (".vcf", ".vcard")) \
        else "CSV"
    with paused_gc():  # 100,000 rows: a third less CPU
        return _parse(path, format, data, encoding, save_as)


def _parse(path: Path, format: str | None, data: bytes, encoding: str | None,
           save_as: str) -> ParsedFile:
    decoded = decode(data, path, encoding, save_as=save_as)
    fmt = format or detect_format(path, decoded.text)
    if fmt == "vcard":
        vc = io_vcard.parse_vcard(decoded.text, path)
        if vc.total_rows == 0:
            raise ImportFileError(f"{path}: no vCard in this file (no BEGIN:VCARD line)")
        return ParsedFile(path, "vcard", decoded.encoding, vc.records, vc.skipped, vc.warnings,
                          vc.total_rows)
    if io_vcard.looks_like_vcard(decoded.text):
        raise ImportFileError(f"{path}: this is a vCard file, not CSV; import it with "
                              f"--format vcard")
    parsed = io_csv.parse_csv(decoded.text, path)
    return ParsedFile(path, "csv", decoded.encoding, parsed.records, parsed.skipped,
                      parsed.warnings, parsed.total_rows, parsed.delimiter, parsed.kept_columns)


def import_file(store: Store, path: str | os.PathLike[str], *, format: str | None = None,
                encoding: str | None = None, progress: Progress | None = None,
                batch_size: int = 5000) -> ImportReport:
    """Read ``path`` and import it; duplicates are merged by the store, nothing is added twice.

    ``progress(done, total)`` is called with 0 first, then after each batch of ``batch_size``
    records is written. Raises :class:`ImportFileError` for a file that cannot be read at all
    (nothing is written then) and the store's errors for database trouble.
    """
    parsed = read_contacts(path, format=format, encoding=encoding)
    total = len(parsed.records)
    on_batch = None
    if progress is not None:
        progress(0, total)

        def on_batch(done: int) -> None:
            progress(min(done, total), total)

    result = store.import_contacts(parsed.records, progress=on_batch, batch_size=batch_size)
    result.total_rows = parsed.total_rows
    return ImportReport(parsed, result)


# ---------------------------------------------------------------------------------------------
# Export


class _AtomicWriter:
    """Write to a temporary file next to ``path`` and move it into place on success."""

    def __init__(self, path: Path, *, newline: str | None = "", encoding: str = "utf-8") -> None:
        self.path = path
        self.newline = newline
        self.encoding = encoding

    def __enter__(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        self.tmp = Path(tmp)
        self.file = open(fd, "w", encoding=self.encoding, newline=self.newline)
        return self.file

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.file.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _phones_for_export(contact: ContactView) -> list[tuple[str, str]]:
    return [(p.e164 or p.raw, p.label) for p in contact.phones]


def export_contacts(store: Store, path: str | os.PathLike[str], *, format: str = "csv",
                    vcard_version: str = "4.0", excel: bool = False,
                    batch_size: int = 1000, contact_ids: Iterable[int] | None = None) -> int:
    """Write every contact (or those of ``contact_ids``) to ``path`` (CSV: UTF-8 with a
    header; vCard 4.0 or 3.0).

    Numbers are written in E.164 when known, so that a re-import matches them exactly.
    ``excel``: CSV with a UTF-8 byte-order mark and semicolons, which Excel (in Russian and
    most European locales) opens with the right letters and columns by a double click.
    Returns the number of contacts written.
    """
    path = Path(path)
    ids = list(contact_ids) if contact_ids is not None else None

    def contacts() -> Iterable[ContactView]:
        if ids is None:
            return store.iter_contacts(batch_size=batch_size)
        found = (store.get_contact(i) for i in ids)
        return (c for c in found if c is not None)  # deleted meanwhile: not exported

    if format == "csv":
        max_phones = 1
        for contact in contacts():
            max_phones = max(max_phones, len(contact.phones))
        rows = (io_csv.csv_row(c.name, c.company, c.position, _phones_for_export(c), c.emails,
                               c.tags, c.notes, c.do_not_call, max_phones)
                for c in contacts())
        with _AtomicWriter(path, encoding="utf-8-sig" if excel else "utf-8") as out:
            return io_csv.write_csv(out, io_csv.csv_header(max_phones), rows,
                                    delimiter=";" if excel else ",")
    if format == "vcard":
        count = 0
        with _AtomicWriter(path) as out:
            for c in contacts():
                out.write(io_vcard.vcard_text(
                    name=c.name, company=c.company, position=c.position,
                    phones=[(p.raw, p.e164, p.label, p.primary) for p in c.phones],
                    emails=c.emails, tags=c.tags, notes=c.notes, do_not_call=c.do_not_call,
                    version=vcard_version,
                    rev=c.updated_at.strftime("%Y%m%dT%H%M%SZ") if c.updated_at else None))
                count += 1
        return count
    raise ValueError(f"unknown export format {format!r} (use csv or vcard)")


def records_to_csv(records: Iterable[ContactRecord], path: Path) -> int:
    """Write plain records as CSV (used by the benchmark and tests to make input files)."""
    records = list(records)
    max_phones = max([1, *(len(r.phones) for r in records)])
    rows = (io_csv.csv_row(r.name, r.company, r.position, r.phones, r.emails, r.tags, r.notes,
                           r.do_not_call, max_phones) for r in records)
    with _AtomicWriter(path) as out:
        return io_csv.write_csv(out, io_csv.csv_header(max_phones), rows)


# ---------------------------------------------------------------------------------------------
# Everything about one person (privacy requests)


def to_jsonable(value: Any) -> Any:
    """Views, datetimes and decimals -> JSON values (ISO 8601 times)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _recording_paths(bundle: Any) -> list[str]:
    """Every ``recording_path`` / ``recordings`` entry anywhere in the bundle."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "recording_path" and isinstance(value, str) and value:
                    found.append(value)
                elif key == "recordings" and isinstance(value, list):
                    found.extend(str(v.get("path", "")) if isinstance(v, dict) else str(v)
                                 for v in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle)
    return list(dict.fromkeys(p for p in found if p))


@dataclass
class PersonExport:
    path: Path
    recordings_copied: list[Path]
    recordings_missing: list[str]


def export_person(store: Store, contact_id: int, path: str | os.PathLike[str], *,
                  profile: Path | None = None,
                  recordings: str | os.PathLike[str] | None = None) -> PersonExport:
    """Write everything about one contact as JSON; optionally copy its recordings.

    ``recordings`` is a folder, or a ``.zip`` file to create. Relative recording paths are
    resolved against ``profile``. Raises the store's ``NotFoundError`` for an unknown id.
    """
    bundle = to_jsonable(store.contact_bundle(contact_id))
    path = Path(path)
    with _AtomicWriter(path, newline=None) as out:
        json.dump(bundle, out, ensure_ascii=False, indent=2)
        out.write("\n")
    copied: list[Path] = []
    missing: list[str] = []
    if recordings is not None:
        target = Path(recordings)
        sources: list[tuple[str, Path]] = []
        for rec in _recording_paths(bundle):
            src = Path(rec)
            if not src.is_absolute() and profile is not None:
                src = profile / src
            if src.is_file():
                sources.append((rec, src))
            else:
                missing.append(rec)
        names = _unique_names([src for _rec, src in sources])
        if target.suffix.lower() == ".zip":
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
                for (_rec, src), name in zip(sources, names, strict=True):
                    zf.write(src, name)
                    copied.append(target / name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            for (_rec, src), name in zip(sources, names, strict=True):
                shutil.copy2(src, target / name)
                copied.append(target / name)
    return PersonExport(path, copied, missing)


def _unique_names(paths: list[Path]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for p in paths:
        name, n = p.name, 1
        while name in seen:
            n += 1
            name = f"{p.stem}-{n}{p.suffix}"
        seen.add(name)
        out.append(name)
    return out
