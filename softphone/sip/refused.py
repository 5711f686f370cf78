"""Incoming calls that pjsua refuses by itself, before any account sees them (issue 14).

An INVITE whose offer has no codec in common with ours is answered 488 Not Acceptable Here
inside ``pjsua_call_on_incoming`` (``pjsip_inv_verify_request3`` negotiates the SDP before a
call object exists), so ``Account.onIncomingCall`` never runs. pjsua reports it (and its other
refusals: no free call slot, a malformed INVITE, which only floods cause and which are not
logged as calls) through ``Endpoint::onRejectedIncomingCall`` (status code, reason, the
INVITE): the
:class:`RefusedCalls` book turns that into an :class:`~softphone.sip.events.IncomingCallRefused`
event, so the call is logged (failed, with the reason) and the agent learns that a customer
called. Only callers the ghost guard would let ring count, a Call-ID once (retransmissions are
answered again), and at most a few per source a minute (a scanner cannot fill the call log).
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import Any

import pjsua2 as pj

from softphone.sip import events as ev
from softphone.sip.ghost_guard import split_source
from softphone.sip.nat import offers_srtp
from softphone.sip.uris import caller_identity, parse_headers, parse_name_addr, valid_text

log = logging.getLogger("softphone.sip")

PER_SOURCE_PER_MINUTE = 5
#: What is reported: no codec in common (a customer whose phone we cannot talk to). pjsua's
#: other refusals (486: every call slot taken, a malformed INVITE) are what floods and
#: scanners cause; the ghost guard and the log deal with those.
REPORTED_CODES = frozenset({488})
#: Static RTP payload types (RFC 3551) an offer may list without an a=rtpmap line.
STATIC_PAYLOADS = {0: "PCMU/8000", 3: "GSM/8000", 4: "G723/8000", 8: "PCMA/8000",
                   9: "G722/8000", 15: "G728/8000", 18: "G729/8000"}
NOT_CODECS = {"telephone-event", "cn", "red", "ulpfec", "rtx"}


def offered_codecs(message: str) -> tuple[str, ...]:
    """The audio codecs an INVITE's SDP offers (``G726-32/8000``, ``opus/48000/2``), in the
    caller's order; events (DTMF), comfort noise and redundancy left out."""
    text = valid_text(message)
    body = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else text.split("\n\n", 1)[-1]
    payloads: list[int] = []
    names: dict[int, str] = {}
    in_audio = False
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            in_audio = bool(parts) and parts[0] == "audio"
            if in_audio:
                payloads += [int(p) for p in parts[3:] if p.isdigit()]
        elif in_audio and line.startswith("a=rtpmap:"):
            found = re.match(r"a=rtpmap:(\d+)\s+(\S+)", line)
            if found:
                names[int(found.group(1))] = found.group(2)
    out: list[str] = []
    for pt in payloads:
        name = names.get(pt) or STATIC_PAYLOADS.get(pt)
        if name and name.split("/", 1)[0].lower() not in NOT_CODECS and name not in out:
            out.append(name)
    return tuple(out)


class RefusedCalls:
    """Turns pjsua's own refusals into events, for callers that could have rung here.

    Args:
        emit: the session's event sink.
        allowed: ``allowed(host)``: whether the ghost guard lets this source's calls ring.
        account_for: the account name an INVITE for this To/request URI belongs to.
        requires_srtp: whether an account takes only encrypted calls (``srtp =
            "mandatory"``): its 488 to an offer without keys says so (``unencrypted``).
    """

    def __init__(self, emit: Callable[[ev.SipEvent], None], allowed: Callable[[str], bool],
                 account_for: Callable[[str], str],
                 requires_srtp: Callable[[str], bool] = lambda account: False) -> None:
        self._emit = emit
        self._allowed = allowed
        self._account_for = account_for
        self._requires_srtp = requires_srtp
        self._seen: OrderedDict[str, None] = OrderedDict()  # Call-IDs already reported
        self._per_source: dict[str, deque[float]] = {}

    def on_rejected(self, code: int, reason: str, message: str, source: str,
                    now: float | None = None) -> ev.IncomingCallRefused | None:
        """pjsua refused an INVITE with ``code``: the event (emitted), or None when it is
        not reported (a source that may not call, a retransmission, a flood)."""
        now = time.monotonic() if now is None else now
        if not message or code not in REPORTED_CODES:
            return None  # pjsua logs its refusals itself; a flood must not cost more here
        headers = parse_headers(valid_text(message))
        call_id = (headers.get("call-id") or [""])[0].strip()
        if call_id and call_id in self._seen:
            return None
        host, _port = split_source(source)
        if source and not self._allowed(host):
            return None
        recent = self._per_source.setdefault(host, deque(maxlen=PER_SOURCE_PER_MINUTE))
        if len(recent) == PER_SOURCE_PER_MINUTE and now - recent[0] < 60.0:
            return None
        recent.append(now)
        if call_id:
            self._seen[call_id] = None
            while len(self._seen) > 256:
                self._seen.popitem(last=False)
        identity = caller_identity(message)
        _to_name, to_uri = parse_name_addr((headers.get("to") or [""])[0])
        account = self._account_for(to_uri)
        unencrypted = (code == 488 and self._requires_srtp(account)
                       and not offers_srtp(valid_text(message)))
        event = ev.IncomingCallRefused(
            at=time.time(), account=account, remote_uri=identity.uri,
            display_name=identity.display_name, number=identity.number, code=code,
            reason=reason, offered=offered_codecs(message), sip_call_id=call_id,
            unencrypted=unencrypted)
        log.warning("incoming call from %s refused by the SIP stack: %s %s%s",
                    identity.uri or source, code, reason,
                    " (it offers no encryption; the account requires it: srtp = mandatory)"
                    if unencrypted else
                    f" (offered {', '.join(event.offered)})" if event.offered else "")
        self._emit(event)
        return event


def account_by_uri(accounts: Iterable[tuple[str, str]], to_uri: str) -> str:
    """The name of the account (``(name, address)`` pairs) whose user part the To URI
    names, else the first account's."""
    names = list(accounts)
    want = re.sub(r"^sips?:", "", to_uri.strip().lower()).split("@", 1)[0]
    for name, address in names:
        user = re.sub(r"^sips?:", "", address.lower()).split("@", 1)[0]
        if want and user == want:
            return name
    return names[0][0] if names else ""


class EngineEndpoint(pj.Endpoint):  # type: ignore[misc]
    """The one pjsua2 Endpoint, with pjsua's own refusals of incoming calls reported."""

    def __init__(self) -> None:
        super().__init__()
        self.on_refused: Callable[[int, str, str, str], Any] | None = None

    def onRejectedIncomingCall(self, prm: Any) -> None:
        try:
            rdata = prm.rdata
            message = str(rdata.wholeMsg) if rdata is not None else ""
            source = str(rdata.srcAddress) if rdata is not None else ""
            handler = self.on_refused
            if handler is not None:
                handler(int(prm.statusCode), str(prm.reason), message, source)
        except Exception:
            log.exception("rejected incoming call callback failed")
