"""Lab case 4: TLS signalling through kamailio's TLS module plus mandatory SRTP.

The app behind router A registers over TLS (verifying kamailio's certificate, trusted the way
a provider's CA is: through the system's CA file), with ``srtp = "mandatory"`` and the keys
only over TLS (the default). A phone on the internet calls it through kamailio: it rings, is
answered, the audio flows both ways, the call shows the padlock with its suite, and the call
log keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from softphone.ui.call_panel import encryption_text
from tests.integration.network.conftest import app_account
from tests.integration.network.lab import PUBLIC_PHONE, TURN, Lab
from tests.integration.network.phones import (
    OUR_TONE,
    THEIR_TONE,
    LabBaresip,
    LabEngine,
    tone_share,
)
from tests.integration.network.servers import Coturn, LabKamailio


def test_tls_registration_and_an_encrypted_call_with_the_padlock(
        lab: Lab, kamailio: LabKamailio, coturn: Coturn,
        make_app: Callable[..., LabEngine], make_baresip: Callable[..., LabBaresip]) -> None:
    k = kamailio
    assert k.ca_cert is not None
    account = app_account(k, "alice", transport="tls", srtp="mandatory",
                          stun_server=f"{TURN}:3478")
    app = make_app("lana", accounts=[account], env={"SSL_CERT_FILE": str(k.ca_cert)})
    reg = app.wait_event("RegistrationChanged", 20.0, account="office", state="registered")
    saved = k.saved("alice")
    print(f"\nregistered over TLS: {reg['code']} {reg['reason']}; kamailio: {saved[-1]}")
    assert saved and saved[-1].endswith("over tls"), saved

    bob = make_baresip("pub", PUBLIC_PHONE, user="bob", register_with=k,
                       mediaenc="srtp-mand")
    mark, bob_mark = app.mark(), len(bob.events)
    bob.dial(k.aor("alice"))
    incoming = app.wait_event("IncomingCall", 15.0, since=mark)
    call_id = incoming["call_id"]
    app.command("answer", call_id=call_id)
    app.wait_state(call_id, "confirmed", 10.0, since=mark)
    bob.wait_event("CALL_ESTABLISHED", 10.0, since=bob_mark)
    media = app.wait_for(lambda e: e.get("event") == "CallMediaChanged"
                         and e.get("call_id") == call_id and e.get("active"), 10.0,
                         "the call's media", mark)
    recording = app.record_seconds(call_id)
    bob.hangup()
    app.wait_state(call_id, "disconnected", 10.0, since=mark)
    heard_by_app = tone_share(recording, THEIR_TONE)
    heard_by_bob = bob.wait_heard(OUR_TONE)
    padlock = encryption_text(str(media["encryption"]))  # the call panel's line
    print(f"call panel: {padlock!r}; app heard {heard_by_app:.2f}, baresip heard "
          f"{heard_by_bob:.2f}")
    assert str(media["encryption"]).startswith("SRTP AES_CM_128_HMAC_SHA1"), media
    assert padlock.startswith("\U0001F512 Encrypted (SRTP AES_CM_128_HMAC_SHA1")
    assert heard_by_app > 0.2 and heard_by_bob > 0.5
    rows = app.call_log()
    assert rows[0]["outcome"] == "answered" and rows[0]["direction"] == "in", rows[0]
    assert rows[0]["quality"]["encryption"] == media["encryption"], rows[0]
