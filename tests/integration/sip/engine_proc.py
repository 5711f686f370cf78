"""An Engine in its own process (one pj.Endpoint per process), seen from a test.

:class:`EngineProcess` starts ``tests/integration/sip/engine_driver.py`` (the engine helper's
driver) with JSON settings, sends JSON-line commands on its stdin and collects the JSON-line
events it prints on stdout. Each test may run several, so several engines can call each other.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.harness.sip_peers import PASSWORD, Kamailio

ROOT = Path(__file__).resolve().parents[3]
DRIVER = Path(__file__).with_name("engine_driver.py")


def kamailio_account(k: Kamailio, user: str, password: str = PASSWORD,
                     **extra: Any) -> dict[str, Any]:
    """AccountSettings fields for ``user`` registering with ``k`` (digest auth)."""
    return {"name": user, "address": k.aor(user), "registrar": k.uri, "username": user,
            "password": password, "register_expires": 300, **extra}


def lan_account(user: str = "alice") -> dict[str, Any]:
    """A LAN account: registers nowhere, calls peers directly."""
    return {"name": "LAN", "address": f"sip:{user}@127.0.0.1"}


class CommandFailed(RuntimeError):
    """A command the engine refused; ``kind`` is the exception's class name (InvalidTarget)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class EngineProcess:
    """One engine process; ``events`` holds every event dict seen (``type`` = class name)."""

    def __init__(self, workdir: Path, *, accounts: list[dict[str, Any]],
                 sip: dict[str, Any] | None = None, calls: dict[str, Any] | None = None,
                 options: dict[str, Any] | None = None, name: str = "engine") -> None:
        self.name = name
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.settings = {
            "sip": {"listen_host": "127.0.0.1", "listen_port": 0, "rtp_port": 0, **(sip or {})},
            "accounts": accounts,
            "calls": calls or {},
            "recordings_dir": str(self.dir / "recordings"),
            **(options or {}),
        }
        self.proc: subprocess.Popen[str] | None = None
        self.events: list[dict[str, Any]] = []
        self.stderr_path = self.dir / "stderr.log"
        self._cv = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self._next_id = 0
        self._reader: threading.Thread | None = None
        self.listen = ""

    # --- life ------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> Self:
        path = self.dir / "settings.json"
        path.write_text(json.dumps(self.settings))
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(DRIVER), str(path)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err, text=True, cwd=self.dir, env=env,
                bufsize=1, start_new_session=True,
            )
        self._reader = threading.Thread(target=self._read_loop, name=f"{self.name}-out",
                                        daemon=True)
        self._reader.start()
        try:
            started = self.wait_event("EngineStarted", timeout=timeout)
        except BaseException:
            self.kill()
            raise
        self.listen = str(started.get("listen", ""))
        return self

    def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cv:
                if "reply" in msg:
                    self._replies[int(msg["reply"])] = msg
                else:
                    self.events.append(msg)
                self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _explain(self, what: str) -> str:
        tail = "\n".join(self.stderr().splitlines()[-30:])
        seen = [e.get("type") for e in self.events]
        return f"{self.name}: {what}\nevents: {seen}\n--- stderr tail ---\n{tail}"

    def quit(self, timeout: float = 10.0) -> int:
        """Ask the driver to stop the engine and exit; returns the exit code."""
        assert self.proc is not None
        if self.running():
            with contextlib.suppress(OSError):
                self._send({"cmd": "quit"})
        return self.proc.wait(timeout)

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, as a desktop session does at logout; returns the exit code."""
        assert self.proc is not None
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5.0)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def close(self) -> None:
        """Finalizer: polite quit, then kill."""
        if self.running():
            with contextlib.suppress(subprocess.TimeoutExpired, OSError, AssertionError):
                self.quit(timeout=10.0)
        self.kill()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- commands --------------------------------------------------------------------------
    def _send(self, msg: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def cmd(self, name: str, timeout: float = 5.0, **args: Any) -> Any:
        """Run an Engine method in the driver; return its result or raise CommandFailed."""
        with self._cv:
            self._next_id += 1
            rid = self._next_id
        self._send({"id": rid, "cmd": name, "args": args})
        deadline = time.monotonic() + timeout
        with self._cv:
            while rid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    raise TimeoutError(self._explain(f"no reply to {name} in {timeout} s"))
                self._cv.wait(min(left, 0.1))
            reply = self._replies.pop(rid)
        if reply.get("error"):
            raise CommandFailed(str(reply.get("error_type", "Error")), str(reply["error"]))
        return reply.get("result")

    def timed_cmd(self, name: str, **args: Any) -> tuple[Any, float]:
        """(result, seconds the round trip took) of one command."""
        t0 = time.perf_counter()
        result = self.cmd(name, **args)
        return result, time.perf_counter() - t0

    # --- events ----------------------------------------------------------------------------
    def mark(self) -> int:
        """Index of the next event: pass as ``after`` to wait only for what comes next."""
        with self._cv:
            return len(self.events)

    def find(self, type_: str, after: int = 0, **match: Any) -> dict[str, Any] | None:
        with self._cv:
            for ev in self.events[after:]:
                if ev.get("type") == type_ and all(ev.get(k) == v for k, v in match.items()):
                    return ev
        return None

    def wait_event(self, type_: str, timeout: float = 10.0, after: int = 0,
                   **match: Any) -> dict[str, Any]:
        """The first event ``type_`` at index >= ``after`` whose fields equal ``match``."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                found = self.find(type_, after, **match)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    raise TimeoutError(self._explain(
                        f"no {type_} {match or ''} in {timeout} s (after #{after})"))
                self._cv.wait(min(left, 0.1))

    def wait_state(self, call_id: int, state: str, timeout: float = 10.0,
                   after: int = 0, **match: Any) -> dict[str, Any]:
        return self.wait_event("CallStateChanged", timeout, after, call_id=call_id,
                               state=state, **match)


#: ``make_engine(name, accounts=[...], calls={...}, options={...})`` (fixture in conftest.py)
EngineFactory = Callable[..., EngineProcess]
