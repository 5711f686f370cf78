"""Phones inside the lab: the app's real Engine (driven out of process, run in a namespace)
and baresip with its ``ice``, ``stun``, ``turn`` and ``srtp`` modules.

baresip is driven over ``ctrl_tcp`` like the other real-peer tests; its control socket
listens on its namespace's loopback and the test reaches it from a thread that enters that
namespace for the connect (:func:`lab.in_netns`).
"""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path
from typing import Any

from tests.harness.audio_analysis import band_share, loudest_window, read_wav
from tests.harness.sip_peers import Baresip, PeerError, wait_until
from tests.integration.network.lab import Lab, in_netns
from tests.integration.network.servers import SIP_PASSWORD, LabKamailio
from tests.integration.sip.engine_proc import EngineProcess

OUR_TONE = 1000  # what the app's test microphone plays
THEIR_TONE = 440  # what baresip plays

_BARESIP_CONFIG = """# baresip in the network lab (written by the test)
poll_method		epoll
sip_listen		@IP@:@PORT@
net_interface		@IP@
net_prefer_ipv6		no
call_local_timeout	120
call_max_calls		4
audio_source		ausine,@TONE@
ausrc_srate		48000
ausrc_channels		2
auplay_srate		48000
auplay_channels		2
audio_level		no
rtp_ports		@RTP_FIRST@-@RTP_LAST@
rtp_timeout		0
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			sndfile.so
module			stun.so
module			turn.so
module			ice.so
module			srtp.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:@CTRL_PORT@
snd_path		@DUMP_DIR@
"""


class LabBaresip(Baresip):
    """baresip in namespace ``role`` on ``ip``.

    Args:
        register_with: kamailio to register with (password ``secret``, outbound proxy).
        medianat: "" (none), "ice", "stun" or "turn"; ``stun_server`` as baresip wants it
            (``stun:host:port`` / ``turn:host:port``) with ``stun_user``/``stun_pass``.
        mediaenc: "" (no SRTP), "srtp" (optional) or "srtp-mand".
    """

    def __init__(self, lab: Lab, role: str, ip: str, workdir: Path, *, user: str = "bob",
                 register_with: LabKamailio | None = None, auto_answer: bool = True,
                 tone_hz: int = THEIR_TONE, medianat: str = "", stun_server: str = "",
                 stun_user: str = "", stun_pass: str = "", mediaenc: str = "",
                 transport: str = "udp", verbose: bool = False, slot: int = 0) -> None:
        # ``slot``: a second baresip in the same namespace takes other ports
        super().__init__(port=5062 + 10 * slot, user=user, auto_answer=auto_answer,
                         tone_hz=tone_hz, workdir=workdir)
        self.lab, self.role, self.ip = lab, role, ip
        self.kamailio = register_with
        self.medianat, self.stun_server = medianat, stun_server
        self.stun_user, self.stun_pass = stun_user, stun_pass
        self.mediaenc = mediaenc
        self.transport = transport
        self.verbose = verbose
        self.ctrl_port = 4444 + slot
        self.rtp_base = 20000 + 100 * slot

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@{self.ip}:{self.port}"

    @property
    def aor(self) -> str:
        return self.kamailio.aor(self.user) if self.kamailio else self.uri

    def _account_line(self) -> str:
        answer = "auto" if self.auto_answer else "manual"
        params = [f"answermode={answer}", "audio_codecs=PCMU/8000/1"]
        if self.medianat:
            params.append(f"medianat={self.medianat}")
        if self.stun_server:
            params.append(f"stunserver={self.stun_server}")
        if self.stun_user:
            params += [f"stunuser={self.stun_user}", f"stunpass={self.stun_pass}"]
        if self.mediaenc:
            params.append(f"mediaenc={self.mediaenc}")
        k = self.kamailio
        if k is None:
            return f"<{self.uri}>;regint=0;" + ";".join(params)
        outbound = k.uri("tcp" if self.transport == "tcp" else "udp")
        return (f"<{k.aor(self.user)}>;auth_pass={SIP_PASSWORD};regint=600;"
                f'outbound="{outbound}";' + ";".join(params))

    def _popen(self, argv: list[str], env: dict[str, str] | None = None,
               stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.lab.exec(self.role, *argv), stdin=stdin, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.dir, env=env, start_new_session=True)
        return self.proc

    def _start(self) -> None:
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "conf"
        conf.mkdir(exist_ok=True)
        text = _BARESIP_CONFIG
        for key, value in {"IP": self.ip, "PORT": str(self.port), "TONE": str(self.tone_hz),
                           "RTP_FIRST": str(self.rtp_base), "RTP_LAST": str(self.rtp_base + 40),
                           "CTRL_PORT": str(self.ctrl_port),
                           "DUMP_DIR": str(self.dump_dir)}.items():
            text = text.replace(f"@{key}@", value)
        (conf / "config").write_text(text)
        (conf / "accounts").write_text(self._account_line() + "\n")
        self._popen(["baresip", "-f", str(conf), *(["-v"] if self.verbose else [])])
        try:
            self._sock = wait_until(self._connect, 10.0, "baresip ctrl_tcp to accept")
        except TimeoutError as e:
            raise self._fail(str(e)) from None
        import threading

        self._reader = threading.Thread(target=self._read_loop, name="baresip-ctrl",
                                        daemon=True)
        self._reader.start()
        if self.kamailio is not None:
            try:
                wait_until(lambda: re.search(r"\} 200 OK .*binding", self.log()), 15.0,
                           f"baresip {self.user} to register")
            except TimeoutError as e:
                raise self._fail(str(e)) from None

    def _connect(self) -> socket.socket | None:
        if not self.running():
            raise self._fail("exited while starting")
        with in_netns(self.lab.ns(self.role)):
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=0.2)
            except OSError:
                return None

    def heard(self, hz: float) -> float:
        """Share of ``hz`` in the loudest second of what baresip heard in its last call."""
        dumps = self.decoded_dumps()
        if not dumps:
            raise PeerError(f"baresip {self.user} dumped nothing it heard")
        data, rate = read_wav(dumps[-1])
        return band_share(loudest_window(data, rate, 1.0), rate, hz)

    def wait_heard(self, hz: float, timeout: float = 10.0) -> float:
        """:meth:`heard`, once the last call's dump is complete (baresip finalises it when
        the stream closes)."""
        shares: list[float] = []

        def readable() -> bool:
            try:
                shares.append(self.heard(hz))
            except Exception:
                return False
            return True

        wait_until(readable, timeout, f"baresip {self.user}'s dump of the call")
        return shares[-1]


class LabEngine(EngineProcess):
    """The app's Engine (softphone.sip) with its settings, in namespace ``role``, with the
    app's call workflow logging calls into a real SQLite store (``call_log``)."""

    def __init__(self, lab: Lab, role: str, workdir: Path, *, accounts: list[dict[str, Any]],
                 sip: dict[str, Any] | None = None, calls: dict[str, Any] | None = None,
                 name: str = "app", tone_hz: int | None = OUR_TONE,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(workdir, accounts=accounts, calls=calls, tone_hz=tone_hz, name=name,
                         sip={"listen_host": "0.0.0.0", "listen_port": 5060, "rtp_port": 4000,
                              **(sip or {})})
        self.config["crm_profile"] = str(self.dir / "profile")
        self.command_prefix = lab.exec(role)
        self.extra_env = dict(env or {})

    def call_log(self) -> list[dict[str, Any]]:
        return list(self.command("call_log", timeout=15.0))

    def record_seconds(self, call_id: int, seconds: float = 1.5) -> Path:
        """Record ``seconds`` of the call (both directions mixed) and return the WAV."""
        path = Path(self.command("start_recording", call_id=call_id))
        wait_until(lambda: path.exists() and path.stat().st_size > 16000 * 2 * seconds, 15.0,
                   f"{seconds} s of recording")
        self.command("stop_recording", call_id=call_id)
        self.wait_event("RecordingFinished", 10.0, call_id=call_id)
        return path


def tone_share(path: Path, hz: float) -> float:
    data, rate = read_wav(path)
    return band_share(loudest_window(data, rate, 1.0), rate, hz)
