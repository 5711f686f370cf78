"""``softphone crm migrate --to URL``: move the profile's contact database to another database
(typically the office's shared PostgreSQL), preserving ids, and check the copy table by table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from softphone.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_parsers(subparsers: Any) -> None:
    crm = subparsers.add_parser("crm", help="contact database administration")
    crm.add_argument("--profile", metavar="DIR", default=argparse.SUPPRESS,
                     help="profile directory (settings, data)")
    sub = crm.add_subparsers(dest="crm_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "migrate",
        help="copy the contact database to another database (e.g. the office PostgreSQL)",
        description=(
            "Copy everything (contacts, companies, numbers, calls, notes, tasks, deals, the "
            "ignore list, recording paths) from this profile's contact database to URL, "
            "keeping ids, then compare the row counts table by table. The target is brought "
            "to the current schema first. Afterwards set [crm] database_url = URL in "
            "softphone.toml to use it."
        ),
    )
    p.add_argument("--to", required=True, metavar="URL",
                   help="target database, e.g. postgresql+psycopg://user:pw@host/softphone")
    p.add_argument("--from", dest="source", metavar="URL", default=None,
                   help="source database (default: the profile's current database)")
    p.add_argument("--force", action="store_true",
                   help="replace the content of a target that already holds data")
    p.add_argument("--profile", metavar="DIR", default=argparse.SUPPRESS,
                   help="profile directory (settings, data)")
    p.set_defaults(handler=crm_migrate)


def _err(message: str) -> None:
    print(f"softphone: {message}", file=sys.stderr)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


def crm_migrate(args: argparse.Namespace, profile: Path, settings: Settings) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from softphone.crm.db import database_url, make_engine
    from softphone.crm.errors import StoreError
    from softphone.crm.transfer import TargetNotEmptyError, copy_database

    source_url = args.source or database_url(settings.crm.database_url, profile)
    target_url = args.to
    try:
        source_kind = make_url(source_url).get_backend_name()
        target_kind = make_url(target_url).get_backend_name()
    except ArgumentError as exc:
        _err(f"not a database URL: {exc}")
        return EXIT_USAGE
    if make_url(source_url) == make_url(target_url):
        _err("the source and the target are the same database")
        return EXIT_USAGE
    if source_kind == "sqlite" and not Path(make_url(source_url).database or "").exists():
        _err(f"there is no contact database at {_redact(source_url)}")
        return EXIT_USAGE

    print(f"copying {_redact(source_url)} -> {_redact(target_url)}")
    try:
        source = make_engine(source_url)
        target = make_engine(target_url)
    except Exception as exc:  # unknown driver, bad options
        _err(f"cannot use {_redact(target_url)}: {exc}")
        return EXIT_USAGE
    try:
        report = copy_database(source, target, force=args.force)
    except TargetNotEmptyError as exc:
        _err(f"{exc.message} ({exc.detail})")
        return EXIT_FAILED
    except StoreError as exc:
        where = _redact(target_url) if target_kind != "sqlite" else target_url
        _err(f"{exc.message}\n  target: {where}\n  detail: {exc.detail or '-'}")
        return EXIT_FAILED
    finally:
        source.dispose()
        target.dispose()

    width = max(len(c.table) for c in report.counts)
    print(f"{'table':<{width}}  {'source':>8}  {'target':>8}")
    for c in report.counts:
        mark = "" if c.ok else "  MISMATCH"
        print(f"{c.table:<{width}}  {c.source:>8}  {c.target:>8}{mark}")
    print(f"{report.rows} rows copied, counts match"
          + (" (the target's previous content was replaced)" if report.replaced else ""))
    if not settings.crm.database_url or settings.crm.database_url != target_url:
        hidden = " (password hidden)" if make_url(target_url).password else ""
        print(f"to use it, set in softphone.toml{hidden}:\n  [crm]\n"
              f"  database_url = \"{_redact(target_url)}\"")
    return EXIT_OK
