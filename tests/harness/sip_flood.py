"""Malformed and hostile SIP messages, generated and sent to a phone's SIP port (bounded).

``hostile_messages(target_host, target_port, count)`` yields ``(kind, bytes)`` in a fixed
rotation of kinds (truncated requests, oversized headers, lying Content-Length, invalid UTF-8,
huge SDP bodies, unknown methods, binary garbage, and well-formed INVITEs flooding from one
address with ever new Call-IDs). ``flood_udp`` / ``flood_tcp`` send them and stop by
themselves after ``count`` messages or ``max_seconds``; they return a :class:`FloodReport`.
``scanner_invites`` sends what a SIP scanner sends: a few plain INVITEs a second, never ACKed.
Only loopback targets (and the network-namespace lab's documentation addresses) are accepted.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

MAX_UDP = 65_000


@dataclass
class FloodReport:
    sent: int = 0
    bytes: int = 0
    errors: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    last_error: str = ""
    #: status codes of the answers read back (scanner_invites only): {"100": 20, "403": 20}
    answers: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        return (f"{self.sent} messages, {self.bytes / 1e6:.1f} MB in {self.seconds:.2f} s "
                f"({rate:.0f}/s), {self.errors} send errors{self._error()}; kinds: "
                f"{dict(self.kinds)}")

    def _error(self) -> str:
        return f" (last: {self.last_error})" if self.last_error else ""


# Documentation ranges: only the network-namespace lab uses them; they never leave the machine.
_LAB_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def _check_loopback(host: str) -> None:
    address = ipaddress.ip_address(host)
    if not (address.is_loopback or any(address in n for n in _LAB_NETWORKS)):
        raise ValueError(f"flood targets must be loopback (or lab documentation) addresses, "
                         f"not {host}")


def _invite(host: str, port: int, n: int, src_port: int, *, body: bytes = b"",
            extra: str = "", content_length: int | None = None, method: str = "INVITE",
            to_user: str = "alice", from_name: str = "flood") -> bytes:
    length = len(body) if content_length is None else content_length
    head = (
        f"{method} sip:{to_user}@{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{src_port};branch=z9hG4bK-flood-{n}\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: \"{from_name}\" <sip:flood@127.0.0.1:{src_port}>;tag=f{n}\r\n"
        f"To: <sip:{to_user}@{host}:{port}>\r\n"
        f"Call-ID: flood-{n}@127.0.0.1\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Contact: <sip:flood@127.0.0.1:{src_port}>\r\n"
        f"{extra}"
        f"Content-Type: application/sdp\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    return head.encode("utf-8", "surrogateescape") + body


def _sdp(lines: int) -> bytes:
    base = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 9 RTP/AVP 0\r\n")
    return (base + "".join(f"a=x-junk{i}:{'z' * 60}\r\n" for i in range(lines))).encode()


def _kinds(host: str, port: int, src_port: int, rng: random.Random
           ) -> list[tuple[str, Callable[[int], bytes]]]:
    def truncated(n: int) -> bytes:
        full = _invite(host, port, n, src_port, body=_sdp(2))
        return full[: rng.randrange(1, len(full) - 1)]

    def oversized_header(n: int) -> bytes:
        return _invite(host, port, n, src_port, extra=f"X-Big: {'A' * 30_000}\r\n",
                       body=_sdp(1))

    def many_headers(n: int) -> bytes:
        extra = "".join(f"X-H{i}: {i}\r\n" for i in range(1500))
        return _invite(host, port, n, src_port, extra=extra)

    def long_via(n: int) -> bytes:
        vias = "".join(f"Via: SIP/2.0/UDP 10.{i % 250}.0.1:5060;branch=z9hG4bK{i}\r\n"
                       for i in range(400))
        return _invite(host, port, n, src_port, extra=vias)

    def content_length_too_big(n: int) -> bytes:
        return _invite(host, port, n, src_port, body=_sdp(1), content_length=99_999)

    def content_length_negative(n: int) -> bytes:
        return _invite(host, port, n, src_port, body=_sdp(1), content_length=-5)

    def content_length_garbage(n: int) -> bytes:
        msg = _invite(host, port, n, src_port, body=_sdp(1))
        return msg.replace(b"Content-Length: ", b"Content-Length: 12abc\xff")

    def invalid_utf8(n: int) -> bytes:
        msg = _invite(host, port, n, src_port, body=_sdp(1))
        return (msg.replace(b"\"flood\"", b"\"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\"")
                .replace(b"To: <sip:", b"To: \xf0\x28\x8c\x28 <sip:"))

    def huge_sdp(n: int) -> bytes:
        return _invite(host, port, n, src_port, body=_sdp(700))  # ~50 kB body

    def unknown_method(n: int) -> bytes:
        method = rng.choice(["FOO", "HACK", "X" * 300, "INV ITE", "GET", "PRACKX"])
        return _invite(host, port, n, src_port, method=method)

    def bad_request_line(n: int) -> bytes:
        return rng.choice([b"INVITE\r\n\r\n", b"SIP/2.0 200\r\n\r\n", b"\r\n\r\n\r\n",
                           b"INVITE sip: SIP/3.0\r\nVia:\r\n\r\n",
                           b"SIP/2.0 999999999999999999 OK\r\nCSeq: x\r\n\r\n"])

    def binary_garbage(n: int) -> bytes:
        return rng.randbytes(rng.randrange(1, 1400))

    def bad_headers(n: int) -> bytes:
        extra = ("CSeq: 99999999999999999999 INVITE\r\nMax-Forwards: -1\r\n"
                 "Expires: 99999999999999\r\nRecord-Route: <<<sip:;lr>\r\n"
                 "Contact: *\r\nVia: SIP/2.0/UDP ;branch=\r\n")
        return _invite(host, port, n, src_port, extra=extra)

    def invite_flood(n: int) -> bytes:  # well formed, one source address, new Call-ID each
        return _invite(host, port, n, src_port, body=_sdp(1))

    return [
        ("truncated", truncated), ("oversized_header", oversized_header),
        ("many_headers", many_headers), ("long_via", long_via),
        ("content_length_too_big", content_length_too_big),
        ("content_length_negative", content_length_negative),
        ("content_length_garbage", content_length_garbage), ("invalid_utf8", invalid_utf8),
        ("huge_sdp", huge_sdp), ("unknown_method", unknown_method),
        ("bad_request_line", bad_request_line), ("binary_garbage", binary_garbage),
        ("bad_headers", bad_headers), ("invite_flood", invite_flood),
        ("invite_flood", invite_flood), ("invite_flood", invite_flood),
    ]


def send_invite(host: str, port: int, display_name: str, to_user: str = "agent",
                n: int = 1) -> None:
    """One well-formed INVITE whose From display name is ``display_name`` (lone surrogates
    ``\\udc80``-``\\udcff`` become the raw, invalid-UTF-8 bytes they stand for)."""
    _check_loopback(host)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        src = sock.getsockname()[1]
        sock.sendto(_invite(host, port, n, src, body=_sdp(1), to_user=to_user,
                            from_name=display_name), (host, port))


def scanner_invites(host: str, port: int, count: int = 20, seconds: float = 4.0,
                    to_user: str = "100", source: str = "127.0.0.1") -> FloodReport:
    """What a SIP scanner does: ``count`` plain, well-formed INVITEs straight to the phone's
    port, evenly over ``seconds``, from one socket, each with a new Call-ID and branch; it
    never ACKs, CANCELs nor answers a BYE (like the "friendly-scanner" probes)."""
    _check_loopback(host)
    report = FloodReport()
    pace = threading.Event()  # never set: paces the sends (a rate, not a wait on a result)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        src = sock.getsockname()[1]
        t0 = time.perf_counter()
        for n in range(count):
            pace.wait(max(0.0, t0 + n * seconds / count - time.perf_counter()))
            data = _invite(host, port, 90_000 + n, src, body=_sdp(1), to_user=to_user,
                           from_name="", extra="User-Agent: friendly-scanner\r\n")
            sock.sendto(data, (host, port))
            report.sent += 1
            report.bytes += len(data)
            report.kinds["scanner_invite"] += 1
            _read_answers(sock, report, 0.0)
        report.seconds = time.perf_counter() - t0
        _read_answers(sock, report, 1.0)  # the last answers: until 1 s of silence
    return report


def _read_answers(sock: socket.socket, report: FloodReport, quiet: float) -> None:
    """Count the status codes of the answers waiting (``quiet`` > 0: until none came for
    that long, at most 3 s: unACKed final answers are retransmitted for half a minute)."""
    deadline = time.monotonic() + 3.0
    sock.settimeout(quiet) if quiet > 0 else sock.setblocking(False)
    try:
        while time.monotonic() < deadline:
            data = sock.recv(MAX_UDP)
            parts = data.split(b" ", 2)
            if len(parts) > 1 and parts[0] == b"SIP/2.0":
                report.answers[parts[1].decode(errors="replace")] += 1
    except OSError:
        pass
    finally:
        sock.setblocking(True)


def hostile_messages(host: str, port: int, count: int, src_port: int = 5999,
                     seed: int = 8) -> Iterator[tuple[str, bytes]]:
    """``count`` hostile messages for ``host:port``, kinds in rotation (deterministic)."""
    rng = random.Random(seed)
    kinds = _kinds(host, port, src_port, rng)
    for n in range(count):
        kind, make = kinds[n % len(kinds)]
        yield kind, make(n)[:MAX_UDP]


def flood_udp(host: str, port: int, count: int = 10_000, max_seconds: float = 60.0,
              seed: int = 8) -> FloodReport:
    """Send ``count`` hostile datagrams from one socket (one source address)."""
    _check_loopback(host)
    report = FloodReport()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(True)
        src = sock.getsockname()[1]
        t0 = time.perf_counter()
        for kind, data in hostile_messages(host, port, count, src, seed):
            try:
                sock.sendto(data, (host, port))
                report.sent += 1
                report.bytes += len(data)
                report.kinds[kind] += 1
            except OSError:
                report.errors += 1
            if report.sent % 256 == 0:
                _drain(sock)
                if time.perf_counter() - t0 > max_seconds:
                    break
        report.seconds = time.perf_counter() - t0
    return report


def _drain(sock: socket.socket) -> None:
    """Read (and drop) the phone's answers so our receive buffer never blocks anything."""
    sock.setblocking(False)
    try:
        while True:
            sock.recv(MAX_UDP)
    except OSError:
        pass
    finally:
        sock.setblocking(True)


def flood_tcp(host: str, port: int, count: int = 500, max_seconds: float = 30.0,
              per_connection: int = 25, seed: int = 9) -> FloodReport:
    """Hostile messages over TCP: ``per_connection`` per connection, then a hard close."""
    _check_loopback(host)
    report = FloodReport()
    t0 = time.perf_counter()
    messages = hostile_messages(host, port, count, 5998, seed)
    done = False
    while not done and time.perf_counter() - t0 < max_seconds:
        try:
            sock = socket.create_connection((host, port), timeout=5.0)
        except OSError as exc:
            report.errors += 1
            report.last_error = f"connect: {exc!r}"
            if report.errors >= 3:
                break
            continue
        with sock:
            for _ in range(per_connection):
                item = next(messages, None)
                if item is None:
                    done = True
                    break
                kind, data = item
                try:
                    sock.sendall(data)
                    report.sent += 1
                    report.bytes += len(data)
                    report.kinds[kind] += 1
                except OSError as exc:  # the phone may drop a connection that sends junk
                    report.errors += 1
                    report.last_error = f"send: {exc!r}"
                    break
    report.seconds = time.perf_counter() - t0
    return report
