"""Real audio without a sound card: a JACK dummy server and a harness JACK client.

* :class:`JackServer`: ``jackd --no-realtime -d dummy -r 48000 -p 960`` under a unique server
  name (so test sessions run beside each other and beside a running app). ``env()`` gives the
  variables a client needs (``JACK_DEFAULT_SERVER``, ``JACK_NO_START_SERVER``); ``ports()``,
  ``connect()`` and ``wait_ports()`` use the jack tools.
* :class:`JackHarness`: a Python JACK client in a subprocess (PortAudio through sounddevice,
  JACK client name ``harness``): one output port ``harness:out_0`` that plays a sine tone and
  ``inputs`` input ports ``harness:in_0..`` that record. ``snap(seconds)`` returns the next
  ``seconds`` of what each input heard (numpy array, shape (frames, inputs)).

The app's PortAudio streams appear as ``softphone:in_N`` / ``softphone:out_N`` (see
softphone/sip/audio/devices.py): N counts up over every stream the process opened.

Run as a script, this file *is* the harness client (``python jack.py client ...``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

RATE = 48000
PERIOD = 960


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f} s waiting for {what}")
        threading.Event().wait(0.02)


class JackServer:
    """A JACK dummy server (48 kHz, 20 ms periods) under a name no live server uses.

    JACK keeps up to 8 servers in a registry in /dev/shm and only reclaims the entry of a dead
    server when a server *of the same name* starts again, so names come from a small pool
    (``sp-jack-0`` .. ``sp-jack-7``): a name in use by a live server is skipped, a stale one is
    reused. Without ``name`` the first free pool name is taken.
    """

    POOL = tuple(f"sp-jack-{i}" for i in range(8))

    def __init__(self, name: str | None = None, workdir: Path | None = None) -> None:
        self.fixed_name = name
        self.name = name or self.POOL[0]
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="jack-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env.update(JACK_DEFAULT_SERVER=self.name, JACK_NO_START_SERVER="1",
                   JACK_NO_AUDIO_RESERVATION="1")
        return env

    def _tool(self, *argv: str, timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), env=self.env(), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def start(self, timeout: float = 10.0) -> Self:
        names = [self.fixed_name] if self.fixed_name else list(self.POOL)
        errors = []
        for name in names:
            self.name = name
            if self._try_start(timeout):
                return self
            errors.append(f"{name}: {self.log()[-300:]}")
        raise RuntimeError("no JACK server could start:\n" + "\n".join(errors))

    def _try_start(self, timeout: float) -> bool:
        log = open(self.dir / "jackd.log", "wb")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            ["jackd", "--no-realtime", "-n", self.name, "-d", "dummy", "-r", str(RATE),
             "-p", str(PERIOD), "-C", "2", "-P", "2"],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        try:
            _wait(lambda: self.proc is not None and (self.proc.poll() is not None
                                                    or "system:playback_1" in self.ports()),
                  timeout, f"jackd {self.name}")
        except BaseException:
            self.stop()
            raise
        if self.proc.poll() is None:
            return True
        self.proc = None
        return False

    def log(self) -> str:
        try:
            return (self.dir / "jackd.log").read_text(errors="replace")
        except OSError:
            return ""

    def ports(self) -> list[str]:
        try:
            out = self._tool("jack_lsp").stdout
        except (OSError, subprocess.TimeoutExpired):
            return []
        return [line.strip() for line in out.splitlines() if line.strip()]

    def connections(self) -> dict[str, list[str]]:
        out = self._tool("jack_lsp", "-c").stdout
        result: dict[str, list[str]] = {}
        current = ""
        for line in out.splitlines():
            if line.startswith((" ", "\t")):
                result.setdefault(current, []).append(line.strip())
            elif line.strip():
                current = line.strip()
                result.setdefault(current, [])
        return result

    def connect(self, source: str, sink: str) -> None:
        r = self._tool("jack_connect", source, sink)
        if r.returncode != 0 and "already" not in (r.stderr + r.stdout):
            raise RuntimeError(f"jack_connect {source} {sink}: {r.stderr.strip()}")

    def wait_ports(self, prefix: str, count: int = 1, timeout: float = 10.0,
                   exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Wait until at least ``count`` ports starting with ``prefix`` (not in ``exclude``)."""
        def found() -> list[str]:
            ports = [p for p in self.ports() if p.startswith(prefix) and p not in exclude]
            return ports if len(ports) >= count else []
        return list(_wait(found, timeout, f"{count} JACK port(s) {prefix}*"))

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
        self.proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class JackHarness:
    """The test's own JACK client (subprocess): plays a tone, records its inputs."""

    def __init__(self, server: JackServer, inputs: int = 2, tone_hz: float = 1000.0,
                 level: float = 0.3, name: str = "harness") -> None:
        self.server = server
        self.inputs = inputs
        self.tone_hz = tone_hz
        self.level = level
        self.name = name
        self.out_port = f"{name}:out_0"
        self.in_ports = [f"{name}:in_{i}" for i in range(inputs)]
        self.proc: subprocess.Popen[str] | None = None
        self._n = 0

    def start(self, timeout: float = 10.0) -> Self:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "client", self.name,
             str(self.inputs), str(self.tone_hz), str(self.level)],
            env=self.server.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1, start_new_session=True)
        try:
            ready = self._reply(timeout)
            if not ready.get("ready"):
                raise RuntimeError(f"harness failed: {ready}")
            self.server.wait_ports(f"{self.name}:", 1 + self.inputs, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _reply(self, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        if not box or not box[0]:
            err = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                err = self.proc.stderr.read()[-2000:]
            raise TimeoutError(f"no answer from the JACK harness in {timeout} s {err}")
        return dict(json.loads(box[0]))

    def _ask(self, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        return self._reply(timeout)

    def set_tone(self, hz: float, level: float | None = None) -> None:
        self._ask({"cmd": "tone", "hz": hz, "level": self.level if level is None else level},
                  5.0)

    def snap(self, seconds: float) -> Any:
        """The next ``seconds`` of audio on every input: float array (frames, inputs)."""
        import numpy as np

        self._n += 1
        path = Path(tempfile.gettempdir()) / f"harness-{os.getpid()}-{id(self)}-{self._n}.npy"
        try:
            reply = self._ask({"cmd": "snap", "seconds": seconds, "path": str(path)},
                              seconds + 10.0)
            if not reply.get("ok"):
                raise RuntimeError(f"harness snap failed: {reply}")
            return np.load(path)
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # EOF: the client closes its streams and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2.0)
        if proc.poll() is None:
            proc.kill()
        proc.wait(5.0)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
        self.proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def listen_to_app_outputs(jack: JackServer, harness: JackHarness,
                          what: str = "an app output port") -> None:
    """Connect every ``softphone:out_*`` port to the harness's first input (the app's output
    streams may close and reopen meanwhile)."""
    def connected() -> bool:
        ok = False
        for port in jack.wait_ports("softphone:out_"):
            try:
                jack.connect(port, harness.in_ports[0])
                ok = True
            except RuntimeError:
                pass  # closed between listing and connecting
        return ok

    _wait(connected, 10.0, what)


def band_level(samples: Any, rate: int, hz: float, width: float = 15.0) -> float:
    """Share (0..1) of the signal's energy within ``hz`` +- ``width``.

    Welch-style: Hann-windowed 0.25 s segments (50 % overlap) whose power spectra are summed,
    so a short beep anywhere in the signal counts as much as one in the middle.
    """
    import numpy as np

    x = np.asarray(samples, dtype=np.float64)
    seg = min(len(x), rate // 4)
    if seg < 64:
        return 0.0
    win = np.hanning(seg)
    power = np.zeros(seg // 2 + 1)
    for start in range(0, len(x) - seg + 1, seg // 2):
        chunk = x[start:start + seg]
        power += np.abs(np.fft.rfft((chunk - chunk.mean()) * win)) ** 2
    freqs = np.fft.rfftfreq(seg, 1.0 / rate)
    total = float(power.sum())
    if total <= 0:
        return 0.0
    return float(power[(freqs >= hz - width) & (freqs <= hz + width)].sum() / total)


# --- the client process --------------------------------------------------------------------


def _client(name: str, inputs: int, tone_hz: float, level: float) -> int:
    import ctypes

    import numpy as np
    import sounddevice as sd

    keep = ctypes.create_string_buffer(name.encode())
    sd._terminate()
    ctypes.CDLL(sd._libname).PaJack_SetClientName(keep)
    sd._initialize()

    state: dict[str, Any] = {"hz": tone_hz, "level": level, "phase": 0.0}
    ring = np.zeros((RATE * 30, inputs), dtype=np.float32)
    written = [0]

    def play(outdata: Any, frames: int, t: Any, status: Any) -> None:
        step = 2 * np.pi * state["hz"] / RATE
        ph = state["phase"] + step * np.arange(frames)
        outdata[:, 0] = (state["level"] * np.sin(ph)).astype(np.float32)
        state["phase"] = float((ph[-1] + step) % (2 * np.pi))

    def record(indata: Any, frames: int, t: Any, status: Any) -> None:
        start = written[0] % len(ring)
        end = start + frames
        if end <= len(ring):
            ring[start:end] = indata
        else:
            cut = len(ring) - start
            ring[start:] = indata[:cut]
            ring[: frames - cut] = indata[cut:]
        written[0] += frames

    out = sd.OutputStream(samplerate=RATE, blocksize=PERIOD, channels=1, dtype="float32",
                          callback=play)
    out.start()
    inp = sd.InputStream(samplerate=RATE, blocksize=PERIOD, channels=inputs, dtype="float32",
                         callback=record)
    inp.start()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "tone":
            state["hz"], state["level"] = float(msg["hz"]), float(msg["level"])
            print(json.dumps({"ok": True}), flush=True)
        elif msg["cmd"] == "snap":
            n = int(RATE * float(msg["seconds"]))
            begin = written[0]
            deadline = time.monotonic() + float(msg["seconds"]) + 5.0
            while written[0] < begin + n and time.monotonic() < deadline:
                threading.Event().wait(0.02)
            if written[0] < begin + n:
                print(json.dumps({"ok": False, "error": "no audio from JACK"}), flush=True)
                continue
            idx = np.arange(begin, begin + n) % len(ring)
            np.save(msg["path"], ring[idx])
            print(json.dumps({"ok": True}), flush=True)
    inp.close()
    out.close()
    return 0


if __name__ == "__main__" and len(sys.argv) >= 2 and sys.argv[1] == "client":
    sys.exit(_client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])))
