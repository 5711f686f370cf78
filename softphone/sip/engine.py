"""The SIP engine: one SIP thread that owns the pjsua2 Endpoint, and a thread-safe command API.

Every public method may be called from any thread and returns at once: input errors raise
here (``InvalidTarget``), everything else is queued to the SIP thread and reports back
through events (an :class:`~softphone.sip.events.EngineError` event when a command fails).
The listener is called on the SIP thread and must return quickly. Events raised while PJSIP
works (inside its callbacks) reach it when that step of the SIP loop is done, in order.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from softphone.logs import register_secret
from softphone.settings import AccountSettings, CallSettings, SipSettings, default_lan_account
from softphone.sip import events as ev
from softphone.sip.call_media import default_recordings_dir, recording_path
from softphone.sip.calls import CallError
from softphone.sip.codecs import DEFAULT_CODECS
from softphone.sip.media_api import NullAudioBackend
from softphone.sip.uris import InvalidTarget, account_domain, parse_sip_uri, target_to_uri

if TYPE_CHECKING:
    from softphone.sip.account_probe import ProbeResult
    from softphone.sip.session import SipSession

__all__ = ["Engine", "EngineError", "InvalidTarget"]

log = logging.getLogger("softphone.sip")
T = TypeVar("T")
Listener = Callable[[ev.SipEvent], None]

_DTMF_RE = re.compile(r"^[0-9*#A-Da-d]+$")
# Longest libHandleEvents wait when nothing is due. Commands wake the loop at once (_wake) and
# the session shortens the wait to its next timer, audio poll or quality refresh, so this only
# bounds how often an idle SIP thread turns (CPU) and how late a command is when a wake fails.
EVENT_WAIT_MS = 100


_endpoint_lock = threading.Lock()
_endpoint_owner: Engine | None = None  # the Engine whose SIP thread owns the one Endpoint


class EngineError(Exception):
    """The engine cannot start, is not running, or a command is not possible."""


class Engine:
    """The phone without a window. See the module docstring for the threading contract."""

    def __init__(
        self,
        sip: SipSettings,
        accounts: Sequence[AccountSettings],
        calls: CallSettings,
        listener: Listener,
        *,
        audio: NullAudioBackend | None = None,
        recordings_dir: Path | None = None,
        codecs: Sequence[str] | None = None,
    ) -> None:
        self._sip = sip
        self._codecs: tuple[str, ...] = tuple(codecs) if codecs else DEFAULT_CODECS
        self._accounts: list[AccountSettings] = list(accounts) or [default_lan_account()]
        _check_accounts(self._accounts)
        self._call_settings = calls
        self._listener = listener
        self._audio = audio if audio is not None else NullAudioBackend()
        self._recordings_dir = recordings_dir
        self._lock = threading.Lock()
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._call_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._registrations: dict[str, ev.RegistrationChanged] = {}
        self._call_states: dict[int, ev.CallStateChanged] = {}
        # Events raised on the SIP thread wait here until the loop step that raised them ends
        # (see _publish); only the SIP thread touches the list.
        self._pending: list[ev.SipEvent] = []
        self._thread: threading.Thread | None = None
        self._session: SipSession | None = None
        self._stop_requested = threading.Event()
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._running = False
        self._listen = ""
        self._waker: socket.socket | None = None

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def audio(self) -> NullAudioBackend:
        return self._audio

    @property
    def listen_address(self) -> str:
        """``host:port`` actually bound (the real port when the settings asked for 0)."""
        return self._listen

    @property
    def running(self) -> bool:
        return self._running

    def start(self, timeout: float = 10.0) -> None:
        """Start the SIP thread and bind transports; raises EngineError when that fails."""
        global _endpoint_owner
        if self._thread is not None:
            raise EngineError("the engine was already started")
        with _endpoint_lock:
            # A second pjsua2 Endpoint in one process aborts it: refuse instead.
            if _endpoint_owner is not None:
                raise EngineError("another SIP engine is already running in this process")
            _endpoint_owner = self
        self._thread = threading.Thread(target=self._run, name="sip", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            self._stop_requested.set()
            raise EngineError(f"the SIP engine did not start within {timeout:.0f} s")
        if self._start_error is not None:
            self._thread.join(timeout)
            raise EngineError(str(self._start_error)) from None

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up every call, unregister and destroy the Endpoint; idempotent."""
        thread = self._thread
        if thread is None:
            return
        self._stop_requested.set()
        self._wake()
        if thread is not threading.current_thread():
            thread.join(timeout)
            with self._lock:
                if self._waker is not None:
                    self._waker.close()
                    self._waker = None
            if thread.is_alive():
                log.error("the SIP thread did not stop within %.0f s", timeout)

    def _run(self) -> None:
        from softphone.sip.session import SipSession

        session = SipSession(
            self._sip, self._accounts, self._call_settings, self._audio, self._recordings_dir,
            emit=self._publish, allocate_call_id=self._next_call_id, post=self._post,
            codecs=self._codecs,
        )
        try:
            self._listen = session.open()
        except Exception as exc:
            log.info("SIP engine failed to start: %s", exc)
            self._start_error = exc
            try:
                session.close(1.0)
            except Exception:
                log.exception("cleanup after a failed start")
            self._flush_events()
            self._release_endpoint()
            self._started.set()
            return
        self._session = session
        self._running = True
        self._started.set()
        self._publish(ev.EngineStarted(at=time.time(), listen=self._listen,
                                       version=_pj_version(session)))
        self._flush_events()
        try:
            session.open_accounts()
            self._flush_events()
            while not self._stop_requested.is_set():
                # Commands first after a wake: a dial waits for no housekeeping.
                self._run_commands()
                session.tick()
                self._flush_events()
                wait = session.wait_ms(EVENT_WAIT_MS) if self._commands.empty() else 0
                session.handle_events(wait)
                self._flush_events()
        except Exception:
            log.exception("the SIP loop failed")
        finally:
            self._running = False
            self._flush_events()
            self._run_commands()  # let pending run_on_sip_thread futures finish
            try:
                session.close(10.0)
            except Exception:
                log.exception("SIP shutdown failed")
            self._flush_events()
            self._session = None
            while True:  # drop queued work (and the session it refers to) on this thread
                try:
                    self._commands.get_nowait()
                except queue.Empty:
                    break
            with self._lock:
                self._call_states.clear()
            self._release_endpoint()
            self._publish(ev.EngineStopped(at=time.time()))
            self._flush_events()

    def _release_endpoint(self) -> None:
        global _endpoint_owner
        with _endpoint_lock:
            if _endpoint_owner is self:
                _endpoint_owner = None

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()
            self._flush_events()

    def _wake(self) -> None:
        """Wake the SIP thread out of libHandleEvents now, instead of when its wait ends:
        a CRLF keep-alive to our own UDP port, which PJSIP reads and ignores."""
        if threading.current_thread() is self._thread or not self._listen:
            return
        try:
            waker = self._waker
            if waker is None:
                with self._lock:
                    if self._waker is None:
                        host, port = self._listen.rsplit(":", 1)
                        host = host.strip("[]")
                        family = socket.AF_INET6 if ":" in host else socket.AF_INET
                        if host in ("0.0.0.0", "::", ""):
                            host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
                        sock = socket.socket(family, socket.SOCK_DGRAM)
                        sock.setblocking(False)
                        sock.connect((host, int(port)))  # no address to look up per send
                        self._waker = sock
                    waker = self._waker
            waker.send(b"\r\n\r\n")
        except OSError:
            pass  # the command still runs, at most EVENT_WAIT_MS later (or stop closed it)

    def _post(self, fn: Callable[[], None]) -> None:
        """Queue a function for the SIP thread (used by the resolver; never raises)."""

        def guarded() -> None:
            if self._stop_requested.is_set():
                return  # shutting down: start nothing new
            try:
                fn()
            except Exception:
                log.exception("posted SIP task failed")

        self._commands.put(guarded)
        self._wake()

    def _next_call_id(self) -> int:
        with self._lock:
            return next(self._call_ids)

    def _publish(self, event: ev.SipEvent) -> None:
        """Remember the latest state at once; hand the event to the listener when the SIP
        loop's current step is done (_flush_events).

        A consumer on another thread wakes on each event and takes the GIL from the SIP
        thread. Raised inside PJSIP's callbacks (CALLING within makeCall; CONNECTING and the
        media update of a 200 OK, before its ACK), each event woke it in the middle of PJSIP's
        work, which then waited for the GIL: the ACK left ~0.1 ms later and makeCall returned
        ~0.5 ms later (bench_engine.py, December 2026). Delivered after the step, the consumer
        wakes once per step while the SIP thread sleeps in libHandleEvents or runs C code.
        Order and ``at`` times are unchanged."""
        with self._lock:
            if isinstance(event, ev.RegistrationChanged):
                self._registrations[event.account] = event
            elif isinstance(event, ev.CallStateChanged):
                if event.state is ev.CallState.DISCONNECTED:
                    self._call_states.pop(event.call_id, None)
                else:
                    self._call_states[event.call_id] = event
        if threading.current_thread() is self._thread:
            self._pending.append(event)
        else:
            self._deliver(event)

    def _flush_events(self) -> None:
        """Hand the events of the loop step that just ended to the listener (SIP thread)."""
        while self._pending:
            events, self._pending = self._pending, []
            for event in events:
                self._deliver(event)

    def _deliver(self, event: ev.SipEvent) -> None:
        try:
            self._listener(event)
        except Exception:
            log.exception("event listener failed on %s", type(event).__name__)

    def _submit(self, name: str, fn: Callable[[SipSession], None],
                call_id: int | None = None) -> None:
        """Queue ``fn(session)``; any failure becomes an EngineError event."""
        if not self._running:
            raise EngineError("the SIP engine is not running")

        def command() -> None:
            session = self._session
            if session is None or self._stop_requested.is_set():
                return  # shutting down: every call is being hung up anyway
            log.debug("command %s (call %s)", name, call_id)
            try:
                fn(session)
            except Exception as exc:
                message = _error_text(exc)
                if not isinstance(exc, CallError | KeyError):
                    log.exception("command %s failed", name)
                self._publish(ev.EngineError(at=time.time(), message=message, command=name,
                                             call_id=call_id))

        self._commands.put(command)
        self._wake()

    def run_on_sip_thread(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn`` on the SIP thread (where pjsua2 may be called); returns its future."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if not self._running:
            future.set_exception(EngineError("the SIP engine is not running"))
            return future

        def command() -> None:
            if not future.set_running_or_notify_cancel():
                return
            if self._session is None:
                future.set_exception(EngineError("the SIP engine stopped"))
                return
            try:
                result = fn()
            except BaseException as exc:
                self._flush_events()  # what fn raised reaches the listener before the caller
                future.set_exception(exc)
            else:
                self._flush_events()
                future.set_result(result)

        self._commands.put(command)
        self._wake()
        return future

    # --- accounts ------------------------------------------------------------------------
    def _account(self, name: str | None) -> AccountSettings:
        with self._lock:
            accounts = list(self._accounts)
        return _find_account(accounts, name)

    def set_accounts(self, accounts: Sequence[AccountSettings]) -> None:
        accounts = list(accounts) or [default_lan_account()]
        _check_accounts(accounts)
        with self._lock:
            self._accounts = accounts
            names = {a.name for a in accounts}
            for gone in [n for n in self._registrations if n not in names]:
                del self._registrations[gone]
        self._submit("set_accounts", lambda s: s.set_accounts(accounts))

    def register(self, name: str) -> None:
        self._account(name)
        self._submit("register", lambda s: s.register(name))

    def unregister(self, name: str) -> None:
        self._account(name)
        self._submit("unregister", lambda s: s.unregister(name))

    def registration(self, name: str) -> ev.RegistrationChanged | None:
        with self._lock:
            return self._registrations.get(name)

    def test_account(self, settings: AccountSettings, timeout: float = 12.0
                     ) -> concurrent.futures.Future[ProbeResult]:
        """Register a temporary, separate copy of ``settings`` (as typed, not saved) once and
        report the server's answer; returns at once. The real accounts are left alone; the
        copy is deleted (and so unregistered) afterwards. See account_probe.py."""
        from softphone.sip.account_probe import start_probe

        register_secret(settings.password)
        future: concurrent.futures.Future[ProbeResult] = concurrent.futures.Future()
        if not self._running:
            future.set_exception(EngineError("the SIP engine is not running"))
            return future

        def command() -> None:
            session = self._session
            if session is None or self._stop_requested.is_set():
                future.set_exception(EngineError("the SIP engine stopped"))
                return
            start_probe(session, settings, timeout, future)

        self._commands.put(command)
        self._wake()
        return future

    # --- calls ---------------------------------------------------------------------------
    def dial(self, target: str, account: str | None = None) -> int:
        """Call a SIP URI, user@host[:port] or phone number; returns the new call's id.

        Raises InvalidTarget (nothing is sent) for input that is not an address or number.
        """
        settings = self._account(account)
        uri = target_to_uri(target, account_domain(settings.address), settings.transport)
        call_id = self._next_call_id()
        self._submit("dial", lambda s: s.call_ops.dial(call_id, uri, settings.name), call_id)
        return call_id

    def answer(self, call_id: int) -> None:
        self._submit("answer", lambda s: s.call_ops.answer(call_id), call_id)

    def reject(self, call_id: int, code: int = 486) -> None:
        if not 400 <= code <= 699:
            raise ValueError(f"a rejection needs a 4xx-6xx status, got {code}")
        self._submit("reject", lambda s: s.call_ops.reject(call_id, code), call_id)

    def hangup(self, call_id: int) -> None:
        self._submit("hangup", lambda s: s.call_ops.hangup(call_id), call_id)

    def hangup_all(self) -> None:
        self._submit("hangup_all", lambda s: s.call_ops.hangup_all())

    def hold(self, call_id: int) -> None:
        self._submit("hold", lambda s: s.call_ops.hold(call_id), call_id)

    def resume(self, call_id: int) -> None:
        self._submit("resume", lambda s: s.call_ops.resume(call_id), call_id)

    def set_mute(self, muted: bool) -> None:
        self._submit("set_mute", lambda s: s.call_ops.set_mute(bool(muted)))

    def send_dtmf(self, call_id: int, digits: str) -> None:
        if not _DTMF_RE.match(digits):
            raise ValueError(f"DTMF digits must be 0-9, *, #, A-D; got {digits!r}")
        self._submit("send_dtmf", lambda s: s.call_ops.send_dtmf(call_id, digits.upper()),
                     call_id)

    def transfer(self, call_id: int, target: str) -> None:
        """Blind transfer (REFER) of a call to ``target``."""
        account = self._account_of_call(call_id)
        uri = target_to_uri(target, account_domain(account.address), account.transport)
        self._submit("transfer", lambda s: s.call_ops.transfer(call_id, uri), call_id)

    def attended_transfer(self, call_id: int, consult_call_id: int) -> None:
        """Join ``call_id``'s far end to ``consult_call_id``'s (REFER with Replaces)."""
        self._submit("attended_transfer",
                     lambda s: s.call_ops.attended_transfer(call_id, consult_call_id), call_id)

    def conference(self, call_ids: Sequence[int]) -> None:
        ids = list(call_ids)
        if len(ids) < 2:
            raise ValueError("a conference needs at least two calls")
        self._submit("conference", lambda s: s.media.conference(ids))

    def start_recording(self, call_id: int, path: Path | None = None) -> Path:
        """Record the call (both sides) to a WAV; returns the file it goes to."""
        if path is None:
            with self._lock:
                call = self._call_states.get(call_id)
            path = recording_path(
                self._recordings_dir or default_recordings_dir(), call_id,
                call.direction.value if call else "", call.number if call else "",
            )
        target = Path(path)
        self._submit("start_recording", lambda s: s.media.start_recording(call_id, target),
                     call_id)
        return target

    def stop_recording(self, call_id: int) -> None:
        self._submit("stop_recording", lambda s: s.media.stop_recording(call_id), call_id)

    def set_codecs(self, codecs: Sequence[str]) -> None:
        """The order in which codecs are offered (names as in ``[audio] codecs``); effective
        for the next call. Before start it only changes what the start will use."""
        self._codecs = tuple(codecs) if codecs else DEFAULT_CODECS
        if self._running:
            order = self._codecs
            self._submit("set_codecs", lambda s: s.set_codecs(order))

    def set_call_settings(self, calls: CallSettings) -> None:
        """DND, auto-answer, forwarding and record-all, effective for the next call at once."""
        self._call_settings = calls
        session = self._session
        if session is not None:
            # An immutable object swapped by one assignment: safe from any thread, and a call
            # arriving right after this returns already sees the new rules.
            session.call_settings = calls

    def active_calls(self) -> list[ev.CallStateChanged]:
        with self._lock:
            return sorted(self._call_states.values(), key=lambda c: c.call_id)

    def call_quality(self, call_id: int) -> ev.CallQuality | None:
        """The call's latest figures (refreshed about every second on the SIP thread)."""
        session = self._session
        record = session.calls.get(call_id) if session is not None else None
        return record.quality if record is not None else None

    # --- the office through the PBX: chat and colleagues' presence ---------------------------
    def send_message(self, target: str, text: str, account: str | None = None) -> int:
        """Send a chat message (SIP MESSAGE) to ``target``; returns its id at once. The
        server's final answer arrives as a ``MessageStatus`` event with that id.

        Raises InvalidTarget for a target that is no address or number, ValueError for an
        empty or too long text (nothing is sent).
        """
        from softphone.sip.messaging import MAX_MESSAGE_CHARS

        if not text.strip():
            raise ValueError("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is too long ({len(text)} characters, at most "
                             f"{MAX_MESSAGE_CHARS})")
        name, uri = self.resolve_target(target, account)
        with self._lock:
            message_id = next(self._message_ids)
        self._submit("send_message", lambda s: s.messenger.send(message_id, name, uri, text))
        return message_id

    def resolve_target(self, target: str, account: str | None = None) -> tuple[str, str]:
        """The account (its name) and SIP URI that ``target`` means: what a dial or a
        message to it uses. Raises InvalidTarget, or EngineError for an unknown account."""
        settings = self._account(account)
        domain = account_domain(settings.address)
        uri = target_to_uri(target, domain, settings.transport)
        if domain is not None:
            # PJSIP (and others) print From without the port: an answer to such an address
            # on the account's own server goes to the server's port, not 5060
            parsed, own = parse_sip_uri(uri), parse_sip_uri(f"sip:{domain}")
            if (parsed.port is None and own.port and parsed.user
                    and parsed.host.lower() == own.host.lower()):
                head, _at, rest = uri.rpartition("@")
                uri = f"{head}@{own.hostport}{rest[len(parsed.host):]}"
        return settings.name, uri

    def watch_presence(self, account: str, targets: Sequence[str]) -> None:
        """Watch these colleagues (SIP URIs or extensions) on ``account`` besides those of
        its settings; replaces the previous list. Each reports ``BuddyPresence`` events."""
        self._account(account)
        wanted = [str(t) for t in targets]
        self._submit("watch_presence", lambda s: s.presence.watch(account, wanted))

    def _account_of_call(self, call_id: int) -> AccountSettings:
        with self._lock:
            state = self._call_states.get(call_id)
        return self._account(state.account if state else None)


def _error_text(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if reason:
        return str(reason)
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


def _pj_version(session: Any) -> str:
    try:
        return str(session.ep.libVersion().full)
    except Exception:
        return ""


def _check_accounts(accounts: Sequence[AccountSettings]) -> None:
    names = [a.name for a in accounts]
    if len(set(names)) != len(names):
        raise ValueError("account names must be unique")
    for account in accounts:
        register_secret(account.password)  # masked in every log line from now on


def _find_account(accounts: Sequence[AccountSettings], name: str | None) -> AccountSettings:
    """The account ``name``, or the first enabled one for None."""
    if name is None:
        for account in accounts:
            if account.enabled:
                return account
        raise EngineError("no enabled account to call from")
    for account in accounts:
        if account.name == name:
            return account
    raise EngineError(f"no account named {name!r}")
