"""A JSON-lines subprocess seen from a test: commands on stdin, events on stdout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[3]
PRESENCE_DRIVER = Path(__file__).with_name("presence_driver.py")

Event = dict[str, Any]


class JsonProc:
    """Runs ``argv``; every JSON object printed on stdout lands in :attr:`events`."""

    def __init__(self, argv: Sequence[str], name: str, workdir: Path) -> None:
        self.argv = list(argv)
        self.name = name
        self.stderr_path = workdir / f"{name}.stderr"
        self.events: list[Event] = []
        self.proc: subprocess.Popen[str] | None = None
        self._cv = threading.Condition()

    def start(self) -> Self:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, text=True, env=env, bufsize=1,
                                         start_new_session=True)
        threading.Thread(target=self._read, name=f"{self.name}-out", daemon=True).start()
        return self

    def _read(self) -> None:
        from tests.harness.pipes import lines_then_close

        assert self.proc is not None and self.proc.stdout is not None
        for line in lines_then_close(self.proc.stdout):
            line = line.strip()
            if not line.startswith("{"):
                continue
            with contextlib.suppress(ValueError), self._cv:
                self.events.append(json.loads(line))
                self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, **msg: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def mark(self) -> int:
        with self._cv:
            return len(self.events)

    def wait_for(self, pred: Callable[[Event], bool], timeout: float, after: int = 0,
                 what: str = "event") -> Event:
        """The first event at index >= ``after`` for which ``pred`` is true."""
        deadline = time.monotonic() + timeout
        with self._cv:
            i = after
            while True:
                while i < len(self.events):
                    if pred(self.events[i]):
                        return self.events[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or (not self.running() and i >= len(self.events)):
                    raise TimeoutError(f"{self.name}: no {what} in {timeout} s\n"
                                       f"events: {self.events[-5:]}\n{self.stderr_tail()}")
                self._cv.wait(min(left, 0.1))

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def quit(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.running():
            with contextlib.suppress(OSError):
                self.send(cmd="quit")
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group (``ip netns exec`` and the python under it)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5.0)

    def close(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.TimeoutExpired, OSError, AssertionError):
                self.quit(timeout=10.0)
        self.kill()
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()


def presence_argv(name: str, uri: str, port: int, address: str, ttl: int = 10) -> list[str]:
    return [sys.executable, str(PRESENCE_DRIVER), "--name", name, "--uri", uri,
            "--port", str(port), "--address", address, "--ttl", str(ttl)]
