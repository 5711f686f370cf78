"""NAT traversal and encrypted media: account settings -> pjsua2 configuration, and what a
call's media transport really does (encryption, ICE path) read back from PJSIP.

Defaults follow what MicroSIP and Bria ship: rport and Contact/Via rewriting on (the
registrar's view of our address wins), UDP keep-alives every 15 s, STUN only for media (SIP
learns its public address from the registrar's answers), ICE only when asked for or when a
TURN server is set (PJSIP relays media only through ICE). SRTP is SDES, ``optional`` by
default, and its keys go only over TLS unless the account allows otherwise.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pjsua2 as pj

from softphone.settings import AccountSettings
from softphone.settings_network import (
    DEFAULT_STUN_PORT,
    DEFAULT_TURNS_PORT,
    split_host_port,
)

log = logging.getLogger("softphone.sip")

_TURN_TYPES = {"udp": pj.PJ_TURN_TP_UDP, "tcp": pj.PJ_TURN_TP_TCP, "tls": pj.PJ_TURN_TP_TLS}
_SRTP_USE = {"off": pj.PJMEDIA_SRTP_DISABLED, "optional": pj.PJMEDIA_SRTP_OPTIONAL,
             "mandatory": pj.PJMEDIA_SRTP_MANDATORY}
# pj_ice_get_cand_type_name()'s names, by the first letter call.dump() prints
_CANDIDATE_TYPES = {"h": "host", "s": "srflx", "p": "prflx", "r": "relay"}
_SRTP_LINE = re.compile(r"SRTP status: (Active|Not active) Crypto-suite: (\S*)")
_ICE_STATE = re.compile(r"ICE role: [^,]*, state: ([^,]+),")
_ICE_PAIR = re.compile(r"\[0\]: L:(\S+) \((\w)\) --> R:(\S+) \((\w)\)")


def with_port(server: str, default: int) -> str:
    host, port = split_host_port(server)
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port or default}"


def stun_servers(accounts: Iterable[AccountSettings]) -> list[str]:
    """PJSIP keeps one list of STUN servers for the whole endpoint: every enabled account's,
    in order, without repeats (the first that answers serves them all)."""
    servers: list[str] = []
    for account in accounts:
        if account.enabled and account.stun_server:
            server = with_port(account.stun_server, DEFAULT_STUN_PORT)
            if server not in servers:
                servers.append(server)
    return servers


def uses_ice(settings: AccountSettings) -> bool:
    return settings.ice or bool(settings.turn_server)


def srtp_mode(settings: AccountSettings) -> str:
    """The SRTP mode the account really uses: ``optional`` becomes ``off`` when the keys could
    only go over plain SIP and the account wants them over TLS only (the settings refuse the
    same for ``mandatory``)."""
    if settings.srtp == "optional" and settings.srtp_require_tls and settings.transport != "tls":
        return "off"
    return settings.srtp


def apply_account_network(cfg: Any, settings: AccountSettings, listen_port: int) -> None:
    """Fill a ``pj.AccountConfig``'s NAT and media-security parts from the settings."""
    nat = cfg.natConfig
    nat.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
    nat.mediaStunUse = (pj.PJSUA_STUN_USE_DEFAULT if settings.stun_server
                        else pj.PJSUA_STUN_USE_DISABLED)
    nat.udpKaIntervalSec = settings.keepalive_seconds
    nat.iceEnabled = uses_ice(settings)
    # Re-offer after ICE only when the chosen path is not already the SDP's default address
    # (RFC 8445 needs no more). PJSIP's default re-offers every time; baresip (libre) drops
    # its TURN relay candidates on that re-INVITE and never sends audio (network lab).
    nat.iceAlwaysUpdate = False
    if settings.turn_server:
        default = DEFAULT_TURNS_PORT if settings.turn_transport == "tls" else DEFAULT_STUN_PORT
        nat.turnEnabled = True
        nat.turnServer = with_port(settings.turn_server, default)
        nat.turnConnType = _TURN_TYPES[settings.turn_transport]
        nat.turnUserName = settings.turn_username
        nat.turnPasswordType = 0  # plain text
        nat.turnPassword = settings.turn_password or ""
    if settings.public_address:
        # A router forwarding our SIP and RTP ports: announce its address and keep it (the
        # registrar's view of us would be the same address, so nothing to rewrite).
        public = settings.public_address
        host = f"[{public}]" if ":" in public else public
        user = settings.auth_username or "softphone"
        scheme = "sips" if settings.address.startswith("sips:") else "sip"
        params = f";transport={settings.transport}" if settings.transport != "udp" else ""
        cfg.sipConfig.contactForced = f"<{scheme}:{user}@{host}:{listen_port}{params}>"
        nat.contactRewriteUse = 0
        nat.viaRewriteUse = 0
        cfg.mediaConfig.transportConfig.publicAddress = public
    mode = srtp_mode(settings)
    media = cfg.mediaConfig
    # Mandatory: our offers are RTP/SAVP; pjsua answers an offer without keys with 488
    # itself (refused.py reports it, call_security.py words it).
    media.srtpUse = _SRTP_USE[mode]
    media.srtpSecureSignaling = 1 if settings.srtp_require_tls and mode != "off" else 0
    keyings = pj.IntVector()
    keyings.append(pj.PJMEDIA_SRTP_KEYING_SDES)
    media.srtpOpt.keyings = keyings


def offers_srtp(whole_msg: str) -> bool:
    """Whether an INVITE's SDP offers SDES keys (``a=crypto``) for its audio; an INVITE
    without SDP (a late offer) is judged later, on the media."""
    _head, sep, body = whole_msg.partition("\r\n\r\n")
    if not sep or "m=audio" not in body:
        return True
    return "a=crypto:" in body


@dataclass(frozen=True)
class MediaPath:
    """What a call's audio transport does, as PJSIP reports it (``call.dump``)."""

    encryption: str = ""  # "SRTP AES_CM_128_HMAC_SHA1_80"; "" not encrypted
    ice: str = ""  # the selected local candidate type: host, srflx, prflx, relay; "" no ICE
    ice_state: str = ""  # PJSIP's ICE state name ("Negotiation Success", "Candidate Gathering")
    local: str = ""  # the ICE pair's local and remote addresses
    remote: str = ""


def parse_media_dump(text: str) -> MediaPath:
    """Read the first audio stream's SRTP and ICE lines of ``pjsua_call_dump`` output."""
    encryption = ""
    m = _SRTP_LINE.search(text)
    if m and m.group(1) == "Active":
        encryption = f"SRTP {m.group(2)}".strip()
    state = _ICE_STATE.search(text)
    pair = _ICE_PAIR.search(text)
    ice = _CANDIDATE_TYPES.get(pair.group(2), pair.group(2)) if pair else ""
    return MediaPath(encryption=encryption, ice=ice,
                     ice_state=state.group(1).strip() if state else "",
                     local=pair.group(1) if pair else "", remote=pair.group(3) if pair else "")


def read_media_path(call: Any) -> MediaPath:
    """The call's media path now (an empty one when PJSIP cannot say)."""
    try:
        return parse_media_dump(str(call.dump(True, "")))
    except pj.Error:
        return MediaPath()
