"""A tiny SIP user agent over UDP for tests: what a voicemail system sends.

:class:`RawSip` sends one request and returns the final response (``request``), and answers
every request it receives with 200 (kept in ``received``). It is enough for a PUBLISH of
``message-summary`` to a presence server and for an unsolicited NOTIFY to a phone: the
messages a voicemail system sends, which no packaged tool here sends on cue.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from tests.harness.ports import free_port


@dataclass
class SipMessage:
    first_line: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def code(self) -> int:
        m = re.match(r"^SIP/2\.0 (\d{3})", self.first_line)
        return int(m.group(1)) if m else 0

    @property
    def method(self) -> str:
        return self.first_line.split(" ", 1)[0]

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def parse(data: bytes) -> SipMessage:
    text = data.decode("utf-8", "replace")
    head, _sep, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers: dict[str, str] = {}
    short = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
             "l": "content-length", "c": "content-type", "o": "event"}
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        key = short.get(name.strip().lower(), name.strip().lower())
        headers.setdefault(key, value.strip())
    return SipMessage(lines[0], headers, body)


class RawSip:
    """One UDP socket on 127.0.0.1; ``user`` is the From user of what it sends. Requests it
    receives are answered 200, or per method from ``answers`` (``{"INVITE": 486}``)."""

    def __init__(self, user: str = "voicemail", answers: dict[str, int] | None = None) -> None:
        self.user = user
        self.answers = answers or {}
        self.port = free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.received: list[SipMessage] = []
        self._responses: dict[str, SipMessage] = {}
        self._cond = threading.Condition()
        self._cseq = 0
        self._closed = False
        self._thread = threading.Thread(target=self._read, name="raw-sip", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self.sock.close()
        self._thread.join(2.0)

    def __enter__(self) -> RawSip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        while not self._closed:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return
            if not data.strip():
                continue
            msg = parse(data)
            if msg.first_line.startswith("SIP/2.0"):
                if msg.code >= 200:
                    with self._cond:
                        self._responses[msg.header("call-id")] = msg
                        self._cond.notify_all()
                continue
            with self._cond:
                self.received.append(msg)
                self._cond.notify_all()
            if msg.method != "ACK":
                self._answer(msg, peer)

    def _answer(self, msg: SipMessage, peer: tuple[str, int]) -> None:
        to = msg.header("to")
        if ";tag=" not in to:
            to += f";tag={uuid.uuid4().hex[:8]}"
        code = self.answers.get(msg.method, 200)
        reason = {200: "OK", 486: "Busy Here", 404: "Not Found"}.get(code, "Answer")
        lines = [f"SIP/2.0 {code} {reason}", f"Via: {msg.header('via')}",
                 f"From: {msg.header('from')}", f"To: {to}",
                 f"Call-ID: {msg.header('call-id')}", f"CSeq: {msg.header('cseq')}",
                 f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>", "Content-Length: 0"]
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), peer)

    def wait_for(self, method: str, timeout: float = 10.0) -> SipMessage:
        """The first request of ``method`` received."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = next((m for m in self.received if m.method == method), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {method} received in {timeout} s")
                self._cond.wait(left)

    def request(self, method: str, uri: str, dest: tuple[str, int], *, to: str,
                headers: dict[str, str] | None = None, body: str = "",
                content_type: str = "", timeout: float = 10.0) -> SipMessage:
        """Send ``method`` to ``dest`` and wait for its final response."""
        self._cseq += 1
        call_id = f"{uuid.uuid4().hex}@127.0.0.1"
        branch = f"z9hG4bK{uuid.uuid4().hex[:16]}"
        payload = body.encode()
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@127.0.0.1:{self.port}>;tag={uuid.uuid4().hex[:8]}",
            f"To: <{to}>",
            f"Call-ID: {call_id}",
            f"CSeq: {self._cseq} {method}",
            f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(payload)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        self.sock.sendto(data, dest)
        deadline = time.monotonic() + timeout
        with self._cond:
            while call_id not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no final answer to {method} {uri} in {timeout} s")
                self._cond.wait(left)
            return self._responses.pop(call_id)


def message_summary(new: int, old: int, account: str = "") -> str:
    """An ``application/simple-message-summary`` body (RFC 3842)."""
    lines = [f"Messages-Waiting: {'yes' if new else 'no'}"]
    if account:
        lines.append(f"Message-Account: {account}")
    lines.append(f"Voice-Message: {new}/{old} (0/0)")
    return "\r\n".join(lines) + "\r\n"
