"""Run one softphone SIP Engine in its own process, driven by JSON lines.

Only one pjsua2 Endpoint may exist per process, so tests that need several phones run each
in a subprocess of this script.

Process side (``python engine_driver.py CONFIG`` where CONFIG is a JSON file or JSON text)::

    {"sip": {SipSettings fields}, "accounts": [{AccountSettings fields}],
     "calls": {CallSettings fields}, "recordings_dir": "/path" | null,
     "log_level": "WARNING",
     "tone_hz": 1000,     # optional: the "microphone" is a sine tone (a test audio backend)
     "crm_profile": "/path"}  # optional: the call workflow logs calls in a real SQLite store
                              # there ("call_log" returns its rows, newest first)

    stdin : one command per line: {"id": 1, "cmd": "dial", "args": {"target": "..."}}
            ``cmd`` is any public Engine method (dial, answer, hold, send_dtmf, ...) plus
            "listen_address", "registration", "active_calls", "call_quality" and "quit".
            Dataclass-valued arguments are given as objects (set_call_settings: {"calls":
            {...}}, set_accounts: {"accounts": [{...}]}); paths as strings.
    stdout: every event as {"event": "IncomingCall", "type": "IncomingCall", ...fields}, and
            every command's reply as {"reply": 1, "ok": true, "result": ...} or
            {"reply": 1, "ok": false, "error": "message", "error_type": "InvalidTarget"}.
    EOF on stdin or SIGTERM stops the engine cleanly (exit status 0).

Test side: :class:`EngineProcess` starts the script and waits on events with timeouts.
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


# ---------------------------------------------------------------------------------------------
# Process side


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


def _tone_backend(hz: float) -> Any:
    """An audio backend whose microphone is a continuous sine tone (pjsua2 ToneGenerator)."""
    import pjsua2 as pj

    from softphone.sip.media_api import NullAudioBackend

    class ToneAudioBackend(NullAudioBackend):
        def __init__(self) -> None:
            self.tone: Any = None

        def start(self, endpoint: Any, emit: Any) -> None:
            tone = pj.ToneGenerator()
            tone.createToneGenerator(16000, 1)
            desc = pj.ToneDesc()
            desc.freq1 = int(hz)
            desc.freq2 = 0
            desc.on_msec = 30000  # a C short: loops every 30 s
            desc.off_msec = 0
            desc.volume = 8000  # quiet enough that three mixed tones never clip
            descs = pj.ToneDescVector()
            descs.append(desc)
            tone.play(descs, True)
            self.tone = tone

        def stop(self) -> None:
            self.tone = None

        def connect_call(self, call_id: int, call_media: Any) -> None:
            if self.tone is not None:
                self.tone.startTransmit(call_media)

        def local_source(self) -> Any:
            return self.tone

    return ToneAudioBackend()


def _wav_backend(path: str) -> Any:
    """An audio backend whose microphone is a WAV file, played once from the moment a call's
    media is connected (bench/bench_voice.py: speech into a real call)."""
    import pjsua2 as pj

    from softphone.sip.media_api import NullAudioBackend

    class WavAudioBackend(NullAudioBackend):
        def __init__(self) -> None:
            self.players: dict[int, Any] = {}

        def stop(self) -> None:
            self.players.clear()

        def connect_call(self, call_id: int, call_media: Any) -> None:
            player = self.players.get(call_id)
            if player is None:  # each call hears the file from its start
                player = pj.AudioMediaPlayer()
                player.createPlayer(path, pj.PJMEDIA_FILE_NO_LOOP)
                self.players[call_id] = player
            player.startTransmit(call_media)

        def disconnect_call(self, call_id: int, call_media: Any | None) -> None:
            self.players.pop(call_id, None)

        def local_source(self) -> Any:
            return next(iter(self.players.values()), None)

    return WavAudioBackend()


class _Terminated(Exception):
    pass


def _opus_counts() -> dict[str, int]:
    """Our Opus codec's process-wide figures (bench_voice.py): lost frames rebuilt from FEC,
    concealed, and the loss the encoder plans its FEC for now (-1: the default, none
    reported)."""
    from softphone.sip.audio import _opus  # type: ignore[attr-defined]
    from softphone.sip.codecs import reported_loss

    fec, plc = _opus.ffi.new("unsigned long long *"), _opus.ffi.new("unsigned long long *")
    _opus.lib.sp_opus_loss_counts(fec, plc)
    return {"fec": int(fec[0]), "plc": int(plc[0]),
            "planned": -1 if reported_loss.applied is None else int(reported_loss.applied)}


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def _serve(config: dict[str, Any]) -> int:
    sys.path.insert(0, str(ROOT))
    import signal

    from softphone.settings import AccountSettings, CallSettings, SipSettings
    from softphone.sip.engine import Engine

    signal.signal(signal.SIGTERM, _on_sigterm)

    logging.basicConfig(
        level=config.get("log_level", "WARNING"), stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    out_lock = threading.Lock()
    real_stdout = sys.stdout

    def write(obj: dict[str, Any]) -> None:
        line = json.dumps(obj, default=str)
        with out_lock:
            real_stdout.write(line + "\n")
            real_stdout.flush()

    call_log = _call_log(config["crm_profile"]) if config.get("crm_profile") else None

    def on_event(event: Any) -> None:
        data = _to_json(event)
        data["event"] = data["type"]
        write(data)
        if call_log is not None:
            call_log.events.put(event)

    def calls_from(obj: dict[str, Any]) -> CallSettings:
        if "outcomes" in obj:
            obj = {**obj, "outcomes": tuple(obj["outcomes"])}
        return CallSettings(**obj)

    accounts = [AccountSettings(**a) for a in config.get("accounts", [])]
    recordings = config.get("recordings_dir")
    engine = Engine(
        SipSettings(**config.get("sip", {})), accounts, calls_from(config.get("calls", {})),
        on_event, recordings_dir=Path(recordings) if recordings else None,
        audio=(_tone_backend(float(config["tone_hz"])) if config.get("tone_hz")
               else _wav_backend(config["wav_source"]) if config.get("wav_source") else None),
        codecs=config.get("codecs"),
    )
    try:
        engine.start(timeout=float(config.get("start_timeout", 10.0)))
    except Exception as exc:
        write({"event": "DriverStartFailed", "type": "DriverStartFailed",
               "error_type": type(exc).__name__, "error": str(exc)})
        return 2

    converters: dict[str, Callable[[Any], Any]] = {
        "calls": calls_from,
        "accounts": lambda items: [AccountSettings(**a) for a in items],
        "path": lambda p: Path(p) if p else None,
    }
    queries: dict[str, Callable[..., Any]] = {
        "listen_address": lambda: engine.listen_address,
        # Settings > Accounts > Test: the probe's answer (waits for it)
        "test_account_result": lambda account, timeout=30.0: engine.test_account(
            AccountSettings(**account)).result(timeout),
    }
    queries["opus_counts"] = _opus_counts
    if call_log is not None:
        queries["call_log"] = call_log.rows
        queries["workflow_updates"] = lambda: list(call_log.updates)
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            request = json.loads(line)
            name = request.get("cmd", "")
            args = {k: converters[k](v) if k in converters else v
                    for k, v in (request.get("args") or {}).items()}
            if name == "quit":
                write({"reply": request.get("id"), "ok": True, "result": None})
                break
            try:
                if name in queries:
                    result = queries[name](**args)
                elif name.startswith("_") or not callable(getattr(engine, name, None)):
                    raise AttributeError(f"unknown command {name!r}")
                else:
                    result = getattr(engine, name)(**args)
                write({"reply": request.get("id"), "ok": True, "result": _to_json(result)})
            except Exception as exc:
                write({"reply": request.get("id"), "ok": False, "error": str(exc) or repr(exc),
                       "error_type": type(exc).__name__})
    except _Terminated:
        pass
    finally:
        engine.stop(timeout=10.0)
        if call_log is not None:
            call_log.close()
    return 0


class _CallLog:
    """The app's call workflow on its own thread, logging into a real SQLite store."""

    def __init__(self, profile: Path) -> None:
        import queue

        from softphone.crm.store import Store
        from softphone.workflow import CallWorkflow
        from softphone.workflow_ports import SyncDbRunner

        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: (update type, call_id) of every workflow update: a CallChanged of an incoming
        #: call is what pops the caller card in the app
        self.updates: list[tuple[str, int | None]] = []
        self.store = Store.open(None, profile, "US", "lab")
        self.workflow = CallWorkflow(SyncDbRunner(self.store), self._on_update)
        self._thread = threading.Thread(target=self._run, name="call log", daemon=True)
        self._thread.start()

    def _on_update(self, update: Any) -> None:
        call = getattr(update, "call", None)
        self.updates.append((type(update).__name__, call.call_id if call else None))

    def _run(self) -> None:
        while True:
            event = self.events.get()
            if event is None:
                return
            if isinstance(event, _Marker):
                event.done.set()
                continue
            try:
                self.workflow.on_sip_event(event)
            except Exception:
                logging.getLogger("driver").exception("workflow failed")

    def rows(self) -> list[dict[str, Any]]:
        """Every call the store logged (newest first), once the events so far are handled."""
        done = threading.Event()
        self.events.put(_Marker(done))
        done.wait(10.0)
        return [_to_json(c) for c in self.store.list_calls(limit=100)]

    def close(self) -> None:
        self.events.put(None)
        self._thread.join(10.0)
        self.store.close()


class _Marker:
    """Queued behind the events: the workflow has handled everything before it."""

    def __init__(self, done: threading.Event) -> None:
        self.done = done


def _call_log(profile: str) -> _CallLog:
    Path(profile).mkdir(parents=True, exist_ok=True)
    return _CallLog(Path(profile))


# ---------------------------------------------------------------------------------------------
# Test side


class DriverError(Exception):
    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message


class EngineProcess:
    """A phone in a subprocess. ``events`` holds every event received so far, in order."""

    def __init__(self, config: dict[str, Any], *, stderr_path: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.config = config
        self.extra_env = env or {}
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._stderr_path = stderr_path
        self._stderr_file: Any = None
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self.listen = ""
        #: run the driver under this command (e.g. ``ip netns exec NS``: a network lab)
        self.command_prefix: list[str] = []

    def start(self, timeout: float = 15.0) -> EngineProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(self.extra_env)
        self._stderr_file = open(self._stderr_path, "w") if self._stderr_path else None  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*self.command_prefix, sys.executable, str(Path(__file__).resolve()),
             json.dumps(self.config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr_file if self._stderr_file else subprocess.DEVNULL,
            text=True, bufsize=1, env=env, cwd=str(ROOT),
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        started = self.wait_for(lambda e: e["event"] in ("EngineStarted", "DriverStartFailed"),
                                timeout, "EngineStarted")
        if started["event"] == "DriverStartFailed":
            self.close()
            raise DriverError(started["error_type"], started["error"])
        self.listen = started["listen"]
        return self

    def _read(self) -> None:
        from tests.harness.pipes import lines_then_close

        assert self.proc is not None and self.proc.stdout is not None
        for line in lines_then_close(self.proc.stdout):
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            with self._cond:
                if "reply" in data:
                    self._replies[data["reply"]] = data
                else:
                    self.events.append(data)
                self._cond.notify_all()
        with self._cond:
            self.events.append({"event": "DriverExited"})
            self._cond.notify_all()

    def command(self, cmd: str, timeout: float = 5.0, **args: Any) -> Any:
        """Run an Engine method in the process; raises DriverError with its exception."""
        assert self.proc is not None and self.proc.stdin is not None
        with self._cond:
            self._next_id += 1
            request_id = self._next_id
        self.proc.stdin.write(json.dumps({"id": request_id, "cmd": cmd, "args": args}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        with self._cond:
            while request_id not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no reply to {cmd} within {timeout} s")
                self._cond.wait(left)
            reply = self._replies.pop(request_id)
        if not reply["ok"]:
            raise DriverError(reply["error_type"], reply["error"])
        return reply["result"]

    def mark(self) -> int:
        """The number of events so far: pass as ``since`` to wait only for newer ones."""
        with self._cond:
            return len(self.events)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0,
                 what: str = "event", since: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                while index < len(self.events):
                    event = self.events[index]
                    index += 1
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    kinds = [e.get("event") for e in self.events[since:]][-30:]
                    raise TimeoutError(f"no {what} within {timeout} s; saw {kinds}")
                self._cond.wait(left)

    def wait_event(self, kind: str, timeout: float = 10.0, since: int = 0,
                   **fields: Any) -> dict[str, Any]:
        """The first event of type ``kind`` (from index ``since``) whose fields match."""
        def match(e: dict[str, Any]) -> bool:
            return e.get("event") == kind and all(e.get(k) == v for k, v in fields.items())
        return self.wait_for(match, timeout, f"{kind} {fields}", since)

    def find_events(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("event") == kind
                    and all(e.get(k) == v for k, v in fields.items())]

    def close(self, timeout: float = 15.0) -> int | None:
        """Stop the engine (orderly) and reap the process; kills it if it hangs."""
        proc = self.proc
        if proc is None:
            return None
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(json.dumps({"id": 0, "cmd": "quit"}) + "\n")
                proc.stdin.flush()
                proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        if proc.stdin is not None:  # also when the child had died before: no pipe left open
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
        self.proc = None
        return code

    def __enter__(self) -> EngineProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load_config(arg: str) -> dict[str, Any]:
    text = arg if arg.lstrip().startswith("{") else Path(arg).read_text("utf-8")
    config: dict[str, Any] = json.loads(text)
    return config


if __name__ == "__main__":
    sys.exit(_serve(_load_config(sys.argv[1])))
