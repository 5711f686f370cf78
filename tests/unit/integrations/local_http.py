"""For the integrations' unit tests: a real local HTTP server on a free port, on its own
thread: it records every request and answers from a script (status, headers, body), so the
integrations' clients are tested over a real socket without any outside service."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class LocalServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Seen] = []
        self.answers: list[Answer] = []  # consumed in order; then the default
        self.default = Answer()
        #: when set, answers every request (a server whose answer depends on what was asked)
        self.route: Callable[[Seen], Answer] | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path,
                            {k.lower(): v for k, v in self.headers.items()}, body)
                server.requests.append(seen)
                if server.route is not None:
                    answer = server.route(seen)
                else:
                    answer = server.answers.pop(0) if server.answers else server.default
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = _any

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)

    def answer(self, status: int = 200, body: bytes = b"", **headers: str) -> None:
        self.answers.append(Answer(status, body, dict(headers)))


@contextmanager
def running_server(tls: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    server = LocalServer(tls)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(10)
