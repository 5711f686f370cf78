"""Global shortcuts on a real X server (Xvfb, started and killed here): the app on the xcb
platform in its own process answers a ringing call on Ctrl+Alt+A and hangs up on Ctrl+Alt+H
(xdotool types them); a combination another client holds is reported, not a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.ipc import request
from tests.harness import x11
from tests.harness.pipes import close_pipes
from tests.harness.sip_peers import wait_until

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private X display; Xvfb itself picks a free display number (-displayfd)."""
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("Xvfb and xdotool are needed (scripts/bootstrap.sh test)")
    with x11.xvfb() as display:
        yield display


def xdotool(display: str, *keys: str) -> None:
    subprocess.run(["xdotool", "key", *keys], env=dict(os.environ, DISPLAY=display),
                   check=True, timeout=10)


def test_ctrl_alt_a_answers_and_ctrl_alt_h_hangs_up(qapp: Any, tmp_path: Path, xvfb: str,
                                                    make_baresip: Any) -> None:
    from softphone.ui.x11_keys import X11Shortcuts

    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "softphone.toml").write_text('[sip]\nlisten = "127.0.0.1:0"\n')
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "SOFTPHONE_PROFILE", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=xvfb, SOFTPHONE_KEYRING="file",
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    # Another client holds Ctrl+Alt+M before the app starts: reported, the others still work.
    os.environ["DISPLAY"], old_display = xvfb, os.environ.get("DISPLAY")
    try:
        squatter = X11Shortcuts()
    finally:
        if old_display is None:
            del os.environ["DISPLAY"]
        else:
            os.environ["DISPLAY"] = old_display
    assert squatter.grab({"mute": "Ctrl+Alt+M"}) == []
    log_file = profile / "logs" / "softphone.log"
    proc = subprocess.Popen([sys.executable, "-m", "softphone", "--profile", str(profile)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def listening() -> str | None:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            reply = request(profile, "status", [], timeout=2.0)
            first = reply.message.splitlines()[0] if reply and reply.message else ""
            listen = first.removeprefix("listen: ")
            return listen if first.startswith("listen: ") and not listen.endswith(":0") \
                else None

        listen = wait_until(listening, 30.0, "the app to listen")
        wait_until(lambda: log_file.exists() and "global shortcut Ctrl+Alt+H: hangup"
                   in log_file.read_text(), 10.0, "the shortcuts to be grabbed")
        log_text = log_file.read_text()
        assert "global shortcut Ctrl+Alt+A: answer" in log_text
        assert "global shortcut Ctrl+Alt+M not set: taken" in log_text

        peer = make_baresip(user="+74950005555", auto_answer=False)
        peer.dial(f"sip:agent@{listen}")
        peer.wait_event("CALL_RINGING", timeout=10)
        xdotool(xvfb, "ctrl+alt+a")
        peer.wait_event("CALL_ESTABLISHED", timeout=10)
        # Caps Lock on: still the same shortcut
        xdotool(xvfb, "Caps_Lock", "ctrl+alt+h", "Caps_Lock")
        peer.wait_event("CALL_CLOSED", timeout=10)
        assert proc.poll() is None
    finally:
        squatter.close()
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        close_pipes(proc)
