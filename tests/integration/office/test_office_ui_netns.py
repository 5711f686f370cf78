"""Two real desktop apps (``softphone --profile P``, offscreen) on a private two-desk LAN (two
network namespaces joined by a veth pair): each lists the other in its Colleagues tab (asked
over the instance's IPC command ``colleagues``), sees its state follow a call, and a call from
one to the other, to the address the colleague announced, connects.

Measured figures are printed (run with ``-s``) and attached as ``record_property``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.ipc import request
from tests.harness.sip_peers import wait_until
from tests.integration.office.netns import Desk, NetnsUnavailable, TwoDesks

pytestmark = [pytest.mark.integration, pytest.mark.ui]

ROOT = Path(__file__).resolve().parents[3]
SIP_PORT = 5060  # each namespace has its own ports


@pytest.fixture
def desks() -> Iterator[TwoDesks]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    try:
        net = TwoDesks().__enter__()
    except NetnsUnavailable as exc:
        pytest.skip(f"cannot create network namespaces here: {exc}")
    try:
        yield net
    finally:
        net.close()


class DeskApp:
    """The GUI app in ``desk``'s namespace with a LAN account ``sip:EXT@ADDRESS``."""

    def __init__(self, desk: Desk, agent: str, ext: str, workdir: Path, *,
                 auto_answer: bool = False) -> None:
        self.desk = desk
        self.agent = agent
        self.ext = ext
        self.profile = workdir / f"profile-{agent}"
        self.profile.mkdir(parents=True)
        (self.profile / "softphone.toml").write_text(
            f'[sip]\nlisten = "{desk.address}:{SIP_PORT}"\n\n'
            f'[calls]\nauto_answer = {"true" if auto_answer else "false"}\n\n'
            f'[crm]\nagent = "{agent}"\ndefault_region = "RU"\n\n'
            f'[[accounts]]\nname = "LAN"\naddress = "sip:{ext}@{desk.address}"\n')
        self.stderr = workdir / f"{agent}.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> DeskApp:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SOFTPHONE_KEYRING="file",
                   PYTHONPATH=str(ROOT))
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(
                self.desk.cmd(sys.executable, "-m", "softphone", "--profile", str(self.profile)),
                env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True)
        return self

    def command(self, command: str, *args: str, timeout: float = 3.0) -> str | None:
        """The reply of the running app (IPC over the profile's unix socket), None if none."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.agent} exited ({self.proc.returncode}):\n"
                                 + self.stderr.read_text(errors="replace")[-3000:])
        reply = request(self.profile, command, list(args), timeout=timeout)
        if reply is None:
            return None
        assert reply.ok, f"{command}: {reply.message}"
        return reply.message

    def colleagues(self) -> list[dict[str, Any]]:
        text = self.command("colleagues")
        return json.loads(text) if text else []

    def listening(self) -> bool:
        status = self.command("status") or ""
        return f"listen: {self.desk.address}:{SIP_PORT}" in status

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # SIGTERM: the app quits cleanly (goodbye to colleagues)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
            self.proc.wait(5)


@pytest.fixture
def desk_app(tmp_path: Path) -> Iterator[Callable[..., DeskApp]]:
    made: list[DeskApp] = []

    def make(desk: Desk, agent: str, ext: str, **kw: Any) -> DeskApp:
        app = DeskApp(desk, agent, ext, tmp_path, **kw).start()
        made.append(app)
        return app

    yield make
    for app in reversed(made):
        app.stop()


def find(colleagues: list[dict[str, Any]], name: str, **fields: Any) -> dict[str, Any] | None:
    for c in colleagues:
        if c["name"] == name and all(c.get(k) == v for k, v in fields.items()):
            return c
    return None


def report(record_property: Callable[[str, object], None], key: str, seconds: float) -> None:
    record_property(key, round(seconds, 3))
    print(f"\n[office ui netns] {key}: {seconds:.3f} s")


def test_two_apps_list_each_other_and_call(desks: TwoDesks, desk_app: Any,
                                           record_property: Callable[[str, object], None],
                                           ) -> None:
    anna = desk_app(desks.a, "anna", "101")
    boris = desk_app(desks.b, "boris", "102", auto_answer=True)
    wait_until(lambda: anna.listening() and boris.listening(), 60, "both apps to listen")
    t0 = time.monotonic()

    b_in_a = wait_until(lambda: find(anna.colleagues(), "boris"), 15, "boris in anna's list")
    a_in_b = wait_until(lambda: find(boris.colleagues(), "anna"), 15, "anna in boris's list")
    report(record_property, "apps_see_each_other_s", time.monotonic() - t0)
    assert b_in_a["uri"] == f"sip:102@{desks.b.address}:{SIP_PORT}"
    assert b_in_a["address"] == desks.b.address and b_in_a["state"] == "available"
    assert a_in_b["uri"] == f"sip:101@{desks.a.address}:{SIP_PORT}"
    assert len(anna.colleagues()) == 1 and len(boris.colleagues()) == 1  # never ourselves
    # the same list from the command line: ``softphone colleagues`` asks the running app
    out = subprocess.run([sys.executable, "-m", "softphone", "--profile", str(anna.profile),
                          "colleagues"], capture_output=True, text=True, timeout=30,
                         cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr
    assert [c["name"] for c in json.loads(out.stdout)] == ["boris"]

    # Anna calls Boris at the announced address; he answers (auto-answer): both show in a call.
    t1 = time.monotonic()
    assert "calling" in (anna.command("dial", b_in_a["uri"]) or "")
    wait_until(lambda: find(anna.colleagues(), "boris", state="in_call"), 15,
               "boris in a call, as anna sees him (he answered)")
    wait_until(lambda: find(boris.colleagues(), "anna", state="in_call"), 5,
               "anna in a call, as boris sees her")
    report(record_property, "call_connected_and_states_shown_s", time.monotonic() - t1)

    t2 = time.monotonic()
    assert anna.command("hangup") is not None
    wait_until(lambda: find(anna.colleagues(), "boris", state="available"), 10,
               "boris available again")
    wait_until(lambda: find(boris.colleagues(), "anna", state="available"), 10,
               "anna available again")
    report(record_property, "available_after_hangup_s", time.monotonic() - t2)

    # Boris's call log has the answered call from Anna's extension.
    from softphone.crm.store import Store

    def answered() -> Any:
        with Store.open(None, boris.profile, "RU", "check") as store:
            return [c for c in store.list_calls(limit=5)
                    if c.direction == "in" and c.outcome == "answered"]

    calls = wait_until(answered, 10, "the answered call in boris's call log")
    assert "101" in (calls[0].remote_uri + calls[0].number)
    assert calls[0].agent == "boris"

    # Boris quits: he leaves Anna's list at once (goodbye packets).
    t3 = time.monotonic()
    boris.stop()
    wait_until(lambda: find(anna.colleagues(), "boris") is None, 5, "boris gone")
    report(record_property, "colleague_gone_after_quit_s", time.monotonic() - t3)
