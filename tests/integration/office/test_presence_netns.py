"""Two desks on a private LAN (two network namespaces joined by a veth pair): each softphone
finds the other by mDNS/DNS-SD, sees its state change, sees it leave (quit or crash), and
calls it directly at the advertised URI.

Measured figures are printed (run with ``-s``) and attached as ``record_property``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.office.netns import Desk, NetnsUnavailable, TwoDesks
from tests.integration.office.procs import Event, JsonProc, presence_argv

pytestmark = pytest.mark.integration

SIP_PORT = 5060  # each namespace has its own ports: no clash with anything else


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


PresenceFactory = Callable[..., JsonProc]


@pytest.fixture
def presence(tmp_path: Path) -> Iterator[PresenceFactory]:
    """``presence(desk, name, ext)``: a started presence process inside ``desk``'s namespace."""
    made: list[JsonProc] = []

    def make(desk: Desk, name: str, ext: str, ttl: int = 10) -> JsonProc:
        argv = desk.cmd(*presence_argv(name, f"sip:{ext}@0.0.0.0", SIP_PORT, desk.address, ttl))
        proc = JsonProc(argv, f"presence-{name}-{len(made)}", tmp_path)
        made.append(proc)
        proc.start()
        proc.wait_for(lambda e: e["event"] == "registered", 15, what="registration")
        return proc

    yield make
    for proc in reversed(made):
        proc.close()


def colleagues_event(pred: Callable[[list[dict[str, Any]]], bool]) -> Callable[[Event], bool]:
    return lambda e: e["event"] == "colleagues" and pred(e["colleagues"])


def sees(name: str, **fields: Any) -> Callable[[Event], bool]:
    def match(colleagues: list[dict[str, Any]]) -> bool:
        return any(c["name"] == name and all(c[k] == v for k, v in fields.items())
                   for c in colleagues)
    return colleagues_event(match)


def sees_nobody(name: str) -> Callable[[Event], bool]:
    return colleagues_event(lambda cs: all(c["name"] != name for c in cs))


def report(record_property: Callable[[str, object], None], key: str, seconds: float) -> None:
    record_property(key, round(seconds, 3))
    print(f"\n[presence] {key}: {seconds:.3f} s")


def test_colleagues_discover_each_other_see_state_and_leave(
    desks: TwoDesks, presence: PresenceFactory,
    record_property: Callable[[str, object], None],
) -> None:
    t0 = time.time()
    anna = presence(desks.a, "Anna", "101")
    boris = presence(desks.b, "Boris", "102")

    a_sees = anna.wait_for(sees("Boris"), 10, what="Boris in Anna's list")
    b_sees = boris.wait_for(sees("Anna"), 10, what="Anna in Boris's list")
    report(record_property, "discovery_from_process_start_s",
           max(a_sees["at"], b_sees["at"]) - t0)
    boris_up = boris.wait_for(lambda e: e["event"] == "registered", 1)
    registered = boris_up["at"]
    # Presence ran on an asyncio that never loaded ssl (~4.5 MiB less for the app's whole run).
    assert boris_up["ssl_loaded"] is False
    report(record_property, "discovery_after_announcement_s",
           max(a_sees["at"], b_sees["at"]) - registered)
    (bor,) = a_sees["colleagues"]  # only Boris: Anna never lists herself
    assert bor["extension"] == "102"
    assert bor["address"] == desks.b.address
    assert bor["uri"] == f"sip:102@{desks.b.address}:{SIP_PORT}"
    assert bor["state"] == "available"
    (ann,) = b_sees["colleagues"]
    assert (ann["extension"], ann["address"]) == ("101", desks.a.address)
    assert ann["uri"] == f"sip:101@{desks.a.address}:{SIP_PORT}"

    for state in ("in_call", "dnd", "available"):
        mark = boris.mark()
        t1 = time.time()
        anna.send(cmd="state", state=state)
        seen = boris.wait_for(sees("Anna", state=state), 5, mark, what=f"Anna {state}")
        report(record_property, f"state_{state}_s", seen["at"] - t1)

    mark = boris.mark()
    t1 = time.time()
    assert anna.quit() == 0
    gone = boris.wait_for(sees_nobody("Anna"), 5, mark, what="Anna gone after quit")
    report(record_property, "leave_after_quit_s", gone["at"] - t1)


@pytest.mark.parametrize("ttl", [4, 10])
def test_crashed_colleague_expires(
    desks: TwoDesks, presence: PresenceFactory,
    record_property: Callable[[str, object], None], ttl: int,
) -> None:
    anna = presence(desks.a, "Anna", "101", ttl=ttl)
    boris = presence(desks.b, "Boris", "102", ttl=ttl)
    boris.wait_for(sees("Anna"), 10, what="Anna in Boris's list")
    anna.wait_for(sees("Boris"), 10, what="Boris in Anna's list")

    mark = boris.mark()
    t1 = time.time()
    anna.kill()  # SIGKILL: no goodbye packets
    gone = boris.wait_for(sees_nobody("Anna"), ttl + 5, mark, what="Anna expired after crash")
    report(record_property, f"leave_after_crash_ttl{ttl}_s", gone["at"] - t1)
    assert gone["at"] - t1 <= ttl + 2

    # She starts again (a new instance): Boris lists her again.
    mark = boris.mark()
    t2 = time.time()
    presence(desks.a, "Anna", "101", ttl=ttl)
    back = boris.wait_for(sees("Anna"), 10, mark, what="Anna back")
    report(record_property, "rediscovery_s", back["at"] - t2)


# ---------------------------------------------------------------------------------------------
# A direct SIP call between the two desks, to the URI the presence advertises.


def _engine_process_class() -> type:
    try:
        import pjsua2  # noqa: F401

        from tests.integration.sip.engine_driver import EngineProcess
    except ImportError as exc:
        pytest.skip(f"SIP engine not available: {exc}")
    return EngineProcess


def start_engine_in(desk: Desk, ext: str, workdir: Path) -> Any:
    """An engine driver process inside ``desk``'s namespace with a LAN account bound there."""
    engine_process = _engine_process_class()
    import tests.integration.sip.engine_driver as driver

    config = {
        "sip": {"listen_host": desk.address, "listen_port": SIP_PORT, "rtp_port": 4000},
        "accounts": [{"name": "LAN", "address": f"sip:{ext}@{desk.address}"}],
        "calls": {},
        "recordings_dir": None,
        "log_level": "INFO",
    }
    workdir.mkdir(parents=True, exist_ok=True)

    class NetnsEngine(engine_process):  # type: ignore[misc,valid-type]
        def start(self, timeout: float = 15.0) -> Any:
            env = dict(os.environ, PYTHONPATH=str(driver.ROOT))
            self._stderr_file = open(workdir / "stderr.log", "w")  # noqa: SIM115
            self.proc = subprocess.Popen(
                desk.cmd(sys.executable, str(Path(driver.__file__).resolve()),
                         json.dumps(self.config)),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr_file,
                text=True, bufsize=1, env=env, cwd=str(driver.ROOT),
            )
            import threading

            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
            started = self.wait_for(
                lambda e: e["event"] in ("EngineStarted", "DriverStartFailed"), timeout,
                "EngineStarted")
            if started["event"] == "DriverStartFailed":
                self.close()
                raise driver.DriverError(started["error_type"], started["error"])
            self.listen = started["listen"]
            return self

    return NetnsEngine(config).start()


def test_direct_call_to_advertised_uri(
    desks: TwoDesks, presence: PresenceFactory, tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    engines: list[Any] = []
    try:
        anna_phone = start_engine_in(desks.a, "101", tmp_path / "anna")
        engines.append(anna_phone)
        boris_phone = start_engine_in(desks.b, "102", tmp_path / "boris")
        engines.append(boris_phone)
        assert boris_phone.listen.endswith(f":{SIP_PORT}")

        anna = presence(desks.a, "Anna", "101")
        boris = presence(desks.b, "Boris", "102")
        seen = anna.wait_for(sees("Boris"), 10, what="Boris in Anna's list")
        target = next(c for c in seen["colleagues"] if c["name"] == "Boris")["uri"]

        t1 = time.time()
        mark = boris_phone.mark()
        out_id = anna_phone.command("dial", target=target)
        incoming = boris_phone.wait_event("IncomingCall", since=mark)
        assert incoming["number"] == "101"
        assert desks.a.address in incoming["remote_uri"]
        boris_phone.command("answer", call_id=incoming["call_id"])
        anna_phone.wait_event("CallStateChanged", call_id=out_id, state="confirmed")
        report(record_property, "direct_call_connect_s", time.time() - t1)

        # The UI announces "in call" while talking: Boris's list shows it.
        mark = boris.mark()
        anna.send(cmd="state", state="in_call")
        boris.wait_for(sees("Anna", state="in_call"), 5, mark, what="Anna in_call")

        anna_phone.command("hangup", call_id=out_id)
        boris_phone.wait_event("CallStateChanged", call_id=incoming["call_id"],
                               state="disconnected")
        anna.send(cmd="state", state="available")
        boris.wait_for(sees("Anna", state="available"), 5, boris.mark() - 1)
    finally:
        for engine in reversed(engines):
            engine.close()


# ---------------------------------------------------------------------------------------------
# Whole desks: engine + Office wired as the app does; presence follows real calls.

OFFICE_DRIVER = Path(__file__).with_name("office_driver.py")


def test_presence_follows_real_calls_between_desks(
    desks: TwoDesks, tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:
    _engine_process_class()  # skip without pjsua2
    procs: list[JsonProc] = []
    try:
        for desk, name, ext in ((desks.a, "Anna", "101"), (desks.b, "Boris", "102")):
            config = {"name": name, "address": desk.address, "user": ext, "port": SIP_PORT}
            proc = JsonProc(desk.cmd(sys.executable, str(OFFICE_DRIVER), json.dumps(config)),
                            f"desk-{name}", tmp_path).start()
            procs.append(proc)
            ready = proc.wait_for(lambda e: e["event"] == "ready", 20, what="desk ready")
            assert ready["problems"] == []
        anna, boris = procs
        seen = anna.wait_for(sees("Boris", state="available"), 10, what="Boris")
        boris.wait_for(sees("Anna", state="available"), 10, what="Anna")
        target = next(c for c in seen["colleagues"] if c["name"] == "Boris")["uri"]

        ma, mb = anna.mark(), boris.mark()
        anna.send(cmd="dial", target=target)
        dialled = anna.wait_for(lambda e: e["event"] == "reply" and e["cmd"] == "dial", 10, ma)
        assert "error" not in dialled, dialled
        incoming = boris.wait_for(lambda e: e["event"] == "sip" and e["type"] == "IncomingCall",
                                  10, mb, what="IncomingCall")
        # Boris's phone rings: he is not "in a call" yet; Anna (dialling) is.
        boris.wait_for(sees("Anna", state="in_call"), 5, mb, what="Anna in_call while dialling")
        t1 = time.time()
        boris.send(cmd="answer", call_id=incoming["call_id"])
        both = anna.wait_for(sees("Boris", state="in_call"), 5, ma, what="Boris in_call")
        report(record_property, "in_call_visible_after_answer_s", both["at"] - t1)

        ma, mb = anna.mark(), boris.mark()
        anna.send(cmd="hangup", call_id=dialled["result"])
        anna.wait_for(sees("Boris", state="available"), 5, ma, what="Boris available again")
        boris.wait_for(sees("Anna", state="available"), 5, mb, what="Anna available again")
    finally:
        for proc in reversed(procs):
            proc.close()
