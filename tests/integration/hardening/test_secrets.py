"""No password in logs, settings or the database after a session with registration, calls
and a failed login (wrong password), with PJSIP's own log at debug level."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from softphone.settings import AccountSettings, CrmSettings, Settings, SipSettings
from tests.harness.ports import free_port
from tests.harness.sip_peers import DATA, Kamailio, _fill, wait_until
from tests.integration.hardening.apps import AppProcess
from tests.integration.hardening.conftest import need
from tests.integration.sip.engine_proc import EngineProcess, kamailio_account

GOOD = "Zq7-hardening-Passw0rd-91"
WRONG = "Wr0ng-distinct-Pw-4417"


class PasswordKamailio(Kamailio):
    """The harness kamailio, but every user's password is ``password``."""

    def __init__(self, password: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.password = password

    def _start(self) -> None:
        cfg = self.dir / "kamailio.cfg"
        text = _fill((DATA / "kamailio.cfg").read_text(),
                     {"SIP_PORT": str(self.port), "TLS_PORT": "0", "TLS_CFG": ""})
        cfg.write_text(text.replace('"secret"', f'"{self.password}"'))
        self._popen(["kamailio", "-DD", "-E", "-f", str(cfg), "-Y", str(self.dir), "-w",
                     str(self.dir), "-P", str(self.dir / "kamailio.pid"), "-m", "32", "-M", "4"])
        try:
            wait_until(self._answers, 10.0, f"kamailio to answer on port {self.port}")
        except TimeoutError as e:
            raise self._fail(str(e)) from None


@pytest.fixture
def kamailio_pw(tmp_path: Path) -> Iterator[PasswordKamailio]:
    need("kamailio")
    k = PasswordKamailio(GOOD, workdir=tmp_path / "kamailio")
    try:
        yield k.start()
    finally:
        k.stop()


def test_no_password_in_logs_settings_or_database(
        kamailio_pw: PasswordKamailio, make_app: Callable[..., AppProcess],
        make_engine: Callable[..., EngineProcess]) -> None:
    k = kamailio_pw
    settings = Settings(
        sip=SipSettings(listen_host="127.0.0.1", listen_port=0, rtp_port=free_port()),
        accounts=(
            AccountSettings(name="office", address=k.aor("agent"), registrar=k.uri,
                            username="agent"),
            AccountSettings(name="typo", address=k.aor("agent2"), registrar=k.uri,
                            username="agent2"),
        ),
        crm=CrmSettings(default_region="RU", agent="tester"))
    app = make_app(settings, passwords={"office": GOOD, "typo": WRONG})
    profile = app.profile
    app.wait("r = engine.registration('office'); result = r is not None and "
             "r.state == 'registered'", 15.0, "office registered")
    failed = app.wait("r = engine.registration('typo'); result = r is not None and "
                      "r.state == 'failed' and f'{r.code} {r.reason}'", 15.0,
                      "the wrong password refused")
    bob = make_engine("bob", accounts=[kamailio_account(k, "bob", password=GOOD)],
                      calls={"auto_answer": True})
    bob.wait_event("RegistrationChanged", 10.0, account="bob", state="registered")
    # A call out (digest-challenged INVITE) and a call in, both through kamailio.
    mark = bob.mark()
    app.run(f"window.dial({k.aor('bob')!r})")
    incoming = bob.wait_event("IncomingCall", 15.0, since=mark)
    bob.wait_state(incoming["call_id"], "confirmed", 10.0, since=mark)
    bob.command("hangup", call_id=incoming["call_id"])
    bob.wait_state(incoming["call_id"], "disconnected", 10.0, since=mark)
    app.wait("result = not engine.active_calls()", 10.0, "the app idle")
    mark = bob.mark()
    call = bob.command("dial", target=k.aor("agent"))
    app.wait("result = bool(window.cards)", 15.0, "the card of bob's call")
    bob.command("hangup", call_id=call)
    bob.wait_state(call, "disconnected", 10.0, since=mark)
    assert app.close() == 0, app.stderr_tail()

    checked: list[tuple[str, int]] = []
    found: list[str] = []
    for path in sorted(p for p in profile.rglob("*") if p.is_file()):
        if path.name == "credentials.toml":
            continue  # the documented keyring fallback (mode 0600) holds them by design
        data = path.read_bytes()
        checked.append((str(path.relative_to(profile)), len(data)))
        for secret in (GOOD, WRONG):
            for encoded in {secret.encode(), secret.encode("utf-16-le")}:
                if encoded in data:
                    found.append(f"{path.name}: {secret}")
    stderr = app.stderr_path.read_bytes()
    found += [f"app stderr: {s}" for s in (GOOD, WRONG) if s.encode() in stderr]
    log_text = "\n".join(p.read_text(errors="replace")
                         for p in (profile / "logs").glob("*"))
    debug_sip = ("\nAuthorization: " in log_text, "REGISTER sip:" in log_text,
                 "INVITE sip:" in log_text)
    credentials = profile / "credentials.toml"
    mode = oct(credentials.stat().st_mode & 0o777) if credentials.exists() else None
    print(f"\nsession: registered 'office', 'typo' refused ({failed}), a call out and a call in "
          f"through kamailio; PJSIP debug log with Authorization headers, REGISTER and INVITE "
          f"messages: {debug_sip}")
    print(f"searched {len(checked)} files ({sum(n for _p, n in checked)} bytes): "
          f"{[p for p, _n in checked]}; password found in: {found or 'none'}; "
          f"credentials.toml mode {mode}")
    assert all(debug_sip), "the PJSIP debug log did not include the SIP messages"
    assert any(p.endswith(".sqlite3") for p, _n in checked)
    assert "softphone.toml" in [p for p, _n in checked]
    assert not found
    assert mode == "0o600"
