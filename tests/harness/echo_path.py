"""A real acoustic echo path over JACK: the app's speaker comes back into its microphone.

:class:`EchoPath` runs a JACK client in a subprocess (the JACK-Client package on libjack,
client name ``echo``): what arrives on ``echo:in_0`` (connect the app's output
port) leaves ``echo:out_0`` (connect it to the app's input port) ``delay_ms`` later and scaled
by ``gain`` (0.5 = -6 dB), like a laptop's speakers heard by its microphone. After
``near_start`` seconds from the first sound it heard, it adds ``near`` (the local talker, float
mono at 48 kHz) into the microphone: double talk.

``result()`` returns, from the first sound on, what it heard (``far``), what it sent
(``mic``) and the talker's part of it (``near``), as float arrays at 48 kHz.

Run as a module, this file is the client (``python -m tests.harness.echo_path client ...``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.harness.jack import JackServer, _wait

MAX_SECONDS = 90


class EchoPath:
    def __init__(self, server: JackServer, delay_ms: float, gain: float, near: Any = None,
                 near_start: float = 0.0, name: str = "echo") -> None:
        self.server = server
        self.delay_ms = delay_ms
        self.gain = gain
        self.near = near
        self.near_start = near_start
        self.name = name
        self.in_port = f"{name}:in_0"
        self.out_port = f"{name}:out_0"
        self.dir = Path(tempfile.mkdtemp(prefix="echo-path-"))
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 10.0) -> Self:
        import numpy as np

        near = self.dir / "near.npy"
        np.save(near, np.asarray(self.near if self.near is not None else [], dtype=np.float32))
        self.proc = subprocess.Popen(
            # as a module: run as a script, tests/harness/jack.py would shadow the jack package
            [sys.executable, "-m", "tests.harness.echo_path", "client", self.name,
             str(self.delay_ms), str(self.gain), str(near), str(self.near_start)],
            env=dict(self.server.env(), PYTHONPATH=str(Path(__file__).resolve().parents[2])),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1, start_new_session=True)
        try:
            if not self._ask(None, timeout).get("ready"):
                raise RuntimeError("the echo path did not start")
            self.server.wait_ports(f"{self.name}:", 2, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _ask(self, msg: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        if msg is not None:
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        if not box or not box[0]:
            err = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                err = self.proc.stderr.read()[-2000:]
            raise TimeoutError(f"no answer from the echo path in {timeout} s {err}")
        return dict(json.loads(box[0]))

    def heard_seconds(self) -> float:
        """Seconds since the first sound it heard (0 before)."""
        return float(self._ask({"cmd": "stats"}, 5.0)["heard"])

    def wait_heard(self, seconds: float, timeout: float) -> None:
        _wait(lambda: self.heard_seconds() >= seconds, timeout,
              f"{seconds:.0f} s of sound through the echo path")

    def result(self) -> dict[str, Any]:
        import numpy as np

        path = self.dir / "result.npz"
        if not self._ask({"cmd": "save", "path": str(path)}, 30.0).get("ok"):
            raise RuntimeError("the echo path saved nothing")
        with np.load(path) as data:
            return {k: data[k] for k in data.files}

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(3.0)
        if proc.poll() is None:
            proc.kill()
        proc.wait(5.0)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
        self.proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# --- the client process --------------------------------------------------------------------

def _client(name: str, delay_ms: float, gain: float, near_path: str, near_start: float) -> int:
    """A JACK client (JACK-Client package) that places every period by JACK's frame clock, so
    the echo's delay stays exact even when this process misses a cycle under load."""
    import jack
    import numpy as np

    near = np.load(near_path).astype(np.float32)
    client = jack.Client(name, no_start_server=True)
    rate = client.samplerate
    port_in = client.inports.register("in_0")
    port_out = client.outports.register("out_0")
    delay = round(rate * delay_ms / 1000.0)
    ring = np.zeros(1 << 20, dtype=np.float32)  # ~22 s at 48 kHz, indexed by frame time
    mask = len(ring) - 1
    cap = rate * MAX_SECONDS
    far = np.zeros(cap, dtype=np.float32)
    mic = np.zeros(cap, dtype=np.float32)
    talker = np.zeros(cap, dtype=np.float32)
    state = {"first": -1, "last": -1, "now": 0}
    near_at = int(near_start * rate)

    @client.set_process_callback
    def process(frames: int) -> None:
        t = client.last_frame_time
        x = port_in.get_array()
        last = state["last"]
        if 0 <= last < t:  # cycles this client missed: silence, not a shifted echo
            gap = np.arange(last, t) & mask
            ring[gap] = 0.0
        idx = (t + np.arange(frames)) & mask
        ring[idx] = x
        y = gain * ring[(t - delay + np.arange(frames)) & mask]
        first = state["first"]
        if first < 0 and np.max(np.abs(x)) > 0.01:
            first = state["first"] = t
        part = np.zeros(frames, dtype=np.float32)
        if first >= 0 and len(near):
            k = t - first - near_at
            lo, hi = max(k, 0), min(k + frames, len(near))
            if hi > lo:
                part[lo - k:hi - k] = near[lo:hi]
        port_out.get_array()[:] = y + part
        if first >= 0 and t - first + frames <= cap:
            s = t - first
            far[s:s + frames] = x
            mic[s:s + frames] = y + part
            talker[s:s + frames] = part
        state["last"] = t + frames
        state["now"] = t + frames

    client.activate()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        msg = json.loads(line)
        first = state["first"]
        heard = (state["now"] - first) / rate if first >= 0 else 0.0
        if msg["cmd"] == "stats":
            print(json.dumps({"heard": heard}), flush=True)
        elif msg["cmd"] == "save":
            n = int(min(cap, max(0.0, heard) * rate))
            np.savez(msg["path"], far=far[:n], mic=mic[:n], near=talker[:n])
            print(json.dumps({"ok": True}), flush=True)
    client.deactivate()
    client.close()
    return 0


if __name__ == "__main__" and len(sys.argv) >= 2 and sys.argv[1] == "client":
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    sys.exit(_client(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
                     float(sys.argv[6])))
