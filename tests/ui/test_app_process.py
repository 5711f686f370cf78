"""The real app in its own process (offscreen): a busy SIP port falls back to a free one and
says so; commands from a second start reach it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.ipc import request
from tests.harness.pipes import close_pipes
from tests.harness.sip_peers import wait_until

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_busy_port_falls_back_and_the_status_bar_says_so(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        (profile / "softphone.toml").write_text(f'[sip]\nlisten = "127.0.0.1:{port}"\n')
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SOFTPHONE_KEYRING="file")
        proc = subprocess.Popen([sys.executable, "-m", "softphone", "--profile", str(profile)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            def status() -> str | None:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                reply = request(profile, "status", [], timeout=2.0)
                if reply is None or "Listening on" not in reply.message:
                    return None
                return reply.message

            text = wait_until(status, 30.0, "the app to answer with its status")
            assert f"Port {port} is in use" in text
            listen = text.splitlines()[0].removeprefix("listen: ")
            assert listen.startswith("127.0.0.1:") and not listen.endswith(f":{port}")
            reply = request(profile, "dnd", ["on"], timeout=5.0)
            assert reply is not None and reply.ok and "on" in reply.message
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            close_pipes(proc)


def test_a_clicked_link_starts_the_app_and_dials(tmp_path: Path) -> None:
    import shutil

    from tests.harness.sip_peers import Baresip

    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed")
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "softphone.toml").write_text('[sip]\nlisten = "127.0.0.1:0"\n')
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SOFTPHONE_KEYRING="file")
    with Baresip(user="linked", auto_answer=True, workdir=tmp_path / "peer") as peer:
        proc = subprocess.Popen([sys.executable, "-m", "softphone", "--profile", str(profile),
                                 peer.uri], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            peer.wait_event("CALL_ESTABLISHED", timeout=30)
            reply = wait_until(lambda: request(profile, "hangup", [], timeout=2.0), 10.0,
                               "the app to take a command")
            assert reply.ok, reply.message
            peer.wait_event("CALL_CLOSED", timeout=10)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            close_pipes(proc)
