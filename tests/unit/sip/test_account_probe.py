"""The account test's own decisions (AccountProbe): which answer of the server, of the name
lookup or of the clock becomes which ProbeResult, and that the first one wins."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from softphone.settings import AccountSettings
from softphone.sip.account_probe import AccountProbe, ProbeResult, start_probe
from tests.harness.fakes import FakeResolver

SERVER = AccountSettings(name="work", address="sip:alice@pbx.example.org",
                         registrar="sip:pbx.example.org", password="s3cret")
LAN = AccountSettings(name="lan", address="sip:alice@0.0.0.0")


class FakeSession:
    """What the probe uses of SipSession; the timers are run by the test."""

    def __init__(self) -> None:
        self.listen = "192.0.2.10:5060"
        self.resolver = FakeResolver()
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.retired_accounts: list[Any] = []
        self.sip = SimpleNamespace(listen_host="0.0.0.0", rtp_port=4000, rtp_port_count=100)

    def schedule(self, delay: float, fn: Callable[[], None]) -> None:
        self.timers.append((delay, fn))

    def run_timers(self, delay: float) -> None:
        due = [fn for d, fn in self.timers if d == delay]
        self.timers = [(d, fn) for d, fn in self.timers if d != delay]
        for fn in due:
            fn()


def probe_of(settings: AccountSettings) -> tuple[AccountProbe, FakeSession,
                                                 concurrent.futures.Future[ProbeResult]]:
    session = FakeSession()
    future: concurrent.futures.Future[ProbeResult] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    return AccountProbe(session, settings, 12.0, future), session, future  # type: ignore[arg-type]


def test_a_lan_account_says_where_peers_reach_it() -> None:
    probe, session, future = probe_of(LAN)
    probe.start()
    result = future.result(0)
    assert (result.outcome, result.listen, result.reason) == (
        "lan", "192.0.2.10:5060", "sip:alice@192.0.2.10:5060")
    assert session.timers == [] and session.resolver.asked == []


def test_an_unknown_server_name_is_reported_with_the_lookups_message() -> None:
    probe, session, future = probe_of(SERVER)
    probe.start()
    [(host, done)] = session.resolver.asked
    assert host == "pbx.example.org"
    done("Name or service not known")
    result = future.result(0)
    assert (result.outcome, result.host, result.reason) == (
        "unresolved", "pbx.example.org", "Name or service not known")


def test_a_lookup_that_never_answers_ends_at_the_deadline() -> None:
    probe, session, future = probe_of(SERVER)
    probe.start()
    assert [d for d, _ in session.timers] == [12.0]
    session.run_timers(12.0)
    result = future.result(0)
    assert result.outcome == "unresolved"
    assert result.reason == "the name lookup did not finish in time"
    # the lookup's late answer changes nothing
    session.resolver.asked[0][1](None)
    assert future.result(0) == result


@pytest.mark.parametrize(("code", "reason", "expires", "outcome"), [
    (200, "OK", 60, "registered"),
    (200, "OK", 0, "failed"),  # a 2xx that registered nothing
    (401, "Unauthorized", 0, "failed"),
    (403, "Forbidden", 0, "failed"),
    (408, "Request Timeout", 0, "timeout"),
    (503, "Service Unavailable", 0, "failed"),
])
def test_the_servers_answer_becomes_the_outcome(code: int, reason: str, expires: int,
                                                outcome: str) -> None:
    probe, session, future = probe_of(SERVER)
    probe.on_reg_state(code, reason, expires)
    assert not future.done()  # never finished inside the pjsua2 callback
    session.run_timers(0.0)
    result = future.result(0)
    assert (result.outcome, result.code, result.reason) == (outcome, code, reason)
    assert result.expires == (expires if outcome == "registered" else 0)
    assert result.seconds >= 0


def test_only_the_first_answer_counts() -> None:
    probe, session, future = probe_of(SERVER)
    probe.on_reg_state(200, "OK", 60)
    probe.on_reg_state(403, "Forbidden", 0)  # the un-REGISTER's answer, or a late one
    probe._on_deadline()  # the deadline on the same tick
    session.run_timers(0.0)
    assert future.result(0).outcome == "registered"
    assert session.timers == []


def test_a_registration_without_answer_times_out_and_is_deleted() -> None:
    class Account:
        shut = False

        def shutdown(self) -> None:
            self.shut = True

    probe, _session, future = probe_of(SERVER)
    account = Account()
    probe.account = account  # type: ignore[assignment]
    probe._on_deadline()
    result = future.result(0)
    assert (result.outcome, result.code, result.reason) == ("timeout", 408, "Request Timeout")
    assert account.shut and probe.account is None


def test_the_answer_waits_for_the_nat_check() -> None:
    from softphone.sip.stun_check import NatReport

    probe, session, future = probe_of(SERVER)
    probe.nat_pending = True
    probe.on_reg_state(200, "OK", 60)
    session.run_timers(0.0)
    assert not future.done()
    report = NatReport("error", detail="no answer")
    probe._nat_checked(report)
    assert future.result(0).nat == report and future.result(0).outcome == "registered"


def test_a_cancelled_test_never_starts() -> None:
    future: concurrent.futures.Future[ProbeResult] = concurrent.futures.Future()
    future.cancel()
    session = FakeSession()
    start_probe(session, SERVER, 12.0, future)  # type: ignore[arg-type]
    assert session.timers == [] and session.resolver.asked == []


def test_a_bug_while_starting_reaches_the_caller() -> None:
    class Broken(FakeSession):
        def schedule(self, delay: float, fn: Callable[[], None]) -> None:
            raise RuntimeError("timer table full")

    future: concurrent.futures.Future[ProbeResult] = concurrent.futures.Future()
    start_probe(Broken(), SERVER, 12.0, future)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="timer table full"):
        future.result(0)
