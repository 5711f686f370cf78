"""CRM commands: ``contacts import|export|lookup|export-person|erase``, ``calls list``, ``stats``.

Every command takes ``--profile DIR`` (before or after the command). Exit status: 0 done,
1 nothing found / nothing imported / the file was unusable, 2 bad usage or a database that
cannot be used (locked, newer schema, damaged): the message says which, without a traceback.

Module-level imports stay cheap: SQLAlchemy and the store are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from softphone.crm.store import Store
    from softphone.settings import Settings

EXIT_OK = 0
EXIT_NOTHING = 1
EXIT_USAGE = 2
PROGRESS_MIN_BYTES = 1_000_000  # files at least this big report import progress on stderr

Handler = Callable[[argparse.Namespace, "Store", Path, "Settings"], int]


class UsageError(Exception):
    """Bad input on the command line (e.g. a date); exit status 2."""


# ---------------------------------------------------------------------------------------------
# Parsers


def _profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="DIR", default=argparse.SUPPRESS,
                        help="profile directory (settings, data)")


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def add_parsers(subparsers: Any) -> None:
    contacts = subparsers.add_parser("contacts", help="import, export and look up contacts")
    _profile_option(contacts)
    csub = contacts.add_subparsers(dest="contacts_command", metavar="ACTION", required=True)

    p = csub.add_parser("import", help="import contacts from a CSV or vCard file",
                        description="Import contacts. Duplicates are merged by normalized "
                        "number; every skipped row is listed with the reason.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("csv", "vcard"),
                   help="file format (default: from the extension and content)")
    p.add_argument("--encoding", help="text encoding (default: detected; UTF-8, else "
                   "Windows-1251, KOI8-R, cp866 or cp1252)")
    _json_option(p, "the report")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_contacts_import))

    p = csub.add_parser("export", help="export all contacts to CSV or vCard")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("csv", "vcard"),
                   help="file format (default: vcard for .vcf/.vcard, else csv)")
    p.add_argument("--vcard-version", choices=("4.0", "3.0"), default="4.0",
                   help="vCard version (default 4.0; 3.0 for older address books)")
    p.add_argument("--excel", action="store_true",
                   help="CSV for Excel: a UTF-8 byte-order mark and semicolons")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_contacts_export))

    p = csub.add_parser("lookup", help="who has this number, and why it matched")
    p.add_argument("number", metavar="NUMBER")
    _json_option(p, "the match")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_contacts_lookup))

    p = csub.add_parser("export-person",
                        help="export everything about one contact as JSON (privacy request)")
    p.add_argument("contact_id", metavar="ID", type=_contact_id)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--recordings", metavar="DIR_OR_ZIP",
                   help="also copy the contact's call recordings into this folder or .zip")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_contacts_export_person))

    p = csub.add_parser("erase", help="erase a contact and its calls, notes and recordings")
    p.add_argument("contact_id", metavar="ID", type=_contact_id)
    p.add_argument("--yes", action="store_true", help="really erase (cannot be undone)")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_contacts_erase))

    calls = subparsers.add_parser("calls", help="the call log")
    _profile_option(calls)
    lsub = calls.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    p = lsub.add_parser("list", help="list calls, newest first")
    _json_option(p, "the calls")
    p.add_argument("--since", type=_date_arg, metavar="DATE",
                   help="from this day or time (YYYY-MM-DD or ISO 8601)")
    p.add_argument("--until", type=_until_arg, metavar="DATE",
                   help="up to this day (inclusive) or time")
    p.add_argument("--direction", choices=("in", "out"))
    p.add_argument("--outcome", help="answered, missed, rejected, busy, failed, ...")
    p.add_argument("--limit", type=int, default=200, help="at most this many calls (200)")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_calls_list))

    p = subparsers.add_parser("stats", help="call statistics")
    _json_option(p, "the figures")
    p.add_argument("--since", type=_date_arg, metavar="DATE",
                   help="from this day or time (default: 30 days ago)")
    p.add_argument("--until", type=_until_arg, metavar="DATE",
                   help="up to this day (inclusive) or time (default: now)")
    p.add_argument("--account", metavar="A", help="only calls of this account")
    p.add_argument("--agent", metavar="X", help="only calls of this agent")
    p.add_argument("--by", choices=("day", "week"), default="day", help="bucket (day)")
    _profile_option(p)
    p.set_defaults(handler=_store_command(_stats))


# ---------------------------------------------------------------------------------------------
# Arguments


def _local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def parse_date(text: str, *, end_of_day: bool = False) -> datetime:
    """``YYYY-MM-DD`` (local midnight; with ``end_of_day`` the next midnight) or ISO 8601."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"not a valid date: {text!r} (use YYYY-MM-DD)") from None
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=_local_tz())
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise UsageError(f"not a date: {text!r} (use YYYY-MM-DD or ISO 8601, "
                         f"e.g. 2026-11-25T09:30:00+03:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_local_tz())
    return moment


def _date_arg(text: str) -> datetime:
    try:
        return parse_date(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _until_arg(text: str) -> datetime:
    try:
        return parse_date(text, end_of_day=True)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _contact_id(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise argparse.ArgumentTypeError(f"a contact ID is a number, not {text!r}")
    return int(text)


# ---------------------------------------------------------------------------------------------
# Plumbing


def _err(message: str) -> None:
    print(f"softphone: {message}", file=sys.stderr)


def _safe_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _store_command(fn: Handler) -> Callable[[argparse.Namespace, Path, Settings], int]:
    """Open the profile's store around ``fn``; known database errors become one line, exit 2."""

    def handler(args: argparse.Namespace, profile: Path, settings: Settings) -> int:
        _safe_streams()
        from softphone.crm.errors import StoreError
        from softphone.crm.store import Store

        crm = settings.crm
        try:
            store = Store.open(crm.database_url, profile, crm.default_region, crm.agent)
        except StoreError as exc:
            _err(exc.message)
            return EXIT_USAGE
        try:
            return fn(args, store, profile, settings)
        except StoreError as exc:
            _err(exc.message)
            return EXIT_USAGE
        except UsageError as exc:
            _err(str(exc))
            return EXIT_USAGE
        except KeyboardInterrupt:
            _err("interrupted")
            return 130
        except BrokenPipeError:  # e.g. `softphone calls list | head`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_NOTHING
        finally:
            try:
                store.close()
            except StoreError as exc:
                _err(exc.message)

    handler.__name__ = fn.__name__
    return handler


def _dump(value: Any) -> None:
    from softphone.crm.io import to_jsonable

    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def _duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone().strftime(fmt) if moment else "-"


# ---------------------------------------------------------------------------------------------
# contacts import / export


class _ProgressPrinter:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        tenth = done * 10 // total
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\rimporting: {done}/{total} ({done * 100 // total}%)", end=end,
                  file=sys.stderr, flush=True)
        elif tenth != self.last_tenth:
            print(f"importing: {done}/{total} ({done * 100 // total}%)", file=sys.stderr,
                  flush=True)
        self.last_tenth = tenth


def _contacts_import(args: argparse.Namespace, store: Store, profile: Path,
                     settings: Settings) -> int:
    from softphone.crm.io import ImportFileError, import_file

    path = Path(args.file)
    progress = None
    try:
        if path.stat().st_size >= PROGRESS_MIN_BYTES:
            progress = _ProgressPrinter()
    except OSError:
        pass
    try:
        report = import_file(store, path, format=args.format, encoding=args.encoding,
                             progress=progress)
    except ImportFileError as exc:
        _err(str(exc))
        _err("nothing was imported.")
        return EXIT_NOTHING
    parsed, result = report.parsed, report.result
    unit = parsed.unit
    skipped = report.skipped
    if args.json:
        _dump({
            "file": str(path), "format": parsed.format, "encoding": parsed.encoding,
            "delimiter": parsed.delimiter, "rows": parsed.total_rows,
            "created": result.created, "merged": result.merged, "skipped_count": len(skipped),
            "skipped": [{unit: s.source_row, "reason": s.reason, "text": s.text}
                        for s in skipped],
            "remarks": [{unit: w.source_row, "reason": w.reason, "text": w.text}
                        for w in report.remarks],
            "kept_in_notes": parsed.kept_columns,
        })
        return EXIT_OK if report.usable else EXIT_NOTHING
    how = f"{parsed.format.upper() if parsed.format == 'csv' else 'vCard'}, {parsed.encoding}"
    if parsed.delimiter:
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
        how += f", {names.get(parsed.delimiter, repr(parsed.delimiter))}-separated"
    plural = "" if parsed.total_rows == 1 else "s"
    print(f"{path.name} ({how}): {parsed.total_rows} {unit}{plural}")
    print(f"  created: {result.created}")
    print(f"  merged:  {result.merged}  (same number as a contact already there or earlier "
          f"in the file)")
    print(f"  skipped: {len(skipped)}")
    for s in skipped:
        where = f"{unit} {s.source_row}: " if s.source_row else ""
        text = f"  [{s.text}]" if s.text else ""
        print(f"    {where}{s.reason}{text}")
    remarks = report.remarks
    if remarks:
        print(f"  imported with remarks: {len(remarks)}")
        for w in remarks:
            where = f"{unit} {w.source_row}: " if w.source_row else ""
            print(f"    {where}{w.reason}")
    if parsed.kept_columns:
        print(f"  columns kept in the notes: {', '.join(parsed.kept_columns)}")
    if not report.usable:
        _err("nothing was imported.")
        return EXIT_NOTHING
    return EXIT_OK


def _contacts_export(args: argparse.Namespace, store: Store, profile: Path,
                     settings: Settings) -> int:
    from softphone.crm.io import export_contacts

    path = Path(args.file)
    fmt = args.format or ("vcard" if path.suffix.lower() in (".vcf", ".vcard") else "csv")
    try:
        count = export_contacts(store, path, format=fmt, vcard_version=args.vcard_version,
                                excel=args.excel)
    except OSError as exc:
        _err(f"{path}: cannot write: {exc.strerror or exc}")
        return EXIT_USAGE
    kind = "CSV" if fmt == "csv" else f"vCard {args.vcard_version}"
    print(f"exported {count} contact{'s' if count != 1 else ''} to {path} ({kind})")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# contacts lookup


_WHY = {
    "e164": "exact number",
    "national": "same national number",
    "suffix": "unique ending of the number",
    "company": "a company number shared by several people",
    "none": "no contact has this number",
    "withheld": "the number is withheld; never matched",
    "short": "a short service number or extension; never matched to a stranger",
    "ignored": "the number is on the ignore list",
}


def _contacts_lookup(args: argparse.Namespace, store: Store, profile: Path,
                     settings: Settings) -> int:
    match = store.lookup(args.number)
    if args.json:
        # as the caller card: the contact, or the company of a shared number and its people
        def person(c: Any) -> dict[str, Any]:
            return {"id": c.id, "name": c.name, "company": c.company,
                    "company_id": c.company_id,
                    "phones": [{"raw": p.raw, "e164": p.e164, "label": p.label}
                               for p in c.phones]}

        contact, company = match.contact, match.company
        print(json.dumps({
            "contact": None if contact is None else person(contact),
            "company": None if company is None else {"id": company.id, "name": company.name},
            "people": [person(c) for c in match.people],
            "matched_by": match.matched_by,
            "why": _WHY.get(match.matched_by, match.matched_by),
            "number": match.number,
            "ignored": match.ignored,
        }, ensure_ascii=False))
        return EXIT_OK if match.found else EXIT_NOTHING
    why = _WHY.get(match.matched_by, match.matched_by)
    number = match.number or args.number
    if match.contact is not None:
        c = match.contact
        company = f" ({c.company})" if c.company else ""
        print(f"{c.name}{company}  [contact {c.id}]")
        print(f"matched by: {match.matched_by} ({why}) for {number}")
        for phone in c.phones:
            print(f"  {phone.label or 'phone'}: {phone.raw}"
                  + (f"  ({phone.e164})" if phone.e164 and phone.e164 != phone.raw else ""))
        return EXIT_OK
    if match.company is not None:
        print(f"{match.company.name}  [company {match.company.id}]")
        print(f"matched by: {match.matched_by} ({why}) for {number}")
        for person in match.people:
            print(f"  {person.name}  [contact {person.id}]")
        return EXIT_OK
    extra = f" ({match.ignored})" if match.ignored else ""
    print(f"no match for {number}: {why}{extra}")
    if match.people:
        print("several people have this number:")
        for person in match.people:
            print(f"  {person.name}  [contact {person.id}]")
    return EXIT_OK if match.found else EXIT_NOTHING


# ---------------------------------------------------------------------------------------------
# privacy: export-person / erase


def _contacts_export_person(args: argparse.Namespace, store: Store, profile: Path,
                            settings: Settings) -> int:
    from softphone.crm.errors import NotFoundError
    from softphone.crm.io import export_person

    try:
        done = export_person(store, args.contact_id, args.file, profile=profile,
                             recordings=args.recordings)
    except NotFoundError:
        _err(f"no contact with ID {args.contact_id}")
        return EXIT_NOTHING
    except OSError as exc:
        _err(f"cannot write: {exc.strerror or exc} ({exc.filename or args.file})")
        return EXIT_USAGE
    print(f"wrote everything about contact {args.contact_id} to {done.path}")
    if args.recordings is not None:
        print(f"copied {len(done.recordings_copied)} recording(s) to {args.recordings}")
    for missing in done.recordings_missing:
        print(f"  recording not found (not copied): {missing}")
    return EXIT_OK


def _contacts_erase(args: argparse.Namespace, store: Store, profile: Path,
                    settings: Settings) -> int:
    from softphone.crm.errors import NotFoundError

    contact = store.get_contact(args.contact_id)
    if contact is None:
        _err(f"no contact with ID {args.contact_id}")
        return EXIT_NOTHING
    if not args.yes:
        calls = store.list_calls(contact_id=contact.id, limit=100_000)
        _err(f"this erases {contact.name} [contact {contact.id}] with {len(calls)} call(s), "
             f"their notes and recordings, and cannot be undone; run again with --yes")
        return EXIT_USAGE
    try:
        erased = store.erase_contact(contact.id)
    except NotFoundError:
        _err(f"no contact with ID {args.contact_id}")
        return EXIT_NOTHING
    failed = 0
    removed = list(erased.deleted_files)
    for path_text in erased.recording_paths:  # outside the profile: ours to delete
        path = Path(path_text)
        try:
            path.unlink(missing_ok=True)
            removed.append(str(path))
        except OSError as exc:
            failed += 1
            _err(f"could not delete recording {path}: {exc.strerror or exc}")
    print(f"erased {contact.name} [contact {contact.id}]: {erased.calls} call(s), "
          f"{erased.tasks} task(s), {erased.deals} deal(s), {len(removed)} recording(s)")
    return EXIT_NOTHING if failed else EXIT_OK


# ---------------------------------------------------------------------------------------------
# calls list


def _call_dict(call: Any) -> dict[str, Any]:
    from softphone.crm.io import to_jsonable

    data = to_jsonable(call)
    assert isinstance(data, dict)
    return data


def _calls_list(args: argparse.Namespace, store: Store, profile: Path,
                settings: Settings) -> int:
    if args.limit <= 0:
        raise UsageError("--limit must be at least 1")
    calls = store.list_calls(since=args.since, until=args.until, direction=args.direction,
                             outcome=args.outcome, limit=args.limit)
    if args.json:
        print(json.dumps([_call_dict(c) for c in calls], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not calls:
        print("no calls")
        return EXIT_OK
    rows = [("started", "dir", "number", "contact", "outcome", "talk", "SIP")]
    for c in calls:
        rows.append((
            _local(c.started_at), "in" if c.direction == "in" else "out", c.number or "-",
            c.contact_name or c.display_name or "-", c.outcome or "(in progress)",
            _duration(c.talk_seconds), str(c.sip_status) if c.sip_status else "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# stats


def _stats(args: argparse.Namespace, store: Store, profile: Path, settings: Settings) -> int:
    until = args.until or datetime.now().astimezone()
    since = args.since or (until - timedelta(days=30))
    if since >= until:
        raise UsageError("--since must be before --until")
    stats = store.statistics(since=since, until=until, account=args.account, agent=args.agent,
                             bucket=args.by, tz=_local_tz())
    if args.json:
        _dump({
            "since": since, "until": until, "bucket": args.by,
            "calls": stats.calls, "inbound": stats.inbound, "outbound": stats.outbound,
            "answered": stats.answered, "missed": stats.missed,
            "missed_rate": stats.missed_rate,
            "total_talk_seconds": stats.total_talk_seconds,
            "avg_talk_seconds": stats.avg_talk_seconds,
            "avg_ring_seconds": stats.avg_ring_seconds,
            "avg_time_to_callback_seconds": stats.avg_time_to_callback_seconds,
            "per_bucket": [{"start": start, "calls": n, "answered": a, "missed": m,
                            "talk_seconds": talk}
                           for start, n, a, m, talk in stats.per_bucket],
            "busiest_hours": [{"hour": h, "calls": n} for h, n in stats.busiest_hours],
            "top_contacts": [{"contact_id": cid, "name": name, "calls": n}
                             for cid, name, n in stats.top_contacts],
        })
        return EXIT_OK
    print(f"calls from {_local(since)} to {_local(until)}: {stats.calls} "
          f"(in {stats.inbound}, out {stats.outbound})")
    print(f"  answered: {stats.answered}   missed: {stats.missed} "
          f"({stats.missed_rate:.0%} of inbound)")
    print(f"  talk time: {_duration(stats.total_talk_seconds)} total, "
          f"{_duration(stats.avg_talk_seconds)} average; "
          f"ringing {_duration(stats.avg_ring_seconds)} average")
    if stats.avg_time_to_callback_seconds is not None:
        print(f"  time to call back a missed call: "
              f"{_duration(stats.avg_time_to_callback_seconds)} average")
    if stats.calls:
        print(f"  per {args.by} (those without calls left out):")
        for start, n, answered, missed, talk in stats.per_bucket:
            if not n:
                continue
            print(f"    {_local(start, '%Y-%m-%d')}  {n:4d} calls  {answered:4d} answered  "
                  f"{missed:4d} missed  {_duration(talk)} talk")
    if stats.busiest_hours:
        print("  busiest hours: " + ", ".join(f"{h:02d}:00 ({n})"
                                              for h, n in stats.busiest_hours[:5]))
    if stats.top_contacts:
        print("  top contacts: " + ", ".join(f"{name} ({n})"
                                             for _cid, name, n in stats.top_contacts[:5]))
    return EXIT_OK
