"""Lab case 2: two phones behind two different NATs.

The app (behind router A) calls baresip (behind router B, with its ice, stun and turn
modules), both registered with kamailio on the internet. With ICE and STUN the audio goes
directly between the two routers' public addresses; once the internet drops UDP between the
routers, ICE falls back to coturn's TURN relay and the audio still flows both ways.

baresip (libre 1.0) concludes ICE only when every candidate pair has answered or timed out:
behind the blocked routers that takes ~40 s, and baresip sends no audio until then (the app
has chosen the relay path within a second; bench/bench_nat_setup.py has the figures).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.network.conftest import app_account
from tests.integration.network.lab import LAN_B, TURN, Lab
from tests.integration.network.phones import (
    OUR_TONE,
    THEIR_TONE,
    LabBaresip,
    LabEngine,
    tone_share,
)
from tests.integration.network.servers import (
    TURN_PASSWORD,
    TURN_USER,
    Coturn,
    LabKamailio,
    wait_until,
)

ICE_STUN: dict[str, Any] = {"ice": True, "stun_server": f"{TURN}:3478"}
ICE_TURN: dict[str, Any] = {**ICE_STUN, "turn_server": f"{TURN}:3478",
                            "turn_username": TURN_USER, "turn_password": TURN_PASSWORD}


def call_with_audio_both_ways(app: LabEngine, peer: LabBaresip, target: str
                              ) -> dict[str, Any]:
    """The app calls ``peer`` (which answers by itself); checks the tones both ways and
    returns the call's figures (codec, ICE path)."""
    mark, peer_mark = app.mark(), len(peer.events)
    call_id = app.command("dial", target=target)
    app.wait_state(call_id, "confirmed", 20.0, since=mark)
    peer.wait_event("CALL_ESTABLISHED", 10.0, since=peer_mark)
    # The ICE path shows once ICE has chosen its pair (the figures refresh every second).
    quality = wait_until(lambda: _figures_with_path(app, call_id), 15.0, "ICE's chosen path")
    # baresip's ICE (libre 1.0) starts sending only when every candidate pair has answered
    # or timed out (~40 s for a path the network silently drops), whatever was nominated.
    wait_until(lambda: "connectivity check is complete" in peer.log(), 60.0,
               "baresip's ICE to conclude")
    recording = app.record_seconds(call_id)
    app.command("hangup", call_id=call_id)
    app.wait_state(call_id, "disconnected", 10.0, since=mark)
    peer.wait_event("CALL_CLOSED", 10.0, since=peer_mark)
    theirs = tone_share(recording, THEIR_TONE)
    heard = peer.wait_heard(OUR_TONE)
    print(f"  path {quality['ice']}; app heard {THEIR_TONE} Hz (share {theirs:.2f}), "
          f"baresip heard {OUR_TONE} Hz (share {heard:.2f})")
    assert theirs > 0.2, f"the app did not hear baresip ({theirs:.3f})"
    assert heard > 0.5, f"baresip did not hear the app ({heard:.3f})"
    return quality


def _figures_with_path(app: LabEngine, call_id: int) -> dict[str, Any] | None:
    quality = app.command("call_quality", call_id=call_id)
    return quality if quality and quality.get("ice") else None



def test_ice_direct_then_turn_relay_when_direct_udp_is_blocked(
        lab: Lab, kamailio: LabKamailio, coturn: Coturn,
        make_app: Callable[..., LabEngine], make_baresip: Callable[..., LabBaresip]) -> None:
    k = kamailio
    app = make_app("lana", accounts=[app_account(k, "alice", **ICE_STUN)])
    app.wait_event("RegistrationChanged", 20.0, account="office", state="registered")

    print("\nICE + STUN, both routers reachable:")
    bob = make_baresip("lanb", LAN_B, user="bob", register_with=k, medianat="ice",
                       stun_server=f"stun:{TURN}:3478")
    direct = call_with_audio_both_ways(app, bob, k.aor("bob"))
    assert direct["ice"] in ("srflx", "prflx"), direct  # straight between the two NATs
    bob.stop()

    print("ICE + TURN, UDP between the routers dropped:")
    lab.block_direct_udp_between_routers()
    mark = app.mark()
    app.command("set_accounts", accounts=[app_account(k, "alice", **ICE_TURN)])
    app.wait_event("RegistrationChanged", 20.0, since=mark, account="office",
                   state="registered")
    dave = make_baresip("lanb", LAN_B, user="dave", register_with=k, medianat="ice",
                        stun_server=f"turn:{TURN}:3478", stun_user=TURN_USER,
                        stun_pass=TURN_PASSWORD)
    relayed = call_with_audio_both_ways(app, dave, k.aor("dave"))
    assert relayed["ice"] == "relay", relayed
    assert "ALLOCATE" in coturn.log().upper(), "coturn saw no TURN allocation"
