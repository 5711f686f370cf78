"""Engines in their own processes (one pj.Endpoint per process), as the real-peer tests use them.

A thin layer over the engine helper's ``engine_driver.EngineProcess``: it builds the driver's
JSON config from account dicts (``tone_hz``: the driver's test microphone plays a sine),
keeps each process's stderr in the test's temp dir, and adds the helpers these tests need
(call states, timed commands, quit/SIGTERM with the exit code).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness.sip_peers import PASSWORD, Kamailio
from tests.integration.sip.engine_driver import DriverError
from tests.integration.sip.engine_driver import EngineProcess as DriverProcess

__all__ = ["DriverError", "EngineFactory", "EngineProcess", "kamailio_account", "lan_account"]


def kamailio_account(k: Kamailio, user: str, password: str = PASSWORD,
                     **extra: Any) -> dict[str, Any]:
    """AccountSettings fields for ``user`` registering with ``k`` (digest auth)."""
    return {"name": user, "address": k.aor(user), "registrar": k.uri, "username": user,
            "password": password, "register_expires": 300, **extra}


def lan_account(user: str = "alice") -> dict[str, Any]:
    """A LAN account: registers nowhere, calls peers directly."""
    return {"name": "LAN", "address": f"sip:{user}@127.0.0.1"}


class EngineProcess(DriverProcess):
    """One phone process. ``events`` are dicts with the event class name under ``"event"``."""

    def __init__(self, workdir: Path, *, accounts: list[dict[str, Any]],
                 sip: dict[str, Any] | None = None, calls: dict[str, Any] | None = None,
                 tone_hz: int | None = None, name: str = "engine",
                 log_level: str = "INFO", codecs: list[str] | None = None) -> None:
        self.name = name
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "sip": {"listen_host": "127.0.0.1", "listen_port": 0, "rtp_port": 0, **(sip or {})},
            "accounts": accounts,
            "calls": calls or {},
            "recordings_dir": str(self.dir / "recordings"),
            "log_level": log_level,
        }
        if codecs:
            config["codecs"] = codecs  # [audio] codecs: the order codecs are offered in
        if tone_hz:
            config["tone_hz"] = tone_hz  # the driver's test backend: a sine as microphone
        super().__init__(config, stderr_path=self.dir / "stderr.log")

    # --- life ------------------------------------------------------------------------------
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        try:
            return (self.dir / "stderr.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def quit_with_code(self, timeout: float = 15.0) -> int:
        """The driver's normal shutdown (``quit``: Engine.stop) and the process's exit code."""
        code = self.close(timeout)
        assert code is not None
        return code

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM; returns the exit code (the process is reaped)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.close(timeout)

    # --- commands and events ---------------------------------------------------------------
    def timed(self, cmd: str, **args: Any) -> tuple[Any, float]:
        """(result, seconds the round trip took) of one command."""
        t0 = time.perf_counter()
        result = self.command(cmd, **args)
        return result, time.perf_counter() - t0

    def find(self, kind: str, **fields: Any) -> dict[str, Any] | None:
        found = self.find_events(kind, **fields)
        return found[0] if found else None

    def wait_state(self, call_id: int, state: str, timeout: float = 10.0, since: int = 0,
                   **fields: Any) -> dict[str, Any]:
        """The first CallStateChanged of ``call_id`` into ``state`` (from index ``since``)."""
        return self.wait_event("CallStateChanged", timeout, since, call_id=call_id,
                               state=state, **fields)

    def explain(self) -> str:
        """Events and stderr tail, for assertion messages."""
        tail = "\n".join(self.stderr().splitlines()[-30:])
        return f"{self.name} events: {[e.get('event') for e in self.events]}\n{tail}"


#: ``make_engine(name, accounts=[...], calls={...}, tone_hz=...)`` (fixture in conftest.py)
EngineFactory = Callable[..., EngineProcess]
