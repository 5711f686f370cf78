"""TLS to a registrar with a self-signed certificate: refused unless the user trusts it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness.sip_peers import Kamailio
from tests.harness.tls_certs import self_signed, subject_and_fingerprint
from tests.integration.hardening.conftest import need
from tests.integration.sip.engine_proc import EngineProcess, kamailio_account

# kamailio-tls-modules, for this machine's architecture (x86_64-linux-gnu, aarch64-linux-gnu...)
TLS_MODULE = next(iter(sorted(Path("/usr/lib").glob("*/kamailio/modules/tls.so"))),
                  Path("/usr/lib/kamailio/modules/tls.so"))


@pytest.fixture
def kamailio_tls(tmp_path: Path) -> Iterator[Kamailio]:
    need("kamailio")
    need("openssl")
    if not TLS_MODULE.exists():
        pytest.skip("kamailio's TLS module is not installed (kamailio-tls-modules)")
    k = Kamailio(workdir=tmp_path / "kamailio", tls=True)
    try:
        yield k.start()
    finally:
        k.stop()


def test_self_signed_registrar_refused_unless_trusted(
        kamailio_tls: Kamailio, make_engine: Callable[..., EngineProcess],
        tmp_path: Path) -> None:
    k = kamailio_tls
    server = f"sip:{k.host}:{k.tls_port}"
    server_cert = k.dir / "tls.crt"
    print(f"\nkamailio TLS on {k.tls_port}: {subject_and_fingerprint(server_cert)}")
    _key, other_ca = self_signed(tmp_path / "other-ca", "127.0.0.1")
    only_system = tmp_path / "system-ca.pem"
    system = Path("/etc/ssl/certs/ca-certificates.crt")
    if system.exists():
        shutil.copy(system, only_system)
    else:
        only_system.write_text("")
    cases = [
        ("verify on, system CAs only", True, {"SSL_CERT_FILE": str(only_system)}, False),
        ("verify on, another self-signed CA trusted", True, {"SSL_CERT_FILE": str(other_ca)},
         False),
        ("verify on, this certificate trusted (SSL_CERT_FILE)", True,
         {"SSL_CERT_FILE": str(server_cert)}, True),
        ("verify off (tls_verify = false: explicit trust)", False,
         {"SSL_CERT_FILE": str(only_system)}, True),
    ]
    for index, (label, verify, env, should_register) in enumerate(cases):
        user = f"agent{index}"
        phone = make_engine(user, accounts=[kamailio_account(
            k, user, registrar=server, outbound_proxy=server, transport="tls",
            tls_verify=verify)], env=env)
        result = phone.wait_for(
            lambda e, u=user: e.get("event") == "RegistrationChanged" and e.get("account") == u
            and e.get("state") in ("registered", "failed"), 20.0, f"{user} registered or failed")
        saved = k.saved(user)
        print(f"{label}: {result['state']} ({result.get('code')} {result.get('reason')}); "
              f"kamailio saved a contact: {saved}")
        phone.close()
        if should_register:
            assert result["state"] == "registered" and result["code"] == 200
            assert saved
        else:
            assert result["state"] == "failed"
            assert not saved
            assert result["code"] != 200
