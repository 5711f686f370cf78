"""The SRTP policy's own decisions: which refused outgoing calls get the "no encryption at the
far end" sentence, and which unencrypted media make the call end (CallSecurity)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from softphone.settings import AccountSettings
from softphone.sip import events as ev
from softphone.sip.call_security import NO_SRTP_PEER, CallSecurity
from softphone.sip.calls import CallRecord
from softphone.sip.events import CallState, Direction

SRTP_DUMP = "  SRTP status: Active Crypto-suite: AES_CM_128_HMAC_SHA1_80\n"
PLAIN_DUMP = "  SRTP status: Not active Crypto-suite: \n"


class FakeCall:
    """Stands in for a pj.Call: what ``dump`` reports and what ``hangup`` was asked."""

    def __init__(self, dump: str) -> None:
        self.text = dump
        self.hangup_codes: list[int] = []

    def dump(self, with_media: bool, indent: str) -> str:
        return self.text

    def hangup(self, op: Any) -> None:
        self.hangup_codes.append(int(op.statusCode))


def account(srtp: str, transport: str = "tls", require_tls: bool = True) -> Any:
    return SimpleNamespace(settings=AccountSettings(
        name="work", address="sip:alice@example.org", registrar="sip:example.org",
        transport=transport, srtp=srtp, srtp_require_tls=require_tls))


class Harness:
    def __init__(self, srtp: str, **kw: Any) -> None:
        self.events: list[ev.SipEvent] = []
        self.scheduled: list[Callable[[], None]] = []
        self.security = CallSecurity({"work": account(srtp, **kw)}, self.events.append,
                                     lambda delay, fn: self.scheduled.append(fn))

    def errors(self) -> list[ev.EngineError]:
        return [e for e in self.events if isinstance(e, ev.EngineError)]


def outgoing(code: int, reason: str = "Not Acceptable Here", **kw: Any) -> CallRecord:
    return CallRecord(call_id=3, account="work", direction=Direction.OUTGOING, call=None,
                      remote_uri="sip:bob@example.org", code=code, reason=reason, **kw)


@pytest.mark.parametrize(("srtp", "transport", "require_tls", "mode"), [
    ("mandatory", "tls", True, "mandatory"),
    ("optional", "tls", True, "optional"),
    ("optional", "udp", True, "off"),  # keys would go over plain SIP
    ("optional", "udp", False, "optional"),
    ("off", "tls", True, "off"),
])
def test_the_mode_really_used(srtp: str, transport: str, require_tls: bool,
                              mode: str) -> None:
    harness = Harness(srtp, transport=transport, require_tls=require_tls)
    assert harness.security.srtp_mode_of("work") == mode
    assert harness.security.srtp_mode_of("gone") == "off"


@pytest.mark.parametrize("code", [406, 415, 488, 606])
def test_a_refused_encrypted_call_says_why(code: int) -> None:
    harness = Harness("mandatory")
    record = outgoing(code)
    harness.security.explain_failed_call(record)
    [error] = harness.errors()
    assert error.message == f"{NO_SRTP_PEER} ({code} Not Acceptable Here)"
    assert (error.command, error.call_id) == ("dial", 3)
    assert record.end_reason == "unencrypted"


@pytest.mark.parametrize(("srtp", "record"), [
    ("optional", outgoing(488)),  # plain RTP would have been offered too
    ("mandatory", outgoing(486, "Busy Here")),  # busy is not about encryption
    ("mandatory", outgoing(488, local_hangup=True)),
    ("mandatory", outgoing(488, answered_at=1.0)),
    ("mandatory", CallRecord(call_id=3, account="work", direction=Direction.INCOMING,
                             call=None, remote_uri="sip:bob@example.org", code=488)),
])
def test_other_failures_are_not_blamed_on_encryption(srtp: str, record: CallRecord) -> None:
    harness = Harness(srtp)
    harness.security.explain_failed_call(record)
    assert harness.errors() == []
    assert record.end_reason != "unencrypted"


def test_unencrypted_media_on_a_mandatory_account_ends_the_call() -> None:
    harness = Harness("mandatory")
    call = FakeCall(PLAIN_DUMP)
    record = outgoing(200, "OK", state=CallState.CONFIRMED)
    record.call = call  # type: ignore[assignment]
    path = harness.security.note_media_path(record, call, active=True)
    assert path.encryption == "" and record.media_path == path
    [error] = harness.errors()
    assert error.message == f"{NO_SRTP_PEER}: the call was ended"
    assert call.hangup_codes == []  # never inside the pjsua2 callback: on the next tick
    [hang_up] = harness.scheduled
    hang_up()
    assert call.hangup_codes == [488] and record.local_hangup


def test_the_call_ended_meanwhile_is_not_hung_up_again() -> None:
    harness = Harness("mandatory")
    call = FakeCall(PLAIN_DUMP)
    record = outgoing(200, "OK", state=CallState.CONFIRMED)
    record.call = call  # type: ignore[assignment]
    harness.security.note_media_path(record, call, active=True)
    record.state = CallState.DISCONNECTED
    harness.scheduled[0]()
    assert call.hangup_codes == []


@pytest.mark.parametrize(("srtp", "dump", "active"), [
    ("mandatory", SRTP_DUMP, True),  # encrypted: fine
    ("mandatory", PLAIN_DUMP, False),  # no active media yet (a late offer)
    ("optional", PLAIN_DUMP, True),  # plain RTP allowed
])
def test_media_that_may_go_on(srtp: str, dump: str, active: bool) -> None:
    harness = Harness(srtp)
    call = FakeCall(dump)
    record = outgoing(200, "OK", state=CallState.CONFIRMED)
    path = harness.security.note_media_path(record, call, active=active)
    assert harness.events == [] and harness.scheduled == []
    assert path.encryption == ("SRTP AES_CM_128_HMAC_SHA1_80" if dump == SRTP_DUMP else "")
