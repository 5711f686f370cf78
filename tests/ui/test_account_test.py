"""Settings -> Accounts -> Test on the real engine against a real kamailio (digest auth): the
account as typed registers as a temporary copy; the answer shows next to the button while the
UI keeps running; the real accounts' registrations are left alone."""

from __future__ import annotations

import itertools
import logging
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.settings import AccountSettings
from softphone.sip.events import RegistrationState
from tests.harness.sip_peers import PASSWORD, Kamailio
from tests.ui.conftest import lan_account

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio is not installed (see scripts/bootstrap)")
    with Kamailio(workdir=tmp_path / "kamailio") as k:
        yield k


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A UDP "registrar" that reads and never answers (no ICMP either): ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{s.getsockname()[1]}"


def _account(k: Kamailio, user: str, password: str | None = PASSWORD) -> AccountSettings:
    return AccountSettings(name=user, address=k.aor(user), registrar=k.uri, username=user,
                           password=password)


def _open_dialog(qtbot: Any, app: Any) -> Any:
    app.window.open_settings()
    dialog = app.window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    return dialog


def _fill(dialog: Any, address: str, registrar: str, user: str, password: str) -> None:
    dialog.add_account_button.click()
    dialog.acc_name.setText("Office")
    dialog.acc_address.setText(address)
    dialog.acc_registrar.setText(registrar)
    dialog.acc_username.setText(user)
    dialog.acc_password.setText(password)


def _test_and_wait(qtbot: Any, dialog: Any, timeout_ms: int = 20_000) -> str:
    dialog.test_account_button.click()
    assert dialog.account_test_label.text() == "Testing…"
    qtbot.waitUntil(dialog.test_account_button.isEnabled, timeout=timeout_ms)
    return str(dialog.account_test_label.text())


def test_dialog_test_button_right_and_wrong_password(qtbot: Any, app: Any, kamailio: Kamailio,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    dialog = _open_dialog(qtbot, app)
    _fill(dialog, kamailio.aor("alice"), kamailio.uri, "alice", PASSWORD)
    assert _test_and_wait(qtbot, dialog) == "Registered (200 OK)"
    assert kamailio.saved("alice")

    wrong = f"wrong-{uuid.uuid4().hex[:8]}"
    dialog.acc_password.setText(wrong)
    text = _test_and_wait(qtbot, dialog)
    assert text.startswith(("Failed: 401", "Failed: 403")), text
    assert "check the user name and password" in text
    # Nothing was saved: the test used the values as typed; no password reached a log.
    assert not app.settings.accounts
    assert "account test Office: failed" in caplog.text
    assert wrong not in caplog.text and PASSWORD not in caplog.text


def test_unreachable_registrar_times_out_while_the_ui_runs(qtbot: Any, app: Any,
                                                           silent_server: str) -> None:
    from PySide6.QtCore import QTimer

    dialog = _open_dialog(qtbot, app)
    dialog.account_tester.timeout = 3.0  # the app waits 12 s; the behaviour is the same
    _fill(dialog, f"sip:alice@{silent_server}", f"sip:{silent_server}", "alice", "pw")
    ticks: list[float] = []
    timer = QTimer(interval=50)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    try:
        started = time.monotonic()
        text = _test_and_wait(qtbot, dialog)
        elapsed = time.monotonic() - started
    finally:
        timer.stop()
    assert text == "No answer from the server (408)"
    assert elapsed >= 2.5
    # The event loop kept turning the whole time: no gap anywhere near the wait.
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= elapsed / 0.05 * 0.5 and max(gaps) < 0.5, (len(ticks), max(gaps))


def test_unresolvable_name_and_lan_account(qtbot: Any, app: Any, engine: Any) -> None:
    dialog = _open_dialog(qtbot, app)
    dialog.account_tester.timeout = 5.0
    host = f"no-such-host-{uuid.uuid4().hex[:8]}.invalid"
    _fill(dialog, f"sip:alice@{host}", f"sip:{host}", "alice", "pw")
    assert _test_and_wait(qtbot, dialog).startswith("The server name does not resolve")

    dialog.acc_registrar.setText("")
    text = _test_and_wait(qtbot, dialog)
    assert text == ("A LAN account needs no registration: the phone listens on "
                    f"{engine.listen_address}")


def _options_to_aor(k: Kamailio, user: str) -> str | None:
    """An OPTIONS to ``user``'s address of record through kamailio: the status line of the
    answer of whatever contact is bound (404 when none is)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(3.0)
        local = s.getsockname()[1]
        msg = (
            f"OPTIONS {k.aor(user)} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:tester@127.0.0.1:{local}>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <{k.aor(user)}>\r\nCall-ID: {uuid.uuid4().hex}@test\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        s.sendto(msg.encode(), (k.host, k.port))
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                line = s.recv(65535).split(b"\r\n", 1)[0].decode(errors="replace")
            except OSError:
                return None
            if not line.startswith("SIP/2.0 1"):
                return line
    return None


def test_probe_leaves_the_real_registration_alone(qtbot: Any, engine: Any, peer_port: int,
                                                  kamailio: Kamailio) -> None:
    lan = lan_account(f"127.0.0.1:{peer_port}")
    engine.set_accounts([lan, _account(kamailio, "alice")])
    try:
        qtbot.waitUntil(lambda: getattr(engine.registration("alice"), "state", None)
                        is RegistrationState.REGISTERED, timeout=10_000)
        before = engine.registration("alice")
        assert _options_to_aor(kamailio, "alice") == "SIP/2.0 200 OK"

        good = engine.test_account(_account(kamailio, "alice")).result(20)
        assert (good.outcome, good.code) == ("registered", 200)
        bad = engine.test_account(_account(kamailio, "alice", "wrong")).result(20)
        assert bad.outcome == "failed" and bad.code in (401, 403)
        # The probe's own un-REGISTER (Expires 0) went through ...
        qtbot.waitUntil(lambda: "saved location of alice (expires 0)" in kamailio.log(),
                        timeout=10_000)
        # ... and removed only its binding: the real contact still answers, and the real
        # account saw no registration event at all.
        assert _options_to_aor(kamailio, "alice") == "SIP/2.0 200 OK"
        assert engine.registration("alice") is before
    finally:
        engine.set_accounts([lan])
