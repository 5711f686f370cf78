"""What a user types into the dial box, and who an INVITE says is calling."""

from __future__ import annotations

import pytest

from softphone.sip.uris import (
    BadTarget,
    InvalidTarget,
    account_domain,
    caller_identity,
    decode_dial_target,
    normalize_number,
    number_from_uri,
    parse_headers,
    parse_name_addr,
    parse_sip_uri,
    target_to_uri,
)

DOMAIN = "pbx.example.com"


@pytest.mark.parametrize(
    ("typed", "uri"),
    [
        ("sip:bob@10.0.0.5:5062", "sip:bob@10.0.0.5:5062"),
        ("  sip:bob@pbx.example.com  ", "sip:bob@pbx.example.com"),
        ("sips:bob@pbx.example.com;transport=tls", "sips:bob@pbx.example.com;transport=tls"),
        ("SIP:Bob@Host.example", "SIP:Bob@Host.example"),
        ("sip:[::1]:5060", "sip:[::1]:5060"),
        ("bob@10.0.0.5:5062", "sip:bob@10.0.0.5:5062"),
        ("+7 (495) 123-45-67", "sip:+74951234567@pbx.example.com"),
        ("8 (495) 123-45-67", "sip:84951234567@pbx.example.com"),
        ("555.1234", "sip:5551234@pbx.example.com"),
        ("*97", "sip:*97@pbx.example.com"),
        ("100#", "sip:100%23@pbx.example.com"),
        ("tel:+1-202-555-0100", "sip:+12025550100@pbx.example.com"),
        ("reception", "sip:reception@pbx.example.com"),
    ],
)
def test_targets_become_uris(typed: str, uri: str) -> None:
    assert target_to_uri(typed, DOMAIN) == uri


def test_numbers_on_a_tcp_account_leave_over_tcp() -> None:
    assert target_to_uri("101", DOMAIN, "tcp") == "sip:101@pbx.example.com;transport=tcp"
    # an explicit URI is dialled as given
    assert target_to_uri("sip:101@h", DOMAIN, "tcp") == "sip:101@h"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "sip:",
        "sip:bob@",
        "sip:bob@@host",
        "sip:bob@host:99999",
        "sip:bob@300.1.1.1",
        "sip:bob@ho st",
        "bob smith",
        "bob@",
        "<sip:bob@host>",
        "sip:bob@host\r\nVia: x",
        "+",
        "()",
        "http://example.com",
    ],
)
def test_malformed_targets_are_refused(typed: str) -> None:
    with pytest.raises(InvalidTarget):
        target_to_uri(typed, DOMAIN)


def test_a_number_needs_a_domain() -> None:
    with pytest.raises(InvalidTarget, match="without a server"):
        target_to_uri("+74951234567", None)


def test_invalid_target_is_a_value_error() -> None:
    assert issubclass(InvalidTarget, ValueError)


def test_account_domain() -> None:
    assert account_domain("sip:alice@pbx.example.com") == "pbx.example.com"
    assert account_domain("sip:alice@10.0.0.1:5070") == "10.0.0.1:5070"
    assert account_domain("sip:alice@0.0.0.0") is None
    assert account_domain("garbage") is None


def test_parse_sip_uri() -> None:
    uri = parse_sip_uri("sip:b%40b@example.com:5070;transport=tcp")
    assert (uri.scheme, uri.user, uri.host, uri.port) == ("sip", "b@b", "example.com", 5070)
    assert uri.params == ";transport=tcp"
    assert uri.hostport == "example.com:5070"


def test_normalize_number() -> None:
    assert normalize_number("+1 (202) 555-0100") == "+12025550100"
    assert normalize_number("alice") is None
    assert normalize_number("") is None


# --- reading INVITEs ---------------------------------------------------------------------------

INVITE = (
    "INVITE sip:alice@10.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK1\r\n"
    'From: "Ivan Petrov" <sip:ivan@pbx.example.com>;tag=abc\r\n'
    "To: <sip:alice@10.0.0.1>\r\n"
    "{extra}"
    "Call-ID: 123@10.0.0.9\r\n"
    "Content-Type: application/sdp\r\n"
    "\r\n"
    "v=0\r\n"
    "P-Asserted-Identity: <sip:+79990000000@evil>\r\n"
)


def invite(extra: str = "") -> str:
    return INVITE.format(extra=extra)


def test_number_from_p_asserted_identity() -> None:
    who = caller_identity(invite("P-Asserted-Identity: <sip:+74951234567@pbx;user=phone>\r\n"))
    assert who.number == "+74951234567"
    assert who.display_name == "Ivan Petrov"
    assert who.uri == "sip:ivan@pbx.example.com"
    assert who.source == "p-asserted-identity"


def test_p_asserted_identity_prefers_tel_uri() -> None:
    extra = 'P-Asserted-Identity: "Ivan" <sip:ivan@pbx>, <tel:+7-495-123-45-67>\r\n'
    assert caller_identity(invite(extra)).number == "+74951234567"


def test_number_from_remote_party_id() -> None:
    extra = 'Remote-Party-ID: "Ivan" <sip:84951234567@pbx>;party=calling;screen=yes\r\n'
    who = caller_identity(invite(extra))
    assert who.number == "84951234567"
    assert who.source == "remote-party-id"


def test_p_asserted_identity_wins_over_remote_party_id() -> None:
    extra = ("Remote-Party-ID: <sip:111@pbx>;party=calling\r\n"
             "P-Asserted-Identity: <sip:222@pbx>\r\n")
    assert caller_identity(invite(extra)).number == "222"


def test_number_falls_back_to_from_user() -> None:
    who = caller_identity(invite())
    assert who.number == "ivan"
    assert who.source == "from"


def test_body_lines_are_not_headers() -> None:
    # the SDP body of INVITE() carries a fake P-Asserted-Identity line
    assert caller_identity(invite()).number != "+79990000000"


def test_anonymous_caller_has_no_number() -> None:
    msg = ("INVITE sip:a@h SIP/2.0\r\n"
           'From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=1\r\n\r\n')
    who = caller_identity(msg)
    assert who.number == ""
    assert who.display_name == "Anonymous"


def test_compact_and_folded_headers() -> None:
    msg = ("INVITE sip:a@h SIP/2.0\n"
           "f: Bob\n"
           "  <sip:+15551234@h>;tag=9\n"
           "i: xyz\n\n")
    headers = parse_headers(msg)
    assert headers["call-id"] == ["xyz"]
    who = caller_identity(msg)
    assert who.display_name == "Bob" and who.number == "+15551234"


def test_parse_name_addr() -> None:
    assert parse_name_addr('"A \\"B\\"" <sip:a@h>;tag=1') == ('A "B"', "sip:a@h")
    assert parse_name_addr("Bob <sip:b@h>") == ("Bob", "sip:b@h")
    assert parse_name_addr("sip:c@h;tag=2") == ("", "sip:c@h")


def test_number_from_uri() -> None:
    assert number_from_uri("tel:+12025550100;phone-context=x") == "+12025550100"
    assert number_from_uri("sip:%2B7495@h") == "+7495"
    assert number_from_uri("sip:restricted@h") == ""
    assert number_from_uri("sip:h") == ""
    assert number_from_uri("mailto:x@y") == ""


# --- links: tel:, callto:, sip: ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("tel:+7-495-123-45-67", "+74951234567"),
        ("tel:+7(495)123.45.67", "+74951234567"),
        ("tel:+1-201-555-0123;ext=1234;phone-context=example.com", "+12015550123"),
        ("tel:%2B7%20495%201234567", "+74951234567"),
        ("TEL:101", "101"),
        ("tel://+74951234567", "+74951234567"),
        ("callto://+7 495 123 45 67", "+74951234567"),
        ("callto:+74951234567", "+74951234567"),
        ("callto://alice@pbx.example.com", "alice@pbx.example.com"),
        ("callto:sip:bob@10.0.0.5:5070", "sip:bob@10.0.0.5:5070"),
        ("sip:alice@example.com", "sip:alice@example.com"),
        ("SIP:alice@example.com;transport=tcp", "sip:alice@example.com;transport=tcp"),
        ("sips:alice@example.com?Subject=hi&Priority=urgent", "sips:alice@example.com"),
        ("sip://alice@example.com", "sip:alice@example.com"),
        ("  8 (495) 123-45-67 ", "8 (495) 123-45-67"),
        ("101", "101"),
        ("alice@192.168.1.20", "alice@192.168.1.20"),
    ],
)
def test_links_are_decoded(link: str, target: str) -> None:
    assert decode_dial_target(link) == target


@pytest.mark.parametrize("bad", ["tel:", "tel:call-me", "callto://", "sip:", "   "])
def test_undiallable_links_are_refused(bad: str) -> None:
    with pytest.raises(BadTarget):
        decode_dial_target(bad)
