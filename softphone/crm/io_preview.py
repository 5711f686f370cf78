"""An import the user looks at before anything is written (the window's Contacts > Import).

:func:`preview` reads the beginning of a file: format, encoding and delimiter as detected,
the header, the first rows and what each column is taken for (the mapping). The user may
change the encoding, the delimiter and the mapping; :class:`ImportPlan` carries that choice to
:func:`import_planned`, which reads the whole file the same way, imports it in batches (a
``cancelled()`` answer of True stops after the batch being written; what was written stays)
and reports created, merged and skipped rows. :func:`write_skipped` saves the skipped rows
(for a CSV: the original rows with the header and the reason, to fix and import again).
No Qt.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from softphone.crm import io_csv, io_vcard
from softphone.crm.bulk import paused_gc
from softphone.crm.io import ImportReport, ParsedFile, detect_format
from softphone.crm.io_text import ImportFileError, decode, read_bytes
from softphone.crm.records import ImportResult

if TYPE_CHECKING:
    from softphone.crm.store import Store

#: what a CSV column can be taken for; "keep": kept in the notes as "Header: value"
FIELDS = ("name", "first", "middle", "last", "company", "position", "phone:mobile",
          "phone:work", "phone:home", "phone:fax", "phone:other", "email", "tags", "notes",
          "dnc", "keep", "skip")
SINGLE_FIELDS = ("name", "first", "middle", "last", "company", "position", "dnc")
PHONE_TYPE = "phone-type"  # the label column of a phone column (Google's "Phone 1 - Type")
PREVIEW_BYTES = 256 * 1024


@dataclass(frozen=True)
class ImportPlan:
    """How to read a file: as detected, or as the user corrected it."""

    path: Path
    format: str  # "csv" | "vcard"
    encoding: str | None = None  # None: detect
    delimiter: str | None = None  # CSV; None: detect
    mapping: tuple[str, ...] | None = None  # CSV: one of FIELDS (or PHONE_TYPE) per column


@dataclass
class Preview:
    path: Path
    format: str
    encoding: str
    delimiter: str | None
    header: list[str]
    rows: list[list[str]]
    mapping: list[str] = field(default_factory=list)  # CSV only
    header_row: int = 1
    guessed: bool = False  # no header row: the columns were recognised by their content

    def plan(self, mapping: list[str] | None = None) -> ImportPlan:
        return ImportPlan(self.path, self.format, self.encoding, self.delimiter,
                          tuple(mapping if mapping is not None else self.mapping) or None)


def _text_sample(path: Path, encoding: str | None) -> tuple[str, str, bool]:
    """The beginning of the file decoded (whole lines), its encoding, and whether it is all."""
    data = read_bytes(path)
    if not data.strip():
        raise ImportFileError(f"{path}: the file is empty")
    whole = len(data) <= PREVIEW_BYTES
    if not whole:
        cut = data.rfind(b"\n", 0, PREVIEW_BYTES)
        sample = data[:cut + 1] if cut > 0 else data[:PREVIEW_BYTES]
        # the encoding is detected on the whole file: a sample may be plain ASCII
        detected = decode(data, path, encoding).encoding if encoding is None else encoding
        decoded = decode(sample, path, detected)
        return decoded.text, detected, False
    decoded = decode(data, path, encoding)
    return decoded.text, decoded.encoding, True


def preview(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None,
            limit: int = 20) -> Preview:
    """The first ``limit`` rows as the import would read them; raises ImportFileError."""
    path = Path(path)
    text, used, _whole = _text_sample(path, encoding)
    fmt = detect_format(path, text)
    if fmt == "vcard":
        vc = io_vcard.parse_vcard(text, path)
        rows = [[r.name, ", ".join(p for p, _label in r.phones), ", ".join(r.emails),
                 r.company or ""] for r in vc.records[:limit]]
        return Preview(path, "vcard", used, None, ["Name", "Phones", "E-mails", "Company"],
                       rows)
    layout = io_csv.sniff(text, path, delimiter)
    lines = io_csv.csv_lines(text)
    rows = []
    for _row_no, row in io_csv.read_rows(lines, layout, []):
        if any(c.strip() for c in row):
            rows.append(row)
        if len(rows) >= limit:
            break
    return Preview(path, "csv", used, layout.delimiter, list(layout.columns.header), rows,
                   mapping_of(layout.columns), layout.header_row, layout.guessed)


def mapping_of(cols: io_csv.CsvColumns) -> list[str]:
    mapping = ["skip"] * len(cols.header)
    for i in cols.extra:
        mapping[i] = "keep"
    for key, i in cols.single.items():
        mapping[i] = key
    for i, label, type_col in cols.phones:
        mapping[i] = f"phone:{label}" if f"phone:{label}" in FIELDS else "phone:other"
        if type_col is not None:
            mapping[type_col] = PHONE_TYPE
    for i in cols.emails:
        mapping[i] = "email"
    for i in cols.tags:
        mapping[i] = "tags"
    for i in cols.notes:
        mapping[i] = "notes"
    return mapping


def columns_from_mapping(header: list[str], mapping: list[str] | tuple[str, ...]
                         ) -> io_csv.CsvColumns:
    """The columns as the user mapped them; ValueError when a field is taken twice or the
    mapping cannot make a contact (no phone and no e-mail column)."""
    if len(mapping) != len(header):
        raise ValueError("one field per column")
    cols = io_csv.CsvColumns(header=list(header))
    phone_cols: list[int] = []
    for i, what in enumerate(mapping):
        if what in SINGLE_FIELDS:
            if what in cols.single:
                raise ValueError(f"two columns are taken for {what}")
            cols.single[what] = i
        elif what.startswith("phone:"):
            cols.phones.append((i, what.split(":", 1)[1], None))
            phone_cols.append(i)
        elif what == "email":
            cols.emails.append(i)
        elif what == "tags":
            cols.tags.append(i)
        elif what == "notes":
            cols.notes.append(i)
        elif what == "keep":
            cols.extra.append(i)
        elif what not in ("skip", PHONE_TYPE):
            raise ValueError(f"unknown field {what!r}")
    # a label column goes with the phone column just before it
    for i, what in enumerate(mapping):
        if what == PHONE_TYPE:
            before = [n for n, p in enumerate(cols.phones) if p[0] < i]
            if before:
                n = before[-1]
                col, label, _ = cols.phones[n]
                cols.phones[n] = (col, label, i)
    if not cols.phones and not cols.emails:
        raise ValueError("no column is taken for a phone number or an e-mail")
    cols.family_first = "last" in cols.single and \
        io_csv.norm_header(header[cols.single["last"]]) == "фамилия"
    order = ("last", "first", "middle") if cols.family_first else ("first", "middle", "last")
    cols.name_parts = tuple(cols.single[k] for k in order if k in cols.single)
    return cols


def read_planned(plan: ImportPlan) -> ParsedFile:
    """The whole file read as planned (the user's encoding, delimiter and mapping)."""
    path = Path(plan.path)
    data = read_bytes(path)
    if not data.strip():
        raise ImportFileError(f"{path}: the file is empty")
    with paused_gc():
        decoded = decode(data, path, plan.encoding)
        if plan.format == "vcard":
            vc = io_vcard.parse_vcard(decoded.text, path)
            return ParsedFile(path, "vcard", decoded.encoding, vc.records, vc.skipped,
                              vc.warnings, vc.total_rows)
        layout = io_csv.sniff(decoded.text, path, plan.delimiter)
        if plan.mapping is not None:
            layout = io_csv.CsvLayout(layout.delimiter, layout.header_row,
                                      columns_from_mapping(layout.columns.header, plan.mapping),
                                      layout.guessed)
        parsed = io_csv.parse_csv(decoded.text, path, layout)
    return ParsedFile(path, "csv", decoded.encoding, parsed.records, parsed.skipped,
                      parsed.warnings, parsed.total_rows, parsed.delimiter, parsed.kept_columns)


@dataclass
class PlannedImport:
    report: ImportReport
    cancelled: bool
    done: int  # records handed to the store
    total: int  # records in the file


def import_planned(store: Store, plan: ImportPlan, *,
                   progress: Callable[[int, int], None] | None = None,
                   cancelled: Callable[[], bool] = lambda: False,
                   batch_size: int = 5000, retries: int = 8,
                   sleep: Callable[[float], None] = time.sleep) -> PlannedImport:
    """Read and import ``plan`` a batch at a time; ``progress(done, total)`` after each batch.

    A cancel stops before the next batch: the rows before it are imported (and reported).
    Each batch is its own transaction, so a batch that meets a database another writer holds
    (the app logging a call meanwhile: SQLite refuses a read transaction's upgrade at once)
    was not written at all and is tried again after a pause; duplicates across batches merge
    by number as within one.
    """
    from softphone.crm.errors import DatabaseLockedError

    parsed = read_planned(plan)
    records = parsed.records
    total = len(records)
    result = ImportResult()
    done = 0
    stopped = False
    if progress is not None:
        progress(0, total)
    while done < total:
        if cancelled():
            stopped = True
            break
        batch = records[done:done + batch_size]
        for attempt in range(retries + 1):
            try:
                part = store.import_contacts(batch, batch_size=batch_size)
                break
            except DatabaseLockedError:
                if attempt == retries:
                    raise
                sleep(min(2.0, 0.1 * 2 ** attempt))
        result.created += part.created
        result.merged += part.merged
        result.skipped.extend(part.skipped)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    result.total_rows = parsed.total_rows
    if stopped:  # rows never read by the store are not "skipped"
        last = records[done].source_row if done < total else 0
        parsed.skipped = [s for s in parsed.skipped if not last or s.source_row < last]
    return PlannedImport(ImportReport(parsed, result), stopped, done, total)


def write_skipped(report: ImportReport, plan: ImportPlan, out: str | Path) -> int:
    """Save the skipped rows. A CSV import: the original header and rows plus a last column
    with the reason (fix them and import that file). A vCard: card number, reason, text.
    Returns the number of rows written."""
    out = Path(out)
    skipped = [s for s in report.skipped if s.source_row]
    reasons = {s.source_row: s.reason for s in skipped}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=plan.delimiter or ",")
    written = 0
    if report.parsed.format == "csv":
        data = read_bytes(Path(plan.path))
        text = decode(data, Path(plan.path), report.parsed.encoding).text
        layout = io_csv.sniff(text, Path(plan.path), plan.delimiter)
        lines = io_csv.csv_lines(text)
        writer.writerow([*layout.columns.header, "Skipped because"])
        for row_no, row in io_csv.read_rows(lines, layout, []):
            if row_no in reasons:
                writer.writerow([*row, reasons[row_no]])
                written += 1
        # rows above the header (titles) have no cells in the header's columns
        for s in skipped:
            if s.source_row < layout.header_row:
                writer.writerow([s.text, *[""] * (len(layout.columns.header) - 1), s.reason])
                written += 1
    else:
        writer.writerow(["Card", "Skipped because", "Text"])
        for s in skipped:
            writer.writerow([s.source_row, s.reason, s.text])
            written += 1
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(buffer.getvalue(), "utf-8")
    tmp.replace(out)
    return written
