"""Settings applied in the real app process (issue 14 item 1): saved sound settings reach the
audio backend on the SIP thread at once; "Restart now" replaces the process with a new start
of the app on the same profile (the window's restart, app.run_gui -> live_settings.relaunch).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from softphone.ipc import request
from softphone.settings import Settings, SipSettings
from tests.harness.pipes import close_pipes
from tests.harness.sip_peers import wait_until
from tests.integration.hardening.apps import AppProcess, app_env, write_profile

pytestmark = pytest.mark.integration


def test_sound_settings_reach_the_audio_backend_when_saved(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    write_profile(profile, Settings(sip=SipSettings(listen_host="127.0.0.1", listen_port=0)))
    app = AppProcess(profile).start()
    try:
        app.wait("result = engine is not None and engine.running", 20.0, "the engine")
        app.run(
            "import dataclasses\n"
            "from softphone.app import apply_settings\n"
            "s = parts.settings\n"
            "audio = dataclasses.replace(s.audio, ringer='USB ringer', output='Headset',\n"
            "                            ring_volume=0.3)\n"
            "apply_settings(parts, dataclasses.replace(s, audio=audio), {})\n")
        got = app.wait(
            "f = engine.run_on_sip_thread(lambda: (engine.audio._devices,\n"
            "                                      engine.audio._ring_volume))\n"
            "devices, volume = f.result(5)\n"
            "result = [list(devices or ()), volume] if volume is not None else None\n",
            10.0, "the sound settings on the SIP thread")
        assert got == [[None, "Headset", "USB ringer"], 0.3]
    finally:
        app.close()


def test_restart_starts_the_app_again_on_the_same_profile(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    write_profile(profile, Settings(sip=SipSettings(listen_host="127.0.0.1", listen_port=0)))
    code = ("import sys; from pathlib import Path\n"
            "from softphone.live_settings import relaunch\n"
            "relaunch(Path(sys.argv[1]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(profile)], env=app_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def status() -> str | None:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            reply = request(profile, "status", [], timeout=2.0)
            if reply is None or not reply.ok or not reply.message.startswith("listen: 127."):
                return None  # not started yet, or its engine not listening yet
            return reply.message

        text = wait_until(status, 40.0, "the restarted app to answer")
        assert text.splitlines()[0].removeprefix("listen: 127.0.0.1:").isdigit()
        assert proc.poll() is None  # the same process, now the app
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        close_pipes(proc)
