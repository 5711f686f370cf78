"""An Engine with the real audio backend in its own process, driven by JSON lines.

Like tests/integration/sip/engine_driver.py, plus an ``audio`` section: the driver builds the
backend with ``create_audio_backend(AudioSettings(**audio))`` (PortAudio over whatever JACK
server the environment names) and answers ``audio_stats`` (bridge counters, queue depths, open
streams, the process's CPU seconds) on the SIP thread.

Process side: ``python audio_driver.py SETTINGS_JSON_PATH``; stdin: ``{"id", "cmd", "args"}``
lines; stdout: events ``{"type": "IncomingCall", ...}`` and replies ``{"reply": id,
"result": ...}`` / ``{"reply": id, "error": "...", "error_type": "..."}``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {k: _to_json(v) for k, v in dataclasses.asdict(value).items()}
        return {"type": type(value).__name__, **data}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def _serve(config: dict[str, Any]) -> int:
    from softphone.settings import AccountSettings, AudioSettings, CallSettings, SipSettings
    from softphone.sip.audio import create_audio_backend
    from softphone.sip.engine import Engine

    logging.basicConfig(level=config.get("log_level", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lock = threading.Lock()

    def write(obj: dict[str, Any]) -> None:
        line = json.dumps(obj, default=str)
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def on_event(event: Any) -> None:
        write(_to_json(event))

    calls = dict(config.get("calls", {}))
    if "outcomes" in calls:
        calls["outcomes"] = tuple(calls["outcomes"])
    wait_ms = os.environ.get("SOFTPHONE_BENCH_EVENT_WAIT_MS")  # bench_audio --event-wait-ms
    if wait_ms:
        import softphone.sip.engine as engine_mod

        engine_mod.EVENT_WAIT_MS = int(wait_ms)
    audio = create_audio_backend(AudioSettings(**config.get("audio", {})))
    recordings = config.get("recordings_dir")
    engine = Engine(SipSettings(**config.get("sip", {})),
                    [AccountSettings(**a) for a in config.get("accounts", [])],
                    CallSettings(**calls), on_event, audio=audio,
                    recordings_dir=Path(recordings) if recordings else None)

    def stats() -> dict[str, Any]:
        b: Any = audio
        out: dict[str, Any] = {"backend": type(b).__name__, "reason": b.unavailable_reason,
                               "counters": list(b.bridge_counters())}
        for name in ("buffer_depth_ms", "stream_info", "queue_stats", "voice_state"):
            fn = getattr(b, name, None)
            if fn is not None:
                out[name] = fn()
        for name in ("callback_errors", "device_xruns"):
            out[name] = getattr(b, name, 0)
        # which audio path runs: the C callback (per open call stream), the C bridge port
        streams = getattr(b, "_streams", {})
        port = getattr(getattr(b, "_ports", None), "mic", None)
        out["native"] = {"streams": sorted(r for r, s in streams.items() if s.native is not None),
                         "port": type(port).__name__ == "NativeBridgePort"}
        t = os.times()
        out["cpu"] = t.user + t.system
        return out

    queries: dict[str, Callable[..., Any]] = {
        "audio_stats": lambda: engine.run_on_sip_thread(stats).result(5.0),
        "list_devices": lambda: engine.run_on_sip_thread(audio.list_devices).result(5.0),
        "set_voice_processing": lambda **kw: engine.run_on_sip_thread(
            lambda: audio.set_voice_processing(kw["echo_cancellation"], kw["noise_suppression"],
                                               kw["automatic_gain"], kw["echo_tail_ms"])
        ).result(5.0),
        "set_devices": lambda **kw: engine.run_on_sip_thread(
            lambda: audio.set_devices(kw.get("input"), kw.get("output"), kw.get("ringer"))
        ).result(5.0),
    }
    engine.start(timeout=10.0)
    from softphone.sip.audio.callbacks import name_thread

    engine.run_on_sip_thread(lambda: name_thread(b"sp-sip")).result(5.0)  # for per-thread CPU
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            name, args, rid = req.get("cmd", ""), req.get("args") or {}, req.get("id")
            if name == "quit":
                write({"reply": rid, "result": None})
                break
            try:
                if name in queries:
                    result = queries[name](**args)
                elif name.startswith("_") or not callable(getattr(engine, name, None)):
                    raise AttributeError(f"unknown command {name!r}")
                else:
                    result = getattr(engine, name)(**args)
                write({"reply": rid, "result": _to_json(result)})
            except Exception as exc:
                write({"reply": rid, "error": str(exc) or type(exc).__name__,
                       "error_type": type(exc).__name__})
    finally:
        engine.stop(timeout=10.0)
    return 0


def lan_account(user: str) -> dict[str, Any]:
    """A LAN account: registers nowhere, calls peers directly."""
    return {"name": "LAN", "address": f"sip:{user}@127.0.0.1"}


class AudioEngineProcess:
    """One engine process with real audio, seen from a test (``events``: dicts, ``type``)."""

    script = Path(__file__).resolve()  # the process side; player_driver.py brings its own

    def __init__(self, workdir: Path, *, env: dict[str, str], accounts: list[dict[str, Any]],
                 audio: dict[str, Any] | None = None, calls: dict[str, Any] | None = None,
                 name: str = "engine", log_level: str = "WARNING") -> None:
        self.name = name
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.settings: dict[str, Any] = {
            "sip": {"listen_host": "127.0.0.1", "listen_port": 0, "rtp_port": 0},
            "accounts": accounts, "calls": calls or {},
            # Test tones are steady: exactly what a noise suppressor removes. Tests of the
            # voice processing itself ask for it (test_echo_cancellation.py).
            "audio": {"echo_cancellation": False, "noise_suppression": False, **(audio or {})},
            "recordings_dir": str(self.dir / "recordings"), "log_level": log_level,
        }
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.events: list[dict[str, Any]] = []
        self.stderr_path = self.dir / "stderr.log"
        self._cv = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self._next_id = 0
        self.listen = ""

    def start(self, timeout: float = 15.0) -> AudioEngineProcess:
        path = self.dir / "settings.json"
        path.write_text(json.dumps(self.settings))
        env = dict(self.env, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.script), str(path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                cwd=self.dir, env=env, bufsize=1, start_new_session=True)
        threading.Thread(target=self._read_loop, name=f"{self.name}-out", daemon=True).start()
        try:
            started = self.wait_event("EngineStarted", timeout=timeout)
        except BaseException:
            self.close()
            raise
        self.listen = str(started.get("listen", ""))
        return self

    def _read_loop(self) -> None:
        from tests.harness.pipes import lines_then_close

        assert self.proc is not None and self.proc.stdout is not None
        for line in lines_then_close(self.proc.stdout):
            if not line.startswith("{"):
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cv:
                if "reply" in msg:
                    self._replies[int(msg["reply"] or 0)] = msg
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
        return f"{self.name}: {what}\nevents: {[e.get('type') for e in self.events]}\n{tail}"

    def cmd(self, name: str, timeout: float = 10.0, **args: Any) -> Any:
        assert self.proc is not None and self.proc.stdin is not None
        with self._cv:
            self._next_id += 1
            rid = self._next_id
        self.proc.stdin.write(json.dumps({"id": rid, "cmd": name, "args": args}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        with self._cv:
            while rid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    raise TimeoutError(self._explain(f"no reply to {name} in {timeout} s"))
                self._cv.wait(min(left, 0.1))
            reply = self._replies.pop(rid)
        if "error" in reply:
            raise RuntimeError(f"{reply.get('error_type')}: {reply['error']}")
        return reply.get("result")

    def mark(self) -> int:
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
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                found = self.find(type_, after, **match)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    raise TimeoutError(self._explain(f"no {type_} {match} in {timeout} s"))
                self._cv.wait(min(left, 0.1))

    def wait_state(self, call_id: int, state: str, timeout: float = 10.0,
                   after: int = 0) -> dict[str, Any]:
        return self.wait_event("CallStateChanged", timeout, after, call_id=call_id, state=state)

    def close(self, timeout: float = 15.0) -> None:
        """Finalizer: polite quit (the engine stops in order), then kill."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None and proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.write(json.dumps({"id": 0, "cmd": "quit"}) + "\n")
                proc.stdin.flush()
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
        elif proc.poll() is None:
            proc.kill()
            proc.wait(5.0)
        if proc.stdin is not None:  # also when the child had died before: no pipe left open
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(_serve(json.loads(Path(sys.argv[1]).read_text())))
