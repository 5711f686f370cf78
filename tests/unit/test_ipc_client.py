"""The second start's side of the one-instance-per-profile rule, without Qt: where a profile's
socket is, and what the client makes of every way a running instance may (not) answer — a
plain unix socket server on a thread plays the running app."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from softphone.ipc import (
    MAX_REPLY,
    IpcError,
    Reply,
    hand_over_start,
    is_running,
    profile_key,
    request,
    send_command,
    server_address,
)
from tests.harness.fakes import FakeInstance

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="unix sockets")


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # short: a unix socket path must fit in 108 bytes
    path = Path(tempfile.mkdtemp(prefix="sp-ipc-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def instance(runtime: Path, tmp_path: Path) -> Iterator[Callable[..., FakeInstance]]:
    made: list[FakeInstance] = []

    def make(respond: Callable[[bytes], bytes | None]) -> FakeInstance:
        made.append(FakeInstance(server_address(tmp_path), respond))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


def _reply(ok: bool, message: str) -> bytes:
    return (json.dumps({"ok": ok, "message": message}) + "\n").encode()


def test_each_profile_has_its_own_private_address(runtime: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert server_address(a) != server_address(b)
    assert server_address(a) == server_address(tmp_path / "x" / ".." / "a")  # same profile
    assert server_address(a) == str(runtime / f"softphone-{profile_key(a)}.sock")
    assert len(profile_key(a)) == 20
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    assert Path(server_address(a)).parent == Path(tempfile.gettempdir())


def test_no_instance_means_none(runtime: Path, tmp_path: Path) -> None:
    assert request(tmp_path, "show") is None
    assert send_command(tmp_path, "show") is None
    assert not is_running(tmp_path)
    assert hand_over_start(tmp_path) is None


def test_a_socket_left_by_a_crash_means_none(runtime: Path, tmp_path: Path) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(server_address(tmp_path))
    stale.close()  # the file stays, nobody listens
    assert os.path.exists(server_address(tmp_path))
    assert request(tmp_path, "show") is None


def test_the_command_is_one_json_line_and_the_reply_is_read(
        instance: Callable[..., FakeInstance], tmp_path: Path) -> None:
    fake = instance(lambda line: _reply(True, "dialling +7 916"))
    assert request(tmp_path, "dial", ["tel:+7916", 5]) == Reply(True, "dialling +7 916")
    assert json.loads(fake.lines[0]) == {"command": "dial", "args": ["tel:+7916", "5"]}
    assert fake.lines[0].endswith(b"\n") and fake.lines[0].count(b"\n") == 1
    assert send_command(tmp_path, "answer") == "dialling +7 916"
    assert is_running(tmp_path)
    assert hand_over_start(tmp_path) == 0


def test_a_refusal_is_an_ok_false_reply(instance: Callable[..., FakeInstance],
                                        tmp_path: Path) -> None:
    instance(lambda line: _reply(False, "no call to answer"))
    assert request(tmp_path, "answer") == Reply(False, "no call to answer")


@pytest.mark.parametrize(("answer", "message"), [
    (b"not json\n", "unreadable reply"),
    (b'{"message": "no ok"}\n', "unreadable reply"),
    (b'{"ok": true', "closed the connection without a reply"),
    (b"", "closed the connection without a reply"),
])
def test_a_bad_reply_is_a_clear_error(instance: Callable[..., FakeInstance], tmp_path: Path,
                                      answer: bytes, message: str) -> None:
    instance(lambda line: answer)
    with pytest.raises(IpcError, match=message):
        request(tmp_path, "show")
    assert is_running(tmp_path)  # something is there, even if it answers badly


def test_a_reply_that_is_too_long_is_refused(instance: Callable[..., FakeInstance],
                                             tmp_path: Path) -> None:
    instance(lambda line: b"x" * (MAX_REPLY + 65536))
    with pytest.raises(IpcError, match="too long"):
        request(tmp_path, "diagnostics", timeout=10)


def test_a_long_reply_arrives_whole(instance: Callable[..., FakeInstance],
                                    tmp_path: Path) -> None:
    text = "ё" * 300_000
    instance(lambda line: _reply(True, text))
    assert send_command(tmp_path, "diagnostics", timeout=10) == text


def test_an_instance_that_does_not_answer_times_out_and_blocks_a_second_start(
        instance: Callable[..., FakeInstance], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    instance(lambda line: None)
    with pytest.raises(IpcError, match=r"did not answer within 0\.3 s"):
        request(tmp_path, "show", timeout=0.3)
    assert hand_over_start(tmp_path) == 1
    assert "already runs for profile" in capsys.readouterr().err
