"""CSV contacts: reading spreadsheets exported by Excel, Google, Outlook and other CRMs; writing.

Reading is forgiving and loses nothing: the delimiter (comma, semicolon, tab, bar) is sniffed,
columns are recognised by their header in English or Russian (case-insensitive), several phone
columns give several numbers with labels, columns the contact has no field for are kept in the
notes as ``Header: value``, and a text that is not a phone number goes to the notes too. A row
that cannot be a contact (no phone number and no e-mail) is reported with its row number.

Row numbers are spreadsheet rows: the header is row 1, a blank line is a row, a quoted cell
spanning several lines is one row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from softphone.crm.io_text import ImportFileError, shorten, split_extension
from softphone.crm.records import ContactRecord, SkippedRow

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
HEADER_SEARCH_ROWS = 10  # title lines an export may put above the header
SWALLOW_LINES = 10  # a quoted cell longer than this that looks like rows: an unclosed quote

csv.field_size_limit(16 * 1024 * 1024)

# Phone labels produced by the readers (and understood by the writers).
LABEL_MOBILE, LABEL_WORK, LABEL_HOME, LABEL_FAX, LABEL_OTHER = (
    "mobile", "work", "home", "fax", "other")
LABEL_PLAIN = LABEL_WORK  # a column just called "Phone" / "Телефон" (the database's default)
LABEL_MAX = 40

_SINGLE = {
    "name": {"name", "full name", "fullname", "display name", "contact", "contact name",
             "фио", "ф и о", "полное имя", "контакт", "имя контакта", "клиент"},
    "first": {"first name", "firstname", "given name", "first", "имя"},
    "middle": {"middle name", "additional name", "middle", "отчество"},
    "last": {"last name", "lastname", "surname", "family name", "last", "фамилия"},
    "company": {"company", "organization", "organisation", "company name", "org", "employer",
                "компания", "организация", "фирма", "название компании", "предприятие"},
    "position": {"position", "title", "job title", "role", "job", "должность", "позиция"},
    "dnc": {"do not call", "dnc", "donotcall", "do not call list", "не звонить",
            "не беспокоить"},
}
_TAGS = {"tags", "tag", "categories", "category", "group", "groups", "labels",
         "group membership", "теги", "тег", "метки", "категории", "категория", "группа",
         "группы"}
_NOTES = {"notes", "note", "comment", "comments", "remarks", "description", "примечание",
          "примечания", "комментарий", "комментарии", "заметки", "заметка", "описание"}
_EMAIL_WORDS = {"email", "e mail", "mail", "почта", "эл почта", "электронная почта", "емейл",
                "имейл"}
_TRUE = {"1", "yes", "y", "true", "x", "+", "да", "д", "✓", "✔", "dnc", "не звонить"}
_SPLIT_NUMBERS = re.compile(r"\s*(?:[,;\n]|:::|\s/\s)\s*")
_SPLIT_EMAILS = re.compile(r"[\s,;]+|:::")
_SPLIT_TAGS = re.compile(r"\s*(?:[,;\n]|:::)\s*")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS3 = re.compile(r"\d\D*\d\D*\d")
_PLAIN_NUMBER = re.compile(r"[+\d\s()\-.]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def norm_header(text: str) -> str:
    text = text.strip().lower().replace("ё", "е").replace("e-mail", "email")
    return " ".join(_NON_WORD.sub(" ", text).split())


def _phone_label(words: list[str]) -> str | None:
    """The label of a phone column, or None when the header is not a phone column."""
    is_phone = False
    for w in words:
        if w in {"phone", "phones", "telephone", "tel", "mobile", "cell", "cellphone", "fax",
                 "pager", "тел", "моб", "факс", "phonenumber"} or \
                w.startswith(("телеф", "мобил", "сотов", "факс")):
            is_phone = True
    if not is_phone:
        return None
    joined = " ".join(words)
    if any(w in {"mobile", "cell", "cellphone", "моб"} or w.startswith(("мобил", "сотов"))
           for w in words):
        return LABEL_MOBILE
    if "fax" in words or "факс" in joined:
        return LABEL_FAX
    if any(w in {"work", "business", "office", "company"} or w.startswith(("рабоч", "служеб",
                                                                          "офис"))
           for w in words):
        return LABEL_WORK
    if "home" in words or "домашн" in joined:
        return LABEL_HOME
    return LABEL_PLAIN


@dataclass
class CsvColumns:
    """Which column holds what, decided once from the header."""

    header: list[str]
    single: dict[str, int] = field(default_factory=dict)
    phones: list[tuple[int, str, int | None]] = field(default_factory=list)  # col, label, type col
    emails: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)  # unknown columns, kept in the notes
    family_first: bool = False
    name_parts: tuple[int, ...] = ()  # first/middle/last columns, in the order they are joined

    @property
    def known(self) -> int:
        return len(self.single) + len(self.phones) + len(self.emails) + len(self.tags) + \
            len(self.notes)

    @property
    def useful(self) -> bool:
        return bool(self.phones or self.emails) and bool(
            self.phones or {"name", "first", "last"} & self.single.keys())


def map_header(header: list[str]) -> CsvColumns:
    cols = CsvColumns(header=header)
    normalized = [norm_header(h) for h in header]
    type_cols: dict[str, int] = {}
    for i, h in enumerate(normalized):
        m = re.fullmatch(r"(?:phone|телефон)\s*(\d+)\s*(?:type|label|тип)", h)
        if m:
            type_cols[m.group(1)] = i
    for i, h in enumerate(normalized):
        if not h:
            cols.extra.append(i)
            continue
        words = h.split()
        if i in type_cols.values():
            continue
        m = re.fullmatch(r"(?:organization|organisation|company)\s*\d+\s*(name|title)", h)
        if m:
            key = "company" if m.group(1) == "name" else "position"
            if key not in cols.single:
                cols.single[key] = i
                continue
        if re.fullmatch(r"(?:email|e mail)\s*(\d+)\s*(?:type|label|тип)", h):
            continue  # Google's "E-mail 1 - Type": metadata, nothing to keep
        matched = False
        for key, aliases in _SINGLE.items():
            if h in aliases and key not in cols.single:
                cols.single[key] = i
                matched = True
                break
        if matched:
            continue
        if "display" in words or "type" in words:
            cols.extra.append(i)
            continue
        if h in _TAGS:
            cols.tags.append(i)
        elif h in _NOTES:
            cols.notes.append(i)
        elif any(w in _EMAIL_WORDS for w in words) or h in _EMAIL_WORDS or \
                re.fullmatch(r"(?:email|mail)\s*\d*(?: value| address)?", h) or \
                "электронн" in h or h.startswith("почта"):
            cols.emails.append(i)
        else:
            label = _phone_label(words)
            if label is None:
                cols.extra.append(i)
                continue
            m = re.fullmatch(r"(?:phone|телефон)\s*(\d+)(?:\s*value)?", h)
            cols.phones.append((i, label, type_cols.get(m.group(1)) if m else None))
    cols.family_first = "last" in cols.single and normalized[cols.single["last"]] == "фамилия"
    order = ("last", "first", "middle") if cols.family_first else ("first", "middle", "last")
    cols.name_parts = tuple(cols.single[k] for k in order if k in cols.single)
    return cols


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class CsvLayout:
    delimiter: str
    header_row: int  # 1-based; 0 (or 1 after "sep=") when there is no header row
    columns: CsvColumns
    guessed: bool = False  # no header: the columns were recognised by their content


_PHONE_LIKE = re.compile(r"\+?[\d\s()\-.]*\d[\d\s()\-.]*")


def _column_kind(values: list[str]) -> str | None:
    if not values:
        return None
    n = len(values)
    if sum(1 for v in values if _PHONE_LIKE.fullmatch(v) and
           sum(ch.isdigit() for ch in v) >= 7) >= 0.6 * n:
        return "phone"
    if sum(1 for v in values if _EMAIL.fullmatch(v)) >= 0.6 * n:
        return "email"
    if sum(1 for v in values if not any(ch.isdigit() for ch in v) and
           any(ch.isalpha() for ch in v)) >= 0.6 * n:
        return "text"
    return None


def _guess_headerless(sample: str, start: int,
                      delimiters: tuple[str, ...]) -> CsvLayout | None:
    """A file without a header row: find the phone (and e-mail, name) columns by content."""
    best: tuple[tuple[int, int], CsvLayout] | None = None
    for delim in delimiters:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
                if any(c.strip() for c in r)][:50]
        if not rows:
            continue
        width = max(len(r) for r in rows)
        kinds = [_column_kind([r[i].strip() for r in rows if i < len(r) and r[i].strip()])
                 for i in range(width)]
        if "phone" not in kinds:
            continue
        header: list[str] = []
        named = False
        for i, kind in enumerate(kinds):
            if kind == "phone":
                header.append("Phone")
            elif kind == "email":
                header.append("E-mail")
            elif kind == "text" and not named:
                header.append("Name")
                named = True
            else:
                header.append(f"Column {i + 1}")
        consistent = sum(1 for r in rows if len(r) == width)
        score = (kinds.count("phone") + kinds.count("email") + int(named), consistent)
        if best is None or score > best[0]:
            best = (score, CsvLayout(delim, start, map_header(header), guessed=True))
    return best[1] if best else None


def csv_lines(text: str) -> list[str]:
    return list(io.StringIO(text, newline=""))


def sniff(text: str, path: Path, delimiter: str | None = None) -> CsvLayout:
    """Choose the delimiter (``delimiter``: the user's choice) and find the header row;
    explain when neither works."""
    lines = csv_lines(text)
    start = 0
    if lines and re.fullmatch(r"sep=(.)\r?\n?", lines[0], re.IGNORECASE):
        forced: tuple[str, ...] = (lines[0][4],)  # Excel's "sep=;" first line
        start = 1
    else:
        forced = DELIMITERS
    if delimiter is not None:
        forced = (delimiter,)
    sample = "".join(lines[start:start + 200])
    best: tuple[tuple[int, int, int], CsvLayout] | None = None
    for delim in forced:
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delim))
        for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            if not any(c.strip() for c in row):
                continue
            cols = map_header(row)
            if not cols.useful:
                continue
            widths = [len(x) for x in rows[r + 1:r + 51] if any(c.strip() for c in x)]
            consistent = sum(1 for w in widths if w == len(row) or w > 1)
            score = (cols.known, consistent, -r)
            if best is None or score > best[0]:
                best = (score, CsvLayout(delim, r + 1 + start, cols))
            break
    if best is None:
        first = next((ln for ln in lines[start:] if ln.strip()), "")
        if not first:
            raise ImportFileError(f"{path}: the file is empty")
        guessed = _guess_headerless(sample, start, forced)
        if guessed is not None:
            return guessed
        raise ImportFileError(
            f"{path}: no header row with known columns was found (first line: "
            f"{shorten(first)!r}); the first row must name the columns, e.g. Name;Phone;E-mail "
            f"or ФИО;Телефон;Почта, separated by commas, semicolons or tabs"
        )
    layout = best[1]
    data_rows = [x for x in csv.reader(io.StringIO(sample, newline=""),
                                       delimiter=layout.delimiter)][layout.header_row - start:]
    data_rows = [x for x in data_rows if any(c.strip() for c in x)][:50]
    if len(layout.columns.header) > 1 and data_rows and \
            sum(1 for x in data_rows if len(x) == 1) > len(data_rows) * 0.8:
        other = [d for d in DELIMITERS if d != layout.delimiter and
                 sum(d in x[0] for x in data_rows) > len(data_rows) * 0.8]
        hint = f" (the rows seem to use {DELIMITER_NAMES[other[0]]}s)" if other else ""
        raise ImportFileError(
            f"{path}: the header is separated by {DELIMITER_NAMES[layout.delimiter]}s but the "
            f"rows are not{hint}; save the file again with one delimiter"
        )
    return layout


@dataclass
class CsvParse:
    records: list[ContactRecord]
    skipped: list[SkippedRow]
    warnings: list[SkippedRow]
    total_rows: int
    delimiter: str
    kept_columns: list[str]  # unknown columns kept in the notes


def parse_csv(text: str, path: Path, layout: CsvLayout | None = None) -> CsvParse:
    """Parse a whole decoded CSV file into records, skipped rows and warnings (``layout``:
    the delimiter, header row and columns the user confirmed; sniffed when None)."""
    layout = layout or sniff(text, path)
    cols = layout.columns
    records: list[ContactRecord] = []
    skipped: list[SkippedRow] = []
    warnings: list[SkippedRow] = []
    lines = csv_lines(text)
    if layout.guessed:
        what = ", ".join(f"{i + 1}: {h.lower()}" for i, h in enumerate(cols.header)
                         if not h.startswith("Column"))
        warnings.append(SkippedRow(0, f"no header row; columns recognised by their content "
                                   f"({what}), the others kept in the notes"))
    for r in range(layout.header_row - 1):
        if lines[r].strip() and not re.fullmatch(r"sep=.\r?\n?", lines[r], re.IGNORECASE):
            skipped.append(SkippedRow(r + 1, "above the header row", shorten(lines[r])))
    rows = read_rows(lines, layout, warnings)
    total = 0
    for row_no, row in rows:
        total += 1
        record = row_to_record(row, row_no, cols, warnings)
        if isinstance(record, SkippedRow):
            if record.reason:
                skipped.append(record)
        else:
            records.append(record)
    kept = [cols.header[i].strip() for i in cols.extra if cols.header[i].strip()]
    return CsvParse(records, skipped, warnings, total, layout.delimiter, kept)


def read_rows(lines: list[str], layout: CsvLayout,
               warnings: list[SkippedRow]) -> Iterator[tuple[int, list[str]]]:
    """Rows after the header with their spreadsheet row numbers; repairs unclosed quotes."""
    pos = layout.header_row  # index of the first line after the header (0-based)
    # Rows above count as rows; lines inside quoted cells of the header are rare and ignored.
    row_no = layout.header_row
    delim = layout.delimiter
    need = max(1, len(layout.columns.header) - 1)  # delimiters in a line that looks like a row

    def feed() -> Iterator[str]:
        nonlocal pos
        while pos < len(lines):
            pos += 1
            yield lines[pos - 1]

    reader = csv.reader(feed(), delimiter=delim)
    while True:
        start = pos
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a NUL byte
            row_no += 1
            warnings.append(SkippedRow(row_no, f"unreadable row ({exc}); read as plain text",
                                       shorten(lines[start])))
            pos = start + 1
            reader = csv.reader(feed(), delimiter=delim)
            yield row_no, lines[start].rstrip("\r\n").split(delim)
            continue
        row_no += 1
        span = pos - start
        if span > SWALLOW_LINES and sum(ln.count(delim) >= need for ln in
                                        lines[start + 1:pos]) > span // 2:
            # An unclosed quote swallowed the following rows: read this line on its own,
            # quote and all, and go on from the next line.
            warnings.append(SkippedRow(
                row_no, f"an unclosed quote (\") would have swallowed {span - 1} following "
                "lines; the quote was read as text", shorten(lines[start])))
            pos = start + 1
            reader = csv.reader(feed(), delimiter=delim)
            row = next(csv.reader([lines[start]], delimiter=delim, quoting=csv.QUOTE_NONE))
        yield row_no, row


def row_to_record(row: list[str], row_no: int, cols: CsvColumns,
                  warnings: list[SkippedRow]) -> ContactRecord | SkippedRow:
    """One data row -> a record, or a SkippedRow (reason "" means a blank row: not reported).

    Remarks about an imported row are appended to ``warnings``; a skipped row has none.
    This runs once per row of files with 100,000 rows: the common case takes fast paths.
    """
    width = len(cols.header)
    if len(row) < width:
        if not "".join(row).strip():
            return SkippedRow(row_no, "")
        row = row + [""] * (width - len(row))
    elif not "".join(row).strip():
        return SkippedRow(row_no, "")
    remarks: list[SkippedRow] = []
    single = cols.single
    name = row[single["name"]].strip() if "name" in single else ""
    if not name and cols.name_parts:
        name = " ".join(p for p in (row[i].strip() for i in cols.name_parts) if p)
    company = row[single["company"]].strip() if "company" in single else ""
    position = row[single["position"]].strip() if "position" in single else ""
    notes: list[str] = []
    phones: list[tuple[str, str]] = []
    for i, label, type_col in cols.phones:
        value = row[i].strip()
        if not value:
            continue
        if type_col is not None:
            label = (_label_from_text(row[type_col].strip()) or label)[:LABEL_MAX]
        if _PLAIN_NUMBER.fullmatch(value) and _DIGITS3.search(value):
            phones.append((value, label))  # the common case: one number, no extension
            continue
        for piece in _SPLIT_NUMBERS.split(value):
            if not piece:
                continue
            if _DIGITS3.search(piece):
                main, ext = split_extension(piece)
                phones.append((main, label))
                if ext:
                    notes.append(f"Extension {ext}: {piece}")
            else:
                notes.append(f"{cols.header[i].strip()}: {piece}")
                remarks.append(SkippedRow(
                    row_no, f"{piece!r} is not a phone number; kept in the notes",
                    shorten(piece)))
    emails: list[str] = []
    for i in cols.emails:
        value = row[i].strip()
        if not value:
            continue
        pieces = [value] if _EMAIL.fullmatch(value) else _SPLIT_EMAILS.split(value)
        for piece in pieces:
            piece = piece.strip("()<>\"'")
            if _EMAIL.fullmatch(piece):
                if piece not in emails:
                    emails.append(piece)
            elif piece:
                notes.append(f"{cols.header[i].strip()}: {piece}")
    if not phones and not emails:
        return SkippedRow(row_no, "no phone number or e-mail", shorten(cols_join(row, cols)))
    tags: list[str] = []
    for i in cols.tags:
        cell = row[i]
        if not cell:
            continue
        # One tag per line when a tag holds a comma (see csv_row), else comma/semicolon lists.
        pieces = cell.splitlines() if "\n" in cell or "\r" in cell else _SPLIT_TAGS.split(cell)
        for tag in pieces:
            tag = tag.lstrip("* ").strip()
            if tag and tag.lower() != "mycontacts" and tag not in tags:
                tags.append(tag)
    body = [v for v in (row[i].strip() for i in cols.notes) if v]
    for i in cols.extra:
        value = row[i].strip()
        if value:
            head = cols.header[i].strip() or f"column {i + 1}"
            notes.append(f"{head}: {value}")
    if len(row) > width:
        extra = [c.strip() for c in row[width:] if c.strip()]
        if extra:
            notes.append("; ".join(extra))
            remarks.append(SkippedRow(row_no, "more cells than header columns; the extra "
                                      "cells were kept in the notes", shorten("; ".join(extra))))
    dnc = "dnc" in single and row[single["dnc"]].strip().lower() in _TRUE
    if not name:
        name = company or (emails[0] if emails else phones[0][0])
    if remarks:
        warnings.extend(remarks)
    text = "\n".join(body + notes) if notes else "\n".join(body)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ContactRecord(name, company or None, position or None, phones, emails, tags, text,
                         dnc, row_no)


def cols_join(row: list[str], cols: CsvColumns) -> str:
    return " | ".join(c.strip() for c in row if c.strip())


def _label_from_text(text: str) -> str:
    if not text:
        return ""
    label = _phone_label(["phone", *norm_header(text).split()])
    return label or text.strip().lower().lstrip("* ")


# ---------------------------------------------------------------------------------------------
# Writing


def csv_header(max_phones: int) -> list[str]:
    header = ["Name", "Company", "Position"]
    for n in range(1, max(1, max_phones) + 1):
        header += [f"Phone {n}", f"Phone {n} type"]
    return [*header, "E-mail", "Tags", "Notes", "Do not call"]


def csv_row(name: str, company: str | None, position: str | None,
            phones: Iterable[tuple[str, str]], emails: Iterable[str], tags: Iterable[str],
            notes: str, do_not_call: bool, max_phones: int) -> list[str]:
    row = [name, company or "", position or ""]
    cells: list[str] = []
    for number, label in phones:
        cells += [number, label]
    cells += [""] * (2 * max(1, max_phones) - len(cells))
    tags = list(tags)
    if any("," in t or ";" in t for t in tags):
        tag_cell = "\n".join(tags) + "\n"  # one per line, and a line break marks the style
    else:
        tag_cell = ", ".join(tags)
    return [*row, *cells, "; ".join(emails), tag_cell, notes,
            "yes" if do_not_call else ""]


def write_csv(out: io.TextIOBase, header: list[str], rows: Iterable[list[str]], *,
              delimiter: str = ",") -> int:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
