"""Account network settings -> pjsua2 configuration; what PJSIP's call dump says about the
media path; the NAT check's STUN messages (a fake server on loopback; the real NATs are in
tests/integration/network)."""

from __future__ import annotations

import os
import socket
import struct
import threading

import pjsua2 as pj

from softphone.settings import AccountSettings
from softphone.sip.accounts import MediaBinding, build_account_config
from softphone.sip.nat import (
    offers_srtp,
    parse_media_dump,
    srtp_mode,
    stun_servers,
)
from softphone.sip.stun_check import (
    ATTR_OTHER_ADDRESS,
    ATTR_XOR_MAPPED,
    MAGIC,
    detect_nat,
    parse_response,
)


def account(**kw: object) -> AccountSettings:
    base: dict[str, object] = {"name": "office", "address": "sip:1001@pbx.example.com",
                               "registrar": "sip:pbx.example.com"}
    return AccountSettings(**{**base, **kw})  # type: ignore[arg-type]


def config(a: AccountSettings) -> pj.AccountConfig:
    return build_account_config(a, 0, "192.0.2.10:5060", MediaBinding("", 4000, 1000))


def test_defaults_rport_contact_rewrite_keepalives_no_ice_no_stun() -> None:
    cfg = config(account())
    nat = cfg.natConfig
    assert nat.contactRewriteUse == 1 and nat.viaRewriteUse == 1
    assert nat.udpKaIntervalSec == 15
    assert not nat.iceEnabled and not nat.turnEnabled
    assert nat.sipStunUse == pj.PJSUA_STUN_USE_DISABLED
    assert nat.mediaStunUse == pj.PJSUA_STUN_USE_DISABLED
    assert cfg.mediaConfig.transportConfig.port == 4000
    assert cfg.mediaConfig.transportConfig.portRange == 999  # 4000-4999
    # optional SRTP, keys only over TLS: on a UDP account that means no SRTP
    assert cfg.mediaConfig.srtpUse == pj.PJMEDIA_SRTP_DISABLED
    assert list(cfg.mediaConfig.srtpOpt.keyings) == [pj.PJMEDIA_SRTP_KEYING_SDES]


def test_stun_ice_turn_keepalive() -> None:
    cfg = config(account(stun_server="stun.example.org", turn_server="turn.example.org:3479",
                         turn_username="u", turn_password="p", turn_transport="tcp",
                         keepalive_seconds=0))
    nat = cfg.natConfig
    assert nat.mediaStunUse == pj.PJSUA_STUN_USE_DEFAULT
    assert nat.sipStunUse == pj.PJSUA_STUN_USE_DISABLED  # SIP learns it from the registrar
    assert nat.iceEnabled  # TURN relays only through ICE
    assert (nat.turnEnabled, nat.turnServer, nat.turnConnType, nat.turnUserName,
            nat.turnPassword) == (True, "turn.example.org:3479", pj.PJ_TURN_TP_TCP, "u", "p")
    assert nat.udpKaIntervalSec == 0
    assert config(account(turn_server="t.example", turn_transport="tls")
                  ).natConfig.turnServer == "t.example:5349"


def test_public_address_is_announced_and_kept() -> None:
    cfg = config(account(public_address="203.0.113.7"))
    assert cfg.sipConfig.contactForced == "<sip:1001@203.0.113.7:5060>"
    assert cfg.natConfig.contactRewriteUse == 0
    assert cfg.mediaConfig.transportConfig.publicAddress == "203.0.113.7"


def test_srtp_modes() -> None:
    tls = config(account(transport="tls", srtp="optional"))
    assert tls.mediaConfig.srtpUse == pj.PJMEDIA_SRTP_OPTIONAL
    assert tls.mediaConfig.srtpSecureSignaling == 1
    udp = config(account(srtp="optional", srtp_require_tls=False))
    assert udp.mediaConfig.srtpUse == pj.PJMEDIA_SRTP_OPTIONAL
    assert udp.mediaConfig.srtpSecureSignaling == 0
    # mandatory: our offers are RTP/SAVP, an offer without keys gets 488 (refused.py says so)
    mand = config(account(srtp="mandatory", srtp_require_tls=False))
    assert mand.mediaConfig.srtpUse == pj.PJMEDIA_SRTP_MANDATORY
    assert srtp_mode(account(srtp="mandatory", srtp_require_tls=False)) == "mandatory"
    assert srtp_mode(account(srtp="optional")) == "off"
    assert config(account(srtp="off")).mediaConfig.srtpUse == pj.PJMEDIA_SRTP_DISABLED


def test_one_stun_list_for_the_endpoint() -> None:
    assert stun_servers([account(stun_server="a.example"), account(stun_server="a.example"),
                         account(stun_server="[2001:db8::1]:3479"), account(),
                         account(stun_server="b.example", enabled=False)]) == [
        "a.example:3478", "[2001:db8::1]:3479"]


def test_offers_srtp() -> None:
    head = "INVITE sip:a@b SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n"
    assert offers_srtp(head + "v=0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_"
                              "HMAC_SHA1_80 inline:x\r\n")
    assert not offers_srtp(head + "v=0\r\nm=audio 4000 RTP/AVP 0\r\n")
    assert offers_srtp("INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n")  # late offer


DUMP = """Call 0 is CONFIRMED, dur=00h:00m:02s
  #0 audio PCMU @8kHz, sendrecv, peer=203.0.113.20:49160
     SRTP status: Active Crypto-suite: AES_CM_128_HMAC_SHA1_80
     ICE role: Controlling, state: Negotiation Success, comp_cnt: 2
        [0]: L:203.0.113.20:49154 (r) --> R:198.51.100.18:20004 (s)
        [1]: L:203.0.113.20:49155 (r) --> R:198.51.100.18:20005 (s)
     RX pt=0, last update:00h:00m:00.010s ago
"""


def test_media_dump_says_encryption_and_the_ice_path() -> None:
    path = parse_media_dump(DUMP)
    assert path.encryption == "SRTP AES_CM_128_HMAC_SHA1_80"
    assert (path.ice, path.ice_state) == ("relay", "Negotiation Success")
    assert (path.local, path.remote) == ("203.0.113.20:49154", "198.51.100.18:20004")
    direct = parse_media_dump(DUMP.replace("(r)", "(s)"))
    assert direct.ice == "srflx"
    plain = parse_media_dump("  #0 audio PCMU @8kHz\n     SRTP status: Not active "
                             "Crypto-suite: \n")
    assert (plain.encryption, plain.ice) == ("", "")
    assert parse_media_dump("  #0 audio PCMU @8kHz, sendrecv\n").encryption == ""


# --- the NAT check ----------------------------------------------------------------------


def _xor_address(ip: str, port: int) -> bytes:
    raw = socket.inet_aton(ip)
    key = struct.pack(">I", MAGIC)
    return struct.pack(">BBH", 0, 1, port ^ (MAGIC >> 16)) + bytes(
        b ^ key[i] for i, b in enumerate(raw))


def _plain_address(ip: str, port: int) -> bytes:
    return struct.pack(">BBH", 0, 1, port) + socket.inet_aton(ip)


def _response(tid: bytes, attrs: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack(">HH", t, len(v)) + v for t, v in attrs)
    return struct.pack(">HHI", 0x0101, len(body), MAGIC) + tid + body


class FakeStun:
    """Two sockets on loopback (primary and alternate); answers with a mapped address of
    ``public`` (or the real source when None) and OTHER-ADDRESS = the alternate."""

    def __init__(self, public: tuple[str, int] | None, alternate_public: bool = False,
                 other: bool = True) -> None:
        self.socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        for s in self.socks:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.2)
        self.public, self.other, self.alternate_public = public, other, alternate_public
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._serve, args=(i,), daemon=True)
                        for i in range(2)]

    @property
    def primary(self) -> int:
        return int(self.socks[0].getsockname()[1])

    def _serve(self, index: int) -> None:
        sock = self.socks[index]
        while not self.stop.is_set():
            try:
                data, source = sock.recvfrom(2048)
            except OSError:
                continue
            tid = data[8:20]
            mapped = self.public or source
            if index == 1 and self.alternate_public and self.public:
                mapped = (self.public[0], self.public[1] + 1)  # a new port per destination
            attrs = [(ATTR_XOR_MAPPED, _xor_address(*mapped))]
            if self.other:
                attrs.append((ATTR_OTHER_ADDRESS,
                              _plain_address("127.0.0.1", self.socks[1].getsockname()[1])))
            sock.sendto(_response(tid, attrs), source)

    def __enter__(self) -> FakeStun:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(2)
        for s in self.socks:
            s.close()


def test_stun_response_parsing() -> None:
    tid = os.urandom(12)
    found = parse_response(_response(tid, [(ATTR_XOR_MAPPED, _xor_address("198.51.100.2",
                                                                           4000))]), tid)
    assert found[ATTR_XOR_MAPPED] == ("198.51.100.2", 4000)
    assert parse_response(_response(os.urandom(12), []), tid) == {}
    assert parse_response(b"junk", tid) == {}


def test_nat_kinds_as_observed() -> None:
    with FakeStun(None) as server:  # what it sees is our own address: no NAT
        report = detect_nat("127.0.0.1", server.primary, timeout=0.6)
        assert report.kind == "open" and report.public.startswith("127.0.0.1:")
        assert report.summary.startswith("No NAT")
    with FakeStun(("198.51.100.2", 4000)) as server:
        report = detect_nat("127.0.0.1", server.primary, timeout=0.6)
        assert (report.kind, report.public) == ("cone", "198.51.100.2:4000")
        assert report.filtering  # loopback lets everything in: endpoint-independent
    with FakeStun(("198.51.100.2", 4000), alternate_public=True) as server:
        report = detect_nat("127.0.0.1", server.primary, timeout=0.6)
        assert report.kind == "symmetric" and "TURN" in report.summary
    with FakeStun(("198.51.100.2", 4000), other=False) as server:
        report = detect_nat("127.0.0.1", server.primary, timeout=0.6)
        assert report.kind == "nat" and "cannot tell" in report.summary
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        report = detect_nat("127.0.0.1", silent.getsockname()[1], timeout=0.3)
        assert report.kind == "blocked"
    assert detect_nat("no-such-host.invalid", 3478).kind == "error"
