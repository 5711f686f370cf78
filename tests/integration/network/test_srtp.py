"""Lab case 3: mandatory SRTP both ways with baresip (``srtp.so``, ``mediaenc=srtp-mand``).

The app behind router A calls baresip on the internet: the call shows its encryption, the
tones go through both ways, and what crosses router A's WAN link carries no recognisable
G.711 (the tones' samples are not in the packets; the same analysis finds them in an
unencrypted call, so it would). Against a phone without SRTP the call fails with a clear
message and the SIP status, both ways, and is logged with that status.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tests.harness.audio_analysis import band_share
from tests.integration.network.conftest import app_account
from tests.integration.network.lab import PUBLIC_PHONE, ROUTER_A_WAN, TURN, Datagram, Lab
from tests.integration.network.phones import (
    OUR_TONE,
    THEIR_TONE,
    LabBaresip,
    LabEngine,
    tone_share,
)
from tests.integration.network.servers import Coturn, LabKamailio, wait_until

MANDATORY = {"srtp": "mandatory", "srtp_require_tls": False, "stun_server": f"{TURN}:3478"}


def ulaw_to_linear(data: bytes) -> np.ndarray:
    """G.711 mu-law bytes -> 16-bit samples."""
    u = ~np.frombuffer(data, dtype=np.uint8)
    t = ((u & 0x0F).astype(np.int32) << 3) + 0x84
    t <<= (u & 0x70).astype(np.int32) >> 4
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.float64)


def tone_in_packets(datagrams: list[Datagram], src: str, hz: float) -> float:
    """Share of ``hz`` in the RTP payloads ``src`` sent, read as PCMU (what an eavesdropper
    on the link would do); payloads after the 12-byte RTP header, 160 bytes each."""
    payloads = [d.payload[12:172] for d in datagrams
                if d.src == src and 5060 not in (d.sport, d.dport) and len(d.payload) >= 172
                and d.payload[0] >> 6 == 2]  # RTP version 2
    if len(payloads) < 25:
        raise AssertionError(f"only {len(payloads)} RTP packets from {src} captured")
    samples = ulaw_to_linear(b"".join(payloads[-50:]))
    return band_share(samples, 8000, hz)


def _media_event(app: LabEngine, call_id: int, since: int) -> dict[str, object]:
    return app.wait_for(lambda e: e.get("event") == "CallMediaChanged"
                        and e.get("call_id") == call_id and e.get("active"), 15.0,
                        "the call's media", since)


def _talk(lab: Lab, app: LabEngine, peer: LabBaresip, target: str
          ) -> tuple[dict[str, object], list[Datagram], float, float]:
    """The app calls ``peer``; returns (media event, captured datagrams, the app hearing the
    peer, the peer hearing the app)."""
    mark, peer_mark = app.mark(), len(peer.events)
    with lab.capture("rtra", lab.wan("rtra")) as cap:
        call_id = app.command("dial", target=target)
        app.wait_state(call_id, "confirmed", 15.0, since=mark)
        peer.wait_event("CALL_ESTABLISHED", 10.0, since=peer_mark)
        media = _media_event(app, call_id, mark)
        recording = app.record_seconds(call_id)
    app.command("hangup", call_id=call_id)
    app.wait_state(call_id, "disconnected", 10.0, since=mark)
    peer.wait_event("CALL_CLOSED", 10.0, since=peer_mark)
    return media, cap.datagrams, tone_share(recording, THEIR_TONE), peer.wait_heard(OUR_TONE)


def test_mandatory_srtp_encrypts_both_ways_and_refuses_plain_peers(
        lab: Lab, kamailio: LabKamailio, coturn: Coturn,
        make_app: Callable[..., LabEngine], make_baresip: Callable[..., LabBaresip]) -> None:
    k = kamailio
    app = make_app("lana", accounts=[app_account(k, "alice", **MANDATORY)])
    app.wait_event("RegistrationChanged", 20.0, account="office", state="registered")
    bob = make_baresip("pub", PUBLIC_PHONE, user="bob", register_with=k,
                       mediaenc="srtp-mand")

    media, packets, heard_by_app, heard_by_bob = _talk(lab, app, bob, k.aor("bob"))
    print(f"\nencrypted call: {media['encryption']}; app heard {heard_by_app:.2f}, baresip "
          f"heard {heard_by_bob:.2f}")
    assert str(media["encryption"]).startswith("SRTP AES_CM_128_HMAC_SHA1"), media
    assert heard_by_app > 0.2 and heard_by_bob > 0.5
    ours = tone_in_packets(packets, ROUTER_A_WAN, OUR_TONE)
    theirs = tone_in_packets(packets, PUBLIC_PHONE, THEIR_TONE)
    print(f"on router A's WAN link: {OUR_TONE} Hz share {ours:.4f} in what the app sent, "
          f"{THEIR_TONE} Hz share {theirs:.4f} in what baresip sent")
    assert ours < 0.02 and theirs < 0.02, "the tones are recognisable on the wire"
    rows = app.call_log()
    assert rows[0]["outcome"] == "answered"
    assert rows[0]["quality"]["encryption"].startswith("SRTP"), rows[0]

    # A phone without SRTP, called and calling: a clear failure with its SIP status.
    carol = make_baresip("pub", PUBLIC_PHONE, user="carol", register_with=k)
    mark, carol_mark = app.mark(), len(carol.events)
    call_id = app.command("dial", target=k.aor("carol"))
    ended = app.wait_state(call_id, "disconnected", 15.0, since=mark)
    error = app.wait_event("EngineError", 5.0, since=mark, call_id=call_id)
    print(f"calling a phone without SRTP: {ended['code']} {ended['reason']}; "
          f"the app says: {error['message']!r}")
    assert ended["code"] == 488, ended
    assert "does not support encrypted calls" in error["message"]
    assert "488" in error["message"]
    mark = app.mark()
    carol_mark = len(carol.events)
    carol.dial(k.aor("alice"))
    closed = carol.wait_event("CALL_CLOSED", 15.0, since=carol_mark)
    refused = app.wait_event("IncomingCallRefused", 10.0, since=mark)
    print(f"a phone without SRTP calling: baresip got {closed.get('param')!r}; the app "
          f"reports {refused['code']} {refused['reason']} (unencrypted: "
          f"{refused['unencrypted']})")
    assert refused["code"] == 488 and refused["unencrypted"], refused
    assert app.find_events("IncomingCall") == [], "an unencrypted call rang"
    rows = wait_until(lambda: [r for r in app.call_log() if "carol" in r["remote_uri"]]
                      if len(app.call_log()) >= 3 else None, 10.0, "both calls logged")
    # both logged with their SIP status, and the reason the history words as "the other
    # side does not support encrypted calls" (ui/common.end_reason_text)
    assert sorted((r["direction"], r["sip_status"], r["end_reason"]) for r in rows) == [
        ("in", 488, "unencrypted"), ("out", 488, "unencrypted")], rows

    # The same eavesdropping on an unencrypted call does find the tones (the check works).
    app.command("set_accounts", accounts=[app_account(k, "alice", srtp="off",
                                                      stun_server=f"{TURN}:3478")])
    app.wait_event("RegistrationChanged", 20.0, since=mark, account="office",
                   state="registered")
    media, packets, _, _ = _talk(lab, app, carol, k.aor("carol"))
    assert media["encryption"] == ""
    plain = tone_in_packets(packets, ROUTER_A_WAN, OUR_TONE)
    print(f"unencrypted control call: {OUR_TONE} Hz share {plain:.2f} on the wire")
    assert plain > 0.5
