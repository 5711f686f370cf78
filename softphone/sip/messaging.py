"""Chat over SIP MESSAGE (RFC 3428) and message-waiting callbacks (SIP thread only).

Sending goes through a pjsua2 ``Buddy`` of the target (pjsua2 sends instant messages only
through one): a colleague's subscribing buddy when there is one, else a non-subscribing buddy
kept for the conversation. PJSIP answers incoming MESSAGEs with 200 itself; the account's
``onInstantMessage`` becomes a :class:`~softphone.sip.events.MessageReceived` event.

The final answer to a MESSAGE we sent (``onInstantMessageStatus``) carries the target and
the body but no handle of ours (the wheel cannot pass Python data through ``userData``), so
answers are matched to what was sent by (account, target, body), oldest first: PJSIP sends
them in order and a server answers each.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pjsua2 as pj

from softphone.sip import events as ev
from softphone.sip.uris import number_from_uri, parse_name_addr
from softphone.sip.voicemail import message_body, parse_message_summary

if TYPE_CHECKING:
    from softphone.sip.accounts import AccountState, EngineAccount
    from softphone.sip.presence import PresenceBook

log = logging.getLogger("softphone.sip")

#: longest chat message (characters); SIP MESSAGE is meant for short texts (RFC 3428 asks
#: for under 1300 bytes over UDP; PJSIP moves larger requests to TCP when it can)
MAX_MESSAGE_CHARS = 4000
#: at shutdown, how long (s) MESSAGEs still waiting for their answer get before libDestroy
FINISH_WAIT = 1.0
#: a removed account with MESSAGEs in flight is deleted once they are answered, or after this
#: long (s): PJSIP's non-INVITE transaction gives up after 32 s
RETIRE_WAIT = 40.0


class MessageBuddy(pj.Buddy):  # type: ignore[misc]  # pjsua2 ships no type stubs
    """A conversation partner that is not watched: sends only, no subscription."""

    def onBuddyState(self) -> None:
        pass


def plain_uri(uri: str) -> str:
    """``"Bob" <sip:bob@h;transport=udp>`` -> ``sip:bob@h``."""
    _display, inner = parse_name_addr(uri)
    return inner.split(";", 1)[0].split("?", 1)[0].strip()


class MessengerHost(Protocol):
    """What the :class:`Messenger` uses of the session."""

    accounts: dict[str, AccountState]
    presence: PresenceBook
    graveyard: list[Any]  # pjsua2 objects to drop outside their own callback
    retired_accounts: list[EngineAccount]
    emit: Callable[[ev.SipEvent], None]


class Messenger:
    """MESSAGE sending, answers and arrivals; MWI NOTIFYs (SIP thread only)."""

    def __init__(self, session: MessengerHost) -> None:
        self.session = session
        self.buddies: dict[tuple[str, str], MessageBuddy] = {}
        self.pending: dict[tuple[str, str, str], deque[int]] = {}
        # removed accounts whose MESSAGEs still wait for an answer: (account, name, deadline)
        self.closing: list[tuple[Any, str, float]] = []

    # --- sending ------------------------------------------------------------------------------
    def send(self, message_id: int, account_name: str, uri: str, text: str) -> None:
        state = self.session.accounts.get(account_name)
        if state is None or state.account is None:
            self._status(message_id, account_name, uri, 0, "the account is not available")
            return
        buddy: Any = self.session.presence.buddies.get(account_name, {}).get(uri)
        if buddy is None:
            buddy = self.buddies.get((account_name, uri))
        if buddy is None:
            buddy = MessageBuddy()
            cfg = pj.BuddyConfig()
            cfg.uri = uri
            cfg.subscribe = False
            try:
                buddy.create(state.account, cfg)
            except pj.Error as exc:
                self._status(message_id, account_name, uri, 0, str(exc.reason or exc.info()))
                return
            self.buddies[(account_name, uri)] = buddy
        prm = pj.SendInstantMessageParam()
        prm.content = text
        prm.contentType = "text/plain"
        try:
            buddy.sendInstantMessage(prm)
        except pj.Error as exc:
            self._status(message_id, account_name, uri, 0, str(exc.reason or exc.info()))
            return
        self.pending.setdefault((account_name, uri, text), deque()).append(message_id)

    def on_status(self, account_name: str, to_uri: str, body: str, code: int,
                  reason: str) -> None:
        key = (account_name, to_uri, body)
        queue = self.pending.get(key)
        if not queue:  # the URI as PJSIP printed it: match on account and body alone
            key = next((k for k in self.pending if k[0] == account_name and k[2] == body
                        and plain_uri(k[1]) == plain_uri(to_uri)), key)
            queue = self.pending.get(key)
        if not queue:
            log.info("answer %s to a MESSAGE we do not know (to %s)", code, to_uri)
            return
        message_id = queue.popleft()
        if not queue:
            del self.pending[key]
        self._status(message_id, account_name, key[1], code, reason)

    def _status(self, message_id: int, account: str, uri: str, code: int, reason: str) -> None:
        self.session.emit(ev.MessageStatus(
            at=time.time(), message_id=message_id, account=account, remote_uri=uri,
            delivered=200 <= code < 300, code=code, reason=reason))

    # --- accounts going away ------------------------------------------------------------------
    # PJSIP reports every MESSAGE's answer with the account that sent it; pjsua2 aborts the
    # process (an assertion) when that account was deleted meanwhile. So an account is
    # deleted only once its MESSAGEs are answered.

    def pending_for(self, name: str) -> bool:
        return any(k[0] == name for k in self.pending)

    def account_removed(self, name: str) -> None:
        """Drop the account's buddies (its MESSAGEs in flight stay tracked)."""
        for buddy_key in [k for k in self.buddies if k[0] == name]:
            self.session.graveyard.append(self.buddies.pop(buddy_key))

    def retire(self, account: Any, name: str) -> bool:
        """Take over deleting a removed account whose MESSAGEs are in flight (True); it is
        unregistered now and deleted by :meth:`tick` once they are answered."""
        if not self.pending_for(name):
            return False
        with contextlib.suppress(pj.Error):
            account.setRegistration(False)
        self.closing.append((account, name, time.monotonic() + RETIRE_WAIT))
        return True

    def tick(self) -> None:
        if not self.closing:
            return
        now = time.monotonic()
        still = []
        for account, name, deadline in self.closing:
            if self.pending_for(name) and now < deadline and name not in self.session.accounts:
                still.append((account, name, deadline))
                continue
            with contextlib.suppress(pj.Error):
                account.shutdown()
            self.session.retired_accounts.append(account)
        self.closing = still

    def finish(self, ep: Any) -> tuple[set[str], list[Any]]:
        """At shutdown: give MESSAGEs in flight :data:`FINISH_WAIT` to be answered. Returns
        the accounts (names) that still wait, which must outlive libDestroy (it reports their
        MESSAGEs), and the removed accounts not deleted yet (the same)."""
        for buddy_key in list(self.buddies):
            self.session.graveyard.append(self.buddies.pop(buddy_key))
        until = time.monotonic() + FINISH_WAIT
        while self.pending and time.monotonic() < until:
            ep.libHandleEvents(10)
        waiting = {k[0] for k in self.pending}
        closing = [account for account, _name, _deadline in self.closing]
        self.closing = []
        return waiting, closing

    # --- arrivals -----------------------------------------------------------------------------
    def on_incoming(self, account_name: str, from_uri: str, content_type: str,
                    body: str) -> None:
        display, uri = parse_name_addr(from_uri)
        uri = plain_uri(uri)
        self.session.emit(ev.MessageReceived(
            at=time.time(), account=account_name, remote_uri=uri, display_name=display,
            number=number_from_uri(uri), body=body, content_type=content_type or "text/plain"))

    def on_mwi(self, account_name: str, whole_message: str, subscribed: bool) -> None:
        summary = parse_message_summary(message_body(whole_message))
        if summary is None:
            return  # the answer to our SUBSCRIBE, or a NOTIFY with no summary yet
        self.session.emit(ev.VoicemailStatus(
            at=time.time(), account=account_name, waiting=summary.waiting, new=summary.new,
            old=summary.old, urgent_new=summary.urgent_new, urgent_old=summary.urgent_old,
            message_account=summary.message_account, subscribed=subscribed))
