"""Accounts: pjsua2 account configuration and the per-account registration bookkeeping.

Only the SIP thread touches these objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import pjsua2 as pj

from softphone.settings import AccountSettings
from softphone.sip.nat import apply_account_network
from softphone.sip.rules import RetryBackoff
from softphone.sip.uris import InvalidTarget, account_domain, parse_sip_uri

log = logging.getLogger("softphone.sip")


def with_transport_param(uri: str, transport: str) -> str:
    """Add ``;transport=tcp|tls`` to a server URI that names none (UDP is SIP's default)."""
    if transport in ("tcp", "tls") and ";transport=" not in uri.lower():
        return f"{uri};transport={transport}"
    return uri


def proxy_uri(uri: str, transport: str) -> str:
    """An outbound proxy URI as pjsua needs it: loose routing (``;lr``) and the transport."""
    uri = with_transport_param(uri, transport)
    if ";lr" not in uri.lower():
        uri = f"{uri};lr"
    return uri


def first_hop_host(settings: AccountSettings, request_uri: str) -> str | None:
    """The host PJSIP resolves to send a call: the outbound proxy, else the URI's host."""
    for uri in (settings.outbound_proxy, request_uri):
        if uri:
            try:
                return parse_sip_uri(uri).host.strip("[]")
            except InvalidTarget:
                return None
    return None


def host_of(uri: str | None) -> str | None:
    """The host of a SIP URI (no brackets), or None for none / an unparsable one."""
    if not uri:
        return None
    try:
        return parse_sip_uri(uri).host.strip("[]")
    except InvalidTarget:
        return None


def server_host(settings: AccountSettings) -> str | None:
    """The host PJSIP will resolve first for this account (proxy, else registrar)."""
    for uri in (settings.outbound_proxy, settings.registrar):
        if uri:
            try:
                return parse_sip_uri(uri).host.strip("[]")
            except InvalidTarget:
                return None
    return None


def lan_identity(settings: AccountSettings, listen: str) -> str:
    """A LAN account's own URI: the configured host, or the bound address for 0.0.0.0."""
    uri = parse_sip_uri(settings.address)
    if account_domain(settings.address) is None:
        return f"{uri.scheme}:{uri.user}@{listen}" if uri.user else f"{uri.scheme}:{listen}"
    return settings.address


@dataclass
class MediaBinding:
    bound_address: str  # "" for all interfaces
    rtp_port: int
    rtp_port_count: int = 1000  # [sip] rtp_ports: the range a firewall rule opens


def build_account_config(
    settings: AccountSettings, transport_id: int, listen: str, media: MediaBinding
) -> Any:
    """The ``pj.AccountConfig`` for one account.

    Registration is never started by pjsua itself (``registerOnAdd`` off, its own retry off):
    the session resolves the server off-thread first and runs its own backoff.
    """
    cfg = pj.AccountConfig()
    cfg.idUri = lan_identity(settings, listen) if settings.is_lan else settings.address
    if settings.registrar:
        cfg.regConfig.registrarUri = with_transport_param(settings.registrar, settings.transport)
    cfg.regConfig.registerOnAdd = False
    cfg.regConfig.timeoutSec = settings.register_expires
    cfg.regConfig.retryIntervalSec = 0
    cfg.regConfig.dropCallsOnFail = False
    if settings.password is not None or settings.username:
        cfg.sipConfig.authCreds.append(
            pj.AuthCredInfo("digest", "*", settings.auth_username, 0, settings.password or "")
        )
    if settings.outbound_proxy:
        cfg.sipConfig.proxies.append(proxy_uri(settings.outbound_proxy, settings.transport))
    cfg.sipConfig.transportId = transport_id
    if media.bound_address:
        # (IPv6 media is not possible: the wheel's pjsua asserts ipv6_media_use disabled.)
        cfg.mediaConfig.transportConfig.boundAddress = media.bound_address.strip("[]")
    cfg.mediaConfig.transportConfig.port = media.rtp_port
    # Every media socket stays inside [sip] rtp_ports (what a firewall rule opens).
    cfg.mediaConfig.transportConfig.portRange = max(0, media.rtp_port_count - 1)
    listen_port = int(listen.rsplit(":", 1)[1]) if ":" in listen else 5060
    apply_account_network(cfg, settings, listen_port)
    return cfg


def enable_office_features(cfg: Any, settings: AccountSettings) -> None:
    """MWI subscription and presence PUBLISH, for an account with a server that wants them
    (not for a LAN account, nor the settings' one-off test account)."""
    if settings.is_lan:
        return
    cfg.mwiConfig.enabled = settings.subscribes_mwi
    cfg.presConfig.publishEnabled = settings.publishes_presence


class AccountMessages(Protocol):
    """Where an account's chat and message-waiting callbacks go (``messaging.Messenger``)."""

    def on_incoming(self, account_name: str, from_uri: str, content_type: str,
                    body: str) -> None: ...
    def on_status(self, account_name: str, to_uri: str, body: str, code: int,
                  reason: str) -> None: ...
    def on_mwi(self, account_name: str, whole_message: str, subscribed: bool) -> None: ...


class AccountCallbacks(Protocol):
    """What an :class:`EngineAccount` hands its pjsua2 callbacks to (the session)."""

    @property
    def messenger(self) -> AccountMessages: ...
    def on_reg_state(self, name: str, code: int, reason: str, expiration: int,
                     source: str = "") -> None: ...
    def on_incoming_call(self, account: EngineAccount, pj_call_id: int, whole_msg: str,
                         source: str = "") -> None: ...


class EngineAccount(pj.Account):  # type: ignore[misc]  # pjsua2 ships no type stubs
    """Forwards pjsua2 account callbacks to the session (on the SIP thread)."""

    def __init__(self, session: AccountCallbacks, name: str) -> None:
        super().__init__()
        self._session = session
        self.name = name

    def onRegState(self, prm: Any) -> None:
        try:
            try:
                source = str(prm.rdata.srcAddress)
            except Exception:  # no message: a local failure (timeout, transport error)
                source = ""
            self._session.on_reg_state(self.name, int(prm.code), str(prm.reason),
                                       int(prm.expiration), source)
        except Exception:
            log.exception("registration callback failed")

    def onIncomingCall(self, prm: Any) -> None:
        try:
            rdata = prm.rdata
            self._session.on_incoming_call(self, int(prm.callId), str(rdata.wholeMsg),
                                           str(rdata.srcAddress))
        except Exception:
            log.exception("incoming call callback failed")

    # chat and voicemail: softphone/sip/messaging.py
    def onInstantMessage(self, prm: Any) -> None:
        try:
            self._session.messenger.on_incoming(self.name, str(prm.fromUri),
                                                str(prm.contentType), str(prm.msgBody))
        except Exception:
            log.exception("instant message callback failed")

    def onInstantMessageStatus(self, prm: Any) -> None:
        try:
            self._session.messenger.on_status(self.name, str(prm.toUri), str(prm.msgBody),
                                              int(prm.code), str(prm.reason))
        except Exception:
            log.exception("instant message status callback failed")

    def onMwiInfo(self, prm: Any) -> None:
        try:
            self._session.messenger.on_mwi(self.name, str(prm.rdata.wholeMsg),
                                           int(prm.state) != pj.PJSIP_EVSUB_STATE_NULL)
        except Exception:
            log.exception("message-waiting callback failed")


@dataclass
class AccountState:
    """What the session knows about one configured account."""

    settings: AccountSettings
    account: EngineAccount | None = None
    backoff: RetryBackoff = field(default_factory=RetryBackoff)
    want_registered: bool = False
    retry_token: int = 0  # bumped to cancel a pending retry timer
    registering: bool = False

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def domain(self) -> str | None:
        return account_domain(self.settings.address)
