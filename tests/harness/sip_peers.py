"""Real SIP peers for integration tests: kamailio, baresip and linphonec, each in a temp dir.

Every class is a context manager: ``__enter__`` writes the peer's config (free ports), starts
the process and waits until it answers; ``__exit__`` stops it (also when the test failed) and
kills it if it does not quit in time. Nothing here sleeps to wait: each wait polls a condition
(a socket that answers, a line in the output, an event) with a deadline.

* :class:`Kamailio`: registrar + stateful proxy on ``127.0.0.1:port`` (UDP); every user's
  password is ``secret``; REGISTER and new INVITE/REFER/MESSAGE/SUBSCRIBE are challenged.
* :class:`Baresip`: an independent phone driven through its ``ctrl_tcp`` module (JSON in
  netstrings); plays a sine tone and dumps what it hears to ``dump-*-dec.wav``.
* :class:`Linphonec`: a second independent phone driven over stdin.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.harness.ports import free_port

DATA = Path(__file__).parent / "data"
PASSWORD = "secret"


class PeerError(RuntimeError):
    """A peer did not start, answer or behave in time; the message carries its log tail."""


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", template)
    if left:
        raise ValueError(f"unfilled placeholders: {left}")
    return template


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f} s waiting for {what}")
        threading.Event().wait(step)


def sip_options_ping(host: str, port: int, timeout: float = 0.2) -> str | None:
    """Send one SIP OPTIONS over UDP; return the status line of the answer, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        msg = (
            f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@127.0.0.1:{local}>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{host}:{port}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}@probe\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        s.sendto(msg.encode(), (host, port))
        s.settimeout(timeout)
        try:
            data = s.recv(65535)
        except OSError:
            return None
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


class _Peer:
    """A child process with its output in a log file; subclasses fill in ``_start``."""

    name = "peer"

    def __init__(self, workdir: Path | None) -> None:
        self._own_dir = workdir is None
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-")) if workdir is None else workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.dir / f"{self.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        """Everything the process wrote to stdout/stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _fail(self, message: str) -> PeerError:
        tail = "\n".join(self.log().splitlines()[-40:])
        return PeerError(f"{self.name}: {message}\n--- last lines of {self.log_path} ---\n{tail}")

    def _popen(self, argv: list[str], env: dict[str, str] | None = None,
               stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv, stdin=stdin, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir,
                env=env, start_new_session=True,
            )
        return self.proc

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _start(self) -> None:
        raise NotImplementedError

    def _ask_to_quit(self) -> None:
        """Polite shutdown (a quit command); default: SIGTERM."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 3.0) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                self._ask_to_quit()
                proc.wait(timeout)
            except (subprocess.TimeoutExpired, OSError):
                pass
            if proc.poll() is None:
                # e.g. baresip waiting for a BYE transaction that will never be answered
                proc.terminate()
                try:
                    proc.wait(1.0)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5.0)

    def cleanup(self) -> None:
        """Remove the temp dir if this object made it (keep it while debugging: don't call)."""
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------


#: db_text tables of kamailio's presence modules (kamailio 5.6 schema versions)
PRESENCE_TABLES = {
    "presentity": (5, "id(int,auto) username(string) domain(string) event(string) "
                      "etag(string) expires(int) received_time(int) body(string) "
                      "sender(string) priority(int) ruid(string,null)"),
    "active_watchers": (12, "id(int,auto) presentity_uri(string) watcher_username(string) "
                            "watcher_domain(string) to_user(string) to_domain(string) "
                            "event(string) event_id(string,null) to_tag(string) "
                            "from_tag(string) callid(string) local_cseq(int) "
                            "remote_cseq(int) contact(string) record_route(string,null) "
                            "expires(int) status(int) reason(string,null) version(int) "
                            "socket_info(string) local_contact(string) from_user(string) "
                            "from_domain(string) updated(int) updated_winfo(int) flags(int) "
                            "user_agent(string,null)"),
    "watchers": (3, "id(int,auto) presentity_uri(string) watcher_username(string) "
                    "watcher_domain(string) event(string) status(int) reason(string,null) "
                    "inserted_time(int)"),
    "xcap": (4, "id(int,auto) username(string) domain(string) doc(string) doc_type(int) "
                "etag(string) source(int) doc_uri(string) port(int)"),
}


def write_presence_tables(directory: Path) -> None:
    """An empty db_text database for the presence modules (one file per table)."""
    directory.mkdir(parents=True, exist_ok=True)
    versions = ["id(int,auto) table_name(string) table_version(int)"]
    for number, (table, (version, columns)) in enumerate(PRESENCE_TABLES.items(), start=1):
        (directory / table).write_text(columns + "\n")
        versions.append(f"{number}:{table}:{version}")
    (directory / "version").write_text("\n".join(versions) + "\n")


class Kamailio(_Peer):
    """Registrar + proxy (UDP, no DB) on ``127.0.0.1:port``; password ``secret`` for everyone."""

    name = "kamailio"

    def __init__(self, port: int | None = None, workdir: Path | None = None, *,
                 tls: bool = False, presence: bool = False) -> None:
        super().__init__(workdir)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        #: TLS listener port (needs the kamailio tls module and openssl), else None
        self.tls_port: int | None = free_port() if tls else None
        #: a presence server too (kamailio-presence-modules): presence and message-summary
        self.presence = presence

    @property
    def uri(self) -> str:
        """``sip:127.0.0.1:PORT`` (registrar / outbound proxy URI)."""
        return f"sip:{self.host}:{self.port}"

    def aor(self, user: str) -> str:
        return f"sip:{user}@{self.host}:{self.port}"

    @property
    def tls_uri(self) -> str:
        """``sip:127.0.0.1:TLSPORT;transport=tls``."""
        if self.tls_port is None:
            raise ValueError("this kamailio was started without tls=True")
        return f"sip:{self.host}:{self.tls_port};transport=tls"

    def _write_tls_files(self) -> Path:
        key, cert = self.dir / "tls.key", self.dir / "tls.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", f"/CN={self.host}", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )
        tls_cfg = self.dir / "tls.cfg"
        tls_cfg.write_text(_fill((DATA / "kamailio-tls.cfg").read_text(),
                                 {"KEY": str(key), "CERT": str(cert)}))
        return tls_cfg

    def _start(self) -> None:
        cfg = self.dir / "kamailio.cfg"
        values = {"SIP_PORT": str(self.port), "TLS_PORT": str(self.tls_port or 0),
                  "TLS_CFG": ""}
        defines: list[str] = []
        if self.tls_port is not None:
            values["TLS_CFG"] = str(self._write_tls_files())
            defines = ["-A", "WITH_TLS"]
        if self.presence:
            write_presence_tables(self.dir / "db")
            defines += ["-A", "WITH_PRESENCE", "-A", f'PRESENCE_DB="text://{self.dir / "db"}"']
        cfg.write_text(_fill((DATA / "kamailio.cfg").read_text(), values))
        self._popen([
            "kamailio", "-DD", "-E", "-f", str(cfg), "-Y", str(self.dir), "-w", str(self.dir),
            "-P", str(self.dir / "kamailio.pid"), "-m", "32", "-M", "4", *defines,
        ])
        try:
            wait_until(self._answers, 10.0, f"kamailio to answer on port {self.port}")
            if self.tls_port is not None:
                wait_until(self._tls_listening, 10.0, f"kamailio TLS on port {self.tls_port}")
        except TimeoutError as e:
            raise self._fail(str(e)) from None

    def _answers(self) -> bool:
        if not self.running():
            raise self._fail("exited while starting")
        return sip_options_ping(self.host, self.port) is not None

    def _tls_listening(self) -> bool:
        assert self.tls_port is not None
        try:
            socket.create_connection((self.host, self.tls_port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def saved(self, user: str) -> bool:
        """A REGISTER of ``user`` was accepted (and its contact saved) at least once."""
        return f"saved location of {user} " in self.log()

    def received(self, method: str) -> list[str]:
        """Log lines of every request of ``method`` that reached kamailio."""
        return [ln for ln in self.log().splitlines() if f"received {method} " in ln]

    def relayed(self, method: str) -> list[str]:
        """Log lines of requests the proxy relayed (``relay METHOD uri (from ...)``)."""
        return [ln for ln in self.log().splitlines() if f"relay {method} " in ln]


# ---------------------------------------------------------------------------------------------


class Baresip(_Peer):
    """baresip driven over ``ctrl_tcp``.

    Args:
        user: user part of its address ``sip:USER@127.0.0.1:PORT`` (digits work: caller ID).
        auto_answer: answer incoming calls at once.
        answer_mode: baresip's ``answermode`` instead (``early``: 183 with SDP and its tone,
            the 200 on ``accept``).
        tone_hz: the sine tone it sends in every call (``audio_source ausine,HZ``).
        dump_dir: where ``sndfile`` dumps what it heard/sent (default: ``DIR/dumps``).
        register_with: register ``sip:USER@kamailio`` (password ``secret``) and send every
            request through that proxy; None: no registration, direct calls.
        codecs: ``audio_codecs`` of the account (the full form: ``opus/48000/2``).
        modules: more codec modules to load (``opus.so``); ``opus_*`` settings go in
            ``options`` (config lines, e.g. ``{"opus_inbandfec": "yes"}``).
        contacts: its address book (``"Name" <sip:...>`` lines; module ``contact``): the
            ``message`` command writes to the first one (SIP MESSAGE). With contacts, the
            ``cons`` console is loaded too: what baresip shows a user (a received MESSAGE)
            collects in :meth:`console`.
    """

    name = "baresip"

    def __init__(self, port: int | None = None, user: str = "bob", *, auto_answer: bool = True,
                 tone_hz: int = 440, dump_dir: Path | None = None,
                 register_with: Kamailio | None = None, codecs: str = "PCMU,G722",
                 contacts: list[str] | None = None,
                 modules: tuple[str, ...] = (), options: dict[str, str] | None = None,
                 audio_source: str | None = None, workdir: Path | None = None,
                 answer_mode: str | None = None) -> None:
        super().__init__(workdir)
        self.answer_mode = answer_mode
        # baresip also binds PORT+1 (TLS) when libre has TLS.
        self.port = port or free_port(count=2)
        self.user = user
        self.auto_answer = auto_answer
        self.tone_hz = tone_hz
        self.dump_dir = dump_dir or self.dir / "dumps"
        self.register_with = register_with
        self.codecs = codecs
        self.contacts = contacts or []
        self.cons_port = free_port()
        self._console: list[str] = []
        self._cons_sock: socket.socket | None = None
        self.modules = modules
        self.options = dict(options or {})
        self.audio_source = audio_source or f"ausine,{tone_hz}"
        self.ctrl_port = free_port()
        self.rtp_base = free_port(count=8)
        self.events: list[dict[str, Any]] = []
        self._events_cv = threading.Condition()
        self._responses: dict[str, queue.Queue[dict[str, Any]]] = {}
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()

    @property
    def uri(self) -> str:
        """Where to call it directly: ``sip:USER@127.0.0.1:PORT``."""
        return f"sip:{self.user}@127.0.0.1:{self.port}"

    @property
    def aor(self) -> str:
        return self.register_with.aor(self.user) if self.register_with else self.uri

    def _account_line(self) -> str:
        answer = self.answer_mode or ("auto" if self.auto_answer else "manual")
        common = f"answermode={answer};audio_codecs={self.codecs}"
        k = self.register_with
        if k is None:
            return f"<{self.uri}>;regint=0;{common}"
        return (f"<{k.aor(self.user)}>;auth_pass={PASSWORD};regint=600;"
                f'outbound="{k.uri}";{common}')

    def _start(self) -> None:
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "conf"
        conf.mkdir(exist_ok=True)
        (conf / "config").write_text(_fill((DATA / "baresip.config").read_text(), {
            "SIP_PORT": str(self.port),
            "AUDIO_SOURCE": self.audio_source,
            "RTP_PORTS": f"{self.rtp_base}-{self.rtp_base + 7}",
            "CTRL_PORT": str(self.ctrl_port),
            "DUMP_DIR": str(self.dump_dir),
            "EXTRA_MODULES": "\n".join(
                [f"module\t\t\t{m}" for m in self.modules]
                + [f"{k}\t\t{v}" for k, v in self.options.items()]),
        }))
        (conf / "accounts").write_text(self._account_line() + "\n")
        if self.contacts:
            (conf / "contacts").write_text("\n".join(self.contacts) + "\n")
            with (conf / "config").open("a") as config:
                config.write("module_app\t\tcontact.so\nmodule\t\t\tcons.so\n"
                             f"cons_listen\t\t127.0.0.1:{self.cons_port}\n")
        self._popen(["baresip", "-f", str(conf)])
        try:
            self._sock = wait_until(self._connect, 10.0, "baresip ctrl_tcp to accept")
        except TimeoutError as e:
            raise self._fail(str(e)) from None
        self._reader = threading.Thread(target=self._read_loop, name="baresip-ctrl", daemon=True)
        self._reader.start()
        if self.contacts:
            self._cons_sock = socket.create_connection(("127.0.0.1", self.cons_port), 5.0)
            threading.Thread(target=self._read_console, name="baresip-cons",
                             daemon=True).start()
        if self.register_with is not None:
            # REGISTER_OK may come before ctrl_tcp accepts: read the log line instead.
            try:
                wait_until(lambda: re.search(r"\} 200 OK .*binding", self.log()), 10.0,
                           f"baresip {self.user} to register")
            except TimeoutError as e:
                raise self._fail(str(e)) from None

    def _read_console(self) -> None:
        sock = self._cons_sock
        assert sock is not None
        sock.settimeout(None)
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self._console.append(chunk.decode("utf-8", "replace"))

    def console(self) -> str:
        """What baresip showed on its console so far (with ``contacts``)."""
        return "".join(self._console)

    def _connect(self) -> socket.socket | None:
        if not self.running():
            raise self._fail("exited while starting")
        try:
            return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=0.2)
        except OSError:
            return None

    def _read_loop(self) -> None:
        assert self._sock is not None
        sock = self._sock
        sock.settimeout(None)
        buf = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                length = int(buf[:colon])
                if len(buf) < colon + 1 + length + 1:
                    break
                payload = buf[colon + 1: colon + 1 + length]
                buf = buf[colon + 1 + length + 1:]
                self._dispatch(json.loads(payload))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("response"):
            q = self._responses.get(str(msg.get("token")))
            if q is not None:
                q.put(msg)
            return
        with self._events_cv:
            self.events.append(msg)
            self._events_cv.notify_all()

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> dict[str, Any]:
        """Run a baresip command (``dial``, ``hangup``, ``accept``, ``hold``, ...); its response."""
        if self._sock is None:
            raise self._fail("not started")
        token = uuid.uuid4().hex[:12]
        q: queue.Queue[dict[str, Any]] = queue.Queue()
        self._responses[token] = q
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        with self._send_lock:
            self._sock.sendall(str(len(body)).encode() + b":" + body + b",")
        try:
            return q.get(timeout=timeout)
        except queue.Empty:
            raise self._fail(f"no response to {command!r} in {timeout} s") from None
        finally:
            self._responses.pop(token, None)

    def dial(self, uri: str) -> None:
        self.command("dial", uri)

    def hangup(self) -> None:
        self.command("hangup")

    def accept(self) -> None:
        self.command("accept")

    def send_dtmf(self, digits: str) -> None:
        """Send RFC 4733 digits in the current call (one ``sndcode`` per digit)."""
        for d in digits:
            self.command("sndcode", d)

    def wait_event(self, type_: str, timeout: float = 10.0, since: int = 0,
                   **match: str) -> dict[str, Any]:
        """The first event of ``type_`` (e.g. ``CALL_ESTABLISHED``) at index >= ``since``.

        ``match`` filters on other fields (``direction="incoming"``).
        """
        def find() -> dict[str, Any] | None:
            for ev in self.events[since:]:
                if ev.get("type") == type_ and all(ev.get(k) == v for k, v in match.items()):
                    return ev
            return None

        deadline = time.monotonic() + timeout
        with self._events_cv:
            while True:
                found = find()
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    seen = [e.get("type") for e in self.events[since:]]
                    raise self._fail(f"no {type_} event in {timeout} s (saw {seen})")
                self._events_cv.wait(min(left, 0.1))

    def wait_for_any(self, types: tuple[str, ...], timeout: float = 10.0,
                     since: int = 0) -> dict[str, Any]:
        """The first event (index >= ``since``) whose type is one of ``types``."""
        deadline = time.monotonic() + timeout
        with self._events_cv:
            while True:
                for ev in self.events[since:]:
                    if ev.get("type") in types:
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    seen = [e.get("type") for e in self.events[since:]]
                    raise self._fail(f"none of {types} in {timeout} s (saw {seen})")
                self._events_cv.wait(min(left, 0.1))

    def decoded_dumps(self) -> list[Path]:
        """The WAV files of audio it received (``dump-*-dec.wav``), oldest first.

        baresip names them by the second a stream starts and starts one on every media
        update: a re-INVITE in the same second as the call started overwrites the dump.
        """
        return sorted(self.dump_dir.glob("dump-*-dec.wav"))

    def _ask_to_quit(self) -> None:
        if self._sock is not None and self.running():
            try:
                body = json.dumps({"command": "quit", "params": "", "token": "quit"}).encode()
                with self._send_lock:
                    self._sock.sendall(str(len(body)).encode() + b":" + body + b",")
            except OSError:
                super()._ask_to_quit()
        else:
            super()._ask_to_quit()

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._cons_sock is not None:
            self._cons_sock.close()
            self._cons_sock = None


# ---------------------------------------------------------------------------------------------


class Linphonec(_Peer):
    """linphonec (liblinphone's console phone) driven over stdin, with a private $HOME.

    Args:
        user: user part of ``sip:USER@127.0.0.1:PORT``.
        auto_answer: start with ``-a``.
        register_with: register ``sip:USER@kamailio`` with password ``secret``.
        codecs: enable only these (``opus/48000/2``, ``PCMA/8000/1``); None: its defaults.
    """

    name = "linphonec"
    # what linphonec (Debian 12) lists in `codec list`, as mime/rate/channels
    KNOWN_CODECS = ("opus/48000/2", "speex/16000/1", "speex/8000/1", "PCMU/8000/1",
                    "PCMA/8000/1", "GSM/8000/1", "G722/8000/1", "speex/32000/1")

    def __init__(self, port: int | None = None, user: str = "carol", *, auto_answer: bool = True,
                 register_with: Kamailio | None = None, codecs: tuple[str, ...] | None = None,
                 workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.port = port or free_port()
        self.rtp_port = free_port(count=2)
        self.user = user
        self.auto_answer = auto_answer
        self.register_with = register_with
        self.codecs = codecs
        self._lines: list[str] = []
        self._cv = threading.Condition()
        self._reader: threading.Thread | None = None

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.port}"

    def _rc(self) -> str:
        text = _fill((DATA / "linphonerc").read_text(), {
            "SIP_PORT": str(self.port),
            "RTP_PORT": str(self.rtp_port),
            "DEFAULT_PROXY": "0" if self.register_with else "-1",
            "USER": self.user,
        })
        k = self.register_with
        if k is not None:
            text += (
                "\n[proxy_0]\n"
                f"reg_proxy=<{k.uri}>\nreg_identity={k.aor(self.user)}\n"
                "reg_expires=600\nreg_sendregister=1\npublish=0\n"
                "\n[auth_info_0]\n"
                f"username={self.user}\npasswd={PASSWORD}\nrealm=127.0.0.1\n"
            )
        if self.codecs is not None:
            listed = list(self.codecs) + [c for c in self.KNOWN_CODECS if c not in self.codecs]
            for i, codec in enumerate(listed):
                mime, rate, channels = codec.split("/")
                text += (f"\n[audio_codec_{i}]\nmime={mime}\nrate={rate}\nchannels={channels}\n"
                         f"enabled={int(codec in self.codecs)}\n")
        return text

    def _start(self) -> None:
        home = self.dir / "home"
        (home / ".local" / "share" / "linphone").mkdir(parents=True, exist_ok=True)
        rc = self.dir / "linphonerc"
        rc.write_text(self._rc())
        env = dict(os.environ, HOME=str(home))
        argv = ["linphonec", "-c", str(rc)] + (["-a"] if self.auto_answer else [])
        with open(self.log_path, "ab"):
            pass
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=self.dir, env=env, start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_loop, name="linphonec-out", daemon=True)
        self._reader.start()
        try:
            wait_until(self._listening, 15.0, f"linphonec to listen on UDP {self.port}")
            k = self.register_with
            if k is not None:  # linphonec prints nothing when it registers: ask kamailio
                wait_until(lambda: k.saved(self.user), 10.0, f"linphonec {self.user} to register")
        except TimeoutError as e:
            raise self._fail(str(e)) from None

    def _listening(self) -> bool:
        if not self.running():
            raise self._fail("exited while starting")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", self.port))
            except OSError:
                return True
        return False

    def _read_loop(self) -> None:
        from tests.harness.pipes import lines_then_close

        assert self.proc is not None and self.proc.stdout is not None
        with open(self.log_path, "ab") as log:
            for raw in lines_then_close(self.proc.stdout):
                log.write(raw)
                log.flush()
                with self._cv:
                    self._lines.append(raw.decode(errors="replace").rstrip("\n"))
                    self._cv.notify_all()

    @property
    def lines(self) -> list[str]:
        with self._cv:
            return list(self._lines)

    def send(self, line: str) -> None:
        """Type one command (``call sip:...``, ``answer``, ``terminate``, ``calls``...)."""
        if self.proc is None or self.proc.stdin is None:
            raise self._fail("not started")
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_output(self, pattern: str, timeout: float = 10.0, since: int = 0) -> re.Match[str]:
        """The first output line (index >= ``since``) matching the regex ``pattern``."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for line in self._lines[since:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or not self.running():
                    raise self._fail(f"no output matching {pattern!r} in {timeout} s")
                self._cv.wait(min(left, 0.1))

    def _ask_to_quit(self) -> None:
        try:
            self.send("quit")
        except (OSError, PeerError):
            super()._ask_to_quit()

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if self._reader is not None:
            self._reader.join(2.0)
