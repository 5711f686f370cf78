"""The app's composition decisions that are logic of their own (softphone/app.py): which
passwords the accounts start with, which SIP port is used when the configured one is taken,
what a command from another start answers, when voice processing is re-applied, and what a
failed start-at-login change leaves in the settings. The window is a fake (no Qt here); the
settings, sockets and autostart files are real."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from softphone import app
from softphone.ipc import CommandError
from softphone.settings import AccountSettings, AudioSettings, Settings, SipSettings, UiSettings
from softphone.settings_network import turn_secret_name

WORK = AccountSettings(name="work", address="sip:alice@pbx.example.org",
                       registrar="sip:pbx.example.org", turn_server="turn.example.org")
HOME = AccountSettings(name="home", address="sip:bob@sip.example.net",
                       registrar="sip:sip.example.net", password="from-file")


class Keyring:
    def __init__(self, values: dict[str, str], broken: bool = False) -> None:
        self.values = values
        self.broken = broken
        self.asked: list[str] = []

    def get(self, name: str) -> str | None:
        self.asked.append(name)
        if self.broken:
            raise RuntimeError("keyring locked")
        return self.values.get(name)


def test_configured_accounts_get_their_passwords_from_the_keyring() -> None:
    keyring = Keyring({"work": "w0rk", turn_secret_name("work"): "turn-pw"})
    work, home = app.accounts_with_passwords(Settings(accounts=(WORK, HOME)), keyring)
    assert (work.password, work.turn_password) == ("w0rk", "turn-pw")
    assert home.password == "from-file"  # nothing in the keyring: the file's value stays
    assert turn_secret_name("home") not in keyring.asked  # no TURN server, nothing to ask


def test_a_locked_keyring_leaves_the_accounts_without_passwords() -> None:
    [work] = app.accounts_with_passwords(Settings(accounts=(WORK,)), Keyring({}, broken=True))
    assert work.name == "work" and work.password is None


def test_without_accounts_the_lan_account_needs_no_keyring() -> None:
    keyring = Keyring({})
    [lan] = app.accounts_with_passwords(Settings(), keyring)
    assert lan.is_lan and keyring.asked == []


def test_a_taken_port_falls_back_to_any_port_with_a_notice() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        sip = SipSettings(listen_host="127.0.0.1", listen_port=port)
        assert not app.port_is_free("127.0.0.1", port)
        chosen, notice = app.choose_sip_settings(sip)
    assert chosen.listen_port == 0 and chosen.listen_host == "127.0.0.1"
    assert notice == (f"Port {port} is in use (is another softphone running?): "
                      "using another port.")


def test_a_free_port_is_kept() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sip = SipSettings(listen_host="127.0.0.1", listen_port=port)
    assert app.choose_sip_settings(sip) == (sip, "")
    assert app.port_is_free("0.0.0.0", 0)  # any port: always


class Engine:
    def __init__(self) -> None:
        self.voice: list[tuple[Any, ...]] = []
        self.audio = SimpleNamespace(set_voice_processing=lambda *a: self.voice.append(a))
        self.listen_address = "192.0.2.5:5060"

    def run_on_sip_thread(self, fn: Callable[[], None]) -> None:
        fn()


def test_voice_processing_is_re_applied_only_when_it_changed() -> None:
    engine = Engine()
    old = AudioSettings()
    app.apply_voice_settings(engine, dataclasses.replace(old, ring_volume=0.1), old)
    assert engine.voice == []
    new = dataclasses.replace(old, echo_cancellation=False, echo_tail_ms=100)
    app.apply_voice_settings(engine, new, old)
    assert engine.voice == [(False, old.noise_suppression, old.automatic_gain, 100)]


class Window:
    """What handle_command asks of the main window."""

    def __init__(self, ringing: bool = False, in_call: bool = False,
                 can_dial: bool = True, status: str = "") -> None:
        self.dialed: list[str] = []
        self.dnd: list[bool] = []
        self.raised = 0
        self.can_dial = can_dial
        self.status = status
        self.phone = SimpleNamespace(answer_ringing=lambda: ringing,
                                     end_call=lambda: in_call)
        self.dnd_action = SimpleNamespace(setChecked=self.dnd.append)
        self.listen_label = SimpleNamespace(text=lambda: "Listening on 192.0.2.5:5060")
        self.account_label = SimpleNamespace(text=lambda: "")

    def dial_when_ready(self, target: str) -> bool:
        self.dialed.append(target)
        return self.can_dial

    def statusBar(self) -> Any:  # Qt's name
        return SimpleNamespace(currentMessage=lambda: self.status)

    def bring_to_front(self) -> None:
        self.raised += 1


def parts_with(window: Window, tmp_path: Path, settings: Settings | None = None) -> Any:
    return app.AppParts(profile=tmp_path, settings=settings or Settings(), db=None,
                        bridge=None, engine=Engine(), workflow=None, window=window)


def test_commands_from_another_start_answer_in_words(tmp_path: Path) -> None:
    window = Window(ringing=True, in_call=True)
    parts = parts_with(window, tmp_path)
    assert app.handle_command(parts, "dial", ["+15550100"]) == "calling +15550100"
    assert window.dialed == ["+15550100"]
    assert app.handle_command(parts, "answer", []) == "answered"
    assert app.handle_command(parts, "hangup", []) == "hung up"
    assert app.handle_command(parts, "dnd", ["on"]) == "do not disturb is on"
    assert app.handle_command(parts, "dnd", []) == "do not disturb is off"
    assert window.dnd == [True, False]
    assert app.handle_command(parts, "show", []) == "" and window.raised == 1
    assert app.handle_command(parts, "status", []) == (
        "listen: 192.0.2.5:5060\nListening on 192.0.2.5:5060")
    assert app.handle_command(parts, "colleagues", []) == "[]"


@pytest.mark.parametrize(("window", "command", "args", "message"), [
    (Window(), "dial", [], "nothing to dial"),
    (Window(can_dial=False, status="No account is registered"), "dial", ["200"],
     "No account is registered"),
    (Window(can_dial=False), "dial", ["200"], "cannot dial"),
    (Window(), "answer", [], "no incoming call"),
    (Window(), "hangup", [], "no call"),
    (Window(), "reboot", [], "unknown command: reboot"),
])
def test_commands_that_cannot_be_done_say_why(tmp_path: Path, window: Window, command: str,
                                              args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as raised:
        app.handle_command(parts_with(window, tmp_path), command, args)
    assert str(raised.value) == message


def test_start_at_login_that_cannot_be_written_keeps_the_old_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "config"
    blocked.write_text("a file where the config directory should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocked))
    parts = parts_with(Window(), tmp_path)
    wanted = Settings(ui=UiSettings(start_at_login=True))
    kept, reason = app.apply_start_at_login(parts, wanted)
    assert kept.ui.start_at_login is False and reason


def test_start_at_login_is_written_only_when_it_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    parts = parts_with(Window(), tmp_path)
    same = Settings()
    assert app.apply_start_at_login(parts, same) == (same, "")
    assert not (tmp_path / "config").exists()
    wanted = Settings(ui=UiSettings(start_at_login=True))
    assert app.apply_start_at_login(parts, wanted) == (wanted, "")
    assert list((tmp_path / "config" / "autostart").iterdir())
