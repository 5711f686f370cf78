"""vCard contacts: reading 2.1 (phones), 3.0 (RFC 2426) and 4.0 (RFC 6350); writing 3.0 and 4.0.

The reader is tolerant of what phones and address books really write: folded lines,
quoted-printable values with a CHARSET (and their ``=`` soft line breaks, which must be joined
before ordinary unfolding), bare 2.1 parameters (``TEL;CELL;PREF``), ``TYPE=a,b`` lists,
``item1.`` groups with an ``X-ABLabel``, escaped ``\\,`` ``\\;`` ``\\n``, ``tel:`` URIs, a
missing ``END:VCARD`` and a card without ``FN``/``N``. Cards are numbered from 1 in reports.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from softphone.crm.io_text import ImportFileError, shorten, split_extension
from softphone.crm.records import ContactRecord, SkippedRow

LABEL_MOBILE, LABEL_WORK, LABEL_HOME, LABEL_FAX, LABEL_OTHER = (
    "mobile", "work", "home", "fax", "other")

_NAME = re.compile(r"^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)$")
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_TYPE_LABELS = {"cell": LABEL_MOBILE, "mobile": LABEL_MOBILE, "iphone": LABEL_MOBILE,
                "work": LABEL_WORK, "home": LABEL_HOME, "fax": LABEL_FAX,
                "pager": LABEL_OTHER, "other": LABEL_OTHER, "main": LABEL_WORK}
_IGNORED_TYPES = {"voice", "pref", "internet", "x400", "msg", "text", "video", "bbs",
                  "modem", "car", "isdn", "pcs", "textphone", "x-internet"}
_KEPT_IN_NOTES = {"ADR": "Address", "BDAY": "Birthday", "ANNIVERSARY": "Anniversary",
                  "URL": "Web", "NICKNAME": "Nickname", "IMPP": "Messenger",
                  "X-SKYPE": "Skype", "X-TELEGRAM": "Telegram"}
_TRUE = {"1", "yes", "true", "y", "да"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DIGIT = re.compile(r"\d")


@dataclass
class _Property:
    group: str
    name: str
    params: dict[str, list[str]]
    raw: str  # the value as written, after unfolding, still escaped / encoded
    line: int

    @property
    def types(self) -> list[str]:
        return [t.lower() for t in self.params.get("TYPE", [])]


@dataclass
class _Card:
    number: int
    line: int
    props: list[_Property] = field(default_factory=list)
    junk_lines: list[int] = field(default_factory=list)
    version: str = ""


@dataclass
class VcardParse:
    records: list[ContactRecord]
    skipped: list[SkippedRow]
    warnings: list[SkippedRow]
    total_rows: int  # cards


def looks_like_vcard(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:11].upper() == "BEGIN:VCARD"


# ---------------------------------------------------------------------------------------------
# Lines and properties


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Unfold: QP soft breaks (``=`` at the end) first, then CRLF + one space/tab."""
    physical = re.split(r"\r\n|\r|\n", text)
    out: list[tuple[int, str]] = []
    cur: str | None = None
    cur_line = 0
    cur_qp = False
    for number, line in enumerate(physical, start=1):
        if cur is not None and cur_qp and cur.endswith("=") and \
                line.strip().upper() not in ("END:VCARD", "BEGIN:VCARD"):
            cur = cur[:-1] + line.lstrip(" \t")
            continue
        if cur is not None and line[:1] in (" ", "\t"):
            cur += line[1:]
            continue
        if cur is not None:
            out.append((cur_line, cur))
        cur, cur_line = line, number
        head = line.split(":", 1)[0].upper()
        cur_qp = "QUOTED-PRINTABLE" in head
    if cur is not None:
        out.append((cur_line, cur))
    return out


def _split_unquoted(text: str, sep: str) -> list[str]:
    if '"' not in text:
        return text.split(sep)
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def _parse_property(line: str, number: int) -> _Property | None:
    colon = line.find(":")
    if colon > 0 and '"' in line[:colon]:  # a quoted parameter value may hold a colon
        colon = -1
        quoted = False
        for i, ch in enumerate(line):
            if ch == '"':
                quoted = not quoted
            elif ch == ":" and not quoted:
                colon = i
                break
    if colon <= 0:
        return None
    head, raw = line[:colon], line[colon + 1:]
    parts = _split_unquoted(head, ";")
    m = _NAME.match(parts[0].strip())
    if not m:
        return None
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, value = part.split("=", 1)
            key = key.strip().upper()
            values = [v.strip().strip('"') for v in _split_unquoted(value, ",")]
        elif part.upper() in _BARE_ENCODINGS:
            key, values = "ENCODING", [part]
        else:
            key, values = "TYPE", [part]
        if key == "TYPE":
            values = [v for value in values for v in value.split(",")]
        params.setdefault(key, []).extend(v for v in values if v)
    return _Property((m.group(1) or "").lower(), m.group(2).upper(), params, raw, number)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt in "nN" else nxt if nxt in "\\,;:" else ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _split_escaped(text: str, sep: str) -> list[str]:
    if "\\" not in text:
        return text.split(sep)
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i:i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _decode(prop: _Property, raw: str) -> str:
    """Quoted-printable + CHARSET, then backslash escapes."""
    encoding = (prop.params.get("ENCODING") or [""])[0].upper()
    if encoding in ("QUOTED-PRINTABLE", "Q"):
        data = quopri.decodestring(raw.encode("utf-8"))
        charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
        try:
            raw = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            try:
                raw = data.decode("utf-8")
            except UnicodeDecodeError:
                raw = data.decode("cp1251", errors="replace")
    return _unescape(raw)


def _components(prop: _Property, sep: str = ";") -> list[str]:
    return [_decode(prop, part).strip() for part in _split_escaped(prop.raw, sep)]


def property_value(prop: _Property) -> str:
    return _decode(prop, prop.raw).strip()


# ---------------------------------------------------------------------------------------------
# Cards


def read_cards(text: str, skipped: list[SkippedRow], warnings: list[SkippedRow]) -> list[_Card]:
    cards: list[_Card] = []
    card: _Card | None = None
    for number, line in logical_lines(text):
        stripped = line.strip()
        upper = stripped.upper()
        if upper == "BEGIN:VCARD":
            if card is not None:
                warnings.append(SkippedRow(card.number, f"no END:VCARD (card starts on line "
                                           f"{card.line}); read up to the next card"))
                cards.append(card)
            card = _Card(len(cards) + 1, number)
            continue
        if card is None:
            if stripped and upper != "END:VCARD":
                skipped.append(SkippedRow(0, f"line {number}: text outside BEGIN:VCARD ... "
                                          "END:VCARD", shorten(stripped)))
            continue
        if upper == "END:VCARD":
            cards.append(card)
            card = None
            continue
        if not stripped:
            continue
        prop = _parse_property(line, number)
        if prop is None:
            last = card.props[-1] if card.props else None
            if last is None or (last.params.get("ENCODING") or [""])[0].upper() not in (
                    "B", "BASE64"):
                card.junk_lines.append(number)  # (2.1 base64 photos run on unfolded: fine)
            continue
        if prop.name == "VERSION":
            card.version = prop.raw.strip()
        card.props.append(prop)
    if card is not None:
        warnings.append(SkippedRow(card.number, f"no END:VCARD (card starts on line "
                                   f"{card.line}); read up to the end of the file"))
        cards.append(card)
    return cards


def _tel_value(prop: _Property) -> str:
    value = property_value(prop)
    if value.lower().startswith("tel:"):
        value = value[4:]
        number, *rest = value.split(";")
        ext = next((p.split("=", 1)[1] for p in rest if p.lower().startswith("ext=")), "")
        value = f"{number} ext. {ext}" if ext else number
    return value


def _tel_label(prop: _Property, group_labels: dict[str, str]) -> str:
    if prop.group and prop.group in group_labels:
        return group_labels[prop.group]
    for t in prop.types:
        if t in _TYPE_LABELS:
            return _TYPE_LABELS[t]
    custom = [t for t in prop.types if t not in _IGNORED_TYPES]
    if custom:
        return custom[0].removeprefix("x-")[:40]
    return LABEL_WORK if "voice" in prop.types or not prop.types else LABEL_OTHER


def _ab_label(text: str) -> str:
    m = re.fullmatch(r"_\$!<(.*)>!\$_", text)
    label = (m.group(1) if m else text).strip().lower()
    return _TYPE_LABELS.get(label, label)[:40]


def card_to_record(card: _Card, warnings: list[SkippedRow]) -> ContactRecord | SkippedRow:
    fn = ""
    n_name = ""
    company = ""
    position = ""
    role = ""
    phones: list[tuple[str, str, bool]] = []
    emails: list[str] = []
    tags: list[str] = []
    notes: list[str] = []
    extras: list[str] = []
    dnc = False
    group_labels = {p.group: _ab_label(property_value(p)) for p in card.props
                    if p.name == "X-ABLABEL" and p.group}
    for prop in card.props:
        name = prop.name
        if name == "FN":
            fn = fn or property_value(prop)
        elif name == "N":
            parts = [*_components(prop), "", "", "", "", ""][:5]
            family, given, additional, prefix, suffix = parts
            n_name = " ".join(p for p in (prefix, given, additional, family, suffix) if p)
        elif name == "ORG":
            org = [p for p in _components(prop) if p]
            if org:
                company = company or org[0]
                if org[1:]:
                    extras.append("Department: " + ", ".join(org[1:]))
        elif name == "TITLE":
            position = position or property_value(prop)
        elif name == "ROLE":
            role = role or property_value(prop)
        elif name == "TEL":
            value = _tel_value(prop)
            if len(_DIGIT.findall(value)) >= 3:
                pref = "pref" in prop.types or bool(prop.params.get("PREF"))
                main, ext = split_extension(value)
                phones.append((main, _tel_label(prop, group_labels), pref))
                if ext:
                    extras.append(f"Extension {ext}: {value}")
            elif value:
                extras.append(f"Phone: {value}")
                warnings.append(SkippedRow(card.number, f"{value!r} is not a phone number; "
                                           "kept in the notes", shorten(value)))
        elif name == "EMAIL":
            value = property_value(prop).removeprefix("mailto:")
            if _EMAIL.fullmatch(value):
                if value not in emails:
                    emails.append(value)
            elif value:
                extras.append(f"E-mail: {value}")
        elif name == "CATEGORIES":
            for tag in _components(prop, ","):
                if tag and tag not in tags:
                    tags.append(tag)
        elif name == "NOTE":
            value = property_value(prop)
            if value:
                notes.append(value)
        elif name in ("X-SOFTPHONE-DO-NOT-CALL", "X-DO-NOT-CALL"):
            dnc = property_value(prop).lower() in _TRUE
        elif name in _KEPT_IN_NOTES:
            value = ", ".join(p for p in _components(prop) if p)
            if value:
                extras.append(f"{_KEPT_IN_NOTES[name]}: {value}")
    if role:
        if position:
            extras.append(f"Role: {role}")
        else:
            position = role
    if card.junk_lines:
        lines = ", ".join(str(n) for n in card.junk_lines[:5])
        more = "…" if len(card.junk_lines) > 5 else ""
        warnings.append(SkippedRow(card.number, f"unreadable line(s) {lines}{more} ignored"))
    if not phones and not emails:
        what = fn or n_name or company
        return SkippedRow(card.number, f"no phone number or e-mail (card starts on line "
                          f"{card.line})", shorten(what or "(empty card)"))
    name = fn or n_name
    if not name:
        name = company or (emails[0] if emails else phones[0][0])
        warnings.append(SkippedRow(card.number, f"the card has no name (FN or N); "
                                   f"named {name!r}", shorten(name)))
    phones.sort(key=lambda p: not p[2])
    return ContactRecord(
        name=name,
        company=company or None,
        position=position or None,
        phones=[(raw, label) for raw, label, _pref in phones],
        emails=emails,
        tags=tags,
        notes="\n".join(notes + extras),
        do_not_call=dnc,
        source_row=card.number,
    )


def parse_vcard(text: str, path: Path) -> VcardParse:
    skipped: list[SkippedRow] = []
    warnings: list[SkippedRow] = []
    if not looks_like_vcard(text) and "BEGIN:VCARD" not in text.upper():
        raise ImportFileError(f"{path}: no vCard in this file (no BEGIN:VCARD line)")
    cards = read_cards(text, skipped, warnings)
    records: list[ContactRecord] = []
    for card in cards:
        result = card_to_record(card, warnings)
        if isinstance(result, SkippedRow):
            skipped.append(result)
        else:
            records.append(result)
    return VcardParse(records, skipped, warnings, len(cards))


# ---------------------------------------------------------------------------------------------
# Writing


def vcard_escape(text: str, *, comma: bool = True) -> str:
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace("\r\n", "\n")
    if comma:
        text = text.replace(",", "\\,")
    return text.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 6350 3.2)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(chunk))
            chunk, size, limit = [], 0, 74  # continuation lines start with a space
        chunk.append(ch)
        size += n
    out.append("".join(chunk))
    return "\r\n ".join(out) + "\r\n"


_WRITE_TYPES = {LABEL_MOBILE: "cell", LABEL_WORK: "work", LABEL_HOME: "home", LABEL_FAX: "fax"}


def vcard_text(*, name: str, company: str | None, position: str | None,
               phones: Iterable[tuple[str, str | None, str, bool]], emails: Iterable[str],
               tags: Iterable[str], notes: str, do_not_call: bool, version: str = "4.0",
               rev: str | None = None) -> str:
    """One card. ``phones``: (as typed, E.164 or None, label, primary)."""
    if version not in ("3.0", "4.0"):
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    v4 = version == "4.0"
    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"FN:{vcard_escape(name)}",
             f"N:{vcard_escape(name)};;;;"]
    if company:
        lines.append(f"ORG:{vcard_escape(company)}")
    if position:
        lines.append(f"TITLE:{vcard_escape(position)}")
    item = 0
    for raw, e164, label, primary in phones:
        known = _WRITE_TYPES.get(label)
        types = [known] if known else []
        group = ""
        if label and not known:
            item += 1
            group = f"item{item}."
        if v4:
            params = ";VALUE=uri" if e164 else ""
            if types:
                params += f";TYPE={types[0]}"
            if primary:
                params += ";PREF=1"
            value = f"tel:{e164}" if e164 else vcard_escape(raw)
        else:
            if primary:
                types.append("pref")
            params = f";TYPE={','.join(t.upper() for t in types)}" if types else ""
            value = e164 or vcard_escape(raw)
        lines.append(f"{group}TEL{params}:{value}")
        if group:
            lines.append(f"{group}X-ABLabel:{vcard_escape(label)}")
    for email in emails:
        lines.append(f"EMAIL{'' if v4 else ';TYPE=INTERNET'}:{vcard_escape(email)}")
    tag_list = [vcard_escape(t) for t in tags]
    if tag_list:
        lines.append("CATEGORIES:" + ",".join(tag_list))
    if notes:
        lines.append(f"NOTE:{vcard_escape(notes)}")
    if do_not_call:
        lines.append("X-SOFTPHONE-DO-NOT-CALL:TRUE")
    if rev:
        lines.append(f"REV:{rev}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)
