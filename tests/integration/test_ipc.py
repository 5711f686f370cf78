"""Single instance per profile: the real instance server and the plain-socket client."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from softphone.ipc import (
    AlreadyRunning,
    CommandError,
    InstanceServer,
    IpcError,
    Reply,
    is_running,
    request,
    send_command,
    server_address,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(sys.platform == "win32", reason="unix socket details"),
]


def ask(qtbot: Any, call: Callable[[], Any]) -> Any:
    """Run a blocking client call on a thread while the Qt event loop serves it."""
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["result"] = call()
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10000)
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


class Phone:
    """What the app would do with handed-over commands: remember them."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str]]] = []

    def on_command(self, command: str, args: list[str]) -> str:
        self.received.append((command, args))
        if command == "dial":
            return f"dialling {args[0]}"
        if command == "answer":
            raise CommandError("no call is ringing")
        if command == "crash":
            raise RuntimeError("boom")
        return "done"


@pytest.fixture
def server(qapp: Any, profile_dir: Path):
    phone = Phone()
    srv = InstanceServer(profile_dir, phone.on_command)
    yield srv, phone
    srv.close()


def test_round_trips(qtbot: Any, server: Any, profile_dir: Path) -> None:
    srv, phone = server
    assert srv.listening
    reply = ask(qtbot, lambda: request(profile_dir, "dial", ["+74951234567"]))
    assert reply == Reply(True, "dialling +74951234567")
    reply = ask(qtbot, lambda: request(profile_dir, "answer"))
    assert reply == Reply(False, "no call is ringing")
    assert ask(qtbot, lambda: send_command(profile_dir, "dnd", ["on"])) == "done"
    assert phone.received == [("dial", ["+74951234567"]), ("answer", []), ("dnd", ["on"])]
    # ping is answered by the server itself
    assert ask(qtbot, lambda: request(profile_dir, "ping")) == Reply(True, "pong")
    assert ask(qtbot, lambda: is_running(profile_dir))
    assert len(phone.received) == 3


def test_handler_bug_gives_error_reply_and_server_survives(
    qtbot: Any, server: Any, profile_dir: Path
) -> None:
    reply = ask(qtbot, lambda: request(profile_dir, "crash"))
    assert not reply.ok
    assert "boom" in reply.message
    assert ask(qtbot, lambda: request(profile_dir, "dial", ["101"])).ok


def test_bad_request_is_refused(qtbot: Any, server: Any, profile_dir: Path) -> None:
    def raw() -> bytes:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(server_address(profile_dir))
            s.sendall(b"this is not json\n")
            return s.makefile("rb").readline()

    line = ask(qtbot, raw)
    assert b'"ok": false' in line
    assert b"bad request" in line


def test_no_instance_means_none(profile_dir: Path) -> None:
    assert request(profile_dir, "answer") is None
    assert send_command(profile_dir, "dial", ["1"]) is None
    assert not is_running(profile_dir)


def test_socket_is_private_and_removed_on_close(qapp: Any, profile_dir: Path) -> None:
    srv = InstanceServer(profile_dir, Phone().on_command)
    path = server_address(profile_dir)
    try:
        mode = os.stat(path).st_mode
        assert stat.S_ISSOCK(mode)
        assert mode & 0o077 == 0, oct(mode)
    finally:
        srv.close()
    assert not os.path.exists(path)
    assert request(profile_dir, "ping") is None


def test_stale_socket_from_a_crash_is_replaced(
    qtbot: Any, qapp: Any, profile_dir: Path
) -> None:
    path = server_address(profile_dir)
    # A crashed app leaves its socket file behind: bound once, nobody listening any more.
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)
    dead.close()
    assert os.path.exists(path)
    assert request(profile_dir, "ping") is None  # the client sees "not running"

    srv = InstanceServer(profile_dir, Phone().on_command)
    try:
        assert ask(qtbot, lambda: request(profile_dir, "dial", ["5"])) == Reply(True, "dialling 5")
    finally:
        srv.close()


def test_second_instance_for_the_same_profile_is_refused(
    qtbot: Any, server: Any, profile_dir: Path
) -> None:
    with pytest.raises(AlreadyRunning):
        InstanceServer(profile_dir, Phone().on_command)
    # the first one still serves
    assert ask(qtbot, lambda: request(profile_dir, "ping")).ok


def test_profiles_are_isolated(qtbot: Any, qapp: Any, tmp_path: Path) -> None:
    one, two, three = (tmp_path / n for n in ("one", "two", "three"))
    for p in (one, two, three):
        p.mkdir()
    assert len({server_address(p) for p in (one, two, three)}) == 3
    phone_one, phone_two = Phone(), Phone()
    srv_one = InstanceServer(one, phone_one.on_command)
    srv_two = InstanceServer(two, phone_two.on_command)
    try:
        ask(qtbot, lambda: request(one, "dial", ["111"]))
        ask(qtbot, lambda: request(two, "dial", ["222"]))
        assert request(three, "dial", ["333"]) is None
    finally:
        srv_one.close()
        srv_two.close()
    assert phone_one.received == [("dial", ["111"])]
    assert phone_two.received == [("dial", ["222"])]


def test_same_profile_by_another_path_spelling(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    assert server_address(tmp_path / "p") == server_address(tmp_path / "." / "p" / ".." / "p")


def test_an_instance_that_does_not_answer_times_out(profile_dir: Path) -> None:
    # Something accepts on the socket (a frozen app) but never replies.
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(server_address(profile_dir))
    hung.listen(1)
    try:
        with pytest.raises(IpcError, match="did not answer"):
            request(profile_dir, "dial", ["1"], timeout=0.3)
        assert is_running(profile_dir, timeout=0.3)
    finally:
        hung.close()
        os.unlink(server_address(profile_dir))


@pytest.mark.parametrize(
    ("url", "dialled"),
    [("tel:+7-495-123-45-67", "+74951234567"), ("callto:+74951234567", "+74951234567"),
     ("callto://alice@example.com", "alice@example.com"),
     ("sip:alice@example.com?Subject=x", "sip:alice@example.com")],
)
def test_macos_open_url_event_dials(server: Any, qapp: Any, url: str, dialled: str) -> None:
    """What macOS sends the running app for a clicked link (QFileOpenEvent)."""
    from PySide6.QtCore import QCoreApplication, QUrl
    from PySide6.QtGui import QFileOpenEvent

    _srv, phone = server
    QCoreApplication.sendEvent(qapp, QFileOpenEvent(QUrl(url)))
    assert phone.received == [("dial", [dialled])]


def test_open_file_events_that_are_not_links_are_left_alone(server: Any, qapp: Any) -> None:
    from PySide6.QtCore import QCoreApplication, QUrl
    from PySide6.QtGui import QFileOpenEvent

    _srv, phone = server
    QCoreApplication.sendEvent(qapp, QFileOpenEvent(QUrl.fromLocalFile("/tmp/contacts.vcf")))
    QCoreApplication.sendEvent(qapp, QFileOpenEvent(QUrl("tel:not-a-number")))
    assert phone.received == []


def test_a_silent_client_is_dropped(
    qtbot: Any, qapp: Any, profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import softphone.ipc

    monkeypatch.setattr(softphone.ipc, "CLIENT_TIMEOUT", 0.2)
    phone = Phone()
    srv = InstanceServer(profile_dir, phone.on_command)

    def silent() -> bytes:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(server_address(profile_dir))
            return s.recv(100)  # b"" once the server hangs up

    try:
        assert ask(qtbot, silent) == b""
        # and the server still serves others
        assert ask(qtbot, lambda: request(profile_dir, "dial", ["7"])) == Reply(True, "dialling 7")
    finally:
        srv.close()


def test_an_oversized_request_is_refused(qtbot: Any, server: Any, profile_dir: Path) -> None:
    def flood() -> bytes:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(server_address(profile_dir))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                s.sendall(b"x" * (200 * 1024))  # the server may hang up before the end
            return s.makefile("rb").readline()

    assert b"request too long" in ask(qtbot, flood)
    assert server[1].received == []


def test_a_long_reply_arrives_whole(qtbot: Any, qapp: Any, profile_dir: Path) -> None:
    """Diagnostics can be megabytes, more than a socket buffer holds: written as the client
    reads, without blocking the event loop."""
    text = "".join(f"line {i}\n" for i in range(200_000))  # ~1.3 MB
    srv = InstanceServer(profile_dir, lambda _c, _a: text)
    try:
        reply = ask(qtbot, lambda: request(profile_dir, "diagnostics", timeout=10.0))
        assert reply == Reply(True, text)
        assert ask(qtbot, lambda: request(profile_dir, "ping")).ok
    finally:
        srv.close()


def test_profile_key_is_sha256_and_ipc_does_not_load_openssl(tmp_path: Path) -> None:
    """The socket name of a profile is the same whichever SHA-256 implementation made it (an
    app of another version finds the running one), and importing ipc maps no libcrypto."""
    import hashlib
    import subprocess

    from softphone.ipc import profile_key

    resolved = str(tmp_path.resolve())
    expected = hashlib.sha256(f"{os.getuid()}\0{resolved}".encode()).hexdigest()[:20]
    assert profile_key(tmp_path) == expected
    probe = ("import softphone.ipc as i, sys, pathlib;"
             "k = i.profile_key(pathlib.Path(sys.argv[1]));"
             "maps = open('/proc/self/maps').read();"
             "print(k, 'hashlib' in sys.modules, 'libcrypto' in maps)")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    assert out == [expected, "False", "False"]
