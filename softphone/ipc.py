"""One running softphone per profile, and a way for a second start to hand it a command.

The running app owns an :class:`InstanceServer` (a unix socket served from the Qt event loop;
a ``QLocalServer`` on Windows). A second
``softphone dial tel:+7...`` (a clicked link), ``softphone answer`` or ``softphone`` alone
connects with :func:`request` / :func:`send_command`, which are plain-socket clients that work
without a ``QApplication``, hands the command over and exits.

Where the server listens (:func:`server_address`):

* Linux / macOS: a unix socket ``softphone-<hash>.sock`` in ``$XDG_RUNTIME_DIR`` (private to the
  user) or else the system temp dir; ``<hash>`` is derived from the resolved profile path and the
  user id, so every profile (a test's temporary one, the user's real one) has its own socket and
  tests never talk to an app that is open on the same machine. The socket is mode 0600 from
  the moment it is reachable (only the user may connect). A socket file left behind by a
  crash is detected (nobody accepts on it) and removed before listening.
* Windows: the named pipe ``\\\\.\\pipe\\softphone-<hash>``.

On macOS a clicked ``tel:``/``sip:``/``callto:`` link does not start a second process: the
system sends the running app an "open URL" event (``QEvent.FileOpen``). The instance server
filters those events on the application and turns them into the same ``dial`` command.

Protocol: the client sends one JSON line ``{"command": str, "args": [str, ...]}`` and reads one
JSON line ``{"ok": bool, "message": str}``; then both sides close.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("softphone.ipc")

#: Longest request line the server reads; a longer one is refused.
MAX_REQUEST = 64 * 1024
#: Longest reply line the client reads (diagnostics can be long).
MAX_REPLY = 4 * 1024 * 1024
#: Seconds the server waits for a connected client's request line.
CLIENT_TIMEOUT = 10.0

CommandHandler = Callable[[str, list[str]], str]


class IpcError(Exception):
    """An instance runs for the profile but the exchange failed (no reply, bad reply)."""


class CommandError(Exception):
    """Raised by a command handler: the reply is ``ok: false`` with this message."""


class AlreadyRunning(Exception):
    """Another instance already serves this profile."""


@dataclass(frozen=True)
class Reply:
    ok: bool
    message: str


# ---------------------------------------------------------------------------------------------
# Addresses


def profile_key(profile: Path) -> str:
    resolved = str(Path(profile).expanduser().resolve())
    uid = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    return _sha256_hex(f"{uid}\0{resolved}".encode())[:20]


def _sha256_hex(data: bytes) -> str:
    """SHA-256 from CPython's built-in implementation when it has one: ``hashlib`` maps
    OpenSSL's libcrypto (~3.5 MiB resident for the app's whole run) for this one digest."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # CPython <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef]  # >= 3.12
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment]
    return str(sha256(data).hexdigest())


def _runtime_dir() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK | os.X_OK):
        return Path(runtime)
    return Path(tempfile.gettempdir())


def server_address(profile: Path) -> str:
    """The socket path (unix) or pipe name (Windows) the instance for ``profile`` listens on."""
    name = f"softphone-{profile_key(profile)}"
    if sys.platform == "win32":
        return rf"\\.\pipe\{name}"
    return str(_runtime_dir() / f"{name}.sock")


# ---------------------------------------------------------------------------------------------
# Client (no Qt)


def request(profile: Path, command: str, args: list[str] | tuple[str, ...] = (),
            timeout: float = 2.0) -> Reply | None:
    """Hand ``command`` to the instance running for ``profile``.

    Returns its :class:`Reply`, or None when no instance runs (no socket, or a stale one).
    Raises :class:`IpcError` when an instance accepts the connection but does not answer
    within ``timeout`` seconds or answers garbage.
    """
    payload = json.dumps({"command": command, "args": [str(a) for a in args]}) + "\n"
    address = server_address(profile)
    if sys.platform == "win32":
        raw = _exchange_pipe(address, payload.encode(), timeout)
    else:
        raw = _exchange_unix(address, payload.encode(), timeout)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        return Reply(ok=bool(data["ok"]), message=str(data.get("message", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise IpcError(f"the running softphone sent an unreadable reply: {exc}") from None


def send_command(profile: Path, command: str, args: list[str] | tuple[str, ...] = (),
                 timeout: float = 2.0) -> str | None:
    """Like :func:`request` but returns only the reply message (None: no instance running)."""
    reply = request(profile, command, args, timeout)
    return None if reply is None else reply.message


def is_running(profile: Path, timeout: float = 2.0) -> bool:
    """True when an instance answers on this profile's socket."""
    try:
        return request(profile, "ping", (), timeout) is not None
    except IpcError:
        return True


def hand_over_start(profile: Path, command: str = "show") -> int | None:
    """For a plain ``softphone`` start: raise the window of the instance already running
    (``command`` "status" only checks that it runs: a login start must not pop it up).

    Returns None when no instance runs for ``profile`` (go on and start the app), else the
    exit status for this second process: 0 when the running one took over, 1 when it runs
    but does not answer (a second app must not start on the same profile).
    """
    try:
        reply = request(profile, command)
    except IpcError as exc:
        print(f"softphone: softphone already runs for profile {profile} but does not "
              f"respond: {exc}", file=sys.stderr)
        return 1
    return None if reply is None else 0


def _exchange_unix(path: str, payload: bytes, timeout: float) -> bytes | None:
    if not os.path.exists(path):
        return None
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except (ConnectionRefusedError, FileNotFoundError):
            return None  # a stale socket left by a crash: nobody listens
        except TimeoutError:
            raise IpcError("the running softphone does not accept connections") from None
        except OSError as exc:
            if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
                return None
            raise IpcError(f"cannot connect to the running softphone: {exc}") from None
        try:
            sock.sendall(payload)
            return _read_line(sock, deadline)
        except (TimeoutError, OSError) as exc:
            raise IpcError(
                f"the running softphone did not answer within {timeout:g} s ({exc})"
            ) from None


def _read_line(sock: socket.socket, deadline: float) -> bytes:
    buf = bytearray()
    while b"\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        if len(buf) > MAX_REPLY:
            raise IpcError("the running softphone sent a reply that is too long")
    if b"\n" not in buf:
        raise IpcError("the running softphone closed the connection without a reply")
    return bytes(buf.split(b"\n", 1)[0])


def _exchange_pipe(name: str, payload: bytes, timeout: float) -> bytes | None:  # pragma: no cover
    """Windows named pipe client (blocking; the timeout only covers waiting for the pipe)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pipe = open(name, "r+b", buffering=0)  # noqa: SIM115 - closed below
            break
        except FileNotFoundError:
            return None
        except OSError as exc:  # ERROR_PIPE_BUSY: all instances busy, retry until deadline
            if time.monotonic() > deadline:
                raise IpcError(f"the running softphone does not accept connections: {exc}") \
                    from None
            time.sleep(0.05)
    with pipe:
        pipe.write(payload)
        buf = bytearray()
        while b"\n" not in buf:
            chunk = pipe.read(65536)
            if not chunk:
                break
            buf += chunk
        if b"\n" not in buf:
            raise IpcError("the running softphone closed the connection without a reply")
        return bytes(buf.split(b"\n", 1)[0])


# ---------------------------------------------------------------------------------------------
# Server (Qt event loop)


def _remove_stale_socket(path: str) -> None:
    """Delete a socket file nobody listens on; raise AlreadyRunning if somebody does."""
    if sys.platform == "win32" or not os.path.exists(path):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(path)
        except OSError:
            log.info("removing stale instance socket %s", path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return
    raise AlreadyRunning(f"another softphone already runs for this profile ({path})")


class InstanceServer:
    """Accepts commands from later starts of softphone for the same profile.

    ``on_command(command, args) -> str`` runs on the Qt thread that owns this object; it
    returns the message for the caller, or raises :class:`CommandError` for an ``ok: false``
    reply. ``ping`` is answered here. Create it after the window shows and keep a reference
    for the whole run; :meth:`close` removes the socket.

    On Linux/macOS it listens on a plain unix socket watched by ``QSocketNotifier``s (QtCore):
    ``QLocalServer`` would load QtNetwork, ~5 MiB for the app's whole run
    (bench/bench_startup.py). Windows uses ``QLocalServer`` for its named pipe.

    Raises :class:`AlreadyRunning` when another live instance owns the profile's socket and
    :class:`IpcError` when listening fails for another reason.
    """

    def __init__(self, profile: Path, on_command: CommandHandler,
                 parent: Any | None = None) -> None:
        self.profile = Path(profile)
        self.address = server_address(self.profile)
        self._on_command = on_command
        _remove_stale_socket(self.address)
        if sys.platform == "win32":  # pragma: no cover - named pipes
            self._listener: Any = _PipeListener(self.address, self._handle_line, parent)
        else:
            self._listener = _UnixListener(self.address, self._handle_line, parent)
        self._url_filter = _install_url_filter(self._on_url_opened)
        log.info("instance server listening on %s", self.address)

    @property
    def listening(self) -> bool:
        return bool(self._listener.listening)

    def close(self) -> None:
        if self._url_filter is not None:
            from PySide6.QtCore import QCoreApplication

            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self._url_filter)
            self._url_filter = None
        if self._listener.listening:
            self._listener.close()
            log.info("instance server closed")

    def _handle_line(self, line: bytes) -> Reply:
        try:
            data = json.loads(line.decode("utf-8"))
            command = data["command"]
            args = data.get("args", [])
            if not isinstance(command, str) or not isinstance(args, list):
                raise TypeError("command must be a string and args a list")
            args = [str(a) for a in args]
        except (ValueError, KeyError, TypeError) as exc:
            return Reply(False, f"bad request: {exc}")
        if command == "ping":
            return Reply(True, "pong")
        log.info("command from another start: %s %s", command, args)
        try:
            return Reply(True, str(self._on_command(command, args)))
        except CommandError as exc:
            return Reply(False, str(exc))
        except Exception as exc:  # a bug in a handler must not take the app down
            log.exception("command %r failed", command)
            return Reply(False, f"internal error while handling {command!r}: {exc}")

    def _on_url_opened(self, url: str) -> None:
        """A link opened through the desktop (macOS "open URL" event): dial it."""
        from softphone.sip.uris import BadTarget, decode_dial_target

        try:
            target = decode_dial_target(url)
        except BadTarget as exc:
            log.warning("ignored link %r: %s", url, exc)
            return
        log.info("link opened: %s", url)
        try:
            self._on_command("dial", [target])
        except CommandError as exc:
            log.warning("link %r not dialled: %s", url, exc)
        except Exception:
            log.exception("dialling link %r failed", url)


def _encode_reply(reply: Reply) -> bytes:
    return (json.dumps({"ok": reply.ok, "message": reply.message}) + "\n").encode("utf-8")


def _listen_private(path: str) -> socket.socket:
    """A listening unix socket at ``path`` only the user may connect to: bound inside a
    private (0700) directory, made 0600, then renamed into place, so it is never reachable
    with looser permissions (what ``QLocalServer.UserAccessOption`` does)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        private = tempfile.mkdtemp(prefix=".softphone-", dir=os.path.dirname(path) or None)
    except OSError as exc:
        sock.close()
        raise IpcError(f"cannot listen on {path}: {exc}") from None
    bound = os.path.join(private, "s")
    try:
        sock.bind(bound)
        os.chmod(bound, 0o600)
        sock.listen(16)
        os.rename(bound, path)
    except OSError as exc:
        sock.close()
        raise IpcError(f"cannot listen on {path}: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(bound)  # only left when something failed before the rename
        with contextlib.suppress(OSError):
            os.rmdir(private)
    sock.setblocking(False)
    return sock


class _UnixClient:
    """One connection: read one line (non-blocking), answer it, close. Watched by Qt socket
    notifiers on the thread that owns the server; never blocks it."""

    def __init__(self, conn: socket.socket, server: _UnixListener) -> None:
        from PySide6.QtCore import QSocketNotifier, QTimer

        self.conn = conn
        self.server = server
        self.buf = bytearray()
        self.out = b""
        self.reader = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read)
        self.reader.activated.connect(lambda *_: self._on_readable())
        self.writer = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Write)
        self.writer.setEnabled(False)
        self.writer.activated.connect(lambda *_: self._on_writable())
        # a client that connects and never sends its line (or never reads the reply) is dropped
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.close)
        self.timer.start(int(CLIENT_TIMEOUT * 1000))

    def _on_readable(self) -> None:
        try:
            chunk = self.conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client went away before its line
            self.close()
            return
        self.buf += chunk
        if b"\n" not in self.buf:
            if len(self.buf) > MAX_REQUEST:
                self._answer(Reply(False, "request too long"))
            return
        line = bytes(self.buf.split(b"\n", 1)[0])
        self._answer(self.server.handle(line))  # one request per connection; the rest ignored

    def _answer(self, reply: Reply) -> None:
        self.reader.setEnabled(False)
        self.out = _encode_reply(reply)
        self._on_writable()

    def _on_writable(self) -> None:
        try:
            sent = self.conn.send(self.out)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close()
            return
        self.out = self.out[sent:]
        if self.out:
            self.writer.setEnabled(True)
        else:
            self.close()

    def close(self) -> None:
        self.timer.stop()
        self.reader.setEnabled(False)
        self.writer.setEnabled(False)
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)
        self.conn.close()
        self.server.clients.discard(self)


class _UnixListener:
    def __init__(self, path: str, handle: Callable[[bytes], Reply], parent: Any) -> None:
        from PySide6.QtCore import QSocketNotifier

        self.path = path
        self.handle = handle
        self.clients: set[_UnixClient] = set()
        self.sock: socket.socket | None = _listen_private(path)
        self._notifier = QSocketNotifier(self.sock.fileno(), QSocketNotifier.Type.Read, parent)
        self._notifier.activated.connect(lambda *_: self._accept())

    @property
    def listening(self) -> bool:
        return self.sock is not None

    def _accept(self) -> None:
        while self.sock is not None:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("instance server: %s", exc)
                return
            conn.setblocking(False)
            client = _UnixClient(conn, self)
            self.clients.add(client)
            client._on_readable()  # the line may already be waiting

    def close(self) -> None:
        self._notifier.setEnabled(False)
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        for client in list(self.clients):
            client.close()


class _PipeListener:  # pragma: no cover - Windows named pipes
    """The same protocol over ``QLocalServer`` (a Windows named pipe)."""

    def __init__(self, address: str, handle: Callable[[bytes], Reply], parent: Any) -> None:
        from PySide6.QtNetwork import QLocalServer

        self.handle = handle
        self._clients: dict[Any, bytearray] = {}
        self._server = QLocalServer(parent)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(address):
            error = self._server.errorString()
            self._server.deleteLater()
            raise IpcError(f"cannot listen on {address}: {error}")
        self._server.newConnection.connect(self._on_new_connection)

    @property
    def listening(self) -> bool:
        return bool(self._server.isListening())

    def close(self) -> None:
        self._server.close()
        for client in list(self._clients):
            client.abort()
        self._clients.clear()

    def _on_new_connection(self) -> None:
        from PySide6.QtCore import QTimer

        while self._server.hasPendingConnections():
            client = self._server.nextPendingConnection()
            if client is None:
                break
            self._clients[client] = bytearray()
            QTimer.singleShot(int(CLIENT_TIMEOUT * 1000), client, client.abort)
            client.readyRead.connect(lambda c=client: self._on_ready_read(c))
            client.disconnected.connect(lambda c=client: self._on_client_gone(c))
            if client.bytesAvailable():
                self._on_ready_read(client)

    def _on_client_gone(self, client: Any) -> None:
        self._clients.pop(client, None)
        client.deleteLater()

    def _on_ready_read(self, client: Any) -> None:
        buf = self._clients.get(client)
        if buf is None:
            return
        buf += bytes(client.readAll().data())
        if b"\n" not in buf:
            if len(buf) > MAX_REQUEST:
                del self._clients[client]
                self._reply(client, Reply(False, "request too long"))
            return
        line = bytes(buf.split(b"\n", 1)[0])
        del self._clients[client]
        self._reply(client, self.handle(line))

    def _reply(self, client: Any, reply: Reply) -> None:
        client.write(_encode_reply(reply))
        client.flush()
        client.disconnectFromServer()


URL_SCHEMES = ("tel", "sip", "sips", "callto")


def _install_url_filter(on_url: Callable[[str], None]) -> Any | None:
    """Watch the application for ``QEvent.FileOpen`` with a phone link; returns the filter."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject

    app = QCoreApplication.instance()
    if app is None:
        return None

    class UrlOpenFilter(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.FileOpen:
                url = event.url()
                if url.scheme().lower() in URL_SCHEMES:
                    on_url(url.toString())
                    return True
            return False

    url_filter = UrlOpenFilter()
    app.installEventFilter(url_filter)
    return url_filter
