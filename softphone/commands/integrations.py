"""Integration commands: ``carddav sync``, ``directory lookup|search|test``, ``outbox status``,
``click-to-call token`` and ``integrations secret`` (passwords and keys into the keyring).

Exit status: 0 done, 1 nothing found / not delivered yet, 2 bad usage or not configured, 3 the
other server could not be used (the message says why, without a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_SERVER = 0, 1, 2, 3
SECRET_NAMES = {"carddav": "the CardDAV password", "directory": "the LDAP bind password",
                "webhooks": "the webhook signing secret",
                "bitrix24": "the Bitrix24 inbound webhook URL"}


def _profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="DIR", default=argparse.SUPPRESS,
                        help="profile directory (settings, data)")


def add_parsers(subparsers: Any) -> None:
    p = subparsers.add_parser("carddav", help="sync contacts with a CardDAV address book")
    _profile_option(p)
    sub = p.add_subparsers(dest="carddav_command", metavar="ACTION", required=True)
    s = sub.add_parser("sync", help="sync now, both ways ([carddav] in softphone.toml)")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    _profile_option(s)
    s.set_defaults(handler=_carddav_sync)

    p = subparsers.add_parser("directory", help="the company LDAP directory ([directory])")
    _profile_option(p)
    sub = p.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    s = sub.add_parser("lookup", help="who has this number in the directory")
    s.add_argument("number", metavar="NUMBER")
    _profile_option(s)
    s.set_defaults(handler=_directory_lookup)
    s = sub.add_parser("search", help="people whose name, e-mail or number contains TEXT")
    s.add_argument("text", metavar="TEXT")
    _profile_option(s)
    s.set_defaults(handler=_directory_search)
    s = sub.add_parser("test", help="connect, log in and count the entries")
    _profile_option(s)
    s.set_defaults(handler=_directory_test)

    p = subparsers.add_parser("outbox", help="webhook and Bitrix24 events waiting to be sent")
    _profile_option(p)
    sub = p.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    s = sub.add_parser("status", help="what waits, per target, and the last error")
    s.add_argument("--json", action="store_true", help="print as JSON")
    _profile_option(s)
    s.set_defaults(handler=_outbox_status)

    p = subparsers.add_parser("click-to-call", help="the local click-to-call endpoint")
    _profile_option(p)
    sub = p.add_subparsers(dest="click_command", metavar="ACTION", required=True)
    s = sub.add_parser("token", help="print the profile's token and the URL to use")
    s.add_argument("--new", action="store_true", help="make a new token (the old one stops "
                   "working once the app restarts)")
    _profile_option(s)
    s.set_defaults(handler=_click_token)

    p = subparsers.add_parser("integrations", help="secrets of the integrations")
    _profile_option(p)
    sub = p.add_subparsers(dest="integrations_command", metavar="ACTION", required=True)
    s = sub.add_parser("secret", help="store a password, key or webhook URL in the keyring "
                       "(read from standard input, or asked for)")
    s.add_argument("name", choices=sorted(SECRET_NAMES))
    s.add_argument("--delete", action="store_true", help="forget it")
    _profile_option(s)
    s.set_defaults(handler=_secret)


def _err(message: str) -> None:
    print(f"softphone: {message}", file=sys.stderr)


def _secrets(profile: Path) -> Any:
    from softphone.secrets import SecretStore

    return SecretStore(profile)


def _config(profile: Path, settings: Any) -> Any:
    from softphone.integrations.config import provision_secrets

    return provision_secrets(profile, settings.integrations, _secrets(profile))


# ---------------------------------------------------------------------------------------------


def _carddav_sync(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    c = _config(profile, settings).carddav
    if not c.enabled:
        _err("CardDAV is not configured: set [carddav] url (and username) in softphone.toml")
        return EXIT_USAGE
    from softphone.crm.errors import StoreError
    from softphone.crm.store import Store
    from softphone.integrations.carddav import sync_once
    from softphone.integrations.carddav_client import CardDavError

    crm = settings.crm
    try:
        store = Store.open(crm.database_url, profile, crm.default_region, crm.agent)
    except StoreError as exc:
        _err(exc.message)
        return EXIT_USAGE
    try:
        report = sync_once(store, c.url, c.username, c.password, timeout=c.timeout,
                           verify_tls=c.verify_tls)
    except CardDavError as exc:
        _err(f"contacts not synced: {exc}")
        return EXIT_SERVER
    except StoreError as exc:
        _err(exc.message)
        return EXIT_USAGE
    finally:
        store.close()
    if args.json:
        import dataclasses

        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        print(f"synced: {report.summary()}")
    return EXIT_OK


def _directory(profile: Path, settings: Any) -> Any:
    d = _config(profile, settings).directory
    if not d.enabled:
        _err("no directory is configured: set [directory] url and base_dn in softphone.toml")
        return None
    from softphone.integrations.ldap_directory import LdapDirectory

    return LdapDirectory(d.url, d.base_dn, bind_dn=d.bind_dn, password=d.password,
                         timeout=d.timeout, phone_attributes=d.phone_attributes,
                         name_attributes=d.name_attributes, extra_filter=d.filter,
                         verify_tls=d.verify_tls, region=settings.crm.default_region)


def _print_entry(entry: Any) -> None:
    extra = f" — {entry.company_line}" if entry.company_line else ""
    print(f"{entry.name}{extra}: {', '.join(entry.phones) or '-'}"
          + (f" <{entry.emails[0]}>" if entry.emails else ""))


def _directory_call(args: argparse.Namespace, profile: Path, settings: Any, what: str) -> int:
    directory = _directory(profile, settings)
    if directory is None:
        return EXIT_USAGE
    from softphone.integrations.ldap_directory import DirectoryError

    try:
        if what == "lookup":
            entry = directory.find_number(args.number)
            if entry is None:
                print(f"{args.number}: not in the directory")
                return EXIT_NOTHING
            _print_entry(entry)
        elif what == "search":
            entries = directory.search(args.text)
            for entry in entries:
                _print_entry(entry)
            if not entries:
                print("nobody found")
                return EXIT_NOTHING
        else:
            print(f"{directory.url}: connected; {directory.check()} entries under "
                  f"{directory.base_dn} (counted up to 1000)")
    except DirectoryError as exc:
        _err(str(exc))
        return EXIT_SERVER
    return EXIT_OK


def _directory_lookup(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    return _directory_call(args, profile, settings, "lookup")


def _directory_search(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    return _directory_call(args, profile, settings, "search")


def _directory_test(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    return _directory_call(args, profile, settings, "test")


def _outbox_status(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    from softphone.integrations.outbox import OUTBOX_FILE, Outbox

    if not (profile / OUTBOX_FILE).exists():
        print("no events were ever queued (webhooks and Bitrix24 are off)")
        return EXIT_OK
    outbox = Outbox.in_profile(profile)
    try:
        rows = []
        for target in ("webhooks", "bitrix24"):
            head = outbox.head(target)
            rows.append({"target": target, "pending": outbox.pending_count(target),
                         "oldest": head.event_id if head else None,
                         "attempts": head.attempts if head else 0,
                         "last_error": head.last_error if head else ""})
        refused = outbox.events(state="refused", limit=20)
    finally:
        outbox.close()
    if args.json:
        print(json.dumps({"targets": rows, "refused": [
            {"target": e.target, "event_id": e.event_id, "kind": e.kind,
             "error": e.last_error} for e in refused]}, indent=2))
    else:
        for row in rows:
            line = f"{row['target']}: {row['pending']} waiting"
            if row["pending"] and row["last_error"]:
                line += f" (tried {row['attempts']} time(s): {row['last_error']})"
            print(line)
        for e in refused:
            print(f"refused for good: {e.target} {e.kind} {e.event_id}: {e.last_error}")
    return EXIT_OK


def _click_token(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    from softphone.integrations.config import click_to_call_token

    token = click_to_call_token(_secrets(profile), renew=args.new)
    c = settings.integrations.click_to_call
    print(token)
    print(f"http://127.0.0.1:{c.port}/dial?number=NUMBER&token={token}")
    if not c.enabled:
        print("(off: set [click_to_call] enabled = true in softphone.toml and restart the "
              "app)", file=sys.stderr)
    return EXIT_OK


def _secret(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    from softphone.integrations.config import SECRET_FIELDS

    key = next(k for section, _f, k in SECRET_FIELDS if section == args.name)
    store = _secrets(profile)
    if args.delete:
        store.set(key, None)
        print(f"{SECRET_NAMES[args.name]} forgotten")
        return EXIT_OK
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{SECRET_NAMES[args.name]}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        _err("nothing given: nothing stored")
        return EXIT_USAGE
    store.set(key, value)
    print(f"{SECRET_NAMES[args.name]} stored in {store.where}")
    return EXIT_OK
