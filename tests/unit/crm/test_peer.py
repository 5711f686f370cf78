"""crm/peer.py: the conversation a SIP address belongs to, whatever form it came in."""

from __future__ import annotations

import pytest

from softphone.crm.peer import peer_key


@pytest.mark.parametrize(("uri", "key"), [
    ("sip:bob@PBX.Example.com", "bob@pbx.example.com"),
    ("sips:bob@pbx.example.com:5061;transport=tls", "bob@pbx.example.com"),
    ('"Bob Smith" <sip:bob@pbx.example.com>;tag=abc', "bob@pbx.example.com"),
    ("sip:%2B74951234567@192.0.2.1:5060", "+74951234567@192.0.2.1"),
    ("sip:201@[2001:db8::1]:5060", "201@[2001:db8::1]"),
    ("sip:pbx.example.com", "pbx.example.com"),
    ("tel:+74951234567", "+74951234567"),
    ("+7 495 123", "+7 495 123"),  # not a URI: kept as typed (lower-case)
])
def test_one_conversation_per_user_and_host(uri: str, key: str) -> None:
    assert peer_key(uri) == key


def test_a_huge_address_is_cut() -> None:
    assert len(peer_key("sip:" + "a" * 1000 + "@h")) == 300
