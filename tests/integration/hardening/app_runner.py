"""The real desktop app in its own process, with a test channel and an event-loop stall meter.

Started as ``python -m tests.integration.hardening.app_runner PROFILE``. It does what
``softphone --profile PROFILE --verbose`` does (logging into the profile, ``load_settings``,
``create_parts`` with its own engine, store, workflow and window, the instance server), then
adds two things for the hardening tests:

* a stall meter: a 10 ms ``QTimer`` on the GUI thread; the longest gap between two ticks minus
  the interval is the longest time the event loop could not run;
* a JSON-lines channel: each stdin line ``{"id": N, "code": "..."}`` is executed on the GUI
  thread with ``parts``, ``window``, ``engine``, ``app`` and ``meter`` in scope; whatever the
  code puts in ``result`` is written back as ``{"reply": N, "ok": true, "result": ...}``.

One ``pj.Endpoint`` per process: this is how the hardening tests get a whole app with its own
engine registered with kamailio while the pytest process keeps the UI tests' session engine.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


class StallMeter:
    """Longest gap (ms) between ticks of a 10 ms timer, beyond the interval itself."""

    INTERVAL_MS = 10

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.max_ms = 0.0
        self.ticks = 0
        self.stalls: list[tuple[float, float]] = []  # (wall time at the end, ms) of gaps > 5
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000.0 - self.INTERVAL_MS
        self._last = now
        self.ticks += 1
        self.max_ms = max(self.max_ms, gap)
        if gap > 5.0:
            self.stalls.append((time.time(), gap))

    def reset(self) -> None:
        self._last = time.perf_counter()
        self.max_ms = 0.0
        self.ticks = 0
        self.stalls = []


def main(profile: Path) -> int:
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test asks when it hangs
    # The channel gets stdout to itself: anything else writing to fd 1 (a library, a print)
    # goes to stderr instead of corrupting a reply line.
    channel_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    from softphone.app import create_parts, shutdown, start_instance_server
    from softphone.logs import setup_logging
    from softphone.settings import load_settings

    setup_logging(profile, verbose=True, console=False)
    settings = load_settings(profile)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    parts = create_parts(profile, settings)
    parts.window.show()
    start_instance_server(parts)
    meter = StallMeter()
    out_lock = threading.Lock()

    def write(obj: dict[str, Any]) -> None:
        with out_lock:
            channel_out.write(json.dumps(obj, default=str) + "\n")
            channel_out.flush()

    class Channel(QObject):
        line = Signal(str)

    channel = Channel()

    def run(line: str) -> None:
        try:
            request = json.loads(line)
        except ValueError:
            return
        if request.get("code") == "quit":
            write({"reply": request.get("id"), "ok": True, "result": None})
            parts.window.quitting = True  # else a window that closes to the tray stops quit
            app.quit()
            return
        scope: dict[str, Any] = {"parts": parts, "window": parts.window, "engine": parts.engine,
                                 "app": app, "meter": meter, "result": None}
        try:
            exec(request["code"], scope)  # the test's own code, on the GUI thread
            write({"reply": request.get("id"), "ok": True, "result": scope.get("result")})
        except Exception as exc:
            write({"reply": request.get("id"), "ok": False,
                   "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()})

    channel.line.connect(run)

    def read_stdin() -> None:
        for raw in sys.stdin:
            if raw.strip():
                channel.line.emit(raw)
        channel.line.emit(json.dumps({"code": "quit"}))

    threading.Thread(target=read_stdin, name="test-channel", daemon=True).start()
    write({"ready": True, "listen": parts.engine.listen_address if parts.engine else None})
    try:
        return int(app.exec())
    finally:
        parts.window.quitting = True
        for card in list(parts.window.cards.values()):
            card.close()
        shutdown(parts)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
