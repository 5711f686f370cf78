"""Account settings turned into pjsua2 configuration (no Endpoint needed for the structs)."""

from __future__ import annotations

from softphone.settings import AccountSettings
from softphone.sip.accounts import (
    MediaBinding,
    build_account_config,
    first_hop_host,
    lan_identity,
    proxy_uri,
    server_host,
    with_transport_param,
)

MEDIA = MediaBinding(bound_address="127.0.0.1", rtp_port=40000)


def office(**kw: object) -> AccountSettings:
    fields: dict[str, object] = {
        "name": "office", "address": "sip:alice@pbx.example.com",
        "registrar": "sip:pbx.example.com", "password": "pw", **kw,
    }
    return AccountSettings(**fields)  # type: ignore[arg-type]


def test_registered_account_config() -> None:
    cfg = build_account_config(office(), 3, "10.0.0.1:5060", MEDIA)
    assert cfg.idUri == "sip:alice@pbx.example.com"
    assert cfg.regConfig.registrarUri == "sip:pbx.example.com"
    # the engine registers itself, after resolving the name off the SIP thread
    assert cfg.regConfig.registerOnAdd is False
    assert cfg.regConfig.retryIntervalSec == 0
    assert cfg.regConfig.timeoutSec == 300
    cred = cfg.sipConfig.authCreds[0]
    assert (cred.scheme, cred.realm, cred.username, cred.data) == ("digest", "*", "alice", "pw")
    assert cfg.sipConfig.transportId == 3
    assert cfg.mediaConfig.transportConfig.boundAddress == "127.0.0.1"
    assert cfg.mediaConfig.transportConfig.port == 40000


def test_tcp_account_with_outbound_proxy() -> None:
    cfg = build_account_config(
        office(transport="tcp", outbound_proxy="sip:edge.example.com:5080", username="a1"),
        1, "10.0.0.1:5060", MEDIA,
    )
    assert cfg.regConfig.registrarUri == "sip:pbx.example.com;transport=tcp"
    assert list(cfg.sipConfig.proxies) == ["sip:edge.example.com:5080;transport=tcp;lr"]
    assert cfg.sipConfig.authCreds[0].username == "a1"


def test_lan_account_uses_the_bound_address_for_0_0_0_0() -> None:
    lan = AccountSettings(name="LAN", address="sip:alice@0.0.0.0")
    assert lan_identity(lan, "192.168.1.5:5060") == "sip:alice@192.168.1.5:5060"
    cfg = build_account_config(lan, 0, "192.168.1.5:5060", MEDIA)
    assert cfg.idUri == "sip:alice@192.168.1.5:5060"
    assert cfg.regConfig.registrarUri == ""
    assert len(cfg.sipConfig.authCreds) == 0
    fixed = AccountSettings(name="LAN", address="sip:alice@127.0.0.1")
    assert lan_identity(fixed, "127.0.0.1:5099") == "sip:alice@127.0.0.1"


def test_uri_helpers() -> None:
    assert with_transport_param("sip:h", "udp") == "sip:h"
    assert with_transport_param("sip:h;transport=udp", "tcp") == "sip:h;transport=udp"
    assert proxy_uri("sip:p;lr", "udp") == "sip:p;lr"
    assert server_host(office()) == "pbx.example.com"
    assert server_host(office(outbound_proxy="sip:10.1.1.1:5060")) == "10.1.1.1"
    assert server_host(AccountSettings(name="LAN", address="sip:a@0.0.0.0")) is None


def test_first_hop_of_a_call() -> None:
    assert first_hop_host(office(), "sip:bob@other.example.org:5070") == "other.example.org"
    proxied = office(outbound_proxy="sip:[2001:db8::1]:5060")
    assert first_hop_host(proxied, "sip:bob@other.example.org") == "2001:db8::1"
