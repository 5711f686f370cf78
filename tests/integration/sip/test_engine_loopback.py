"""Engines calling each other over loopback with LAN accounts (no server), each in its own
process (one pjsua2 Endpoint per process). What is asserted is what a user would notice:
the call rings, connects, holds, carries keys and audio, ends with the right status."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.sip.engine_driver import DriverError, EngineProcess

pytestmark = pytest.mark.integration

Phone = EngineProcess
PhoneFactory = Callable[..., EngineProcess]


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[PhoneFactory]:
    """``phone("bob", calls={...}, dtmf_method="info", tone_hz=600)``: a started engine."""
    made: list[EngineProcess] = []

    def make(user: str, *, calls: dict[str, Any] | None = None, tone_hz: float | None = None,
             listen_port: int = 0, extra_accounts: tuple[dict[str, Any], ...] = (),
             env: dict[str, str] | None = None, **account: Any) -> EngineProcess:
        config: dict[str, Any] = {
            "sip": {"listen_host": "127.0.0.1", "listen_port": listen_port, "rtp_port": 0},
            "accounts": [{"name": "LAN", "address": f"sip:{user}@127.0.0.1", **account},
                         *extra_accounts],
            "calls": calls or {},
            "recordings_dir": str(tmp_path / user / "recordings"),
            "log_level": "INFO",
        }
        if tone_hz:
            config["tone_hz"] = tone_hz
        (tmp_path / user).mkdir(exist_ok=True)
        proc = EngineProcess(config, stderr_path=tmp_path / user / "stderr.log", env=env)
        made.append(proc)
        return proc.start()

    yield make
    for proc in reversed(made):
        proc.close()


def uri_of(user: str, p: Phone) -> str:
    return f"sip:{user}@{p.listen}"


def state_of(p: Phone, call_id: int, state: str, since: int = 0,
             timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
    return p.wait_event("CallStateChanged", timeout, since, call_id=call_id, state=state,
                        **fields)


def connect(caller: Phone, callee: Phone, callee_user: str) -> tuple[int, int]:
    """Caller dials, callee answers, both talk. Returns (caller's call id, callee's)."""
    mark = callee.mark()
    out_id = caller.command("dial", target=uri_of(callee_user, callee))
    in_id = callee.wait_event("IncomingCall", since=mark)["call_id"]
    callee.command("answer", call_id=in_id)
    state_of(caller, out_id, "confirmed")
    state_of(callee, in_id, "confirmed")
    return out_id, in_id


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition that has no event (a file growing) with a short wake-up."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        tick.wait(0.05)


# Three equal tones mixed share the energy about equally (~0.33 each through G.722); an
# absent tone is near 0.001.
PRESENT = 0.15


def tone_share(path: Path, hz: float) -> float:
    """Share of the signal's energy within +-5 Hz of ``hz`` (Hann-windowed FFT)."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
    data = data * np.hanning(len(data))
    spectrum = np.abs(np.fft.rfft(data)) ** 2
    freqs = np.fft.rfftfreq(len(data), 1.0 / rate)
    band = (freqs > hz - 5) & (freqs < hz + 5)
    total = spectrum[freqs > 50].sum()
    return float(spectrum[band].sum() / total) if total else 0.0


# ---------------------------------------------------------------------------------------------


def test_direct_call_hold_dtmf_and_hangup(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    assert alice.wait_event("RegistrationChanged", account="LAN")["state"] == "lan"

    mark = bob.mark()
    a_id = alice.command("dial", target=uri_of("bob", bob))
    incoming = bob.wait_event("IncomingCall", since=mark)
    assert incoming["number"] == "alice"
    assert incoming["remote_uri"].startswith("sip:alice@127.0.0.1")
    assert incoming["waiting"] is False
    state_of(alice, a_id, "early", code=180)
    b_id = incoming["call_id"]
    bob.command("answer", call_id=b_id)
    state_of(alice, a_id, "confirmed", code=200)
    state_of(bob, b_id, "confirmed")
    bob.wait_event("CallMediaChanged", call_id=b_id, active=True)
    assert [c["call_id"] for c in alice.command("active_calls")] == [a_id]

    # hold: we see held, they see remote_held; resume undoes both
    ma, mb = alice.mark(), bob.mark()
    alice.command("hold", call_id=a_id)
    state_of(alice, a_id, "confirmed", since=ma, held=True)
    state_of(bob, b_id, "confirmed", since=mb, remote_held=True)
    ma, mb = alice.mark(), bob.mark()
    alice.command("resume", call_id=a_id)
    state_of(alice, a_id, "confirmed", since=ma, held=False)
    bob.wait_event("CallMediaChanged", since=mb, call_id=b_id, active=True)

    # DTMF both ways (RFC 4733)
    mb = bob.mark()
    alice.command("send_dtmf", call_id=a_id, digits="12#")
    digits = [bob.wait_event("DtmfReceived", since=mb, digit=d) for d in "12#"]
    assert all(d["method"] == "rfc4733" and d["call_id"] == b_id for d in digits)
    ma = alice.mark()
    bob.command("send_dtmf", call_id=b_id, digits="9*")
    for d in "9*":
        alice.wait_event("DtmfReceived", since=ma, call_id=a_id, digit=d)

    # hang up: both ends see it, with the right side marked as the one who ended it
    alice.command("hangup", call_id=a_id)
    ended_a = state_of(alice, a_id, "disconnected")
    ended_b = state_of(bob, b_id, "disconnected")
    assert ended_a["local_hangup"] is True and ended_b["local_hangup"] is False
    assert ended_b["code"] == 200
    quality = alice.wait_event("CallQuality", call_id=a_id)
    assert quality["codec"]
    assert alice.command("active_calls") == []


def test_mute_and_record_all(phone: PhoneFactory, tmp_path: Path) -> None:
    alice, bob = phone("alice"), phone("bob", calls={"record_all": True})
    a_id, b_id = connect(alice, bob, "bob")
    path = state_of(bob, b_id, "confirmed")["recording_path"]  # recording from the answer on
    assert path is not None
    assert Path(path).parent == tmp_path / "bob" / "recordings"
    mark = alice.mark()
    alice.command("set_mute", muted=True)
    state_of(alice, a_id, "confirmed", since=mark, muted=True)
    alice.command("hangup", call_id=a_id)
    finished = bob.wait_event("RecordingFinished", call_id=b_id)
    assert finished["path"] == path


def test_accounts_change_live_during_a_call(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    a_id, b_id = connect(alice, bob, "bob")
    mark = alice.mark()
    alice.command("set_accounts", accounts=[{"name": "desk", "address": "sip:alicia@127.0.0.1"}])
    assert alice.wait_event("RegistrationChanged", since=mark, account="desk")["state"] == "lan"
    gone = alice.wait_event("RegistrationChanged", since=mark, account="LAN")
    assert gone["state"] == "unregistered"
    # the call made on the old account goes on and ends normally
    alice.command("hangup", call_id=a_id)
    assert state_of(bob, b_id, "disconnected")["code"] == 200
    # new calls use the new identity
    mark = bob.mark()
    alice.command("dial", target=uri_of("bob", bob))
    assert bob.wait_event("IncomingCall", since=mark)["number"] == "alicia"


def test_dtmf_over_sip_info(phone: PhoneFactory) -> None:
    alice, bob = phone("alice", dtmf_method="info"), phone("bob")
    a_id, b_id = connect(alice, bob, "bob")
    mb = bob.mark()
    alice.command("send_dtmf", call_id=a_id, digits="5")
    assert bob.wait_event("DtmfReceived", since=mb, call_id=b_id, digit="5")["method"] == "info"


def test_caller_hangs_up_while_ringing(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    a_id = alice.command("dial", target=uri_of("bob", bob))
    b_id = bob.wait_event("IncomingCall")["call_id"]
    state_of(alice, a_id, "early")
    alice.command("hangup", call_id=a_id)
    missed = state_of(bob, b_id, "disconnected")
    assert missed["code"] == 487 and missed["local_hangup"] is False
    assert state_of(alice, a_id, "disconnected")["code"] == 487


def test_reject_busy_and_decline(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    for code in (486, 603):
        mark_a, mark_b = alice.mark(), bob.mark()
        a_id = alice.command("dial", target=uri_of("bob", bob))
        b_id = bob.wait_event("IncomingCall", since=mark_b)["call_id"]
        bob.command("reject", call_id=b_id, code=code)
        assert state_of(alice, a_id, "disconnected", since=mark_a)["code"] == code
        assert state_of(bob, b_id, "disconnected", since=mark_b)["local_hangup"] is True


def test_malformed_target_is_refused_and_nothing_is_sent(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    for bad in ("sip:bob@@127.0.0.1", "sip:", "bob smith", f"sip:bob@{bob.listen}:99999", ""):
        with pytest.raises(DriverError) as refused:
            alice.command("dial", target=bad)
        assert refused.value.error == "InvalidTarget"
    # A number needs a domain, which a LAN account on 127.0.0.1 has: it becomes a URI there.
    # The first call bob ever sees is the good one dialled after the refusals.
    a_id = alice.command("dial", target=uri_of("bob", bob))
    first = bob.wait_event("IncomingCall")
    assert first["call_id"] == 1 and first["number"] == "alice"
    alice.command("hangup", call_id=a_id)
    state_of(alice, a_id, "disconnected")
    assert len(bob.find_events("IncomingCall")) == 1


def test_one_caller_cannot_ring_more_than_twice_at_once(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    first = alice.command("dial", target=uri_of("bob", bob))
    state_of(alice, first, "early")
    second = alice.command("dial", target=uri_of("bob", bob))
    state_of(alice, second, "early")
    third = alice.command("dial", target=uri_of("bob", bob))
    assert state_of(alice, third, "disconnected")["code"] == 486
    assert len(bob.find_events("IncomingCall")) == 2
    assert bob.find_events("CallRejectedByRule") == []  # not a rule the user set: no trace


def test_do_not_disturb_answers_busy(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob", calls={"dnd": True})
    a_id = alice.command("dial", target=uri_of("bob", bob))
    assert state_of(alice, a_id, "disconnected")["code"] == 486
    refused = bob.wait_event("CallRejectedByRule")
    assert refused["rule"] == "dnd" and refused["code"] == 486 and refused["number"] == "alice"
    assert bob.find_events("IncomingCall") == []

    # turned off live: the next call rings
    bob.command("set_call_settings", calls={"dnd": False})
    mark = alice.mark()
    a_id = alice.command("dial", target=uri_of("bob", bob))
    bob.wait_event("IncomingCall")
    state_of(alice, a_id, "early", since=mark)


def test_auto_answer_after_delay(phone: PhoneFactory) -> None:
    alice = phone("alice")
    bob = phone("bob", calls={"auto_answer": True, "auto_answer_delay": 1})
    a_id = alice.command("dial", target=uri_of("bob", bob))
    ringing = state_of(alice, a_id, "early")
    talking = state_of(alice, a_id, "confirmed")
    assert talking["at"] - ringing["at"] >= 0.8, "auto-answer must wait the configured delay"
    bob_call = bob.wait_event("IncomingCall")["call_id"]
    state_of(bob, bob_call, "confirmed")


def test_forward_always_redirects_with_302(phone: PhoneFactory) -> None:
    alice, carol = phone("alice"), phone("carol")
    bob = phone("bob", calls={"forward_always": uri_of("carol", carol)})
    alice.command("dial", target=uri_of("bob", bob))
    forwarded = bob.wait_event("CallForwarded")
    assert forwarded["rule"] == "always" and forwarded["target"] == uri_of("carol", carol)
    assert forwarded["number"] == "alice"
    incoming = carol.wait_event("IncomingCall")
    assert incoming["number"] == "alice"
    assert bob.find_events("IncomingCall") == []


def test_forward_on_no_answer(phone: PhoneFactory) -> None:
    alice, carol = phone("alice"), phone("carol")
    bob = phone("bob", calls={"forward_no_answer": uri_of("carol", carol),
                              "forward_no_answer_after": 1})
    alice.command("dial", target=uri_of("bob", bob))
    rang = bob.wait_event("IncomingCall")
    forwarded = bob.wait_event("CallForwarded", rule="no_answer")
    assert forwarded["at"] - rang["at"] >= 0.8
    carol.wait_event("IncomingCall")
    state_of(bob, rang["call_id"], "disconnected")


def test_forward_on_busy_while_talking(phone: PhoneFactory) -> None:
    alice, carol = phone("alice"), phone("carol")
    bob = phone("bob", calls={"forward_busy": uri_of("alice", alice)})
    a_id, _b_id = connect(alice, bob, "bob")
    mark = alice.mark()
    carol.command("dial", target=uri_of("bob", bob))
    forwarded = bob.wait_event("CallForwarded")
    assert forwarded["rule"] == "busy" and forwarded["number"] == "carol"
    # the forwarded call reaches alice as a waiting call; her call with bob goes on
    waiting = alice.wait_event("IncomingCall", since=mark)
    assert waiting["number"] == "carol" and waiting["waiting"] is True
    assert [c["call_id"] for c in bob.command("active_calls")] == [_b_id]
    assert alice.find_events("CallStateChanged", call_id=a_id, state="disconnected") == []


def test_recording_holds_both_sides(phone: PhoneFactory, tmp_path: Path) -> None:
    alice, bob = phone("alice", tone_hz=1000), phone("bob", tone_hz=600)
    a_id, _b_id = connect(alice, bob, "bob")
    path = Path(alice.command("start_recording", call_id=a_id))
    assert path.parent == tmp_path / "alice" / "recordings"
    state_of(alice, a_id, "confirmed", recording_path=str(path))
    # 16 kHz mono 16-bit: 1.5 s is 48 000 bytes after the header
    wait_until(lambda: path.exists() and path.stat().st_size > 44 + 48_000, 10.0,
               "1.5 s of recording")
    alice.command("stop_recording", call_id=a_id)
    finished = alice.wait_event("RecordingFinished", call_id=a_id)
    assert finished["path"] == str(path) and finished["seconds"] >= 1.5
    alice.command("hangup", call_id=a_id)
    state_of(alice, a_id, "disconnected")
    with wave.open(str(path)) as w:
        assert w.getnframes() / w.getframerate() >= 1.5
    assert tone_share(path, 600) > 0.2, "the far end's tone is missing from the recording"
    assert tone_share(path, 1000) > 0.05, "our own tone is missing from the recording"


def test_blind_transfer(phone: PhoneFactory) -> None:
    alice, bob, carol = phone("alice"), phone("bob"), phone("carol")
    a_id, b_id = connect(alice, bob, "bob")
    bob.command("transfer", call_id=b_id, target=uri_of("carol", carol))
    c_call = carol.wait_event("IncomingCall")
    assert c_call["number"] == "alice"
    carol.command("answer", call_id=c_call["call_id"])
    done = bob.wait_event("TransferStatus", call_id=b_id, final=True)
    assert done["code"] == 200
    state_of(bob, b_id, "disconnected")
    state_of(alice, a_id, "disconnected")
    new_call = alice.wait_event("CallStateChanged", state="confirmed",
                                remote_uri=uri_of("carol", carol))
    assert new_call["call_id"] != a_id


def test_attended_transfer(phone: PhoneFactory) -> None:
    alice, bob, carol = phone("alice"), phone("bob"), phone("carol")
    a_id, b_a = connect(alice, bob, "bob")
    b_c, c_id = connect(bob, carol, "carol")  # the consultation call puts alice on hold
    state_of(bob, b_a, "confirmed", held=True)
    mark_c = carol.mark()
    bob.command("attended_transfer", call_id=b_a, consult_call_id=b_c)
    state_of(bob, b_a, "disconnected")
    state_of(bob, b_c, "disconnected")
    # carol's call with bob is replaced by one with alice
    state_of(carol, c_id, "disconnected", since=mark_c)
    carol.wait_event("CallStateChanged", since=mark_c, state="confirmed", number="alice")
    joined = alice.wait_event("CallStateChanged", state="confirmed", number="carol")
    assert joined["call_id"] != a_id
    state_of(alice, a_id, "disconnected")


def test_call_waiting_and_switching(phone: PhoneFactory) -> None:
    alice, bob, carol = phone("alice"), phone("bob"), phone("carol")
    _a_id, b_a = connect(alice, bob, "bob")
    mark = bob.mark()
    carol.command("dial", target=uri_of("bob", bob))
    waiting = bob.wait_event("IncomingCall", since=mark)
    assert waiting["waiting"] is True and waiting["number"] == "carol"
    bob.command("answer", call_id=waiting["call_id"])
    state_of(bob, b_a, "confirmed", since=mark, held=True)
    state_of(bob, waiting["call_id"], "confirmed", since=mark)
    # switch back: resuming alice holds carol
    mark = bob.mark()
    bob.command("resume", call_id=b_a)
    state_of(bob, b_a, "confirmed", since=mark, held=False)
    state_of(bob, waiting["call_id"], "confirmed", since=mark, held=True)


def test_local_conference_mixes_everyone(phone: PhoneFactory) -> None:
    alice, bob = phone("alice", tone_hz=1000), phone("bob", tone_hz=600)
    carol = phone("carol", tone_hz=1400)
    a_id, b_a = connect(alice, bob, "bob")
    _b_c, _c_id = connect(bob, carol, "carol")
    mark = bob.mark()
    bob.command("conference", call_ids=[b_a, _b_c])
    state_of(bob, b_a, "confirmed", since=mark, held=False)
    # bob's recording of his call with alice holds carol too
    bob_path = Path(bob.command("start_recording", call_id=b_a))
    # alice now hears carol, through bob's mix
    path = Path(alice.command("start_recording", call_id=a_id))
    wait_until(lambda: path.exists() and path.stat().st_size > 44 + 48_000, 10.0,
               "1.5 s of recording")
    alice.command("hangup", call_id=a_id)  # hanging up ends the recording too
    alice.wait_event("RecordingFinished", call_id=a_id)
    assert tone_share(path, 1400) > PRESENT, "alice does not hear carol in the conference"
    assert tone_share(path, 600) > PRESENT, "alice does not hear bob in the conference"
    bob.wait_event("RecordingFinished", call_id=b_a)
    for hz in (1000, 1400, 600):
        assert tone_share(bob_path, hz) > PRESENT, f"{hz} Hz missing from bob's recording"


def test_quit_during_call_is_clean(phone: PhoneFactory) -> None:
    alice, bob = phone("alice"), phone("bob")
    _a_id, b_id = connect(alice, bob, "bob")
    assert alice.close() == 0
    assert alice.find_events("EngineStopped")
    state_of(bob, b_id, "disconnected")


def test_sigterm_during_call_stops_cleanly(phone: PhoneFactory) -> None:
    import signal

    alice, bob = phone("alice"), phone("bob")
    _a_id, b_id = connect(alice, bob, "bob")
    assert alice.proc is not None
    alice.proc.send_signal(signal.SIGTERM)
    assert alice.proc.wait(15) == 0
    alice.wait_event("EngineStopped")
    state_of(bob, b_id, "disconnected")


def test_port_in_use_fails_to_start(phone: PhoneFactory) -> None:
    alice = phone("alice")
    port = int(alice.listen.rsplit(":", 1)[1])
    with pytest.raises(DriverError) as failed:
        phone("bob", listen_port=port)
    assert failed.value.error == "EngineError"
    assert str(port) in failed.value.message


class TlsRegistrar:
    """A TLS server whose certificate (for 127.0.0.1) is signed by a throw-away CA; it
    answers every REGISTER with 403, so reaching it proves the handshake was accepted."""

    def __init__(self, workdir: Path) -> None:
        import shutil
        import socket
        import ssl
        import subprocess

        if shutil.which("openssl") is None:
            pytest.skip("openssl is not installed")
        self.ca = workdir / "ca.pem"
        cert, key = workdir / "cert.pem", workdir / "key.pem"
        ext = workdir / "ext.cnf"
        ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                       "extendedKeyUsage=serverAuth\n")

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                str(workdir / "ca.key"), "-out", str(self.ca), "-days", "1",
                "-subj", "/CN=softphone test CA")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                str(workdir / "srv.csr"), "-subj", "/CN=127.0.0.1")
        openssl("x509", "-req", "-in", str(workdir / "srv.csr"), "-CA", str(self.ca),
                "-CAkey", str(workdir / "ca.key"), "-CAcreateserial", "-out", str(cert),
                "-days", "1", "-extfile", str(ext))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handshakes_failed = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import ssl

        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn, ssl), daemon=True).start()

    def _answer(self, conn: Any, ssl: Any) -> None:
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                lines = data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
                keep = [ln for ln in lines[1:] if ln.split(":", 1)[0].strip().lower()
                        in ("via", "from", "to", "call-id", "cseq", "v", "f", "t", "i")]
                reply = "\r\n".join(["SIP/2.0 403 Forbidden", *keep, "Content-Length: 0", "", ""])
                tls.sendall(reply.encode())
                tls.recv(1)  # keep the connection until the client closes it
        except (ssl.SSLError, OSError):
            self.handshakes_failed += 1

    def close(self) -> None:
        self.sock.close()


def test_tls_verifies_the_server_certificate(phone: PhoneFactory, tmp_path: Path) -> None:
    server = TlsRegistrar(tmp_path)
    try:
        registrar = f"sip:127.0.0.1:{server.port}"
        # a CA this machine does not trust: refused
        strict = phone("alice", registrar=registrar, transport="tls", password="pw-strict")
        refused = strict.wait_event("RegistrationChanged", state="failed")
        assert "certificate" in refused["reason"].lower()
        assert refused["next_retry_in"] > 0
        # the same server once its CA is in the trust store: the REGISTER gets through
        trusting = phone("carol", registrar=registrar, transport="tls", password="pw-trust",
                         env={"SSL_CERT_FILE": str(server.ca)})
        assert trusting.wait_event("RegistrationChanged", state="failed")["code"] == 403
        # verification off: the untrusted server is accepted
        lenient = phone("bob", registrar=registrar, transport="tls", tls_verify=False,
                        password="pw-lenient")
        assert lenient.wait_event("RegistrationChanged", state="failed")["code"] == 403
    finally:
        server.close()


class FailingRegistrar:
    """A UDP "registrar" that answers every REGISTER with 503 Service Unavailable."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            self.requests += 1
            lines = data.decode(errors="replace").split("\r\n")
            keep = [ln for ln in lines[1:] if ln.split(":", 1)[0].strip().lower()
                    in ("via", "from", "to", "call-id", "cseq")]
            reply = "\r\n".join(["SIP/2.0 503 Service Unavailable", *keep,
                                  "Content-Length: 0", "", ""])
            self.sock.sendto(reply.encode(), peer)

    def close(self) -> None:
        self.sock.close()


def test_registration_failures_never_block_the_phone(phone: PhoneFactory) -> None:
    registrar = FailingRegistrar()
    try:
        alice = phone("alice", extra_accounts=(
            {"name": "nodns", "address": "sip:alice@no-such-host.invalid",
             "registrar": "sip:no-such-host.invalid", "password": "pw-nodns"},
            {"name": "down", "address": "sip:alice@127.0.0.1",
             "registrar": f"sip:127.0.0.1:{registrar.port}", "password": "pw-down"},
        ))
        bob = phone("bob")
        unresolved = alice.wait_event("RegistrationChanged", account="nodns", state="failed")
        assert "resolve" in unresolved["reason"] and unresolved["next_retry_in"] > 0
        refused = alice.wait_event("RegistrationChanged", account="down", state="failed")
        assert refused["code"] == 503 and refused["next_retry_in"] > 0
        # the phone still works at once: a LAN call goes through
        started = time.monotonic()
        a_id = alice.command("dial", target=uri_of("bob", bob), account="LAN")
        assert time.monotonic() - started < 1.0
        bob.wait_event("IncomingCall")
        state_of(alice, a_id, "early")
        # unregistering stops the retries
        alice.command("unregister", name="down")
        alice.wait_event("RegistrationChanged", account="down", state="unregistered")
    finally:
        registrar.close()
