"""Presence without the network: TXT records, address choice, colleague building."""

from __future__ import annotations

import pytest
from zeroconf import ServiceInfo

from softphone.office.presence import (
    SERVICE_TYPE,
    Colleague,
    Presence,
    PresenceError,
    build_txt,
    colleague_from_txt,
    direct_uri,
    extension_of,
    instance_label,
    parse_txt,
    pick_address,
    presence_from_settings,
    txt_seq,
)
from softphone.settings import AccountSettings, CrmSettings, Settings, SipSettings


def test_extension_is_the_user_part() -> None:
    assert extension_of("sip:101@0.0.0.0") == "101"
    assert extension_of("sips:anna@10.0.0.1:5061;transport=tls") == "anna"
    assert extension_of("sip:10.0.0.1") == ""


def test_direct_uri() -> None:
    assert direct_uri("101", "10.213.1.2", 5060) == "sip:101@10.213.1.2:5060"
    assert direct_uri("101", "fd00::2", 5062) == "sip:101@[fd00::2]:5062"
    assert direct_uri("", "10.0.0.1", 0) == "sip:10.0.0.1"


def test_txt_round_trip_through_zeroconf_encoding() -> None:
    txt = build_txt("abc123", "Анна Иванова", "101", "sip:101@10.0.0.1:5060", "in_call", 7)
    info = ServiceInfo(SERVICE_TYPE, f"x.{SERVICE_TYPE}", port=5060, properties=txt)
    parsed = parse_txt(info.text)
    assert parsed == txt
    assert txt_seq(parsed) == 7


def test_parse_txt_edge_cases() -> None:
    assert parse_txt(b"") == {}
    assert parse_txt(b"\x04flag\x05a=1=2\x03A=x\x03a=y") == {"flag": None, "a": "1=2"}
    assert txt_seq({"seq": "nope"}) == 0 and txt_seq({}) == 0


def test_pick_address_prefers_a_shared_subnet() -> None:
    cands = ["192.168.50.7", "10.213.4.2"]
    assert pick_address(cands, ["10.213.4.1"], {"10.213.4.1": 24}) == "10.213.4.2"
    assert pick_address(cands, ["172.16.0.1"]) == "192.168.50.7"
    assert pick_address([], ["10.0.0.1"]) is None


def test_colleague_from_txt() -> None:
    txt = parse_txt(ServiceInfo(SERVICE_TYPE, f"x.{SERVICE_TYPE}", properties=build_txt(
        "id1", "Boris", "102", "sip:102@0.0.0.0", "dnd")).text)
    c = colleague_from_txt(txt, ["10.213.4.2"], 5070, ["10.213.4.1"])
    assert c == Colleague("id1", "Boris", "102", "sip:102@10.213.4.2:5070", "10.213.4.2",
                          "dnd", 5070)
    assert colleague_from_txt({**txt, "state": "weird"}, ["10.0.0.2"], 5060).state == "available"  # type: ignore[union-attr]
    assert colleague_from_txt({"name": "x"}, ["10.0.0.2"], 5060) is None  # no id
    assert colleague_from_txt(txt, [], 5060) is None  # no address


def test_instance_label_is_short_unique_and_dotless() -> None:
    label = instance_label("A.very.long name " * 10, "0123456789abcdef")
    assert len(label.encode()) <= 63 and "." not in label and label.endswith("[01234567]")
    assert instance_label("", "ff") == "softphone [ff]"


def test_presence_validates_arguments() -> None:
    with pytest.raises(PresenceError):
        Presence("Anna", "sip:101@0.0.0.0", 5060, ["10.0.0.1"], lambda _: None, state="away")
    with pytest.raises(PresenceError):
        Presence("Anna", "sip:101@0.0.0.0", 0, ["10.0.0.1"], lambda _: None)
    p = Presence("Anna", "sip:101@0.0.0.0", 5060, ["10.0.0.1"], lambda _: None)
    assert p.uri == "sip:101@10.0.0.1:5060" and p.colleagues == []
    with pytest.raises(PresenceError):
        p.set_state("busy")
    p.stop()  # never started: nothing to do


def test_presence_from_settings_uses_the_lan_account() -> None:
    server = AccountSettings(name="PBX", address="sip:200@pbx", registrar="sip:pbx")
    lan = AccountSettings(name="LAN", address="sip:101@0.0.0.0")
    settings = Settings(sip=SipSettings(listen_port=5070), accounts=(server, lan),
                        crm=CrmSettings(agent="Anna"))
    p = presence_from_settings(settings, "10.0.0.9", 5071, lambda _: None)
    assert p is not None
    assert (p.name, p.extension, p.port, p.addresses) == ("Anna", "101", 5071, ["10.0.0.9"])
    assert presence_from_settings(Settings(accounts=(server,)), "10.0.0.9", 5071,
                                  lambda _: None) is None
