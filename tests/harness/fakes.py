"""Small stand-ins shared by unit tests: each answers only what the code under test asks."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class MemorySecretStore:
    """An in-memory secret store with the interface the settings and integrations use."""

    where = "the test store"

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


class FakeResolver:
    """The name lookup, answered by the test: hosts under ``.org`` need one."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Callable[[str | None], None]]] = []

    def needs_lookup(self, host: str) -> bool:
        return host.endswith(".org")

    def resolve(self, host: str, done: Callable[[str | None], None]) -> None:
        self.asked.append((host, done))


class FakeInstance:
    """Plays the running app on a profile's unix socket: answers each connection's line with
    ``respond(line)`` (None: holds the connection, unanswered, until closed)."""

    def __init__(self, address: str, respond: Callable[[bytes], bytes | None]) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(address)
        self.sock.listen(4)
        self.respond = respond
        self.lines: list[bytes] = []
        self.release = threading.Event()
        self.stopping = False
        self.address = address
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def received(self) -> list[Any]:
        """The commands as the app would read them (one JSON object per connection)."""
        return [json.loads(line) for line in self.lines]

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.stopping:
                conn.close()
                return
            with conn:
                buf = b""
                while b"\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                self.lines.append(buf)
                answer = self.respond(buf)
                if answer is None:
                    self.release.wait(30)
                else:
                    conn.sendall(answer)

    def close(self) -> None:
        self.release.set()
        self.stopping = True
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as wake:  # out of accept()
            wake.connect(self.address)
        self.thread.join(10)
        self.sock.close()
        Path(self.address).unlink(missing_ok=True)
