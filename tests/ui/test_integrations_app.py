"""The real app in its own process (offscreen) with its integrations on: a browser's click on
the click-to-call endpoint calls a real peer through the app's dial path; call events wait in
the outbox while the receiver is down, survive the app being killed (SIGKILL), and reach the
receiver in order when both are back."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.integrations.outbox import Outbox
from softphone.integrations.webhooks import SIGNATURE_HEADER, signature_matches
from softphone.ipc import request
from tests.harness.http_receiver import Receiver
from tests.harness.ports import free_port
from tests.harness.sip_peers import Baresip, wait_until

pytestmark = [pytest.mark.ui, pytest.mark.integration]
SECRET = "app-hook-secret"


def start_app(profile: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SOFTPHONE_KEYRING="file")
    proc = subprocess.Popen([sys.executable, "-m", "softphone", "--profile", str(profile)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready() -> bool:
        assert proc.poll() is None, "the app exited"
        reply = request(profile, "status", [], timeout=2.0)
        return reply is not None and re.match(r"listen: 127\.0\.0\.1:[1-9]", reply.message) \
            is not None

    wait_until(ready, 40.0, "the app to listen")
    return proc


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Baresip]:
    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed")
    with Baresip(user="customer", auto_answer=True, workdir=tmp_path / "peer") as p:
        yield p


def test_click_to_call_dials_a_real_peer_through_the_running_app(tmp_path: Path,
                                                                 peer: Baresip) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    port = free_port()
    (profile / "softphone.toml").write_text(
        f'[sip]\nlisten = "127.0.0.1:0"\n\n[click_to_call]\nenabled = true\nport = {port}\n')
    env = dict(os.environ, SOFTPHONE_KEYRING="file")
    token = subprocess.run(
        [sys.executable, "-m", "softphone", "--profile", str(profile), "click-to-call",
         "token"], env=env, capture_output=True, text=True, timeout=60,
        check=True).stdout.splitlines()[0]
    proc = start_app(profile)
    try:
        def get(path: str) -> tuple[int, dict[str, object]]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                return response.status, json.loads(response.read())
            finally:
                conn.close()

        def listening() -> bool:
            try:
                return get("/dial")[0] == 403
            except OSError:
                return False

        wait_until(listening, 30.0, "the click-to-call endpoint")
        from urllib.parse import quote

        assert get(f"/dial?number={quote(peer.uri)}&token=nope")[0] == 403
        assert get(f"/dial?number=robert%27%3B&token={token}")[0] == 400
        status, body = get(f"/dial?number={quote(peer.uri)}&token={token}")
        assert status == 200 and body["ok"] is True, body
        peer.wait_event("CALL_ESTABLISHED", timeout=30)
        reply = request(profile, "hangup", [], timeout=5.0)
        assert reply is not None and reply.ok
        peer.wait_event("CALL_CLOSED", timeout=10)
    finally:
        stop_app(proc)


def test_events_pending_when_the_app_is_killed_reach_the_receiver_in_order(
        tmp_path: Path, peer: Baresip) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    receiver = Receiver()  # down for now
    (profile / "softphone.toml").write_text(
        '[sip]\nlisten = "127.0.0.1:0"\n\n'
        f'[webhooks]\nurl = "{receiver.url}/hook"\nsecret = "{SECRET}"\n\n'
        "[outbox]\nretry_initial = 0.2\nretry_max = 1.0\n")
    proc = start_app(profile)
    try:
        reply = wait_until(lambda: request(profile, "dial", [peer.uri], timeout=5.0), 10.0,
                           "the app to take the dial command")
        assert reply.ok, reply.message
        peer.wait_event("CALL_ESTABLISHED", timeout=30)
        reply = request(profile, "hangup", [], timeout=5.0)
        assert reply is not None and reply.ok
        peer.wait_event("CALL_CLOSED", timeout=10)
        # the provisioned secret went to the credentials store, out of the settings file
        wait_until(lambda: "secret" not in (profile / "softphone.toml").read_text(), 20.0,
                   "the secret to leave softphone.toml")
        outbox = Outbox.in_profile(profile)
        try:
            wait_until(lambda: outbox.pending_count("webhooks") == 3
                       and (h := outbox.head("webhooks")) is not None and h.attempts >= 2,
                       30.0, "three events waiting, tried and failed")
        finally:
            outbox.close()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        receiver.start()
        proc = start_app(profile)
        got = receiver.wait_for(3, timeout=60)
    finally:
        stop_app(proc)
        receiver.stop()
    bodies = {}
    for r in got:
        assert signature_matches(SECRET, r.body, r.headers[SIGNATURE_HEADER.lower()])
        body = r.json()
        bodies.setdefault(body["event_id"], body)
    events = sorted(bodies.values(), key=lambda b: b["sequence"])
    assert [b["event"] for b in events] == ["ringing", "answered", "ended"]
    assert all(b["call"]["direction"] == "out" for b in events)
    assert len({b["call"]["id"] for b in events}) == 1
    assert events[-1]["call"]["outcome"] == "answered"
    order = [r.json()["sequence"] for r in got]
    assert order == sorted(order)
