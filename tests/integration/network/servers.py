"""The lab's servers, each in a namespace with a config written here: kamailio (registrar and
record-routing proxy with ``nathelper`` for signalling and the TLS module), coturn (STUN on
two addresses, so the RFC 5780 checks work, and TURN) and dnsmasq (the lab's DNS).

Every user's SIP password is ``secret``; the TURN user is ``lab`` / ``turnsecret``.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness.tls_certs import self_signed
from tests.integration.network.lab import DNS, TURN, TURN_ALT, Lab, in_netns

SIP_PASSWORD = "secret"
TURN_USER, TURN_PASSWORD, TURN_REALM = "lab", "turnsecret", "lab.test"


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` until it returns something truthy (TimeoutError naming ``what``)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        pause.wait(0.05)


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        import pytest

        pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh test installs it)")


_KAMAILIO_CFG = r"""#!KAMAILIO
# Registrar + record-routing proxy of the network lab (written by the test). NAT handling for
# signalling only (nathelper): rport, the registered contact's real source address, and
# Contact aliases for calls from behind NAT; no media relay (clients use STUN/ICE/TURN).
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=2
tcp_children=2
auto_aliases=no
listen=udp:@IP@:5060
listen=tcp:@IP@:5060
alias="@IP@:5060"
@ALIASES@
#!ifdef WITH_TLS
enable_tls=yes
listen=tls:@IP@:5061
#!endif
tcp_connection_lifetime=3605
tcp_accept_aliases=yes

loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "nathelper.so"
#!ifdef WITH_TLS
loadmodule "tls.so"
modparam("tls", "config", "@TLS_CFG@")
#!endif

modparam("usrloc", "db_mode", 0)
modparam("usrloc", "nat_bflag", 6)
modparam("rr", "enable_full_lr", 1)
modparam("rr", "append_fromtag", 0)
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("nathelper", "natping_interval", 0)  # keep-alives are the clients' job

request_route {
    xlog("L_INFO", "received $rm $ru (from $fu) over $pr from $si:$sp\n");
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (!sanity_check("1383", "7")) { exit; }
    route(NATDETECT);

    if (has_totag()) {
        if (loose_route()) {
            if (!isdsturiset()) { handle_ruri_alias(); }
            route(RELAY);
            exit;
        }
        if (is_method("ACK")) {
            if (t_check_trans()) { route(RELAY); }
            exit;
        }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans()) { route(RELAY); }
        exit;
    }
    t_check_trans();

    if (is_method("REGISTER")) {
        if (!pv_www_authenticate("$td", "@PASSWORD@", "0")) {
            www_challenge("$td", "0");
            exit;
        }
        if (isflagset(5)) { setbflag(6); }
        if (!save("location")) { sl_reply_error(); exit; }
        xlog("L_INFO", "saved location of $tU from $si:$sp over $pr\n");
        exit;
    }
    if (is_method("INVITE|REFER|MESSAGE|SUBSCRIBE") && from_uri==myself) {
        if (!pv_proxy_authenticate("$fd", "@PASSWORD@", "0")) {
            proxy_challenge("$fd", "0");
            exit;
        }
        consume_credentials();
    }
    if (is_method("INVITE|SUBSCRIBE|REFER")) { record_route(); }
    if (uri==myself) {
        if (!lookup("location")) {
            sl_send_reply("404", "Not Found");
            exit;
        }
    }
    route(RELAY);
}

route[NATDETECT] {
    force_rport();
    if (nat_uac_test("19")) {
        if (is_method("REGISTER")) {
            fix_nated_register();
        } else if (is_first_hop()) {
            set_contact_alias();
        }
        setflag(5);
    }
}

route[RELAY] {
    if (is_method("INVITE")) { t_on_reply("NATREPLY"); }
    xlog("L_INFO", "relay $rm $ru (from $fu) to $du\n");
    if (!t_relay()) { sl_reply_error(); }
    exit;
}

onreply_route[NATREPLY] {
    # The answer of a phone behind NAT names its private address in Contact; the lab's
    # "private" ranges are documentation ones that nat_uac_test("1") does not know, so every
    # answer from the phone's own hop gets the alias of where it really came from.
    if (is_first_hop()) { set_contact_alias(); }
}
"""

_TLS_CFG = """[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = @KEY@
certificate = @CERT@

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
"""


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", template)
    if left:
        raise ValueError(f"unfilled placeholders: {left}")
    return template


def dns_a_records(server: str, name: str, timeout: float = 0.5) -> list[str]:
    """The A records ``server`` gives for ``name`` (a bare UDP query; [] when no answer)."""
    qid = random.randrange(65536)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question + b"\0\1\0\1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (server, 53))
        try:
            data = s.recv(4096)
        except OSError:
            return []
    count = struct.unpack(">H", data[6:8])[0]
    pos = 12 + len(question) + 4
    found = []
    for _ in range(count):
        if data[pos] & 0xC0 == 0xC0:
            pos += 2
        else:
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        rtype, _cls, _ttl, length = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        if rtype == 1 and length == 4:
            found.append(".".join(str(b) for b in data[pos:pos + 4]))
        pos += length
    return found


def sip_options_ping(host: str, port: int, timeout: float = 0.3) -> str | None:
    """One OPTIONS over UDP (from the calling thread's namespace): the status line or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        local = s.getsockname()[1]
        msg = (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:probe@{host}>;tag={uuid.uuid4().hex[:8]}\r\n"
               f"To: <sip:{host}:{port}>\r\nCall-ID: {uuid.uuid4().hex}@probe\r\n"
               "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        s.sendto(msg.encode(), (host, port))
        s.settimeout(timeout)
        try:
            data = s.recv(65535)
        except OSError:
            return None
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


class LabKamailio:
    """kamailio on ``ip`` (UDP and TCP 5060, TLS 5061 with ``tls``) in the ``inet`` namespace.
    ``aliases``: other names it answers for (the DNS name the accounts use)."""

    def __init__(self, lab: Lab, workdir: Path, ip: str, *, tls: bool = False,
                 aliases: tuple[str, ...] = ()) -> None:
        self.lab, self.ip, self.tls = lab, ip, tls
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.dir / "kamailio.log"
        self.aliases = aliases
        self.ca_cert: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def uri(self, transport: str = "udp", host: str | None = None) -> str:
        host = host or self.ip
        if transport == "tls":
            return f"sip:{host}:5061;transport=tls"
        return f"sip:{host}:5060" + (";transport=tcp" if transport == "tcp" else "")

    def aor(self, user: str, host: str | None = None) -> str:
        return f"sip:{user}@{host or self.ip}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> LabKamailio:
        need("kamailio")
        values = {"IP": self.ip, "PASSWORD": SIP_PASSWORD, "TLS_CFG": "",
                  "ALIASES": "\n".join(f'alias="{a}"' for a in self.aliases)}
        defines: list[str] = []
        if self.tls:
            # the certificate names the address and is its own CA: the app trusts it
            # through SSL_CERT_FILE, as it would trust a provider's public CA
            key, cert = self_signed(self.dir / "tls", self.ip)
            self.ca_cert = cert
            tls_cfg = self.dir / "tls.cfg"
            tls_cfg.write_text(_fill(_TLS_CFG, {"KEY": str(key), "CERT": str(cert)}))
            values["TLS_CFG"] = str(tls_cfg)
            defines = ["-A", "WITH_TLS"]
        cfg = self.dir / "kamailio.cfg"
        cfg.write_text(_fill(_KAMAILIO_CFG, values))
        self.proc = self.lab.popen("inet", [
            "kamailio", "-DD", "-E", "-f", str(cfg), "-Y", str(self.dir), "-w", str(self.dir),
            "-P", str(self.dir / "kamailio.pid"), "-m", "32", "-M", "4", *defines],
            self.log_path)

        def answers() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kamailio exited:\n{self.log()[-3000:]}")
            with in_netns(self.lab.ns("inet")):
                return sip_options_ping(self.ip, 5060) is not None

        wait_until(answers, 15.0, f"kamailio on {self.ip}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.lab.stop(self.proc)

    def saved(self, user: str) -> list[str]:
        """Log lines of ``user``'s accepted REGISTERs (source address and protocol)."""
        return [ln for ln in self.log().splitlines() if f"saved location of {user} " in ln]


class Coturn:
    """coturn in ``inet``: STUN and TURN (long-term credentials) on TURN and TURN_ALT port
    3478 (alternate port 3479: the RFC 5780 "other address"), relaying from TURN."""

    def __init__(self, lab: Lab, workdir: Path) -> None:
        self.lab = lab
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.dir / "turnserver.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> Coturn:
        need("turnserver")
        self.proc = self.lab.popen("inet", [
            "turnserver", "-n", "-v", "--no-cli", "--no-tls", "--no-dtls", "--simple-log",
            "--log-file", "stdout", "--pidfile", str(self.dir / "turnserver.pid"),
            "--listening-ip", TURN, "--listening-ip", TURN_ALT, "--listening-port", "3478",
            "--alt-listening-port", "3479", "--relay-ip", TURN,
            "--min-port", "49152", "--max-port", "49400",
            "--lt-cred-mech", "--realm", TURN_REALM,
            "--user", f"{TURN_USER}:{TURN_PASSWORD}", "--userdb", str(self.dir / "turndb"),
            "--fingerprint", "--no-software-attribute"], self.log_path)
        wait_until(lambda: self._listening(), 15.0, "coturn to listen")
        return self

    def _listening(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"coturn exited:\n{self.log()[-3000:]}")
        out = self.lab.sh("inet", "ss", "-lun", check=False).stdout
        return f"{TURN}:3478" in out and f"{TURN_ALT}:3478" in out

    def allocations(self) -> int:
        """TURN allocations made so far (from its log)."""
        return len(re.findall(r"(?i)allocation.*(success|created)|ALLOCATE processed, success",
                              self.log()))

    def stop(self) -> None:
        if self.proc is not None:
            self.lab.stop(self.proc)


class LabDns:
    """dnsmasq in ``inet`` on DNS:53 answering the names in its hosts file; :meth:`set`
    changes an answer at once (SIGHUP re-reads the file; TTL 0)."""

    def __init__(self, lab: Lab, workdir: Path) -> None:
        self.lab = lab
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.hosts = self.dir / "hosts"
        self.names: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, names: dict[str, str]) -> LabDns:
        need("dnsmasq")
        self.names = dict(names)
        self._write()
        self.proc = self.lab.popen("inet", [
            "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
            f"--addn-hosts={self.hosts}", f"--listen-address={DNS}", "--bind-interfaces",
            "--local-ttl=0", "--log-queries", "--log-facility=-",
            f"--pid-file={self.dir / 'dnsmasq.pid'}", "--user=root"],
            self.dir / "dnsmasq.log")
        first = next(iter(names))
        wait_until(lambda: self._answers(first), 15.0, "dnsmasq to answer")
        return self

    def _write(self) -> None:
        self.hosts.write_text("".join(f"{ip} {name}\n" for name, ip in self.names.items()))

    def _answers(self, name: str) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError("dnsmasq exited: " + (self.dir / "dnsmasq.log").read_text())
        with in_netns(self.lab.ns("inet")):
            return bool(dns_a_records(DNS, name))

    def set(self, name: str, ip: str) -> None:
        self.names[name] = ip
        self._write()
        if self.proc is not None:
            self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.proc is not None:
            self.lab.stop(self.proc)
