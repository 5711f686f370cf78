"""Lab case 5: ghost calls from a SIP scanner never ring.

The app sits behind router A with its SIP and media ports forwarded and ``public_address``
set (what makes a phone reachable from the internet, and scannable). A scanner on the
internet sends plain INVITEs straight to the forwarded port: every one gets 403, nothing
rings, no caller card would pop (the workflow sees nothing), no call-log row, one log line.
A real call through the registrar right after rings and, with auto-answer on, is answered,
with audio both ways through the forwarded ports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.harness.sip_flood import FloodReport, scanner_invites
from tests.integration.network.conftest import app_account
from tests.integration.network.lab import (
    LAN_A,
    PUBLIC_PHONE,
    ROUTER_A_WAN,
    SCANNER,
    Lab,
    in_netns,
)
from tests.integration.network.phones import (
    OUR_TONE,
    THEIR_TONE,
    LabBaresip,
    LabEngine,
    tone_share,
)
from tests.integration.network.servers import LabKamailio


def _scan(lab: Lab) -> FloodReport:
    """20 INVITEs in 4 s from the scanner's address on the internet (its own thread, which
    enters the internet's namespace)."""
    reports: list[FloodReport] = []

    def scan() -> None:
        with in_netns(lab.ns("inet")):
            reports.append(scanner_invites(ROUTER_A_WAN, 5060, count=20, seconds=4.0,
                                           source=SCANNER))

    thread = threading.Thread(target=scan, name="scanner")
    thread.start()
    thread.join(30.0)
    assert reports, "the scanner did not finish"
    return reports[0]


def test_a_scanners_invites_never_ring_and_the_next_real_call_is_answered(
        lab: Lab, kamailio: LabKamailio, make_app: Callable[..., LabEngine],
        make_baresip: Callable[..., LabBaresip]) -> None:
    k = kamailio
    lab.forward_ports("rtra", LAN_A, "5060, 4000-4999")
    app = make_app("lana", accounts=[app_account(k, "alice", public_address=ROUTER_A_WAN)],
                   calls={"auto_answer": True})
    app.wait_event("RegistrationChanged", 20.0, account="office", state="registered")
    assert any(f"{ROUTER_A_WAN}:5060" in ln for ln in k.saved("alice")), k.saved("alice")
    bob = make_baresip("pub", PUBLIC_PHONE, user="bob", register_with=k, auto_answer=False)

    mark = app.mark()
    report = _scan(lab)
    print(f"\nscanner at {SCANNER}: {report.line()}; answers {dict(report.answers)}")
    assert report.answers["403"] >= 20, report.answers
    assert not {"180", "183", "200"} & set(report.answers), report.answers
    assert app.events[mark:] == [], "a ghost call reached the engine's events"
    assert app.command("workflow_updates") == [], "the workflow saw a ghost (a card would pop)"
    assert app.call_log() == [], "a ghost call was logged"
    refused = [ln for ln in app.stderr().splitlines() if "refused a call from" in ln]
    print(f"application log: {refused}")
    assert len(refused) == 1 and SCANNER in refused[0], refused

    # the real call through the registrar: rings and is answered by itself
    mark, bob_mark = app.mark(), len(bob.events)
    bob.dial(k.aor("alice"))
    incoming = app.wait_event("IncomingCall", 15.0, since=mark)
    call_id = incoming["call_id"]
    app.wait_state(call_id, "confirmed", 10.0, since=mark)
    bob.wait_event("CALL_ESTABLISHED", 10.0, since=bob_mark)
    recording = app.record_seconds(call_id)
    bob.hangup()
    app.wait_state(call_id, "disconnected", 10.0, since=mark)
    heard_by_app, heard_by_bob = tone_share(recording, THEIR_TONE), bob.wait_heard(OUR_TONE)
    print(f"the real call: auto-answered; app heard {heard_by_app:.2f}, baresip heard "
          f"{heard_by_bob:.2f}")
    assert heard_by_app > 0.2 and heard_by_bob > 0.5
    rows = app.call_log()
    assert len(rows) == 1 and rows[0]["outcome"] == "answered", rows
    assert "bob" in rows[0]["remote_uri"]
