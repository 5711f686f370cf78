"""Validation of the network settings of an account (NAT traversal, encrypted media) and of
``[sip] rtp_ports``; :mod:`softphone.settings` calls these while it reads softphone.toml.

Kept apart from settings.py so the general settings file stays small. Every error names the
key and its line (through the reader) and says what would be right.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Protocol

SRTP_MODES = ("off", "optional", "mandatory")
TURN_TRANSPORTS = ("udp", "tcp", "tls")
DEFAULT_STUN_PORT = 3478
DEFAULT_TURNS_PORT = 5349
MIN_RTP_PORTS = 8  # a call uses two (RTP and RTCP); four calls at once
TURN_SECRET_SUFFIX = "#turn"  # the keyring entry of an account's TURN password

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*$")


class Reader(Protocol):
    """What these functions need of ``settings_file.TableReader``."""

    def get(self, key: str, kind: type, default: Any) -> Any: ...
    def text_or_none(self, key: str) -> str | None: ...
    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str: ...
    def int_range(self, key: str, default: int, low: int, high: int) -> int: ...
    def fail(self, key: str, problem: str) -> Exception: ...


def turn_secret_name(account: str) -> str:
    """The name an account's TURN password is kept under in the keyring."""
    return f"{account}{TURN_SECRET_SUFFIX}"


def split_host_port(value: str) -> tuple[str, int | None]:
    """``"stun.example.org:3478"`` -> ("stun.example.org", 3478); ``"[2001:db8::1]"`` ->
    ("2001:db8::1", None). Raises ValueError for anything else."""
    value = value.strip()
    m = re.match(r"^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$", value)
    if m:
        host, port = m.group(1), m.group(2)
        ipaddress.IPv6Address(host)
    else:
        m = re.match(r"^([^:\s\[\]]+)(?::(\d+))?$", value)
        if not m:
            raise ValueError("expected host:port")
        host, port = m.group(1), m.group(2)
        if not _is_ip(host) and not _HOSTNAME.match(host):
            raise ValueError(f"{host!r} is not a host name or IP address")
    number = int(port) if port else None
    if number is not None and not 1 <= number <= 65535:
        raise ValueError(f"port {number} is not between 1 and 65535")
    return host, number


def valid_public_address(value: str) -> bool:
    """An IP address (or a host name) a router's public side can be reached at."""
    return _is_ip(value.strip("[]")) or bool(_HOSTNAME.match(value))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _server(r: Reader, key: str, schemes: tuple[str, ...]) -> str:
    """``host[:port]`` (a ``stun:``/``turn:`` prefix, as ICE URLs have, is dropped)."""
    value = r.text_or_none(key) or ""
    for scheme in schemes:
        if value.lower().startswith(scheme):
            value = value[len(scheme):].lstrip("/")
    if not value:
        return ""
    try:
        split_host_port(value)
    except ValueError as exc:
        raise r.fail(key, f"expected host or host:port (e.g. \"stun.example.org:3478\"): "
                           f"{exc}, got {value!r}") from None
    return value


def account_network_fields(r: Reader, transport: str) -> dict[str, Any]:
    """The network keys of one ``[[accounts]]`` table, validated (``transport`` is the
    account's SIP transport, already read)."""
    stun = _server(r, "stun_server", ("stun:", "stuns:"))
    turn = _server(r, "turn_server", ("turn:", "turns:"))
    username = r.text_or_none("turn_username") or ""
    password = r.get("turn_password", str, None)
    if (username or password) and not turn:
        raise r.fail("turn_username" if username else "turn_password",
                      "is set but turn_server is empty")
    public = r.text_or_none("public_address") or ""
    if public and not valid_public_address(public):
        raise r.fail("public_address", f"expected the router's public IP address "
                                        f"(e.g. \"203.0.113.7\"), got {public!r}")
    srtp = r.choice("srtp", SRTP_MODES, "optional")
    require_tls = r.get("srtp_require_tls", bool, True)
    if srtp == "mandatory" and require_tls and transport != "tls":
        raise r.fail("srtp", "mandatory encryption sends its keys only over TLS "
                              "(srtp_require_tls = true): set transport = \"tls\", or "
                              "srtp_require_tls = false to send them over "
                              f"{transport.upper()} too")
    return {
        "stun_server": stun,
        "ice": r.get("ice", bool, False),
        "turn_server": turn,
        "turn_username": username,
        "turn_password": password,
        "turn_transport": r.choice("turn_transport", TURN_TRANSPORTS, "udp"),
        "public_address": public.strip("[]"),
        "keepalive_seconds": r.int_range("keepalive_seconds", 15, 0, 3600),
        "srtp": srtp,
        "srtp_require_tls": require_tls,
    }


def parse_rtp_ports(value: str) -> tuple[int, int]:
    """``"4000-4999"`` -> (4000, 1000): the first port and how many. Raises ValueError."""
    m = re.match(r"^\s*(\d+)\s*-\s*(\d+)\s*$", value)
    if not m:
        raise ValueError("expected a range like \"4000-4999\"")
    first, last = int(m.group(1)), int(m.group(2))
    if not 1024 <= first <= last <= 65535:
        raise ValueError("the ports must be between 1024 and 65535, the first not above "
                         "the last")
    if last - first + 1 < MIN_RTP_PORTS:
        raise ValueError(f"at least {MIN_RTP_PORTS} ports are needed (each call uses two)")
    return first, last - first + 1


def rtp_range(r: Reader, default_first: int, default_count: int) -> tuple[int, int]:
    """``[sip] rtp_ports`` (or the older ``rtp_port``: 1000 ports from it)."""
    text = r.text_or_none("rtp_ports")
    legacy = r.get("rtp_port", int, None)
    if text is not None:
        try:
            return parse_rtp_ports(text)
        except ValueError as exc:
            raise r.fail("rtp_ports", f"{exc}, got {text!r}") from None
    if legacy is not None:
        if not 1024 <= legacy <= 65000:
            raise r.fail("rtp_port", f"must be between 1024 and 65000, got {legacy}")
        return legacy, min(default_count, 65536 - legacy)
    return default_first, default_count
