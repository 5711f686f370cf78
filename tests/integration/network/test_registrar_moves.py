"""Lab case 6: the registrar's address changes and the app follows without a restart.

The account names its server by a DNS name (the lab's dnsmasq answers). The server moves:
the name now points at a second kamailio and the first one is gone (a provider's DNS
failover). The app notices by itself (softphone/sip/server_watch.py looks the name up
again), registers with the new server and takes the next call there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.network.lab import DNS, KAMAILIO, KAMAILIO_2, PUBLIC_PHONE, TURN, Lab
from tests.integration.network.phones import LabBaresip, LabEngine
from tests.integration.network.servers import SIP_PASSWORD, LabDns, LabKamailio

NAME = "pbx.lab.test"


def test_the_app_registers_with_the_new_address_and_takes_calls(
        lab: Lab, tmp_path: Path, make_app: Callable[..., LabEngine],
        make_baresip: Callable[..., LabBaresip]) -> None:
    dns = LabDns(lab, tmp_path / "dns").start({NAME: KAMAILIO})
    first = LabKamailio(lab, tmp_path / "kamailio-1", KAMAILIO, aliases=(NAME,)).start()
    second = LabKamailio(lab, tmp_path / "kamailio-2", KAMAILIO_2, aliases=(NAME,)).start()
    try:
        lab.resolver("lana", DNS)  # the app's namespace asks the lab's DNS
        account = {"name": "office", "address": f"sip:alice@{NAME}",
                   "registrar": f"sip:{NAME}", "username": "alice", "password": SIP_PASSWORD,
                   "stun_server": f"{TURN}:3478"}
        app = make_app("lana", accounts=[account])
        app.wait_event("RegistrationChanged", 20.0, account="office", state="registered")
        assert first.saved("alice") and not second.saved("alice")
        started = app.find_events("EngineStarted")

        # The server moves: DNS now answers the second address; the first server is gone.
        mark = app.mark()
        moved_at = time.monotonic()
        dns.set(NAME, KAMAILIO_2)
        first.stop()
        app.wait_for(lambda e: e.get("event") == "RegistrationChanged"
                     and e.get("state") == "registered", 45.0,
                     "registering with the new address", mark)
        followed = time.monotonic() - moved_at
        print(f"\n{NAME} moved to {KAMAILIO_2}: registered there {followed:.1f} s later; "
              f"kamailio 2: {second.saved('alice')[-1]}")
        assert second.saved("alice")

        # the next call comes through the new server, same engine (no restart)
        bob = make_baresip("pub", PUBLIC_PHONE, user="bob", register_with=second,
                           auto_answer=False)
        mark, bob_mark = app.mark(), len(bob.events)
        bob.dial(f"sip:alice@{NAME}")
        incoming = app.wait_event("IncomingCall", 15.0, since=mark)
        app.command("answer", call_id=incoming["call_id"])
        app.wait_state(incoming["call_id"], "confirmed", 10.0, since=mark)
        bob.wait_event("CALL_ESTABLISHED", 10.0, since=bob_mark)
        bob.hangup()
        app.wait_state(incoming["call_id"], "disconnected", 10.0, since=mark)
        assert app.find_events("EngineStarted") == started, "the engine restarted"
        assert app.call_log()[0]["outcome"] == "answered"
    finally:
        second.stop()
        first.stop()
        dns.stop()
