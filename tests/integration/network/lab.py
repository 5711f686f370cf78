"""A small internet in network namespaces: two home routers (NAT) and an "internet" between.

::

    lana (192.0.2.10)                                    lanb (192.0.2.70)
      |  192.0.2.0/26                                      |  192.0.2.64/26
    rtra  192.0.2.1 | 198.51.100.2 (masquerade)          rtrb  192.0.2.65 | 198.51.100.18
      |  198.51.100.0/28                                   |  198.51.100.16/28
      +------------------ inet 198.51.100.1 / .17 ---------+
                          |  servers on inet's loopback: 203.0.113.0/24 (kamailio .10 and
                          |  .11, coturn .20 + .21, DNS .53, a scanner .66)
                          |  198.51.100.32/28
                        pub 198.51.100.34: a phone with a public address, no NAT
                        (and void 198.51.100.50, where the internet sends packets for the
                        private ranges: dropped without an error, as on the real internet)

Only documentation address ranges are used and no namespace has a route out of the lab:
nothing leaves the machine. The routers forget a UDP mapping after ``udp_timeout`` seconds
(``nf_conntrack_udp_timeout`` and ``..._stream`` in their namespace), like a home router does.

Every name this module creates starts with ``net-<pid>-<random>``; :func:`remove_stale`
deletes those of processes that are gone. :class:`Lab` removes everything it made (also when
the test fails); processes started with :meth:`Lab.popen` are ended before the namespaces go.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

PREFIX = "net-"
NETNS_DIR = Path("/var/run/netns")
ETC_NETNS = Path("/etc/netns")  # ip netns exec bind-mounts /etc/netns/NAME/* over /etc/*
CLONE_NEWNET = 0x40000000

# Addresses (documentation ranges only)
LAN_A, ROUTER_A_LAN, ROUTER_A_WAN, INET_A = "192.0.2.10", "192.0.2.1", "198.51.100.2", \
    "198.51.100.1"
LAN_B, ROUTER_B_LAN, ROUTER_B_WAN, INET_B = "192.0.2.70", "192.0.2.65", "198.51.100.18", \
    "198.51.100.17"
KAMAILIO, KAMAILIO_2 = "203.0.113.10", "203.0.113.11"
TURN, TURN_ALT = "203.0.113.20", "203.0.113.21"
DNS = "203.0.113.53"
PUBLIC_PHONE, INET_P = "198.51.100.34", "198.51.100.33"
INET_V, VOID = "198.51.100.49", "198.51.100.50"
SCANNER = "203.0.113.66"
SERVER_ADDRESSES = (KAMAILIO, KAMAILIO_2, TURN, TURN_ALT, DNS, SCANNER)


class LabUnavailable(RuntimeError):
    """The lab cannot be built here (not root, a tool missing, refused by the kernel)."""


def _run(*argv: str, check: bool = True, stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, check=check,
                              timeout=30, input=stdin)
    except subprocess.CalledProcessError as exc:
        raise LabUnavailable(f"{' '.join(argv)}: {exc.stderr.strip()}") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> list[str]:
    """Delete ``net-<pid>-*`` namespaces (and /etc/netns dirs) whose creator is gone."""
    removed: list[str] = []
    names = {line.split()[0] for line in _run("ip", "netns", "list", check=False)
             .stdout.splitlines() if line.split()}
    if ETC_NETNS.is_dir():
        names |= {p.name for p in ETC_NETNS.iterdir()}
    for name in sorted(names):
        if not name.startswith(PREFIX):
            continue
        pid = name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and _pid_alive(int(pid)):
            continue
        _run("ip", "netns", "del", name, check=False)
        shutil.rmtree(ETC_NETNS / name, ignore_errors=True)
        removed.append(name)
    return removed


_libc = ctypes.CDLL(None, use_errno=True)
_netns_lock = threading.Lock()


@contextlib.contextmanager
def in_netns(ns: str) -> Iterator[None]:
    """Run the block with this thread inside namespace ``ns`` (sockets made there stay
    there): how the test talks to baresip's control socket inside the lab."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(NETNS_DIR / ns, os.O_RDONLY)
    try:
        with _netns_lock:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns({ns}): {os.strerror(err)}")
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns back: {os.strerror(err)}")
    finally:
        os.close(target)
        os.close(own)


@dataclass(frozen=True)
class Datagram:
    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes
    at: float = 0.0  # time.monotonic() when the capture read it


class Capture:
    """UDP datagrams seen on one interface of one namespace (an AF_PACKET socket read on a
    thread while the block runs): what an eavesdropper on that link would get."""

    def __init__(self, ns: str, ifname: str) -> None:
        self.ns, self.ifname = ns, ifname
        self.datagrams: list[Datagram] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def __enter__(self) -> Capture:
        with in_netns(self.ns):
            # every frame (ETH_P_ALL; IPv4 is picked below): bound to ETH_P_IP the socket got
            # nothing from the veth here
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            sock.bind((self.ifname, 0x0003))
        sock.settimeout(0.2)
        self._sock = sock
        self._thread = threading.Thread(target=self._read, name="capture", daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                frame = self._sock.recv(65535)
            except OSError:
                continue
            ip = frame[14:]
            if frame[12:14] != b"\x08\x00" or len(ip) < 28 or ip[9] != 17:  # IPv4 UDP
                continue
            ihl = (ip[0] & 0x0F) * 4
            udp = ip[ihl:]
            self.datagrams.append(Datagram(
                socket.inet_ntoa(ip[12:16]), int.from_bytes(udp[0:2], "big"),
                socket.inet_ntoa(ip[16:20]), int.from_bytes(udp[2:4], "big"), udp[8:],
                time.monotonic()))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._sock is not None:
            self._sock.close()


@dataclass
class Lab:
    """The namespaces, links and NAT rules; ``udp_timeout``: the routers' UDP mapping life."""

    udp_timeout: int = 10
    tag: str = field(default_factory=lambda: f"{os.getpid()}-{random.randrange(16**4):04x}")
    created: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ns(self, role: str) -> str:
        """The namespace name of ``role``: inet, rtra, rtrb, lana, lanb, pub, void."""
        return f"{PREFIX}{self.tag}-{role}"

    def exec(self, role: str, *argv: str) -> list[str]:
        """``argv`` run in ``role``'s namespace."""
        return ["ip", "netns", "exec", self.ns(role), *argv]

    def sh(self, role: str, *argv: str, check: bool = True,
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return _run(*self.exec(role, *argv), check=check, stdin=stdin)

    def nft(self, role: str, script: str) -> None:
        self.sh(role, "nft", "-f", "-", stdin=script)

    # --- building ------------------------------------------------------------------------
    def __enter__(self) -> Self:
        if os.geteuid() != 0:
            raise LabUnavailable("network namespaces need root")
        for tool in ("ip", "nft"):
            if shutil.which(tool) is None:
                raise LabUnavailable(f"{tool} is not installed (scripts/bootstrap.sh test)")
        remove_stale()
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def _build(self) -> None:
        for role in ("inet", "rtra", "rtrb", "lana", "lanb", "pub", "void"):
            _run("ip", "netns", "add", self.ns(role))
            self.created.append(self.ns(role))
            self.sh(role, "ip", "link", "set", "lo", "up")
        short = self.tag.rsplit("-", 1)[1]
        self._link(f"n{short}ia", "inet", INET_A, 28, f"n{short}ra", "rtra", ROUTER_A_WAN)
        self._link(f"n{short}ib", "inet", INET_B, 28, f"n{short}rb", "rtrb", ROUTER_B_WAN)
        self._link(f"n{short}la", "lana", LAN_A, 26, f"n{short}ta", "rtra", ROUTER_A_LAN)
        self._link(f"n{short}lb", "lanb", LAN_B, 26, f"n{short}tb", "rtrb", ROUTER_B_LAN)
        self._link(f"n{short}ip", "inet", INET_P, 28, f"n{short}pp", "pub", PUBLIC_PHONE)
        self._link(f"n{short}iv", "inet", INET_V, 28, f"n{short}vv", "void", VOID)
        # A packet for a private address (the far LAN's host candidate) leaves the internet's
        # servers without a local error, to be dropped downstream: coturn ends an allocation
        # whose relay socket gets a send error.
        self.sh("inet", "ip", "route", "add", "192.0.2.0/24", "via", VOID)
        for address in SERVER_ADDRESSES:
            self.sh("inet", "ip", "addr", "add", f"{address}/32", "dev", "lo")
        self.sh("lana", "ip", "route", "add", "default", "via", ROUTER_A_LAN)
        self.sh("lanb", "ip", "route", "add", "default", "via", ROUTER_B_LAN)
        # 192.0.2.0/24 stands for the private ranges, which the internet never routes: a
        # packet to the other LAN fails at once instead of vanishing. (baresip's ICE, libre
        # 1.0, concludes only when every check has an answer or timed out, ~40 s for a
        # check to the far side's private host address that vanishes.)
        for role in ("lana", "lanb"):
            self.sh(role, "ip", "route", "add", "unreachable", "192.0.2.0/24")
        self.sh("rtra", "ip", "route", "add", "default", "via", INET_A)
        self.sh("rtrb", "ip", "route", "add", "default", "via", INET_B)
        self.sh("pub", "ip", "route", "add", "default", "via", INET_P)
        for role, wan in (("rtra", f"n{short}ra"), ("rtrb", f"n{short}rb")):
            self.sh(role, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            # A home router: masquerade out, and drop what nobody inside asked for (a packet
            # dropped here also leaves no conntrack entry behind that would take the port
            # the inside's next packet is mapped to).
            self.nft(role, f"""
                table ip nat {{
                    chain post {{
                        type nat hook postrouting priority 100;
                        oifname "{wan}" masquerade
                    }}
                }}
                table inet fw {{
                    chain input {{
                        type filter hook input priority 0;
                        iifname "{wan}" ct state new drop
                    }}
                }}""")
            self.set_udp_timeout(role, self.udp_timeout)
        self.sh("inet", "sysctl", "-qw", "net.ipv4.ip_forward=1")

    def _link(self, if1: str, role1: str, addr1: str, prefix: int, if2: str, role2: str,
              addr2: str) -> None:
        _run("ip", "link", "add", if1, "netns", self.ns(role1), "type", "veth", "peer", "name",
             if2, "netns", self.ns(role2))
        for role, ifname, addr in ((role1, if1, addr1), (role2, if2, addr2)):
            self.sh(role, "ip", "addr", "add", f"{addr}/{prefix}", "dev", ifname)
            self.sh(role, "ip", "link", "set", ifname, "up")

    def set_udp_timeout(self, role: str, seconds: int) -> None:
        """How long ``role`` (a router) keeps a UDP mapping nobody uses."""
        self.sh(role, "sysctl", "-qw", f"net.netfilter.nf_conntrack_udp_timeout={seconds}",
                f"net.netfilter.nf_conntrack_udp_timeout_stream={seconds}")

    def block_direct_udp_between_routers(self) -> None:
        """The internet drops UDP between the two routers (a strict carrier NAT, a
        firewall): ICE's direct paths fail and only a TURN relay carries the audio."""
        self.nft("inet", f"""
            table inet labfilter {{
                chain forward {{
                    type filter hook forward priority 0;
                    ip saddr {ROUTER_A_WAN} ip daddr {ROUTER_B_WAN} meta l4proto udp drop
                    ip saddr {ROUTER_B_WAN} ip daddr {ROUTER_A_WAN} meta l4proto udp drop
                }}
            }}""")

    def forward_ports(self, router: str, lan_ip: str, udp_ports: str) -> None:
        """Port forwarding on ``router`` (``rtra``/``rtrb``): UDP ``udp_ports`` ("5060,
        4000-4999") arriving on its WAN go to ``lan_ip``, as an admin sets up for a phone
        with a fixed public address. Anyone on the internet reaches those ports then."""
        self.nft(router, f"""
            table ip nat {{
                chain pre {{
                    type nat hook prerouting priority -100;
                    iifname "{self.wan(router)}" udp dport {{ {udp_ports} }} dnat to {lan_ip}
                }}
            }}""")

    def resolver(self, role: str, nameserver: str, hosts: str = "") -> None:
        """Processes started in ``role`` later use ``nameserver`` (and only ``hosts`` as
        /etc/hosts): ip netns exec mounts /etc/netns/NAME/* over /etc."""
        etc = ETC_NETNS / self.ns(role)
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text(f"nameserver {nameserver}\noptions timeout:1\n")
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n{hosts}")

    def wan(self, router: str) -> str:
        """The WAN interface of ``rtra`` / ``rtrb``."""
        short = self.tag.rsplit("-", 1)[1]
        return f"n{short}r{router[-1]}"

    def lan_if(self, side: str) -> str:
        """The interface of the phone's namespace ``lana`` (side "a") or ``lanb`` ("b")."""
        return f"n{self.tag.rsplit('-', 1)[1]}l{side}"

    def pub_if(self) -> str:
        """The interface of the ``pub`` namespace (the phone with a public address)."""
        return f"n{self.tag.rsplit('-', 1)[1]}pp"

    def capture(self, role: str, ifname: str) -> Capture:
        """Capture the UDP datagrams on ``ifname`` in ``role`` (a context manager)."""
        return Capture(self.ns(role), ifname)

    def conntrack_udp(self, role: str) -> list[str]:
        """The router's UDP NAT mappings now (for messages)."""
        path = "/proc/net/nf_conntrack"
        out = self.sh(role, "cat", path, check=False).stdout
        return [ln for ln in out.splitlines() if " udp " in f" {ln} "]

    # --- processes -----------------------------------------------------------------------
    def popen(self, role: str, argv: list[str], log: Path, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen[bytes]:
        """Start ``argv`` in ``role``'s namespace, output to ``log``; ended by :meth:`close`."""
        with open(log, "ab") as out:
            proc = subprocess.Popen(self.exec(role, *argv), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                    start_new_session=True)
        self.processes.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 3.0) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)

    # --- tearing down --------------------------------------------------------------------
    def close(self) -> None:
        for proc in reversed(self.processes):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self.stop(proc)
        self.processes.clear()
        for ns in reversed(self.created):
            _run("ip", "netns", "del", ns, check=False)
            shutil.rmtree(ETC_NETNS / ns, ignore_errors=True)
        self.created.clear()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
