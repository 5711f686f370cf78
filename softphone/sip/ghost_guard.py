"""Ghost calls: INVITEs that are not calls (SIP scanners, floods, broken peers).

Pure bookkeeping, no pjsua2: the session asks :meth:`GhostGuard.admit` about each new
incoming call on the SIP thread and carries out the answer (refuse with a code, or let it
ring). Three defences:

1. **Only from my servers** (``[calls] only_from_my_servers``): an INVITE whose sender is not
   a registrar or outbound proxy of an account (or, when a LAN account exists, a host on the
   local network) is refused with 403: it never rings, pops no card and leaves no call-log
   row; the log keeps one line per source per minute.
2. **Floods**: a sender that already has a call here that is not a conversation yet (ringing,
   or answered with no ACK back) and sends another INVITE is refused (486); one that keeps
   doing so is blocked for a while and its unsettled calls are ended. A direct sender is its
   ``ip:port`` (a scanner varies its From header, not its socket); a call that came through
   one of our servers is keyed by the caller's URI (every real call comes from the server).
3. **No ACK**: an answered call whose ACK never comes is a ghost (a scanner never ACKs):
   the session ends it after :data:`ACK_DEADLINE`. Such a call never counts as "another
   call is up", so auto-answer and call waiting judge the next real call as they would
   without it.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from softphone.sip.uris import parse_headers, parse_name_addr, valid_text

log = logging.getLogger("softphone.sip")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# A real phone ACKs a 200 at once; PJSIP retransmits the 200 at 0.5, 1.5, 3.5 and 7.5 s, so
# a peer behind heavy loss still ACKs well within this.
ACK_DEADLINE = 8.0
# Unsettled calls one sender (or, through a server, one caller) may have at once: two lets
# a person redial while the first attempt is still being torn down, or a queue call twice.
MAX_UNSETTLED = 2
# A sender refused this often within FLOOD_WINDOW is a flood: its unsettled calls end and it
# is refused outright for FLOOD_BLOCK_SECONDS. pjsua has only 4 call slots.
FLOOD_REFUSALS = 5
FLOOD_WINDOW = 10.0
FLOOD_BLOCK_SECONDS = 60.0
LOG_EVERY = 60.0  # seconds between log lines about one source

# The local network of a LAN account: private, loopback and link-local ranges, plus every
# network this host is directly connected to (read from the routing table where there is one).
_LOCAL_RANGES: tuple[IpNetwork, ...] = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128",
))

FORBIDDEN = 403
BUSY_HERE = 486


class GuardedCall(Protocol):
    """What the guard reads of a call (``softphone.sip.calls.CallRecord``)."""

    guard_key: str
    remote_uri: str

    @property
    def unsettled_in(self) -> bool: ...


def split_source(source: str) -> tuple[str, int]:
    """``"192.0.2.1:5060"`` / ``"[2001:db8::1]:5060"`` -> (host, port); port 0 if none."""
    source = source.strip()
    if source.startswith("["):
        host, _, rest = source[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port.isdigit() else 0
    if source.count(":") == 1:
        host, port = source.rsplit(":", 1)
        return host, int(port) if port.isdigit() else 0
    return source, 0


def _address(host: str) -> IpAddress | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def connected_networks(proc: Path = Path("/proc/net")) -> list[IpNetwork]:
    """Networks on this host's own links (routes without a gateway), from the Linux routing
    table; empty where there is none to read (the private ranges still count as local)."""
    networks: list[IpNetwork] = []
    try:
        lines = (proc / "route").read_text().splitlines()[1:]
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) < 8 or parts[2] != "00000000" or parts[1] == "00000000":
            continue  # a route through a gateway, or the default route
        try:
            dest = ipaddress.IPv4Address(bytes.fromhex(parts[1])[::-1])
            mask = ipaddress.IPv4Address(bytes.fromhex(parts[7])[::-1])
            networks.append(ipaddress.ip_network(f"{dest}/{mask}", strict=False))
        except ValueError:
            continue
    try:
        lines6 = (proc / "ipv6_route").read_text().splitlines()
    except OSError:
        lines6 = []
    for line in lines6:
        parts = line.split()
        if len(parts) < 10 or parts[4] != "0" * 32 or int(parts[1], 16) == 0:
            continue
        try:
            dest6 = ipaddress.IPv6Address(bytes.fromhex(parts[0]))
            networks.append(ipaddress.ip_network(f"{dest6}/{int(parts[1], 16)}", strict=False))
        except ValueError:
            continue
    return networks


@dataclass
class GhostGuard:
    """Decides about new incoming calls; remembers senders, floods and log rate limits."""

    #: account name -> addresses of its registrar / outbound proxy (resolved, and where the
    #: registrar's answers really came from)
    servers: dict[str, set[str]] = field(default_factory=dict)
    #: a LAN account exists: hosts on the local network may call directly
    lan: bool = False
    local_networks: tuple[IpNetwork, ...] = _LOCAL_RANGES
    blocked_until: dict[str, float] = field(default_factory=dict)
    refusals: dict[str, deque[float]] = field(default_factory=dict)
    logged: dict[str, float] = field(default_factory=dict)
    refused_sources: int = 0  # INVITEs refused for their source since start (diagnostics)
    newly_blocked: list[str] = field(default_factory=list)

    # --- what the session tells us -------------------------------------------------------
    def set_lan(self, lan: bool) -> None:
        if lan and not self.lan:
            self.local_networks = _LOCAL_RANGES + tuple(connected_networks())
        self.lan = lan

    def add_server_addresses(self, account: str, hosts: Iterable[str]) -> None:
        known = self.servers.setdefault(account, set())
        for host in hosts:
            address = _address(split_source(host)[0])
            if address is not None:
                known.add(str(address))

    def forget_account(self, account: str) -> None:
        self.servers.pop(account, None)

    # --- questions -----------------------------------------------------------------------
    def is_server(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(str(address) in s for s in self.servers.values())

    def source_allowed(self, host: str) -> bool:
        """Whether ``host`` may send us calls under ``only_from_my_servers``."""
        if self.is_server(host):
            return True
        if not self.lan:
            return False
        address = _address(host)
        return address is not None and any(address in n for n in self.local_networks)

    def admit(self, call: GuardedCall, source: str, calls: Iterable[GuardedCall],
              only_from_my_servers: bool, now: float | None = None) -> int:
        """0 to let the call ring, else the SIP code to refuse it with (403 / 486). Sets
        ``call.guard_key``."""
        now = time.monotonic() if now is None else now
        host, _port = split_source(source)
        if source and only_from_my_servers and not self.source_allowed(host):
            self.refused_sources += 1
            if self._may_log(f"source {host}", now):
                log.warning("refused a call from %s (%s): it is not one of this phone's "
                            "servers (only_from_my_servers); more from it are refused quietly "
                            "for a minute", host, call.remote_uri)
            return FORBIDDEN
        via_server = not source or self.is_server(host)
        key = call.remote_uri if via_server else source
        call.guard_key = key
        blocked = self.blocked_until.get(key, 0.0) > now
        if not blocked:
            unsettled = sum(1 for c in calls
                            if c is not call and c.guard_key == key and c.unsettled_in)
            if unsettled < MAX_UNSETTLED:
                return 0
        self._refused(key, blocked, now)
        return BUSY_HERE

    def note_stack_refusal(self, source: str, message: str, calls: Iterable[GuardedCall],
                           now: float | None = None) -> None:
        """pjsua answered an INVITE 486 itself: every call slot is taken. Since the INVITE
        guard (invite_guard.c) lets only a share of a flood through, most of the flood that
        reaches pjsua finds the slots full and :meth:`admit` never sees it. A sender (or,
        through our server, a caller) whose own unanswered calls hold slots gets that refusal
        counted, so the flood is recognised and its ghosts end (:meth:`take_newly_blocked`);
        a caller with no call here (a real one redialing a busy phone) is not counted."""
        unsettled = [c for c in calls if c.unsettled_in]
        host, _port = split_source(source)
        if source and not self.is_server(host):
            key = source
        else:
            from_uri = parse_name_addr(
                (parse_headers(valid_text(message)).get("from") or [""])[0])[1]
            key = next((c.guard_key for c in unsettled
                        if from_uri and parse_name_addr(c.remote_uri)[1] == from_uri), "")
        if key and any(c.guard_key == key for c in unsettled):
            now = time.monotonic() if now is None else now
            self._refused(key, self.blocked_until.get(key, 0.0) > now, now)

    def _refused(self, key: str, blocked: bool, now: float) -> None:
        refusals = self.refusals.setdefault(key, deque(maxlen=FLOOD_REFUSALS))
        refusals.append(now)
        if (not blocked and len(refusals) == FLOOD_REFUSALS
                and now - refusals[0] <= FLOOD_WINDOW):
            self.blocked_until[key] = now + FLOOD_BLOCK_SECONDS
            self.newly_blocked.append(key)
            log.warning("%s keeps calling while its calls are not answered: treated as a "
                        "flood; its unanswered calls end and it is refused for %.0f s", key,
                        FLOOD_BLOCK_SECONDS)
        elif not blocked and self._may_log(f"repeat {key}", now):
            log.warning("%s calls again while its call here is not answered: refusing "
                        "more calls from it (486)", key)

    def _may_log(self, what: str, now: float) -> bool:
        if now - self.logged.get(what, -LOG_EVERY - 1.0) >= LOG_EVERY:
            self.logged[what] = now
            if len(self.logged) > 4096:  # a scan from many addresses: forget the oldest
                for old in sorted(self.logged, key=self.logged.__getitem__)[:2048]:
                    del self.logged[old]
            return True
        return False

    def take_newly_blocked(self) -> list[str]:
        """Keys that became floods since the last call: their unsettled calls must end."""
        keys, self.newly_blocked = self.newly_blocked, []
        return keys
