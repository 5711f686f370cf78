"""Colleagues' presence over SIP (SUBSCRIBE/NOTIFY, pjsua2 buddies) and our own state.

:class:`PresenceBook` lives on the SIP thread (the session owns it). Per account it keeps one
subscribing :class:`WatchedBuddy` for every colleague (the account's ``colleagues`` setting
plus what the app adds with ``Engine.watch_presence``: colleagues from the CRM) and turns
their NOTIFYs into :class:`~softphone.sip.events.BuddyPresence` events.

Our own state (available, on the phone, do not disturb) follows the calls and the DND rule:
:meth:`PresenceBook.tick` publishes a change through ``Account.setOnlineStatus``, which PJSIP
sends as PUBLISH to the server (accounts with ``publishes_presence``) and as NOTIFY to anyone
subscribed to us directly (a LAN colleague, or a proxy without a presence server).

PJSIP's PIDF parser knows RPID's ``away`` and ``busy`` activities and the note; the note tells
"on the phone" from "do not disturb" (ours are the fixed English :data:`NOTES`, so any
language's UI can read them).
"""

from __future__ import annotations

import contextlib
import logging
import time
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import pjsua2 as pj

from softphone.sip import events as ev
from softphone.sip.events import CallState, Direction
from softphone.sip.uris import InvalidTarget, account_domain, target_to_uri

if TYPE_CHECKING:
    from softphone.settings import AccountSettings, CallSettings
    from softphone.sip.accounts import AccountState
    from softphone.sip.calls import CallRecord

log = logging.getLogger("softphone.sip")

#: what we publish as the PIDF note for each of our states
NOTES = {"available": "Available", "in_call": "On the phone", "dnd": "Do not disturb",
         "away": "Away"}
_DND_WORDS = ("do not disturb", "dnd", "не беспокоить")
_CALL_WORDS = ("on the phone", "on a call", "in a call", "talking", "busy", "на звонке",
               "разговаривает")
_AWAY_WORDS = ("away", "idle", "be right back", "out to lunch", "отошёл", "отошел")
#: a terminated subscription is tried again after this long (seconds), doubling to the cap
RESUBSCRIBE_FIRST = 15.0
RESUBSCRIBE_MAX = 300.0


def presence_state(online: int, activity: int, note: str) -> str:
    """Our five states from PJSIP's view of a PIDF document.

    Args:
        online: ``pj.PJSUA_BUDDY_STATUS_*``.
        activity: ``pj.PJRPID_ACTIVITY_*``.
        note: the document's note (free text, any language).
    """
    text = note.strip().lower()
    if online == pj.PJSUA_BUDDY_STATUS_OFFLINE:
        return "offline"
    if online != pj.PJSUA_BUDDY_STATUS_ONLINE:
        return "unknown"
    if any(w in text for w in _DND_WORDS):
        return "dnd"
    if activity == pj.PJRPID_ACTIVITY_BUSY or any(w in text for w in _CALL_WORDS):
        return "in_call"
    if activity == pj.PJRPID_ACTIVITY_AWAY or any(w in text for w in _AWAY_WORDS):
        return "away"
    return "available"


def colleague_uri(settings: AccountSettings, target: str) -> str:
    """A colleague's SIP URI: as given, or an extension on the account's server."""
    return target_to_uri(target, account_domain(settings.address), settings.transport)


class WatchedBuddy(pj.Buddy):  # type: ignore[misc]  # pjsua2 ships no type stubs
    """One colleague an account subscribes to; callbacks only report to the book."""

    def __init__(self, book: PresenceBook, account: str, uri: str) -> None:
        super().__init__()
        self.book = book
        self.account = account
        self.uri = uri
        self.retry_delay = RESUBSCRIBE_FIRST
        self.retry_token = 0

    def onBuddyState(self) -> None:
        try:
            self.book.on_buddy_state(self)
        except Exception:
            log.exception("buddy state callback failed")

    def onBuddyEvSubState(self, prm: Any) -> None:
        try:
            self.book.on_buddy_state(self)
        except Exception:
            log.exception("buddy subscription callback failed")


class PresenceHost(Protocol):
    """What the :class:`PresenceBook` uses of the session."""

    call_settings: CallSettings
    accounts: dict[str, AccountState]
    calls: dict[int, CallRecord]
    graveyard: list[Any]  # pjsua2 objects to drop outside their own callback
    emit: Callable[[ev.SipEvent], None]

    def schedule(self, delay: float, fn: Callable[[], None]) -> None: ...


class PresenceBook:
    """Buddies per account and our published state (SIP thread only)."""

    def __init__(self, session: PresenceHost) -> None:
        self.session = session
        self.buddies: dict[str, dict[str, WatchedBuddy]] = {}
        self.extra: dict[str, tuple[str, ...]] = {}  # Engine.watch_presence, per account
        self.last: dict[tuple[str, str], ev.BuddyPresence] = {}
        self.own_state = ""
        self.published: dict[str, str] = {}  # account -> the state it last set

    # --- our own state ------------------------------------------------------------------------
    def current_state(self) -> str:
        if self.session.call_settings.dnd:
            return "dnd"
        for record in self.session.calls.values():
            if record.ended or record.silent or record.state is None:
                continue
            ringing_here = record.direction == Direction.INCOMING and record.state in (
                CallState.INCOMING, CallState.EARLY)
            if not ringing_here and record.state is not CallState.DISCONNECTED:
                return "in_call"
        return "available"

    def tick(self) -> None:
        """Publish our state when it changed (cheap: a few calls and one flag)."""
        state = self.current_state()
        if state == self.own_state:
            return
        self.own_state = state
        for account_state in list(self.session.accounts.values()):
            self.publish(account_state)

    def publish(self, account_state: AccountState) -> None:
        account = account_state.account
        state = self.own_state or self.current_state()
        if account is None or self.published.get(account_state.name) == state:
            return
        status = pj.PresenceStatus()
        status.status = pj.PJSUA_BUDDY_STATUS_ONLINE
        status.activity = {"in_call": pj.PJRPID_ACTIVITY_BUSY, "dnd": pj.PJRPID_ACTIVITY_BUSY,
                           "away": pj.PJRPID_ACTIVITY_AWAY}.get(state,
                                                                pj.PJRPID_ACTIVITY_UNKNOWN)
        status.note = NOTES[state]
        try:
            account.setOnlineStatus(status)
        except pj.Error as exc:
            log.info("presence of %s not set: %s", account_state.name, exc.info())
            return
        self.published[account_state.name] = state
        log.debug("presence of %s: %s", account_state.name, state)

    # --- accounts -----------------------------------------------------------------------------
    def account_added(self, account_state: AccountState) -> None:
        self.published.pop(account_state.name, None)
        if not self.own_state:
            self.own_state = self.current_state()
        self.publish(account_state)
        self._sync(account_state)

    def account_removed(self, name: str) -> None:
        """Drop the account's buddies (before the account itself is shut down)."""
        self.published.pop(name, None)
        for buddy in self.buddies.pop(name, {}).values():
            self._drop(buddy)
        for key in [k for k in self.last if k[0] == name]:
            del self.last[key]

    def watch(self, name: str, targets: Iterable[str]) -> None:
        """Colleagues to watch on ``name`` besides its settings' (Engine.watch_presence)."""
        self.extra[name] = tuple(dict.fromkeys(t.strip() for t in targets if t.strip()))
        state = self.session.accounts.get(name)
        if state is not None:
            self._sync(state)

    def wanted_uris(self, account_state: AccountState) -> dict[str, str]:
        """URI -> what was configured, for the account's colleagues (bad entries skipped)."""
        settings = account_state.settings
        own = settings.address.split(";", 1)[0].lower()
        out: dict[str, str] = {}
        for target in (*settings.colleagues, *self.extra.get(settings.name, ())):
            try:
                uri = colleague_uri(settings, target)
            except InvalidTarget as exc:
                log.info("colleague %r of %s skipped: %s", target, settings.name, exc)
                continue
            if uri.split(";", 1)[0].lower() != own:
                out.setdefault(uri, target)
        return out

    def _sync(self, account_state: AccountState) -> None:
        name = account_state.name
        have = self.buddies.setdefault(name, {})
        wanted = self.wanted_uris(account_state) if account_state.account is not None else {}
        for uri in [u for u in have if u not in wanted]:
            self._drop(have.pop(uri))
            self.last.pop((name, uri), None)
        for uri in wanted:
            if uri not in have:
                buddy = self._create(account_state, uri)
                if buddy is not None:
                    have[uri] = buddy

    def _create(self, account_state: AccountState, uri: str) -> WatchedBuddy | None:
        buddy = WatchedBuddy(self, account_state.name, uri)
        cfg = pj.BuddyConfig()
        cfg.uri = uri
        cfg.subscribe = True
        try:
            buddy.create(account_state.account, cfg)
        except pj.Error as exc:
            reason = str(exc.reason or exc.info())
            log.info("cannot watch %s on %s: %s", uri, account_state.name, reason)
            self._emit(ev.BuddyPresence(at=time.time(), account=account_state.name, uri=uri,
                                        state="unknown", note=reason, subscription="error"))
            return None
        return buddy

    def _drop(self, buddy: WatchedBuddy) -> None:
        buddy.retry_token += 1
        # Deleted (which unsubscribes) outside any callback of its own: the session's
        # graveyard, emptied at the next tick and before the accounts shut down.
        self.session.graveyard.append(buddy)

    def close(self) -> None:
        for name in list(self.buddies):
            self.account_removed(name)

    # --- callbacks ----------------------------------------------------------------------------
    def on_buddy_state(self, buddy: WatchedBuddy) -> None:
        if self.buddies.get(buddy.account, {}).get(buddy.uri) is not buddy:
            return  # dropped meanwhile
        info = buddy.getInfo()
        status = info.presStatus
        state = presence_state(int(status.status), int(status.activity), str(status.note))
        sub = str(info.subStateName or "").lower()
        code = int(info.subTermCode or 0)
        terminated = int(info.subState) == pj.PJSIP_EVSUB_STATE_TERMINATED
        if terminated and state == "unknown" and code in (404, 410, 480):
            state = "offline"  # nobody there to answer for them
        if int(info.subState) == pj.PJSIP_EVSUB_STATE_ACTIVE:
            buddy.retry_delay = RESUBSCRIBE_FIRST
        event = ev.BuddyPresence(at=time.time(), account=buddy.account, uri=buddy.uri,
                                 state=state, note=str(status.note or ""), subscription=sub,
                                 code=code)
        key = (buddy.account, buddy.uri)
        before = self.last.get(key)
        if before is not None and (before.state, before.note, before.subscription,
                                   before.code) == (state, event.note, sub, code):
            return
        self.last[key] = event
        if terminated:
            self._resubscribe_later(buddy)
        self._emit(event)

    def _resubscribe_later(self, buddy: WatchedBuddy) -> None:
        """A refused or ended subscription is tried again (a colleague's phone or the server
        may come back); the delay doubles up to :data:`RESUBSCRIBE_MAX`."""
        buddy.retry_token += 1
        token = buddy.retry_token
        delay = buddy.retry_delay
        buddy.retry_delay = min(RESUBSCRIBE_MAX, delay * 2)
        # weak: a pending timer must not keep a pjsua2 object alive past libDestroy
        ref = weakref.ref(buddy)

        def again() -> None:
            target = ref()
            if target is None or token != target.retry_token or self.buddies.get(
                    target.account, {}).get(target.uri) is not target:
                return
            with contextlib.suppress(pj.Error):
                target.subscribePresence(True)

        self.session.schedule(delay, again)

    def _emit(self, event: ev.SipEvent) -> None:
        self.session.emit(event)
