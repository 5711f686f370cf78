"""commands/phone.py against a plain unix-socket server that plays the running softphone:
what is handed over (a clicked link decoded to the number, the DND state), the exit statuses
(0 done, 1 refused or a garbled reply, 2 nothing to dial, 3 nothing runs for the profile) and
what the user reads."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.cli import build_parser
from softphone.commands.phone import EXIT_FAILED, EXIT_NOT_RUNNING, EXIT_USAGE
from softphone.ipc import server_address
from softphone.settings import Settings
from tests.harness.fakes import FakeInstance

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="unix sockets")
SETTINGS = Settings()


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    runtime = Path(tempfile.mkdtemp(prefix="sp-unitb-"))  # a socket path has 108 bytes
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    yield tmp_path
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def app(profile: Path) -> Iterator[list[FakeInstance]]:
    started: list[FakeInstance] = []
    yield started
    for running in started:
        running.close()


def start_app(profile: Path, app: list[FakeInstance], ok: bool = True, message: str = "",
              raw: bytes | None = None) -> FakeInstance:
    reply = raw if raw is not None else (json.dumps({"ok": ok, "message": message}) + "\n").encode()
    app.append(FakeInstance(server_address(profile), lambda _line: reply))
    return app[-1]


def run(profile: Path, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return int(args.handler(args, profile, SETTINGS))


def test_a_clicked_link_is_dialled_as_its_number(profile: Path, app: list[FakeInstance],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    running = start_app(profile, app, message="calling +74951234567")
    assert run(profile, "dial", "tel:+7-495-123-45-67;ext=12") == 0
    assert running.received == [{"command": "dial", "args": ["+74951234567"]}]
    assert capsys.readouterr().out == "calling +74951234567\n"
    assert run(profile, "dial", "sip://bob@pbx.example?X-Evil=1") == 0
    assert running.received[-1] == {"command": "dial", "args": ["sip:bob@pbx.example"]}


@pytest.mark.parametrize("target", ["tel:call-me", "sip:", "   "])
def test_nothing_to_dial_is_exit_2(profile: Path, target: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(profile, "dial", target) == EXIT_USAGE
    assert capsys.readouterr().err.startswith("softphone: ")


@pytest.mark.parametrize(("argv", "sent"), [
    (["answer"], {"command": "answer", "args": []}),
    (["hangup"], {"command": "hangup", "args": []}),
    (["dnd", "on"], {"command": "dnd", "args": ["on"]}),
    (["colleagues"], {"command": "colleagues", "args": []}),
])
def test_commands_are_handed_to_the_running_app(profile: Path, app: list[FakeInstance],
                                                argv: list[str], sent: dict[str, object],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    running = start_app(profile, app)
    assert run(profile, *argv) == 0
    assert running.received == [sent]
    assert capsys.readouterr().out == ""  # an empty reply prints nothing


@pytest.mark.parametrize("argv", [["answer"], ["hangup"], ["dnd", "off"]])
def test_with_nothing_running_exit_3(profile: Path, argv: list[str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(profile, *argv) == EXIT_NOT_RUNNING
    assert capsys.readouterr().err == (
        f"softphone: softphone is not running for profile {profile}\n")


def test_a_refusal_or_a_garbled_reply_is_exit_1(profile: Path, app: list[FakeInstance],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    start_app(profile, app, ok=False, message="no call is ringing")
    assert run(profile, "answer") == EXIT_FAILED
    assert capsys.readouterr().err == "softphone: no call is ringing\n"
    app.pop().close()
    start_app(profile, app, raw=b"hello?\n")
    assert run(profile, "hangup") == EXIT_FAILED
    assert "unreadable reply" in capsys.readouterr().err


def test_dnd_takes_only_on_or_off(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["dnd", "maybe"])
    assert exited.value.code == EXIT_USAGE
    assert "invalid choice: 'maybe'" in capsys.readouterr().err


def test_diagnostics_come_from_the_running_app_when_it_runs(
        profile: Path, app: list[FakeInstance], capsys: pytest.CaptureFixture[str]) -> None:
    running = start_app(profile, app, message="softphone 1.0\naccounts: office registered")
    assert run(profile, "diagnostics") == 0
    assert running.received == [{"command": "diagnostics", "args": []}]
    assert capsys.readouterr().out == "softphone 1.0\naccounts: office registered\n"
