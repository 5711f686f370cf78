"""A desk: the SIP Engine and the Office (presence) wired as the app wires them, in one process.

Usage: ``python office_driver.py CONFIG_JSON`` with ``{"name": "Anna", "address": "10.x.y.1",
"user": "101", "port": 5060}``. Prints JSON lines: ``{"event": "ready", "listen": ...}``,
``{"event": "colleagues", "colleagues": [...]}``, ``{"event": "sip", "type": ..., ...}``.
Reads JSON lines: ``{"cmd": "dial", "target": URI}``, ``{"cmd": "answer", "call_id": N}``,
``{"cmd": "hangup", "call_id": N}``, ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
from typing import Any

from softphone.office.presence import Colleague
from softphone.office.service import Office
from softphone.settings import AccountSettings, CallSettings, CrmSettings, Settings, SipSettings

_lock = threading.Lock()


def emit(event: str, **fields: Any) -> None:
    line = json.dumps({"event": event, "at": time.time(), **fields}, default=str)
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main() -> int:
    from softphone.sip.engine import Engine

    config = json.loads(sys.argv[1])
    sip = SipSettings(listen_host=config["address"], listen_port=config["port"], rtp_port=4000)
    account = AccountSettings(name="LAN", address=f"sip:{config['user']}@{config['address']}")
    settings = Settings(sip=sip, accounts=(account,), crm=CrmSettings(agent=config["name"]))
    office: Office | None = None

    def on_sip_event(event: Any) -> None:  # the SIP thread: only cheap work
        if office is not None:
            office.on_sip_event(event)
        if hasattr(event, "call_id"):
            emit("sip", type=type(event).__name__, call_id=event.call_id,
                 state=str(getattr(event, "state", "")))

    def on_colleagues(colleagues: list[Colleague]) -> None:
        emit("colleagues", colleagues=[dataclasses.asdict(c) for c in colleagues])

    engine = Engine(sip, list(settings.accounts), CallSettings(), on_sip_event)
    engine.start(timeout=10.0)
    office = Office(settings, listen=engine.listen_address, on_colleagues=on_colleagues,
                    agent=config["name"])
    office.start()
    emit("ready", listen=engine.listen_address, problems=office.problems)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            cmd = json.loads(line)
            try:
                if cmd["cmd"] == "dial":
                    emit("reply", cmd="dial", result=engine.dial(cmd["target"]))
                elif cmd["cmd"] == "answer":
                    engine.answer(cmd["call_id"])
                    emit("reply", cmd="answer")
                elif cmd["cmd"] == "hangup":
                    engine.hangup(cmd["call_id"])
                    emit("reply", cmd="hangup")
                elif cmd["cmd"] == "quit":
                    break
            except Exception as exc:
                emit("reply", cmd=cmd["cmd"], error=f"{type(exc).__name__}: {exc}")
    finally:
        office.stop()
        engine.stop(timeout=10.0)
        emit("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
