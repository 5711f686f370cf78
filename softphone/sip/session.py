"""The SIP session: everything that lives on the SIP thread (Endpoint, transports, accounts).

:class:`softphone.sip.engine.Engine` owns the thread and the public API; this class holds the
pjsua2 objects and turns pjsua2 callbacks into events. Call-level commands live in
:class:`softphone.sip.call_ops.CallOps`, a mixin, to keep each file small.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import heapq
import itertools
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pjsua2 as pj

from softphone.logs import register_secret
from softphone.settings import AccountSettings, CallSettings, SipSettings
from softphone.sip import events as ev
from softphone.sip import invite_guard
from softphone.sip.accounts import (
    AccountState,
    EngineAccount,
    MediaBinding,
    build_account_config,
    enable_office_features,
    host_of,
    server_host,
)
from softphone.sip.audio_guard import GuardedAudio
from softphone.sip.call_media import CallMedia
from softphone.sip.call_ops import CallOps, widest_media_keys
from softphone.sip.call_security import CallSecurity
from softphone.sip.calls import CallRecord, CallTable
from softphone.sip.codecs import (
    DEFAULT_CODECS,
    apply_codec_order,
    register_g7xx_plc,
    register_opus,
)
from softphone.sip.ghost_guard import GhostGuard
from softphone.sip.media_api import NullAudioBackend
from softphone.sip.media_sockets import widest_keys
from softphone.sip.messaging import Messenger
from softphone.sip.nat import stun_servers
from softphone.sip.pjlog import PythonLogWriter, pj_level_for
from softphone.sip.pjlog import log as pjsip_log
from softphone.sip.presence import PresenceBook
from softphone.sip.refused import EngineEndpoint, RefusedCalls, account_by_uri
from softphone.sip.resolver import HostResolver
from softphone.sip.server_watch import ServerWatch
from softphone.sip.transports import create_transport
from softphone.sip.uris import InvalidTarget

log = logging.getLogger("softphone.sip")

POLL_INTERVAL = 0.1
QUALITY_INTERVAL = 1.0
UNPUBLISH_WAIT = 0.4  # seconds PJSIP gets at shutdown to withdraw our published presence
# The wheel is built with PJSUA_MAX_CALLS=4: pjsua caps maxCalls there whatever we ask (a 5th
# call gets PJ_ETOOMANY, a 5th INVITE 486), so ask for what we get.
MAX_CALLS = 4


class SessionError(Exception):
    """Start-up failed (port in use, bad address); the message is fit for a user."""


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at /dev/null for a moment (C stdio writes there directly)."""
    try:
        libc = ctypes.CDLL(None)
        libc.fflush(None)
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    if sys.stdout is not None:
        sys.stdout.flush()
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def pj_error_text(exc: BaseException) -> str:
    if isinstance(exc, pj.Error):
        return str(exc.reason or exc.info())
    return str(exc)


class SipSession:
    """What lives on the SIP thread: the Endpoint and its transports, the accounts, the loop's
    timers, and the parts a call uses (``calls``: the call table; ``call_ops``: commands and
    callbacks; ``media``: recording, conference, figures; ``security``: encrypted media).
    Each part gets what it needs here; each pjsua2 callback class sees a small Protocol."""

    def __init__(
        self,
        sip: SipSettings,
        accounts: Sequence[AccountSettings],
        calls: CallSettings,
        audio: NullAudioBackend,
        recordings_dir: Path | None,
        emit: Callable[[ev.SipEvent], None],
        allocate_call_id: Callable[[], int],
        post: Callable[[Callable[[], None]], None],
        codecs: Sequence[str] = DEFAULT_CODECS,
    ) -> None:
        self.sip = sip
        self.codecs = tuple(codecs)
        self.initial_accounts = list(accounts)
        self.call_settings = calls
        self.audio = GuardedAudio(audio)
        self.recordings_dir = recordings_dir
        self.emit = emit
        self.allocate_call_id = allocate_call_id
        self.post = post
        self.resolver = HostResolver(post)
        self.ep: Any | None = None
        self.log_writer: PythonLogWriter | None = None
        self.transports: dict[str, int] = {}
        self.tls_transports: dict[bool, int] = {}
        self.listen = ""
        self.accounts: dict[str, AccountState] = {}
        self.graveyard: list[Any] = []  # pjsua2 objects to drop outside their own callback
        self.retired_accounts: list[EngineAccount] = []  # removed, alive until shutdown
        self.guard = GhostGuard()
        self.server_watch = ServerWatch(self.resolver, self.schedule, self.register)
        self.stun_servers: list[str] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._next_poll = 0.0
        self._next_quality = 0.0
        self.audio_started = False
        # the calls' parts
        self.table = CallTable(emit)
        self.calls: dict[int, CallRecord] = self.table.calls
        self.media = CallMedia(self.table, self.audio, emit, recordings_dir, self.handle_events)
        self.security = CallSecurity(self.accounts, emit, self.schedule)
        self.call_ops = CallOps(
            table=self.table, media=self.media, security=self.security, accounts=self.accounts,
            audio=self.audio, guard=self.guard, resolver=self.resolver, call_settings=calls,
            allocate_call_id=allocate_call_id, schedule=self.schedule, emit=emit,
            graveyard=self.graveyard)
        self.presence = PresenceBook(self)  # colleagues' presence, our published state
        self.messenger = Messenger(self)  # chat (MESSAGE) and message-waiting

    @property
    def call_settings(self) -> CallSettings:
        return self._call_settings

    @call_settings.setter
    def call_settings(self, calls: CallSettings) -> None:
        """Replaced as a whole (the engine's set_call_settings): one store each."""
        self._call_settings = calls
        if "call_ops" in self.__dict__:
            self.call_ops.call_settings = calls

    # the account callbacks' calls (EngineAccount sees the session as AccountCallbacks)
    def on_incoming_call(self, account: EngineAccount, pj_call_id: int, whole_msg: str,
                         source: str = "") -> None:
        self.call_ops.on_incoming_call(account, pj_call_id, whole_msg, source)

    # --- lifecycle -----------------------------------------------------------------------
    def open(self) -> str:
        """Create the Endpoint and transports on this (the SIP) thread; returns host:port."""
        ep = EngineEndpoint()
        self.ep = ep
        # calls pjsua refuses before any account sees them (no common codec): still logged
        refused = RefusedCalls(
            self.emit, lambda host: (not self.call_settings.only_from_my_servers
                                     or self.guard.source_allowed(host)),
            lambda to_uri: account_by_uri(
                ((n, st.settings.address) for n, st in self.accounts.items()), to_uri),
            lambda account: self.security.srtp_mode_of(account) == "mandatory")
        def on_refused(code: int, reason: str, message: str, source: str) -> None:
            if code == 488:
                # refused after pjsua had opened (and closed) media for it
                self.call_ops.key_ledger.released(widest_media_keys(self.accounts))
            elif code == 486:
                self.call_ops.stack_refused_busy(source, message)
            refused.on_rejected(code, reason, message, source)

        ep.on_refused = on_refused
        with _stdout_silenced():
            # libCreate prints a banner to stdout before any log configuration applies.
            ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        # Few calls at once (a desktop phone), which also bounds PJSIP's socket use.
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.uaConfig.userAgent = self.sip.user_agent
        self.log_writer = PythonLogWriter()
        cfg.logConfig.writer = self.log_writer
        level = pj_level_for(pjsip_log)
        cfg.logConfig.level = level
        cfg.logConfig.consoleLevel = level
        # Keep RTP flowing in silence: recordings and the far end's jitter buffer want frames.
        cfg.medConfig.noVad = True
        # The conference bridge's resampling (a call at 8 or 48 kHz against its 16 kHz clock)
        # with pjsua's default quality 8 (large filter) cost 3.4 ms of CPU per call-second here,
        # a fifth of the whole call; 4 takes the small filter: the same PESQ through G.711
        # (bench/README.md). It also sets the speex codec's quality to 4.
        cfg.medConfig.quality = 4
        ep.libInit(cfg)
        register_opus(pj)
        register_g7xx_plc(pj)
        self.set_codecs(self.codecs)
        udp_port = self._create_transport("udp", self.sip.listen_port)
        try:
            self._create_transport("tcp", udp_port)
        except SessionError:
            # TCP on the same number is a nicety (peers may try it); any port will do.
            log.warning("TCP port %s is taken; listening for TCP on another port", udp_port)
            self._create_transport("tcp", 0)
        ep.libStart()
        invite_guard.apply(widest_keys(self.initial_accounts))
        self._update_stun_servers(self.initial_accounts)
        try:
            ep.audDevManager().setNullDev()
        except pj.Error:
            log.debug("no null audio device to select")
        self.audio.start(ep, self.emit)
        self.audio_started = True
        return self.listen

    def set_codecs(self, codecs: Sequence[str]) -> None:
        """Offer codecs in the settings' order (Opus, G.722, PCMA, PCMU by default). PJSIP's
        own default puts speex first, which few peers offer and which mangles anything but
        speech (DTMF tones, hold music, mixed conference audio)."""
        assert self.ep is not None
        self.codecs = tuple(codecs)
        try:
            first = apply_codec_order(self.ep, self.codecs)
        except pj.Error as exc:
            log.warning("could not set the codec order: %s", pj_error_text(exc))
            return
        log.info("codecs offered first: %s", ", ".join(first))

    def open_accounts(self) -> None:
        """Create the configured accounts (after EngineStarted, so events come in order)."""
        for settings in self.initial_accounts:
            self._add_account(settings)

    def _create_transport(self, kind: str, port: int, verify_server: bool = True) -> int:
        assert self.ep is not None
        host = self.sip.listen_host
        try:
            tid, local, bound_port = create_transport(self.ep, kind, host, port, verify_server)
        except pj.Error as exc:
            raise SessionError(
                f"cannot listen for SIP ({kind.upper()}) on {host}:{port}: {pj_error_text(exc)}"
            ) from None
        if kind == "tls":
            self.tls_transports[verify_server] = tid
        else:
            self.transports[kind] = tid
        if kind == "udp":
            self.listen = local
        log.info("listening for SIP over %s on %s", kind.upper(), local)
        return bound_port

    def transport_for(self, settings: AccountSettings) -> int:
        if settings.transport == "tls":
            verify = settings.tls_verify
            if verify not in self.tls_transports:
                self._create_transport("tls", 0, verify_server=verify)
            return self.tls_transports[verify]
        return self.transports[settings.transport]

    def close(self, timeout: float) -> None:
        """Orderly shutdown, in the order that never aborts the process (see recipes)."""
        ep = self.ep
        if ep is None:
            return
        deadline = time.monotonic() + max(0.5, min(timeout / 2, 5.0))
        for record in list(self.calls.values()):
            if record.call is not None and not record.ended:
                try:
                    record.local_hangup = True
                    record.call.hangup(pj.CallOpParam())
                except pj.Error:
                    pass
        while time.monotonic() < deadline and any(
            r.call is not None and not r.ended for r in self.calls.values()
        ):
            ep.libHandleEvents(20)
        local = self.audio.local_source() if self.audio_started else None
        for record in list(self.calls.values()):
            self.media.release_recording(record, local)  # libDestroy finalises it
            record.media = None
            record.call = None
        local = None
        if self.audio_started:
            try:
                self.audio.stop()
            except Exception:
                log.exception("audio backend failed to stop")
        self.calls.clear()
        self.presence.close()  # buddies go before their accounts
        # MESSAGEs still in flight: their accounts outlive libDestroy (see messaging.py)
        waiting, outliving = self.messenger.finish(ep)
        self.graveyard.clear()
        self.media.conference_ids.clear()
        gc.collect()
        publishing = False
        for state in self.accounts.values():
            if state.account is not None:
                publishing |= state.settings.publishes_presence and not state.settings.is_lan
                if state.name in waiting:
                    outliving.append(state.account)
                else:
                    with contextlib.suppress(pj.Error):
                        state.account.shutdown()
                state.account = None
        if publishing:
            # The un-PUBLISH answers the server's digest challenge first: without this
            # moment colleagues would see us available until the publication expires.
            until = time.monotonic() + UNPUBLISH_WAIT
            while time.monotonic() < until:
                ep.libHandleEvents(10)
        self.retired_accounts.clear()
        gc.collect()
        try:
            ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
        finally:
            self.ep = None
            # deleted after libDestroy: pjsua has forgotten every account by then, so their
            # shutdown() does nothing
            outliving.clear()

    # --- the loop's housekeeping ---------------------------------------------------------
    def handle_events(self, max_ms: int) -> None:
        assert self.ep is not None
        self.ep.libHandleEvents(max_ms)

    def tick(self) -> None:
        """Run due timers, drop dead pjsua2 objects, poll audio and refresh call figures."""
        if self.graveyard:
            self.graveyard.clear()
        if self.media.finalizing:
            self.media.check_finalized_recordings()
        now = time.monotonic()
        self.presence.tick()
        self.messenger.tick()
        while self._timers and self._timers[0][0] <= now:
            _due, _seq, fn = heapq.heappop(self._timers)
            try:
                fn()
            except Exception as exc:
                log.exception("timer failed")
                self.emit(ev.EngineError(at=time.time(), message=pj_error_text(exc)))
        if now >= self._next_poll:
            self._next_poll = now + POLL_INTERVAL
            try:
                self.audio.poll()
            except Exception:
                log.exception("audio poll failed")
        if now >= self._next_quality:
            self._next_quality = now + QUALITY_INTERVAL
            self.media.refresh_quality()

    def wait_ms(self, longest: int) -> int:
        """How long the loop may sleep in libHandleEvents: until the next timer, audio poll
        or quality refresh is due (PJSIP caps it by its own timers), at most ``longest``."""
        due = min(self._next_poll, self._next_quality)
        if self._timers:
            due = min(due, self._timers[0][0])
        if self.media.finalizing:  # a recording's WAV header is awaited: look again soon
            longest = min(longest, 10)
        return max(0, min(longest, math.ceil((due - time.monotonic()) * 1000.0)))

    def schedule(self, delay: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), fn))

    # --- accounts ------------------------------------------------------------------------
    def _add_account(self, settings: AccountSettings) -> AccountState:
        state = AccountState(settings=settings)
        self.accounts[settings.name] = state
        if not settings.enabled:
            self._emit_reg(state, ev.RegistrationState.UNREGISTERED, reason="disabled")
            return state
        register_secret(settings.password)  # before PJSIP can log anything about it
        register_secret(settings.turn_password)
        host = self.sip.listen_host
        media = MediaBinding(
            bound_address="" if host in ("", "0.0.0.0", "::") else host,
            rtp_port=self.sip.rtp_port,
            rtp_port_count=self.sip.rtp_port_count,
        )
        account = EngineAccount(self, settings.name)
        try:
            tid = self.transport_for(settings)
            cfg = build_account_config(settings, tid, self.listen, media)
            enable_office_features(cfg, settings)
            account.create(cfg, not any(s.account for s in self.accounts.values()))
        except (pj.Error, SessionError, InvalidTarget) as exc:
            # One bad account must not take the others (or the engine) down with it.
            reason = pj_error_text(exc)
            log.warning("account %s cannot be used: %s", settings.name, reason)
            self._emit_reg(state, ev.RegistrationState.FAILED, reason=reason)
            self.emit(ev.EngineError(at=time.time(), command="set_accounts",
                                     message=f"Account {settings.name}: {reason}"))
            return state
        state.account = account
        self.presence.account_added(state)
        if settings.is_lan:
            self.guard.set_lan(True)
            self._emit_reg(state, ev.RegistrationState.LAN)
        else:
            self.register(settings.name)
        return state

    def _remove_account(self, state: AccountState) -> None:
        state.want_registered = False
        state.retry_token += 1
        account = state.account
        self.presence.account_removed(state.name)
        self.messenger.account_removed(state.name)
        self.graveyard.clear()  # their buddies, before the account
        state.account = None
        if account is not None and not self.messenger.retire(account, state.name):
            with contextlib.suppress(pj.Error):
                account.shutdown()
            # Calls made on it keep a C++ reference to it: keep the object until shutdown.
            self.retired_accounts.append(account)
        self.accounts.pop(state.name, None)
        self.guard.forget_account(state.name)
        self.server_watch.forget(state.name)
        self.guard.set_lan(any(s.settings.is_lan and s.account is not None
                               for s in self.accounts.values()))

    def _update_stun_servers(self, accounts: Sequence[AccountSettings]) -> None:
        """PJSIP's one list of STUN servers (media only; SIP learns its public address from
        the registrar's answers): resolved in the background, awaited by the first call."""
        servers = stun_servers(accounts)
        if servers == self.stun_servers or self.ep is None:
            return
        vector = pj.StringVector()
        for server in servers:
            vector.append(server)
        try:
            self.ep.natUpdateStunServers(vector, False)
            self.stun_servers = servers
            log.info("STUN servers: %s", ", ".join(servers) or "none")
        except pj.Error as exc:
            log.warning("STUN servers %s not usable: %s", servers, pj_error_text(exc))

    def set_accounts(self, accounts: Sequence[AccountSettings]) -> None:
        invite_guard.apply(widest_keys(accounts))
        self._update_stun_servers(accounts)
        wanted = {a.name: a for a in accounts}
        for name, state in list(self.accounts.items()):
            if wanted.get(name) != state.settings:
                self._remove_account(state)
                if name not in wanted:
                    self._emit_reg(state, ev.RegistrationState.UNREGISTERED, reason="removed")
        for settings in accounts:
            if settings.name not in self.accounts:
                self._add_account(settings)
        # Calls that match no account go to the default one: the first usable account.
        for state in self.accounts.values():
            if state.account is not None:
                with contextlib.suppress(pj.Error):
                    state.account.setDefault()
                break

    def account_state(self, name: str) -> AccountState:
        state = self.accounts.get(name)
        if state is None:
            raise KeyError(f"no account named {name!r}")
        return state

    def _emit_reg(
        self, state: AccountState, reg: ev.RegistrationState, code: int = 0, reason: str = "",
        expires: int = 0, next_retry_in: float | None = None,
    ) -> None:
        self.emit(ev.RegistrationChanged(
            at=time.time(), account=state.name, state=reg, code=code, reason=reason,
            expires=expires, next_retry_in=next_retry_in,
        ))

    def register(self, name: str) -> None:
        state = self.account_state(name)
        if state.account is None:
            return
        if state.settings.is_lan:
            self._emit_reg(state, ev.RegistrationState.LAN)
            return
        state.want_registered = True
        state.retry_token += 1
        token = state.retry_token
        self._emit_reg(state, ev.RegistrationState.REGISTERING)
        host = server_host(state.settings)
        if host and self.resolver.needs_lookup(host):
            self.resolver.resolve(host, lambda error: self._register_resolved(state, token, error))
        else:
            self._register_resolved(state, token, None)

    def _register_resolved(self, state: AccountState, token: int, error: str | None) -> None:
        if token != state.retry_token or not state.want_registered or state.account is None:
            return  # cancelled, replaced or unregistered meanwhile
        if error is not None:
            self._registration_failed(state, 0, error)
            return
        self._note_servers(state)
        try:
            state.account.setRegistration(True)
        except pj.Error as exc:
            if token == state.retry_token:  # not already reported through onRegState
                self._registration_failed(state, 0, pj_error_text(exc))

    def _note_servers(self, state: AccountState) -> None:
        """Tell the ghost-call guard where this account's calls may come from: its
        registrar's and outbound proxy's addresses (names are resolved off this thread)."""
        for uri in (state.settings.outbound_proxy, state.settings.registrar):
            host = host_of(uri)
            if not host:
                continue
            known = self.resolver.addresses(host)
            if known:
                self.guard.add_server_addresses(state.name, known)
            elif self.resolver.needs_lookup(host):
                def resolved(error: str | None, host: str = host) -> None:
                    if error is None and state.name in self.accounts:
                        self.guard.add_server_addresses(state.name,
                                                        self.resolver.addresses(host))
                self.resolver.resolve(host, resolved)

    def _registration_failed(self, state: AccountState, code: int, reason: str) -> None:
        delay = state.backoff.next_delay(code)
        state.retry_token += 1
        token = state.retry_token

        def retry() -> None:
            if token == state.retry_token and state.want_registered:
                self.register(state.name)

        self.schedule(delay, retry)
        self._emit_reg(state, ev.RegistrationState.FAILED, code=code, reason=reason,
                       next_retry_in=delay)

    def unregister(self, name: str) -> None:
        state = self.account_state(name)
        state.want_registered = False
        state.retry_token += 1
        self.server_watch.forget(name)
        if state.settings.is_lan or state.account is None:
            return
        try:
            active = bool(state.account.getInfo().regIsActive)
            if active:
                state.account.setRegistration(False)
                return
        except pj.Error as exc:
            log.info("unregister %s: %s", name, pj_error_text(exc))
        self._emit_reg(state, ev.RegistrationState.UNREGISTERED)

    def on_reg_state(self, name: str, code: int, reason: str, expiration: int,
                     source: str = "") -> None:
        state = self.accounts.get(name)
        if state is None:
            return
        if source and 200 <= code < 300:
            # Where the registrar really answers from (a name may have several addresses).
            self.guard.add_server_addresses(name, [source])
        if 200 <= code < 300 and expiration > 0:
            if not state.want_registered and state.account is not None:
                # The server said yes after the user asked to unregister: undo it.
                with contextlib.suppress(pj.Error):
                    state.account.setRegistration(False)
                return
            state.backoff.reset()
            self.server_watch.registered(name, server_host(state.settings), source)
            self._emit_reg(state, ev.RegistrationState.REGISTERED, code=code, reason=reason,
                           expires=expiration)
        elif (200 <= code < 300) or not state.want_registered:
            self._emit_reg(state, ev.RegistrationState.UNREGISTERED, code=code, reason=reason)
        else:
            self._registration_failed(state, code, reason)
