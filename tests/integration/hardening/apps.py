"""Test side of the hardening tests: profiles on disk, the app runner process, the real GUI app.

``AppProcess`` starts ``app_runner.py`` (the real app composition in its own process) and runs
snippets on its GUI thread; ``GuiApp`` starts the installed ``softphone`` entry point itself.
Both are killed in the fixtures' finalizers whatever the test did.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomlkit

from softphone.settings import Settings, save_settings, settings_path

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["SOFTPHONE_KEYRING"] = "file"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SOFTPHONE_PROFILE", None)
    return env


def write_profile(profile: Path, settings: Settings,
                  passwords: dict[str, str] | None = None) -> None:
    """``softphone.toml`` as an admin provisions it: passwords in the file (the app moves them
    to the keyring fallback at first start and strips them from the file)."""
    profile.mkdir(parents=True, exist_ok=True)
    save_settings(profile, settings)
    if passwords:
        path = settings_path(profile)
        doc = tomlkit.parse(path.read_text("utf-8"))
        for table in doc.get("accounts", []):
            if table.get("name") in passwords:
                table["password"] = passwords[str(table["name"])]
        path.write_text(tomlkit.dumps(doc), "utf-8")


class RunnerError(AssertionError):
    pass


class AppProcess:
    """``app_runner.py PROFILE``: the whole app, commanded with Python snippets."""

    def __init__(self, profile: Path, name: str = "app",
                 env: dict[str, str] | None = None) -> None:
        self.profile = profile
        self.name = name
        self.env = env  # the process environment; app_env() (offscreen) when None
        self.stderr_path = profile.parent / f"{name}-{profile.name}.stderr"
        self.proc: subprocess.Popen[str] | None = None
        self._replies: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._next = 0
        self.ready: dict[str, Any] = {}
        self._ready = threading.Event()
        self._lines: queue.Queue[str] = queue.Queue()

    def start(self, timeout: float = 30.0) -> AppProcess:
        err = self.stderr_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.hardening.app_runner", str(self.profile)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
            cwd=ROOT, env=self.env or app_env(), bufsize=1)
        err.close()
        threading.Thread(target=self._read, daemon=True, name=f"{self.name}-reader").start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if not self.running() or time.monotonic() > deadline:
                break
        if not self._ready.is_set():
            if self.running():
                assert self.proc is not None
                self.proc.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack
                threading.Event().wait(1.0)  # time to write the stacks
            self.kill()
            raise RunnerError(f"{self.name} did not start:\n{self.stderr_tail(120)}")
        return self

    def _read(self) -> None:
        from tests.harness.pipes import lines_then_close

        assert self.proc is not None and self.proc.stdout is not None
        for line in lines_then_close(self.proc.stdout):
            try:
                msg = json.loads(line[line.find("{"):])
            except ValueError:
                continue
            if "ready" in msg:
                self.ready = msg
                self._ready.set()
            elif msg.get("reply") is not None:
                with self._cond:
                    self._replies[int(msg["reply"])] = msg
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def run(self, code: str, timeout: float = 10.0) -> Any:
        """Execute ``code`` on the app's GUI thread; returns what it put in ``result``."""
        assert self.proc is not None and self.proc.stdin is not None
        with self._cond:
            self._next += 1
            ident = self._next
        self.proc.stdin.write(json.dumps({"id": ident, "code": code}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    raise RunnerError(f"{self.name}: no reply to {code!r} in {timeout} s "
                                      f"(running={self.running()})\n{self.stderr_tail()}")
                self._cond.wait(min(left, 0.5))
            msg = self._replies.pop(ident)
        if not msg["ok"]:
            raise RunnerError(f"{self.name}: {msg['error']}\n{msg.get('trace', '')}")
        return msg["result"]

    def wait(self, code: str, timeout: float, what: str, step: float = 0.05) -> Any:
        """Run ``code`` until its ``result`` is truthy; returns that result."""
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while True:
            result = self.run(code)
            if result:
                return result
            if time.monotonic() > deadline:
                raise RunnerError(f"{self.name}: timed out after {timeout} s waiting for {what}; "
                                  f"last result {result!r}\n{self.stderr_tail()}")
            pause.wait(step)

    def registration(self, account: str) -> str | None:
        return self.run(  # type: ignore[no-any-return]
            f"r = engine.registration({account!r})\n"
            "result = None if r is None else str(r.state.value if hasattr(r.state, 'value') "
            "else r.state)")

    def stall_reset(self) -> None:
        self.run("meter.reset()")

    def stall_ms(self) -> float:
        return float(self.run("result = meter.max_ms"))

    def stalls(self) -> list[tuple[float, float]]:
        """(wall time, ms) of every event-loop gap over 5 ms since the last reset."""
        return [(float(t), float(ms)) for t, ms in self.run("result = meter.stalls")]

    def kill9(self) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def kill(self) -> None:
        self.kill9()

    def close(self, timeout: float = 20.0) -> int | None:
        """Normal quit (shutdown of every part); SIGKILL if it does not end in ``timeout``."""
        if self.proc is None:
            return None
        if self.running():
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        if self.proc.stdin is not None and not self.proc.stdin.closed:  # killed before
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        return self.proc.returncode


class GuiApp:
    """The installed ``softphone --profile P`` GUI entry point (offscreen), as a user runs it."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> GuiApp:
        from softphone.ipc import is_running

        exe = VENV_BIN / "softphone"
        argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "softphone"]
        log = (self.profile.parent / f"gui-{self.profile.name}.stderr").open("ab")
        self.proc = subprocess.Popen([*argv, "--profile", str(self.profile)], cwd=ROOT,
                                     env=app_env(), stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        wait_for(lambda: is_running(self.profile, 0.5), timeout, "the GUI app's IPC server",
                 alive=self.running)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self, command: str, *args: str) -> str:
        from softphone.ipc import request

        reply = request(self.profile, command, list(args), timeout=5.0)
        assert reply is not None, "the GUI app is not running"
        assert reply.ok, reply.message
        return reply.message

    def kill9(self) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str,
             alive: Callable[[], bool] | None = None, step: float = 0.05) -> Any:
    """Poll ``predicate`` (an Event-timed wait, not a sleep) until truthy or ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if alive is not None and not alive():
            raise AssertionError(f"the process died while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(step)


class LoadMeter:
    """The same 10 ms tick in a thread of the test process: how much the machine itself (2
    cores shared with other test sessions) delays a ready thread. An app stall that this
    meter saw at the same moment is the machine's, not the app's."""

    def __init__(self) -> None:
        self.stalls: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="load-meter")
        self._thread.start()

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(0.01):
            now = time.perf_counter()
            gap = (now - last) * 1000.0 - 10.0
            last = now
            if gap > 40.0:
                self.stalls.append((time.time(), gap))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)

    def explains(self, at: float, ms: float) -> bool:
        """The machine stalled too (at least half as long) around wall time ``at``."""
        window = ms / 1000.0 + 0.3
        return any(abs(t - at) <= window and m >= ms / 2 for t, m in self.stalls)


def stall_report(app_stalls: list[tuple[float, float]], load: LoadMeter
                 ) -> tuple[float, float, int]:
    """(max stall, max stall the machine does not explain, stalls over 40 ms)."""
    worst = max((ms for _t, ms in app_stalls), default=0.0)
    own = max((ms for t, ms in app_stalls if not load.explains(t, ms)), default=0.0)
    return worst, own, sum(1 for _t, ms in app_stalls if ms > 40.0)
