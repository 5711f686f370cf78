"""Phone commands: ``dial``, ``answer``, ``hangup``, ``dnd``, ``selftest``, ``diagnostics``.

``dial``/``answer``/``hangup``/``dnd`` are handed to the softphone already running for the
profile (see :mod:`softphone.ipc`) and exit 0 with its reply. With nothing running, ``dial``
starts the app with the number pending (``args.dial_target``, picked up by
:func:`softphone.app.run_gui`), the others exit with :data:`EXIT_NOT_RUNNING`.

A clicked ``tel:``/``sip:``/``callto:`` link arrives as ``softphone tel:+7-495-123-45-67``;
``softphone/cli.py`` turns it into ``dial`` and :func:`softphone.sip.uris.decode_dial_target`
into ``+74951234567``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from softphone.sip.uris import BadTarget, decode_dial_target

EXIT_FAILED = 1  # the running instance refused the command, or selftest found a problem
EXIT_USAGE = 2  # bad number / address
EXIT_NOT_RUNNING = 3  # no softphone runs for this profile
EXIT_WARNING = 4  # selftest: everything works, with warnings (no sound device)

# ---------------------------------------------------------------------------------------------
# Parsers


def add_parsers(sub: Any) -> None:
    dial = sub.add_parser(
        "dial",
        help="call a number or SIP address (tel:/sip:/callto: links too)",
        description="Call NUMBER in the running softphone, or start softphone and call it.",
    )
    dial.add_argument("target", metavar="NUMBER|URI")
    dial.set_defaults(handler=run_dial)

    answer = sub.add_parser("answer", help="answer the ringing call in the running softphone")
    answer.set_defaults(handler=run_forwarded, ipc_command="answer")

    hangup = sub.add_parser("hangup", help="end the current call in the running softphone")
    hangup.set_defaults(handler=run_forwarded, ipc_command="hangup")

    dnd = sub.add_parser("dnd", help="do not disturb on or off in the running softphone")
    dnd.add_argument("state", choices=("on", "off"))
    dnd.set_defaults(handler=run_forwarded, ipc_command="dnd")

    colleagues = sub.add_parser(
        "colleagues", help="list the colleagues the running softphone sees on the LAN (JSON)")
    colleagues.set_defaults(handler=run_forwarded, ipc_command="colleagues")

    selftest = sub.add_parser(
        "selftest",
        help="check that SIP, the database and the sound system work, then exit",
        description="Start the SIP engine on a free local port, open the contact database and "
        "list sound devices; print a short report. Exit status: 0 every part works; 1 a part "
        "failed (FAIL); 4 it works with warnings (WARN: e.g. no sound device, calls would "
        "connect without sound); 2 the settings file cannot be read.",
    )
    selftest.set_defaults(handler=run_selftest)

    diagnostics = sub.add_parser(
        "diagnostics",
        help="print versions, devices, account states and recent log lines (no secrets)",
    )
    diagnostics.set_defaults(handler=run_diagnostics)


# ---------------------------------------------------------------------------------------------
# Handlers


def _not_running(profile: Path) -> int:
    print(f"softphone: softphone is not running for profile {profile}", file=sys.stderr)
    return EXIT_NOT_RUNNING


def _hand_over(profile: Path, command: str, args: list[str]) -> int | None:
    """Send to the running instance; None when none runs, else the exit status."""
    from softphone.ipc import IpcError, request

    try:
        reply = request(profile, command, args)
    except IpcError as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if reply is None:
        return None
    if reply.ok:
        if reply.message:
            print(reply.message)
        return 0
    print(f"softphone: {reply.message}", file=sys.stderr)
    return EXIT_FAILED


def run_dial(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    try:
        target = decode_dial_target(args.target)
    except BadTarget as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return EXIT_USAGE
    status = _hand_over(profile, "dial", [target])
    if status is not None:
        return status
    try:
        from softphone.app import run_gui
    except ModuleNotFoundError as exc:
        print(f"softphone: the desktop app is not available: {exc}", file=sys.stderr)
        return EXIT_FAILED
    args.dial_target = target
    return int(run_gui(args, profile, settings))


def run_forwarded(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    command: str = args.ipc_command
    command_args = [args.state] if command == "dnd" else []
    status = _hand_over(profile, command, command_args)
    return _not_running(profile) if status is None else status


def run_selftest(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    from softphone.diagnostics import run_selftest as selftest

    checks = selftest(profile, settings)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "FAIL" if not check.ok else "WARN" if check.warning else "ok  "
        print(f"{mark} {check.name.ljust(width)}  {check.detail}")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        print(f"selftest failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED
    warned = [c.name for c in checks if c.warning]
    if warned:
        print(f"selftest passed with warnings: {', '.join(warned)}", file=sys.stderr)
        return EXIT_WARNING
    print("selftest passed")
    return 0


def run_diagnostics(args: argparse.Namespace, profile: Path, settings: Any) -> int:
    from softphone.ipc import IpcError, request

    try:
        reply = request(profile, "diagnostics", [], timeout=10.0)
    except IpcError:
        reply = None
    if reply is not None and reply.ok:
        print(reply.message)
        return 0
    from softphone.diagnostics import collect_diagnostics

    print(collect_diagnostics(profile, settings))
    return 0
