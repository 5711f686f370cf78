"""``softphone dial/answer/hangup/dnd``: links decoded, commands handed to the running app."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.commands.phone import EXIT_NOT_RUNNING
from softphone.ipc import server_address

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="unix socket details")

# A stand-in for the running app: a real InstanceServer in its own process that prints every
# command it receives as a JSON line, refuses "answer" and quits on "quit".
SERVER = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from softphone.ipc import CommandError, InstanceServer

app = QCoreApplication([])

def on_command(command, args):
    print(json.dumps([command, args]), flush=True)
    if command == "answer":
        raise CommandError("no call is ringing")
    if command == "quit":
        QTimer.singleShot(0, app.quit)
        return "bye"
    return " ".join(["done:", command, *args])

server = InstanceServer(Path(sys.argv[1]), on_command)
print("ready", flush=True)
sys.exit(app.exec())
"""


def softphone(profile: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "softphone", "--profile", str(profile), *argv],
        capture_output=True, text=True, timeout=timeout, env=os.environ.copy(),
    )


class RunningApp:
    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(profile)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self.next_line() == "ready", self.proc.stderr

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float = 20) -> str:
        return self.lines.get(timeout=timeout)

    def received(self) -> list[Any]:
        return json.loads(self.next_line())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(server_address(self.profile))  # a terminated server leaves its socket


@pytest.fixture
def running_app(profile_dir: Path) -> Iterator[RunningApp]:
    app = RunningApp(profile_dir)
    yield app
    app.stop()


# --- link decoding: tests/unit/sip/test_uris.py -------------------------------------------


def test_bad_link_exits_with_usage_error(profile_dir: Path) -> None:
    result = softphone(profile_dir, "tel:call-me")
    assert result.returncode == 2
    assert "not a phone number" in result.stderr


# --- nothing running -------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["answer"], ["hangup"], ["dnd", "on"]])
def test_commands_without_a_running_app_fail_clearly(profile_dir: Path, argv: list[str]) -> None:
    result = softphone(profile_dir, *argv)
    assert result.returncode == EXIT_NOT_RUNNING
    assert f"softphone is not running for profile {profile_dir}" in result.stderr


def test_dial_without_a_running_app_starts_it_with_the_number_pending(
    profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    from softphone import cli

    started: list[Any] = []
    fake_app = types.ModuleType("softphone.app")
    fake_app.run_gui = lambda args, profile, settings: started.append(  # type: ignore[attr-defined]
        (args.dial_target, profile)
    ) or 0
    monkeypatch.setitem(sys.modules, "softphone.app", fake_app)
    try:
        assert cli.main(["--profile", str(profile_dir), "tel:+7-495-123-45-67"]) == 0
    finally:
        import logging

        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_softphone", False)]:
            root.removeHandler(handler)
            handler.close()
    assert started == [("+74951234567", profile_dir)]


# --- handed over to the running app ----------------------------------------------------------


def test_dial_is_handed_to_the_running_app(running_app: RunningApp, profile_dir: Path) -> None:
    result = softphone(profile_dir, "dial", "8 (495) 123-45-67")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done: dial 8 (495) 123-45-67"
    assert running_app.received() == ["dial", ["8 (495) 123-45-67"]]


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("tel:+7-495-123-45-67", "+74951234567"),
        ("callto://+74951234567", "+74951234567"),
        ("sip:alice@127.0.0.1:5070?X-Evil=1", "sip:alice@127.0.0.1:5070"),
    ],
)
def test_a_clicked_link_dials_in_the_running_app(
    running_app: RunningApp, profile_dir: Path, link: str, target: str
) -> None:
    result = softphone(profile_dir, link)  # what the desktop runs: softphone %u
    assert result.returncode == 0, result.stderr
    assert running_app.received() == ["dial", [target]]


def test_answer_hangup_dnd_are_handed_over(running_app: RunningApp, profile_dir: Path) -> None:
    result = softphone(profile_dir, "hangup")
    assert (result.returncode, result.stdout.strip()) == (0, "done: hangup")
    assert running_app.received() == ["hangup", []]

    result = softphone(profile_dir, "dnd", "off")
    assert (result.returncode, result.stdout.strip()) == (0, "done: dnd off")
    assert running_app.received() == ["dnd", ["off"]]

    result = softphone(profile_dir, "answer")  # the app refuses: nothing rings
    assert result.returncode == 1
    assert "no call is ringing" in result.stderr
    assert running_app.received() == ["answer", []]


def test_another_profile_does_not_reach_the_running_app(
    running_app: RunningApp, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    result = softphone(other, "hangup")
    assert result.returncode == EXIT_NOT_RUNNING
    assert running_app.lines.empty()


def test_starting_softphone_again_raises_the_running_app(
    running_app: RunningApp, profile_dir: Path
) -> None:
    result = softphone(profile_dir)  # plain `softphone`, e.g. the menu entry clicked again
    assert result.returncode == 0, result.stderr
    assert running_app.received() == ["show", []]
