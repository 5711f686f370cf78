"""Click-to-call for browser and CRM pages: ``http://127.0.0.1:PORT/dial?number=...&token=...``.

Off by default (``[click_to_call] enabled = true``). It listens on the loopback address only;
every request needs the profile's token (``softphone click-to-call token`` prints it), given as
the ``token`` query parameter, an ``X-Softphone-Token`` header or ``Authorization: Bearer``; a
missing or wrong token is answered 403, and so is a ``Host`` header that is not this address
(a web page cannot reach it through a DNS name it controls). The number goes through the app's
own dial path (the same as a typed number or a clicked ``tel:`` link).

Answers are JSON: ``{"ok": true, "number": "..."}`` (200), or ``{"ok": false, "error": "..."}``
with 400 (no number, not a number), 403, 404 (another path), 405 (another method) or 503 (the
phone cannot dial now: no account registered, a call limit ...).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("softphone.integrations.click_to_call")

#: a phone number as people write it, or a sip:/sips:/tel: URI
_NUMBER = re.compile(r"^\+?[\d\s().\-/]{2,40}[#*\d]?$")
_URI = re.compile(r"^(sips?|tel):[^\s<>\"']{1,200}$", re.IGNORECASE)
MAX_NUMBER = 200

#: dial(number) -> (ok, message); called on a server thread, must not take long
DialFn = Callable[[str], tuple[bool, str]]


def valid_target(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > MAX_NUMBER:
        return False
    if _URI.match(text):
        return True
    return bool(_NUMBER.match(text)) and sum(c.isdigit() for c in text) >= 2


class ClickToCallServer:
    def __init__(self, port: int, token: str, dial: DialFn, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("click-to-call listens on the loopback address only")
        self.token = token
        self.dial = dial
        server = ThreadingHTTPServer((host, port), _handler_class(self))
        server.daemon_threads = True
        self._server = server
        self.port = int(server.server_address[1])
        self.host = host
        self._thread = threading.Thread(target=server.serve_forever, name="click-to-call",
                                        kwargs={"poll_interval": 0.5}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dial"

    def start(self) -> None:
        self._thread.start()
        log.info("click-to-call listens on 127.0.0.1:%d", self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # --- one request (on a server thread) ---------------------------------------------------
    def answer(self, method: str, target: str, headers: Any) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        if parts.path.rstrip("/") != "/dial":
            return 404, {"ok": False, "error": "not found: the endpoint is /dial"}
        if method not in ("GET", "POST"):
            return 405, {"ok": False, "error": "use GET (or POST)"}
        host = (headers.get("Host") or "").strip().lower()
        if host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}",
                        f"[::1]:{self.port}"):
            return 403, {"ok": False, "error": "forbidden: wrong Host"}
        query = parse_qs(parts.query, keep_blank_values=True)
        token = (query.get("token") or [""])[0] or headers.get("X-Softphone-Token") or ""
        auth = headers.get("Authorization") or ""
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        if not token or not hmac.compare_digest(token.encode(), self.token.encode()):
            return 403, {"ok": False, "error": "forbidden: missing or wrong token"}
        numbers = query.get("number") or []
        number = numbers[0].strip() if numbers else ""
        if not number:
            return 400, {"ok": False, "error": "no number: /dial?number=..."}
        if not valid_target(number):
            return 400, {"ok": False,
                         "error": f"not a phone number or SIP address: {number[:60]!r}"}
        try:
            ok, message = self.dial(number)
        except Exception as exc:
            log.exception("click-to-call: dialling %s failed", number)
            return 503, {"ok": False, "error": str(exc) or "cannot dial"}
        if not ok:
            return 503, {"ok": False, "error": message or "cannot dial now"}
        log.info("click-to-call: dialling %s", number)
        return 200, {"ok": True, "number": number, "message": message}


def _handler_class(owner: ClickToCallServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "softphone-click-to-call"
        protocol_version = "HTTP/1.1"

        def _reply(self, method: str) -> None:
            status, body = owner.answer(method, self.path, self.headers)
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 65536))
            self._reply("POST")

        def do_PUT(self) -> None:
            self._reply("PUT")

        def do_DELETE(self) -> None:
            self._reply("DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            # never log the query: it holds the token
            log.debug("click-to-call %s", self.command)

    return Handler
