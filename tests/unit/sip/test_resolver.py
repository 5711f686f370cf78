"""HostResolver: names are looked up off the calling thread and the answer posted back; an
answer is kept (a success longer than a failure); the addresses a name had are remembered;
IP literals and localhost need no lookup. The system's resolver is scripted here (the real
one is exercised by the registrar tests in tests/integration/network)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

from softphone.sip import resolver as resolver_mod
from softphone.sip.resolver import HostResolver, is_ip_literal


class Posted:
    """The SIP thread's queue: what the resolver posts back, waited for with a timeout."""

    def __init__(self) -> None:
        self.answers: list[str | None] = []
        self._cv = threading.Condition()

    def post(self, fn: Callable[[], None]) -> None:
        with self._cv:
            fn()
            self._cv.notify_all()

    def done(self, error: str | None) -> None:
        self.answers.append(error)

    def wait(self, count: int) -> list[str | None]:
        with self._cv:
            assert self._cv.wait_for(lambda: len(self.answers) >= count, timeout=10.0)
        return self.answers


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """host -> a list of addresses, or an OSError to raise; counts the calls."""
    table: dict[str, Any] = {"calls": 0}

    def getaddrinfo(host: str, *_a: Any, **_k: Any) -> list[Any]:
        table["calls"] += 1
        answer = table[host]
        if isinstance(answer, OSError):
            raise answer
        return [(socket.AF_INET, socket.SOCK_DGRAM, 17, "", (a, 0)) for a in answer]

    monkeypatch.setattr(resolver_mod.socket, "getaddrinfo", getaddrinfo)
    return table


def test_literals_and_localhost_need_no_lookup() -> None:
    r = HostResolver(lambda fn: fn())
    assert is_ip_literal("192.0.2.7") and is_ip_literal("[2001:db8::1]")
    assert not is_ip_literal("pbx.example.com")
    assert not r.needs_lookup("192.0.2.7") and not r.needs_lookup("localhost")
    assert r.needs_lookup("pbx.example.com")
    assert r.addresses("[2001:db8::1]") == ("2001:db8::1",)
    assert r.addresses("pbx.example.com") == ()  # never resolved


def test_a_name_that_resolves_is_kept_with_its_addresses(lookups: dict[str, Any]) -> None:
    lookups["PBX.example.com"] = ["192.0.2.9", "192.0.2.8", "192.0.2.9"]
    posted = Posted()
    r = HostResolver(posted.post)
    r.resolve("PBX.example.com", posted.done)
    assert posted.wait(1) == [None]
    assert r.addresses("pbx.example.com") == ("192.0.2.8", "192.0.2.9")
    assert not r.needs_lookup("pbx.example.com")  # a fresh answer: hand it to PJSIP
    r.resolve("pbx.example.com", posted.done)  # from the cache, no second lookup
    assert posted.wait(2) == [None, None] and lookups["calls"] == 1
    lookups["pbx.example.com"] = ["198.51.100.4"]
    r.resolve("pbx.example.com", posted.done, fresh=True)  # asked again: the name moved
    posted.wait(3)
    assert lookups["calls"] == 2 and r.addresses("pbx.example.com") == ("198.51.100.4",)


def test_a_name_that_does_not_resolve_says_so_and_is_asked_again_later(
        lookups: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    lookups["gone.example.com"] = socket.gaierror(-2, "Name or service not known")
    posted = Posted()
    r = HostResolver(posted.post)
    r.resolve("gone.example.com", posted.done)
    (error,) = posted.wait(1)
    assert error == "cannot resolve gone.example.com: Name or service not known"
    assert r.needs_lookup("gone.example.com")  # a failure is never handed to PJSIP
    r.resolve("gone.example.com", posted.done)  # within the negative TTL: the same answer
    assert posted.wait(2)[1] == error and lookups["calls"] == 1
    monkeypatch.setattr(resolver_mod, "_NEGATIVE_TTL", 0.0)
    lookups["gone.example.com"] = ["192.0.2.1"]
    r.resolve("gone.example.com", posted.done, fresh=True)
    assert posted.wait(3)[2] is None
