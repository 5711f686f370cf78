"""A small HTTP client on the standard library (no dependency): what webhooks, Bitrix24 and
CardDAV need — any method, a body, Basic auth, a timeout on every socket operation, redirects
followed on the same host, TLS verified unless a setting says otherwise.

``http.client`` loads OpenSSL: this module is imported only when an HTTP integration is on."""

from __future__ import annotations

import base64
import http.client
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from softphone import __version__

USER_AGENT = f"softphone/{__version__}"
_REDIRECTS = (301, 302, 303, 307, 308)


class HttpError(Exception):
    """The request did not get an HTTP answer (refused, timed out, TLS, bad URL)."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    url: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class HttpClient:
    timeout: float = 30.0
    verify_tls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, *, follow: bool = True) -> Response:
        for _ in range(6):
            response = self._once(method, url, body, headers or {})
            location = response.header("location")
            if not (follow and response.status in _REDIRECTS and location):
                return response
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                # credentials never follow a redirect to another host
                return response
            url = target
        raise HttpError(f"too many redirects from {url}")

    def _once(self, method: str, url: str, body: bytes | None,
              headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"not an http(s) URL: {url!r}")
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            import ssl

            context = ssl.create_default_context()
            if not self.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout,
                                               context=context)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        all_headers = {"User-Agent": USER_AGENT, "Connection": "close", **headers}
        if self.username is not None:
            token = base64.b64encode(
                f"{self.username}:{self.password or ''}".encode()).decode("ascii")
            all_headers["Authorization"] = f"Basic {token}"
        try:
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            data = raw.read()
            return Response(raw.status, raw.reason, {k.lower(): v for k, v in raw.getheaders()},
                            data, url)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise HttpError(_describe(exc, parts.netloc)) from None
        finally:
            conn.close()


def _describe(exc: BaseException, where: str) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"{where}: no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connection refused"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{where}: {text}"


def json_body(value: Any) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")
