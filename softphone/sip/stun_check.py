"""What NAT sits between this phone and the internet, as seen through a STUN server.

A small RFC 5389 Binding client with the RFC 5780 behaviour tests where the server supports
them (it answers with an OTHER-ADDRESS: coturn and most public servers with two addresses):

* **mapping**: the same local socket asks the server's primary and alternate addresses; the
  same public address both times is an *endpoint-independent* mapping (a "cone" NAT, calls
  work with STUN alone), different ones an *address-dependent* mapping ("symmetric": media
  needs a TURN relay);
* **filtering**: the server is asked to answer from its other address and port
  (CHANGE-REQUEST); an answer that gets through means unsolicited packets do too.

Only what was observed is reported: a server that offers no alternate address gives the
public address and "behind a NAT" without a kind. Plain sockets, no PJSIP; blocking, so it
runs off the SIP thread (the settings' Test button runs it on a worker thread).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import time
from dataclasses import dataclass, field

MAGIC = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
ATTR_MAPPED = 0x0001
ATTR_CHANGE_REQUEST = 0x0003
ATTR_XOR_MAPPED = 0x0020
ATTR_OTHER_ADDRESS = 0x802C
ATTR_CHANGED_ADDRESS = 0x0005  # RFC 3489's name for the alternate address
CHANGE_IP, CHANGE_PORT = 0x04, 0x02

Address = tuple[str, int]


@dataclass(frozen=True)
class NatReport:
    """The result of :func:`detect_nat`, with a sentence for the user (``summary``).

    ``kind``: ``open`` (no NAT), ``cone`` (endpoint-independent mapping), ``symmetric``,
    ``nat`` (behind a NAT, kind unknown: the server cannot tell), ``blocked`` (no answer),
    ``error`` (the server name does not resolve, a socket error).
    """

    kind: str
    public: str = ""  # ip:port as the server saw us
    local: str = ""
    filtering: str = ""  # endpoint-independent | address-dependent | address-and-port-dependent
    server: str = ""
    detail: str = ""
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        filtering = {"endpoint-independent": "lets in packets from anyone (full cone)",
                     "address-dependent": "lets in packets only from hosts we sent to",
                     "address-and-port-dependent": "lets in packets only from the exact "
                     "address and port we sent to"}.get(self.filtering, "")
        if self.kind == "open":
            return f"No NAT: this computer has a public address ({self.public})"
        if self.kind == "cone":
            text = (f"Behind a NAT with a stable mapping (cone NAT; public address "
                    f"{self.public}): STUN is enough for calls")
            return f"{text}; it {filtering}" if filtering else text
        if self.kind == "symmetric":
            return (f"Behind a symmetric NAT (public address {self.public}, a new port for "
                    f"every destination): calls need a TURN relay")
        if self.kind == "nat":
            return (f"Behind a NAT (public address {self.public}); the STUN server "
                    f"cannot tell which kind (it has no second address)")
        if self.kind == "blocked":
            return f"No answer from the STUN server {self.server}: UDP may be blocked"
        return f"NAT check failed: {self.detail}"


def _request(tid: bytes, change: int = 0) -> bytes:
    attrs = b""
    if change:
        attrs = struct.pack(">HHI", ATTR_CHANGE_REQUEST, 4, change)
    return struct.pack(">HHI", BINDING_REQUEST, len(attrs), MAGIC) + tid + attrs


def _address(value: bytes, xor: bool, tid: bytes) -> Address | None:
    if len(value) < 8:
        return None
    family, port = value[1], struct.unpack(">H", value[2:4])[0]
    raw = value[4:]
    if xor:
        port ^= MAGIC >> 16
        key = struct.pack(">I", MAGIC) + tid
        raw = bytes(b ^ key[i] for i, b in enumerate(raw))
    if family == 1 and len(raw) >= 4:
        return str(ipaddress.IPv4Address(raw[:4])), port
    if family == 2 and len(raw) >= 16:
        return str(ipaddress.IPv6Address(raw[:16])), port
    return None


def parse_response(data: bytes, tid: bytes) -> dict[int, Address]:
    """Address attributes of a Binding success response for ``tid`` ({} for anything else)."""
    if len(data) < 20:
        return {}
    kind, length, magic = struct.unpack(">HHI", data[:8])
    if kind != BINDING_SUCCESS or magic != MAGIC or data[8:20] != tid:
        return {}
    found: dict[int, Address] = {}
    pos = 20
    end = min(len(data), 20 + length)
    while pos + 4 <= end:
        attr, size = struct.unpack(">HH", data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + size]
        if attr in (ATTR_MAPPED, ATTR_XOR_MAPPED, ATTR_OTHER_ADDRESS, ATTR_CHANGED_ADDRESS):
            address = _address(value, attr == ATTR_XOR_MAPPED, tid)
            if address is not None:
                found[attr] = address
        pos += 4 + size + (-size % 4)
    return found


def _ask(sock: socket.socket, server: Address, change: int = 0, timeout: float = 1.5,
         tries: int = 3) -> dict[int, Address]:
    """One Binding transaction (retransmitted ``tries`` times); {} when nothing answered."""
    tid = os.urandom(12)
    message = _request(tid, change)
    per_try = timeout / tries
    for _ in range(tries):
        sock.sendto(message, server)
        deadline = time.monotonic() + per_try
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(2048)
            except (TimeoutError, BlockingIOError):
                break
            except OSError:
                return {}
            found = parse_response(data, tid)
            if found:
                return found
    return {}


def _mapped(found: dict[int, Address]) -> Address | None:
    return found.get(ATTR_XOR_MAPPED) or found.get(ATTR_MAPPED)


def _text(address: Address | None) -> str:
    if address is None:
        return ""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def detect_nat(server: str, port: int = 3478, timeout: float = 1.5,
               bind: str = "") -> NatReport:
    """Run the tests against ``server:port`` (blocking; a few seconds at worst)."""
    where = f"{server}:{port}"
    try:
        infos = socket.getaddrinfo(server, port, socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        return NatReport("error", server=where,
                         detail=f"cannot resolve {server}: {exc.strerror or exc}")
    primary: Address = (str(infos[0][4][0]), int(infos[0][4][1]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((bind, 0))
            # The local address the route to the server uses (what "no NAT" compares to).
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            with probe:
                probe.connect(primary)
                local_ip = probe.getsockname()[0]
            local = (local_ip, sock.getsockname()[1])
            first = _ask(sock, primary, timeout=timeout)
        except OSError as exc:
            return NatReport("error", server=where, detail=str(exc.strerror or exc))
        mapped = _mapped(first)
        if mapped is None:
            return NatReport("blocked", server=where, local=_text(local))
        answers = {"primary": _text(mapped)}
        if mapped == local:
            return NatReport("open", public=_text(mapped), local=_text(local), server=where,
                             answers=answers)
        other = first.get(ATTR_OTHER_ADDRESS) or first.get(ATTR_CHANGED_ADDRESS)
        if other is None:
            return NatReport("nat", public=_text(mapped), local=_text(local), server=where,
                             answers=answers)
        # Mapping: the alternate address (other IP and port), from the same socket.
        second = _mapped(_ask(sock, other, timeout=timeout))
        answers["alternate"] = _text(second)
        if second is None:
            return NatReport("nat", public=_text(mapped), local=_text(local), server=where,
                             detail="the alternate address did not answer", answers=answers)
        if second != mapped:
            return NatReport("symmetric", public=_text(mapped), local=_text(local),
                             server=where, answers=answers)
    filtering = _filtering(primary, bind, timeout)
    return NatReport("cone", public=_text(mapped), local=_text(local), server=where,
                     filtering=filtering, answers=answers)


def _filtering(primary: Address, bind: str, timeout: float) -> str:
    """May an answer from another address (and port) come in? A fresh socket, which has
    sent only to the primary address (the mapping test's socket has also sent to the
    alternate one, which would let its answers in)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((bind, 0))
            if not _mapped(_ask(sock, primary, timeout=timeout)):
                return ""
            if _mapped(_ask(sock, primary, CHANGE_IP | CHANGE_PORT, timeout=timeout)):
                return "endpoint-independent"
            if _mapped(_ask(sock, primary, CHANGE_PORT, timeout=timeout)):
                return "address-dependent"
        except OSError:
            return ""
    return "address-and-port-dependent"
