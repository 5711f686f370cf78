"""Run one :class:`Presence` in a subprocess (the test starts it inside a network namespace).

Usage: ``python presence_driver.py --name Anna --uri sip:101@0.0.0.0 --port 5060
--address 10.213.7.1 [--ttl 10]``.

Prints JSON lines on stdout: ``{"event": "registered", ...}`` once announced and
``{"event": "colleagues", "at": <time.time()>, "colleagues": [...]}`` on every change.
Reads JSON lines on stdin: ``{"cmd": "state", "state": "in_call"}``, ``{"cmd": "quit"}``
(end of input also quits).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import time

from softphone.office.presence import Colleague, Presence

_out_lock = threading.Lock()


def emit(event: str, **fields: object) -> None:
    line = json.dumps({"event": event, "at": time.time(), **fields})
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def on_change(colleagues: list[Colleague]) -> None:
    emit("colleagues", colleagues=[dataclasses.asdict(c) for c in colleagues])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--address", action="append", default=[])
    parser.add_argument("--ttl", type=int, default=10)
    args = parser.parse_args()

    presence = Presence(args.name, args.uri, args.port, args.address, on_change, ttl=args.ttl)
    presence.start()
    if not presence.registered.wait(10):
        emit("error", message="registration timed out")
        return 1
    emit("registered", id=presence.instance_id, uri=presence.uri,
         ssl_loaded="ssl" in sys.modules)  # softphone.office keeps ssl out of asyncio
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            if command.get("cmd") == "state":
                presence.set_state(command["state"])
                emit("ok", cmd="state")
            elif command.get("cmd") == "quit":
                break
    finally:
        presence.stop()
        emit("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
