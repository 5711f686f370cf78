"""The book of calls pjsua refuses by itself: what the caller offered, who may be reported,
a Call-ID once, at most a few per source a minute (pure logic; the real 488 from pjsua is in
tests/ui/test_refused_codec.py)."""

from __future__ import annotations

from typing import Any

from softphone.sip.refused import RefusedCalls, account_by_uri, offered_codecs


def invite(call_id: str = "abc@host", codecs: str = "0 97 101") -> str:
    return (
        "INVITE sip:agent@192.0.2.10 SIP/2.0\r\n"
        'From: "Gleb" <sip:+74957770011@192.0.2.20>;tag=1\r\n'
        "To: <sip:agent@192.0.2.10>\r\n"
        f"Call-ID: {call_id}\r\n"
        "Content-Type: application/sdp\r\n\r\n"
        "v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
        f"m=audio 4000 RTP/AVP {codecs}\r\n"
        "a=rtpmap:97 G726-32/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n")


def book(allowed: bool = True) -> tuple[RefusedCalls, list[Any]]:
    out: list[Any] = []
    return RefusedCalls(out.append, lambda _h: allowed, lambda _u: "Office"), out


def test_offered_codecs_in_order_without_events_and_video() -> None:
    assert offered_codecs(invite()) == ("PCMU/8000", "G726-32/8000")
    assert offered_codecs(invite(codecs="97")) == ("G726-32/8000",)


def test_reported_once_per_call_id_and_limited_per_source() -> None:
    refused, out = book()
    event = refused.on_rejected(488, "Not Acceptable Here", invite(), "192.0.2.20:5060", 0.0)
    assert event is not None and out == [event]
    assert (event.number, event.display_name, event.account) == ("+74957770011", "Gleb",
                                                                  "Office")
    assert refused.on_rejected(488, "x", invite(), "192.0.2.20:5060", 1.0) is None  # again
    for i in range(10):
        refused.on_rejected(488, "x", invite(f"c{i}"), "192.0.2.20:5060", 2.0 + i)
    assert len(out) == 5  # a flood from one source: five a minute
    assert refused.on_rejected(488, "x", invite("later"), "192.0.2.20:5060", 70.0)


def test_only_a_codec_mismatch_is_a_call_to_report() -> None:
    refused, out = book()
    assert refused.on_rejected(486, "Busy Here", invite(), "192.0.2.20:5060", 0.0) is None
    assert refused.on_rejected(400, "Bad Request", invite("b"), "192.0.2.20:5060", 0.0) is None
    assert out == []


def test_sources_the_ghost_guard_refuses_are_not_reported() -> None:
    refused, out = book(allowed=False)
    assert refused.on_rejected(488, "x", invite(), "203.0.113.9:5060", 0.0) is None
    assert out == []


def test_account_by_the_to_uri() -> None:
    accounts = [("Office", "sip:1001@pbx.example"), ("LAN", "sip:agent@0.0.0.0")]
    assert account_by_uri(accounts, "sip:agent@192.0.2.10") == "LAN"
    assert account_by_uri(accounts, "sip:someone@else") == "Office"


def test_an_unencrypted_offer_to_an_encryption_only_account_says_so() -> None:
    from softphone.ui.common import end_reason_text
    from softphone.workflow import refusal_reason

    out: list[Any] = []
    refused = RefusedCalls(out.append, lambda _h: True, lambda _u: "Office",
                           lambda account: account == "Office")
    event = refused.on_rejected(488, "Not Acceptable Here", invite(), "192.0.2.20:5060", 0.0)
    assert event is not None and event.unencrypted
    assert refusal_reason(event) == "unencrypted"
    assert end_reason_text(488, "unencrypted") == (
        "the other side does not support encrypted calls")
    # an offer with keys that still failed (no common codec) is not called unencrypted
    keyed = invite("k1").replace("m=video", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n"
                                            "m=video")
    event = refused.on_rejected(488, "Not Acceptable Here", keyed, "192.0.2.20:5060", 1.0)
    assert event is not None and not event.unencrypted
    # an account that does not require encryption: the codec reason as before
    plain, _ = book()
    event = plain.on_rejected(488, "Not Acceptable Here", invite("k2"), "192.0.2.20:5060", 0.0)
    assert event is not None and not event.unencrypted
    assert refusal_reason(event).startswith("offered: ")
