"""The in-app recording player (softphone/ui/player.py) on an engine with real audio, in its
own process: PortAudio must see the test's JACK server from its first initialisation, and a
process holds one pjsua2 Endpoint.

Driven like audio_driver.py (JSON lines; :class:`PlayerProcess` is the test side). Commands run
on the Qt main thread, where the player lives: ``load`` (path), ``click`` (play | pause | stop |
system), ``state`` (slider, time label, message, buttons), ``stream_info``; ``quit``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script: make "tests" and "softphone" importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.integration.audio.audio_driver import AudioEngineProcess, _to_json


def _serve(config: dict[str, Any]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QObject, Qt, Signal
    from PySide6.QtWidgets import QApplication

    from softphone.settings import AccountSettings, AudioSettings, CallSettings, SipSettings
    from softphone.sip.audio import create_audio_backend
    from softphone.sip.engine import Engine
    from softphone.ui.player import RecordingPlayer

    logging.basicConfig(level=config.get("log_level", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lock = threading.Lock()

    def write(obj: dict[str, Any]) -> None:
        with lock:
            sys.stdout.write(json.dumps(obj, default=str) + "\n")
            sys.stdout.flush()

    app = QApplication([])
    audio = create_audio_backend(AudioSettings(**config.get("audio", {})))
    engine = Engine(SipSettings(**config.get("sip", {})),
                    [AccountSettings(**a) for a in config.get("accounts", [])],
                    CallSettings(), lambda event: write(_to_json(event)), audio=audio)
    engine.start(timeout=10.0)
    player = RecordingPlayer(engine.audio)
    player.show()
    buttons = {"play": player.play_button, "pause": player.pause_button,
               "stop": player.stop_button, "system": player.system_button}

    def state() -> dict[str, Any]:
        return {"slider": player.slider.value(), "maximum": player.slider.maximum(),
                "time": player.time_label.text(), "message": player.message_label.text(),
                "playing": player.playing,
                "enabled": {k: b.isEnabled() for k, b in buttons.items()}}

    def run(req: dict[str, Any]) -> None:
        name, args, rid = req.get("cmd", ""), req.get("args") or {}, req.get("id")
        if name == "quit":
            player.stop()
            write({"reply": rid, "result": None})
            app.quit()
            return
        try:
            if name == "load":
                player.load(str(args["path"]))
                result: Any = None
            elif name == "click":
                buttons[str(args["button"])].click()
                result = state()
            elif name == "state":
                result = state()
            elif name == "stream_info":
                result = engine.run_on_sip_thread(audio.stream_info).result(5.0)  # type: ignore[attr-defined]
            else:
                raise AttributeError(f"unknown command {name!r}")
            write({"reply": rid, "result": _to_json(result)})
        except Exception as exc:
            write({"reply": rid, "error": str(exc) or type(exc).__name__,
                   "error_type": type(exc).__name__})

    class Inbox(QObject):
        request = Signal(object)

    inbox = Inbox()
    inbox.request.connect(run, Qt.ConnectionType.QueuedConnection)

    def read() -> None:
        for line in sys.stdin:
            if line.strip():
                inbox.request.emit(json.loads(line))
        inbox.request.emit({"cmd": "quit"})  # stdin closed: the test went away

    threading.Thread(target=read, name="stdin", daemon=True).start()
    try:
        app.exec()
    finally:
        engine.stop(timeout=10.0)
    return 0


class PlayerProcess(AudioEngineProcess):
    """The player's process, seen from a test: ``cmd("state")`` etc."""

    script = Path(__file__).resolve()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(_serve(json.loads(Path(sys.argv[1]).read_text())))
