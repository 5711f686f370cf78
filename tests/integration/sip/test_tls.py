"""SIP over TLS to a real kamailio: register and call through it over an encrypted connection."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.sip_peers import Kamailio
from tests.integration.sip.engine_proc import EngineFactory, kamailio_account

pytestmark = pytest.mark.integration

# kamailio-tls-modules, for this machine's architecture (x86_64-linux-gnu, aarch64-linux-gnu...)
TLS_MODULE = next(iter(sorted(Path("/usr/lib").glob("*/kamailio/modules/tls.so"))),
                  Path("/usr/lib/kamailio/modules/tls.so"))


@pytest.fixture
def kamailio_tls(tmp_path: Path) -> Iterator[Kamailio]:
    if shutil.which("kamailio") is None or shutil.which("openssl") is None:
        pytest.skip("kamailio or openssl is not installed")
    if not TLS_MODULE.exists():
        pytest.skip("kamailio's TLS module is not installed (kamailio-tls-modules)")
    with Kamailio(workdir=tmp_path / "kamailio", tls=True) as k:
        yield k


def test_register_and_call_over_tls(kamailio_tls: Kamailio, make_engine: EngineFactory) -> None:
    k = kamailio_tls
    tls_server = f"sip:{k.host}:{k.tls_port}"
    alice = make_engine("alice", accounts=[kamailio_account(
        k, "alice", registrar=tls_server, outbound_proxy=tls_server, transport="tls",
        tls_verify=False)])
    bob = make_engine("bob", accounts=[kamailio_account(k, "bob")])
    reg = alice.wait_event("RegistrationChanged", 15.0, account="alice", state="registered")
    assert reg["code"] == 200
    bob.wait_event("RegistrationChanged", 10.0, account="bob", state="registered")
    assert any(line.endswith("over tls") for line in k.received("REGISTER")), \
        k.received("REGISTER")

    mark = bob.mark()
    out_id = alice.command("dial", target=k.aor("bob"))
    incoming = bob.wait_event("IncomingCall", 10.0, since=mark)
    bob.command("answer", call_id=incoming["call_id"])
    alice.wait_state(out_id, "confirmed")
    bob.wait_state(incoming["call_id"], "confirmed")
    invites = k.received("INVITE")
    assert invites and all(line.endswith("over tls") for line in invites), invites

    alice.command("hangup", call_id=out_id)
    alice.wait_state(out_id, "disconnected")
    bob.wait_state(incoming["call_id"], "disconnected")


def test_call_to_a_tls_registered_phone(kamailio_tls: Kamailio,
                                        make_engine: EngineFactory) -> None:
    k = kamailio_tls
    tls_server = f"sip:{k.host}:{k.tls_port}"
    alice = make_engine("alice", accounts=[kamailio_account(
        k, "alice", registrar=tls_server, outbound_proxy=tls_server, transport="tls",
        tls_verify=False)])
    bob = make_engine("bob", accounts=[kamailio_account(k, "bob")])
    alice.wait_event("RegistrationChanged", 15.0, account="alice", state="registered")
    bob.wait_event("RegistrationChanged", 10.0, account="bob", state="registered")

    mark = alice.mark()
    b_id = bob.command("dial", target=k.aor("alice"))
    incoming = alice.wait_event("IncomingCall", 10.0, since=mark)
    alice.command("answer", call_id=incoming["call_id"])
    bob.wait_state(b_id, "confirmed")
    alice.wait_state(incoming["call_id"], "confirmed")
    bob.command("hangup", call_id=b_id)
    alice.wait_state(incoming["call_id"], "disconnected")
