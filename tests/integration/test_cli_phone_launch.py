"""A clicked link with no softphone running starts it and the call goes out; a second click is
handed to the running app. Real app (offscreen), real SIP: a UDP socket plays the callee and
receives the INVITEs."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.ipc import request, server_address

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="unix socket details"),
]

SETTINGS = """
[sip]
listen = "127.0.0.1:0"

[ui]
start_minimized = false
close_to_tray = false
"""


@pytest.fixture
def callee() -> Iterator[socket.socket]:
    """Something that receives SIP requests on 127.0.0.1 and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(30)
    yield sock
    sock.close()


def next_invite(sock: socket.socket, skip: set[str]) -> str:
    """The request URI of the next INVITE to a URI not in ``skip`` (retransmissions of
    earlier INVITEs are skipped); the socket's timeout bounds each wait."""
    while True:
        data, _ = sock.recvfrom(65535)
        first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        m = re.match(r"INVITE (\S+) SIP/2\.0", first)
        if m and m.group(1) not in skip:
            return m.group(1)


def stop(proc: subprocess.Popen[bytes], profile: Path) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(server_address(profile))  # a killed app cannot remove its socket


def test_link_starts_the_app_and_dials_then_a_second_link_is_handed_over(
    profile_dir: Path, callee: socket.socket
) -> None:
    pytest.importorskip("softphone.app")
    (profile_dir / "softphone.toml").write_text(SETTINGS, encoding="utf-8")
    port = callee.getsockname()[1]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    first = subprocess.Popen(
        [sys.executable, "-m", "softphone", "--profile", str(profile_dir),
         f"sip:bob@127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        # Nothing was running: the app starts and places the pending call.
        assert next_invite(callee, set()) == f"sip:bob@127.0.0.1:{port}"
        # The instance server listens before the pending call is placed.
        assert request(profile_dir, "ping") is not None

        # A second click goes to the running app, which dials at once; this start exits.
        second = subprocess.run(
            [sys.executable, "-m", "softphone", "--profile", str(profile_dir),
             f"callto:carol@127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=60, env=env,
        )
        assert second.returncode == 0, second.stderr
        assert "carol@127.0.0.1" in second.stdout
        assert next_invite(callee, {f"sip:bob@127.0.0.1:{port}"}) == \
            f"sip:carol@127.0.0.1:{port}"
        # Starting softphone again only brings the running window up.
        third = subprocess.run(
            [sys.executable, "-m", "softphone", "--profile", str(profile_dir)],
            capture_output=True, text=True, timeout=60, env=env,
        )
        assert third.returncode == 0, third.stderr
        assert first.poll() is None  # still one app
    finally:
        stop(first, profile_dir)
