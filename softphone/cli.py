"""Command line: the GUI by default, plus commands for admins and scripts.

Each command family lives in ``softphone/commands/<family>.py`` with two functions:
``add_parsers(subparsers)`` (cheap: no heavy imports at module level, so start-up stays fast)
and handlers stored as ``parser.set_defaults(handler=...)`` with the signature
``handler(args, profile: Path, settings: Settings) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from softphone import __version__

COMMAND_MODULES = (
    "softphone.commands.crm", "softphone.commands.phone", "softphone.commands.office",
    "softphone.commands.integrations",
)


#: the options of a desktop (or login) start, which opens the window and runs no command
_WINDOW_FLAGS = ("--verbose", "-v", "--minimized")


def names_a_command(argv: list[str]) -> bool:
    """Whether ``argv`` may need the commands' parsers: anything but the window's own options
    (a command, a link to dial, --help, --version, a mistake to report). Building them all
    costs ~25 ms, which a desktop start would pay before its window shows."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--profile" and i + 1 < len(argv):
            i += 2
        elif arg.startswith("--profile=") or arg in _WINDOW_FLAGS:
            i += 1
        else:
            return True
    return False


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softphone",
        description="Desktop SIP softphone with a call-centric mini-CRM.",
    )
    parser.add_argument("--version", action="version", version=f"softphone {__version__}")
    parser.add_argument("--profile", metavar="DIR", help="profile directory (settings, data)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.add_argument("--minimized", action="store_true",
                        help="start in the tray (how the login autostart entry starts it)")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_parsers(sub)
    return parser


def split_url_argument(argv: list[str]) -> list[str]:
    """``softphone tel:+7...`` / ``sip:`` / ``callto:`` (a clicked link) means ``dial``."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg.startswith("-"):
            if arg == "--profile":
                continue
            continue
        if i > 0 and out[i - 1] == "--profile":
            continue
        if arg.lower().startswith(("tel:", "sip:", "sips:", "callto:")):
            out.insert(i, "dial")
        break
    return out


def _start_after_settings_error(args: argparse.Namespace, profile: Path,
                                error: Exception) -> int:
    """A desktop start (menu, login) with a refused softphone.toml: a window says what is
    wrong instead of a silent exit (issue 14); the running app, if any, is raised instead."""
    from softphone.ipc import hand_over_start

    status = hand_over_start(profile, "status" if args.minimized else "show")
    if status is not None:
        return status
    try:
        from softphone.app import run_gui
        from softphone.ui.settings_problem import start_after_settings_error
    except ModuleNotFoundError:
        return 2
    return start_after_settings_error(args, profile, error, run_gui)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = split_url_argument(argv)
    args = build_parser(commands=names_a_command(argv)).parse_args(argv)

    from softphone.logs import setup_logging
    from softphone.profile import resolve_profile
    from softphone.settings import SettingsError, load_settings

    profile: Path = resolve_profile(args.profile)
    setup_logging(profile, verbose=args.verbose)
    handler = getattr(args, "handler", None)
    try:
        settings = load_settings(profile)
    except SettingsError as exc:
        import logging

        logging.getLogger("softphone").error("settings file refused: %s", exc)
        print(f"softphone: {exc}", file=sys.stderr)
        print("softphone: the settings file was not changed; fix it and start again.",
              file=sys.stderr)
        if handler is not None:
            return 2
        return _start_after_settings_error(args, profile, exc)

    if handler is None:
        from softphone.ipc import hand_over_start

        # one app per profile: raise the running one (a login start leaves it where it is)
        status = hand_over_start(profile, "status" if args.minimized else "show")
        if status is not None:
            return status
        try:
            from softphone.app import run_gui
        except ModuleNotFoundError as exc:
            print(f"softphone: the desktop app is not available: {exc}", file=sys.stderr)
            return 1
        return run_gui(args, profile, settings)
    return int(handler(args, profile, settings))
