"""Lab case 1: the app behind a home router stays reachable while idle.

Two apps register with kamailio on the internet side, each behind its own router (UDP
mappings forgotten after 20 s): alice with the default keep-alives (15 s), carol with
keep-alives off. After 3x the router's timeout of idling, a phone on the internet calls
each. alice rings, is answered, hears the caller's tone and is heard, and the call is
logged; carol's router has forgotten her, so the call never reaches her: the failure mode
the keep-alives exist for (asserted here as what it is, so the suite documents it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.integration.network.conftest import app_account
from tests.integration.network.lab import (
    LAN_A,
    LAN_B,
    PUBLIC_PHONE,
    TURN,
    Lab,
)
from tests.integration.network.phones import (
    OUR_TONE,
    THEIR_TONE,
    LabBaresip,
    LabEngine,
    tone_share,
)
from tests.integration.network.servers import Coturn, LabKamailio, wait_until


def _sip_mapping(lab: Lab, router: str, lan_ip: str) -> list[str]:
    return [ln for ln in lab.conntrack_udp(router)
            if f"src={lan_ip} " in ln and "sport=5060 dport=5060" in ln]


def test_idle_behind_nat_the_phone_still_rings_only_with_keepalives(
        lab: Lab, kamailio: LabKamailio, coturn: Coturn,
        make_app: Callable[..., LabEngine], make_baresip: Callable[..., LabBaresip]) -> None:
    k = kamailio
    stun = {"stun_server": f"{TURN}:3478"}
    alice = make_app("lana", name="alice", accounts=[app_account(k, "alice", **stun)])
    carol = make_app("lanb", name="carol",
                     accounts=[app_account(k, "carol", keepalive_seconds=0, **stun)])
    bob = make_baresip("pub", PUBLIC_PHONE, user="bob", register_with=k, auto_answer=False)
    for app, user in ((alice, "office"), (carol, "office")):
        app.wait_event("RegistrationChanged", 20.0, account=user, state="registered")
    registered_at = time.monotonic()
    assert any("198.51.100.2:5060" in ln for ln in k.saved("alice")), k.saved("alice")
    assert any("198.51.100.18:5060" in ln for ln in k.saved("carol")), k.saved("carol")

    # Idle for 3x the routers' UDP timeout: carol's router forgets her; alice's keep-alives
    # hold her mapping.
    idle = 3 * lab.udp_timeout
    wait_until(lambda: time.monotonic() - registered_at >= idle
               and not _sip_mapping(lab, "rtrb", LAN_B), idle + 30.0,
               f"{idle} s of idling and carol's router forgetting her")
    assert _sip_mapping(lab, "rtra", LAN_A), "alice's keep-alives did not hold her mapping"
    print(f"\nidle {time.monotonic() - registered_at:.0f} s; alice's router still maps her "
          f"SIP port, carol's does not")

    # alice: rings, answered, audio both ways, logged
    mark, bob_mark = alice.mark(), len(bob.events)
    bob.dial(k.aor("alice"))
    incoming = alice.wait_event("IncomingCall", 15.0, since=mark)
    alice.command("answer", call_id=incoming["call_id"])
    call_id = incoming["call_id"]
    alice.wait_state(call_id, "confirmed", 10.0, since=mark)
    bob.wait_event("CALL_ESTABLISHED", 10.0, since=bob_mark)
    alice.wait_event("CallMediaChanged", 10.0, since=mark, call_id=call_id, active=True)
    recording = alice.record_seconds(call_id)
    bob.hangup()
    alice.wait_state(call_id, "disconnected", 10.0, since=mark)
    bob.wait_event("CALL_CLOSED", 10.0, since=bob_mark)
    theirs, ours = tone_share(recording, THEIR_TONE), tone_share(recording, OUR_TONE)
    heard = bob.wait_heard(OUR_TONE)
    print(f"alice heard bob's {THEIR_TONE} Hz (share {theirs:.2f}); bob heard alice's "
          f"{OUR_TONE} Hz (share {heard:.2f})")
    assert theirs > 0.2, f"alice did not hear bob ({theirs:.3f})"
    assert ours > 0.05
    assert heard > 0.5, f"bob did not hear alice ({heard:.3f})"
    rows = alice.call_log()
    assert rows and rows[0]["direction"] == "in" and rows[0]["outcome"] == "answered", rows
    assert "bob" in rows[0]["remote_uri"]

    # carol (keep-alives off): kamailio sends the INVITE to the mapping her router forgot
    mark, bob_mark = carol.mark(), len(bob.events)
    bob.dial(k.aor("carol"))
    wait_until(lambda: any("relay INVITE sip:carol@198.51.100.18" in ln
                           for ln in k.log().splitlines()), 10.0, "kamailio relaying to carol")
    try:
        carol.wait_event("IncomingCall", 8.0, since=mark)
        rang = True
    except TimeoutError:
        rang = False
    bob.hangup()
    print("carol (keep-alives off) " + ("rang!" if rang else
          "never rang: her router dropped kamailio's INVITE (the documented failure)"))
    assert not rang, ("carol rang without keep-alives: the lab no longer shows the failure "
                      "mode (did her router keep the mapping?)")
    assert carol.call_log() == []
