"""The first start: "Connect your phone" on a new profile (an account tested and saved against
a real kamailio, then a real call from baresip rings), "Just call colleagues on this network"
and Skip (never shown again); tel:/sip:/callto: links registered for the user (a desktop
entry that gio and desktop-file-validate accept, ``gio open tel:...`` dials in the running
app) and the setting that removes them."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from softphone.settings import Settings, UiSettings, load_settings
from softphone.sip.events import RegistrationState
from softphone.ui.first_start import account_from_form
from tests.harness.sip_peers import PASSWORD, Kamailio
from tests.ui.conftest import lan_account

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def new_profile_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ui=UiSettings())  # a new profile: the page is on


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio is not installed (see scripts/bootstrap)")
    with Kamailio(workdir=tmp_path / "kamailio") as k:
        yield k


@pytest.fixture
def restore_engine_accounts(engine: Any, peer_port: int) -> Iterator[None]:
    yield
    engine.set_accounts([lan_account(f"127.0.0.1:{peer_port}")])


def test_server_and_user_are_checked() -> None:
    a = account_from_form(" sip:pbx.example.com:5080 ", "1001", "tcp")
    assert (a.address, a.registrar, a.username, a.transport, a.name) == (
        "sip:1001@pbx.example.com:5080", "sip:pbx.example.com:5080", "1001", "tcp",
        "pbx.example.com")
    for server, user in (("pbx example", "1001"), ("pbx.example.com:99999", "1001"),
                         ("pbx.example.com", "10 01"), ("pbx.example.com", "")):
        with pytest.raises(ValueError):
            account_from_form(server, user, "udp")


def test_connect_an_account_then_a_real_call_rings(qtbot: Any, app_factory: Any,
                                                   new_profile_settings: Settings,
                                                   kamailio: Kamailio, make_baresip: Any,
                                                   engine: Any, profile_dir: Path,
                                                   restore_engine_accounts: None) -> None:
    app = app_factory(new_profile_settings, use_secrets=True)
    window = app.window
    page = window.first_start
    assert page is not None and window.phone_page.currentWidget() is page
    assert page.server.hasFocus() or not window.isActiveWindow()
    # a mistake is said next to the field, nothing is saved
    QTest.keyClicks(page.server, "pbx example")
    QTest.keyClicks(page.user, "alice")
    qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    assert page.error_label.isVisible() and "host name" in page.error_label.text()
    assert not (profile_dir / "softphone.toml").exists()

    page.server.setText(f"127.0.0.1:{kamailio.port}")
    page.password.setText("wrong-password")
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert page.test_label.text() == "Testing…"
    qtbot.waitUntil(page.test_button.isEnabled, timeout=20_000)
    assert page.test_label.text().startswith("Failed: 40")
    assert "check the user name and password" in page.test_label.text()
    page.password.setText(PASSWORD)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.test_button.isEnabled, timeout=20_000)
    assert page.test_label.text() == "Registered (200 OK)"

    qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.phone_page.currentWidget() is window.idle_page,
                    timeout=5000)
    assert window.first_start is None
    saved = load_settings(profile_dir)
    assert [(a.address, a.registrar, a.username) for a in saved.accounts] == [
        (kamailio.aor("alice"), kamailio.uri, "alice")]
    assert PASSWORD not in (profile_dir / "softphone.toml").read_text()
    qtbot.waitUntil(lambda: getattr(engine.registration("127.0.0.1"), "state", None)
                    is RegistrationState.REGISTERED, timeout=10_000)
    qtbot.waitUntil(lambda: "127.0.0.1: registered" in window.account_label.text(),
                    timeout=5000)

    caller = make_baresip(user="bob", auto_answer=True, register_with=kamailio)
    caller.dial(kamailio.aor("alice"))
    qtbot.waitUntil(lambda: bool(window.cards), timeout=10_000)
    caller.hangup()
    qtbot.waitUntil(lambda: not window.cards, timeout=10_000)

    # a restart on this profile does not show the page again: an account exists
    again = app_factory(saved, close_first=app, use_secrets=True)
    assert again.window.first_start is None


@pytest.mark.parametrize("choice", ["lan_button", "skip_button"])
def test_lan_or_skip_is_never_asked_again(qtbot: Any, app_factory: Any, choice: str,
                                          new_profile_settings: Settings,
                                          profile_dir: Path) -> None:
    app = app_factory(new_profile_settings)
    window = app.window
    page = window.first_start
    assert page is not None
    assert "local network directly" in page.lan_label.text()
    qtbot.mouseClick(getattr(page, choice), Qt.MouseButton.LeftButton)
    assert window.phone_page.currentWidget() is window.idle_page
    saved = load_settings(profile_dir)
    assert saved.ui.first_start_page is False and not saved.accounts
    again = app_factory(saved, close_first=app)
    assert again.window.first_start is None
    assert again.window.phone_page.currentWidget() is again.window.idle_page


def _gio(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(["gio", *args], capture_output=True, text=True, timeout=20, env=env)
    return done.stdout + done.stderr


@pytest.fixture
def desktop_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    if shutil.which("gio") is None:
        pytest.skip("gio (libglib2.0-bin) is not installed")
    data, config = tmp_path / "xdg-data", tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # gio launches the entry itself
    return env


def test_links_open_the_running_app_and_the_setting_removes_them(
        qtbot: Any, app: Any, make_baresip: Any, peer_port: int, profile_dir: Path,
        desktop_env: dict[str, str]) -> None:
    from softphone.app import apply_url_handlers_in_background, start_instance_server
    from softphone.url_handlers import entry_path, mimeapps_path

    apply_url_handlers_in_background(app, True).join(30)
    entry = entry_path()
    assert entry.parent == Path(desktop_env["XDG_DATA_HOME"]) / "applications"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True,
                               text=True, timeout=20)
        assert check.returncode == 0, check.stdout + check.stderr
    for scheme in ("tel", "sip", "callto"):
        assert "Default application for “x-scheme-handler/" + scheme + "”: softphone.desktop" \
            in _gio("mime", f"x-scheme-handler/{scheme}", env=desktop_env)

    # a click on a tel: link: the desktop runs the entry, which hands the number to this app
    start_instance_server(app)
    peer = make_baresip(user="+74955550033", auto_answer=True, port=peer_port)
    out = _gio("open", "tel:+7-495-555-00-33", env=desktop_env)
    # the Qt loop must run: the started process asks this app over its instance socket
    qtbot.waitUntil(lambda: bool(app.window.workflow.calls()), timeout=30_000)
    peer.wait_event("CALL_ESTABLISHED", timeout=20)
    assert app.window.workflow.calls()[0].remote_uri == \
        f"sip:+74955550033@127.0.0.1:{peer.port}", out
    app.window.phone.hangup_current()
    qtbot.waitUntil(lambda: not app.window.workflow.calls(), timeout=10_000)

    # Settings > Language: untick "Open tel:, sip: and callto: links with Softphone"
    app.window.open_settings()
    dialog = app.window.settings_dialog
    assert dialog.register_handlers.isChecked()
    dialog.register_handlers.setChecked(False)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: not entry.exists()
                    and "softphone.desktop" not in mimeapps_path().read_text(), timeout=10_000)
    assert "softphone.desktop" not in _gio("mime", "x-scheme-handler/tel", env=desktop_env)
    assert load_settings(profile_dir).ui.register_handlers is False


def test_a_scheme_the_user_gave_to_another_app_is_left_alone(
        profile_dir: Path, desktop_env: dict[str, str]) -> None:
    from softphone.url_handlers import mimeapps_path, register, unregister

    mimeapps = mimeapps_path()
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text("[Default Applications]\nx-scheme-handler/sip=other-phone.desktop;\n"
                        "text/html=browser.desktop\n")
    assert register(profile_dir) == ["tel", "callto"]
    text = mimeapps.read_text()
    assert "x-scheme-handler/sip=other-phone.desktop;" in text
    assert "text/html=browser.desktop" in text
    unregister()
    text = mimeapps.read_text()
    assert "softphone.desktop" not in text and "other-phone.desktop" in text
