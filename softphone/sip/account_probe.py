"""Testing an account as typed in the settings dialog: a temporary pjsua2 account registers once.

:meth:`softphone.sip.engine.Engine.test_account` starts a probe on the SIP thread and returns a
future; the probe resolves the server off-thread (like real registrations), registers a
*separate* pjsua2 account built from the settings, and completes the future with a
:class:`ProbeResult` on the first final answer, on its own deadline, or when the name does not
resolve. Afterwards the temporary account is deleted, which unregisters it if it registered.

Why the probe cannot disturb the real account of the same address:

* its Contact carries a unique ``;sp-probe=N`` URI parameter, so the registrar keeps it as a
  binding of its own and the probe's un-REGISTER removes only that binding;
* it registers for 60 s only, so even a lost un-REGISTER leaves nothing behind for long;
* its priority is below every real account, so pjsua routes incoming requests to the real one;
* it never becomes the default account and never starts calls.

Only the SIP thread touches the pjsua2 objects here. The password is registered with the log
redaction before PJSIP sees it and is never logged.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from softphone.logs import register_secret
from softphone.settings import AccountSettings
from softphone.settings_network import DEFAULT_STUN_PORT, split_host_port
from softphone.sip.accounts import MediaBinding, build_account_config, lan_identity, server_host
from softphone.sip.stun_check import NatReport, detect_nat

if TYPE_CHECKING:
    from softphone.sip.session import SipSession

log = logging.getLogger("softphone.sip")

DEFAULT_TIMEOUT = 12.0  # seconds: well under PJSIP's 32 s transaction timeout
PROBE_EXPIRES = 60  # the registrar's usual minimum; a lost un-REGISTER expires quickly
_probe_ids = itertools.count(1)


@dataclass(frozen=True)
class ProbeResult:
    """How the server answered a test registration.

    ``outcome``: ``registered`` (2xx), ``failed`` (a final error ``code``, or 0 with
    ``reason`` for a local error such as an unreachable TCP/TLS server), ``timeout`` (no
    answer in time; ``code`` 408), ``unresolved`` (the server name does not resolve;
    ``host``), ``lan`` (no registrar: nothing to test; ``listen`` is the local host:port, ``reason``
    the account's own URI), or
    ``invalid`` (pjsua refused the settings; ``reason``).
    """

    outcome: str
    code: int = 0
    reason: str = ""
    host: str = ""
    listen: str = ""
    expires: int = 0
    seconds: float = 0.0
    #: what the account's STUN server saw (``stun_check.NatReport``), None without one
    nat: NatReport | None = None


class _ProbeAccount(pj.Account):  # type: ignore[misc]  # pjsua2 ships no type stubs
    """Forwards the one callback the probe needs; incoming calls are left to pjsua (it
    refuses calls no one takes), and none should come: see the module docstring."""

    def __init__(self, probe: AccountProbe) -> None:
        super().__init__()
        self._probe = probe

    def onRegState(self, prm: Any) -> None:
        try:
            self._probe.on_reg_state(int(prm.code), str(prm.reason), int(prm.expiration))
        except Exception:
            log.exception("account test callback failed")


class AccountProbe:
    """One test registration; lives on the SIP thread until it has answered and cleaned up."""

    def __init__(self, session: SipSession, settings: AccountSettings, timeout: float,
                 future: concurrent.futures.Future[ProbeResult]) -> None:
        self.session = session
        self.settings = settings
        self.timeout = timeout
        self.future = future
        self.account: _ProbeAccount | None = None
        self.started = time.monotonic()
        self.id = next(_probe_ids)
        self.answered = False
        self.result: ProbeResult | None = None  # the registration's answer
        self.nat: NatReport | None = None
        self.nat_pending = False

    # --- steps (SIP thread) --------------------------------------------------------------
    def start(self) -> None:
        register_secret(self.settings.password)  # before PJSIP can log anything about it
        if self.settings.stun_server:
            self._start_nat_check()
        if self.settings.is_lan:
            # Nothing to ask a server; what the user needs is where peers reach this phone.
            listen = self.session.listen
            try:
                identity = lan_identity(self.settings, listen)
            except Exception:
                identity = ""
            self._finish(ProbeResult("lan", listen=listen, reason=identity))
            return
        self.session.schedule(self.timeout, self._on_deadline)
        host = server_host(self.settings)
        if host and self.session.resolver.needs_lookup(host):
            # The name is checked off this thread: PJSIP would block the SIP thread on it.
            self.session.resolver.resolve(host, lambda error: self._resolved(host, error))
        else:
            self._resolved(host or "", None)

    def _resolved(self, host: str, error: str | None) -> None:
        if self.result is not None or self.future.done():
            return  # the deadline came first
        if error is not None:
            self._finish(ProbeResult("unresolved", host=host, reason=error))
            return
        session = self.session
        try:
            host_ = session.sip.listen_host
            media = MediaBinding(
                bound_address="" if host_ in ("", "0.0.0.0", "::") else host_,
                rtp_port=session.sip.rtp_port,
                rtp_port_count=session.sip.rtp_port_count,
            )
            cfg = build_account_config(self.settings, session.transport_for(self.settings),
                                       session.listen, media)
            cfg.priority = -1  # below the real accounts: they get every incoming request
            cfg.regConfig.timeoutSec = PROBE_EXPIRES
            cfg.sipConfig.contactUriParams = f";sp-probe={self.id}"
            cfg.natConfig.contactRewriteUse = 0  # one REGISTER, no re-registration dance
            account = _ProbeAccount(self)
            account.create(cfg, False)
            # Kept until the engine stops (shut down before libDestroy), see _finish.
            session.retired_accounts.append(account)
            self.account = account
            account.setRegistration(True)
        except Exception as exc:
            from softphone.sip.session import pj_error_text

            self._finish(ProbeResult("invalid", reason=pj_error_text(exc)))

    def on_reg_state(self, code: int, reason: str, expiration: int) -> None:
        if self.result is not None or self.future.done():
            return  # the un-REGISTER's answer, or a late answer after the deadline
        if 200 <= code < 300 and expiration > 0:
            result = ProbeResult("registered", code=code, reason=reason, expires=expiration)
        elif code == 408:
            result = ProbeResult("timeout", code=code, reason=reason)
        else:
            result = ProbeResult("failed", code=code, reason=reason)
        self.answered = True
        # Never delete a pjsua2 account inside its own callback: clean up on the next tick.
        self.session.schedule(0.0, lambda: self._finish(result))

    def _on_deadline(self) -> None:
        if self.answered or self.result is not None:
            return  # the answer is being delivered on this very tick
        if not self.future.done() and self.account is not None:
            self._finish(ProbeResult("timeout", code=408, reason="Request Timeout"))
        elif not self.future.done():
            # Still resolving: the name lookup itself hangs (an unreachable DNS server).
            self._finish(ProbeResult("unresolved", host=server_host(self.settings) or "",
                                     reason="the name lookup did not finish in time"))

    def _start_nat_check(self) -> None:
        """The NAT type through the account's STUN server, on a worker thread (it blocks for
        a few seconds at worst); the answer waits for the registration's."""
        host, port = split_host_port(self.settings.stun_server)
        bind = self.session.sip.listen_host
        bind = "" if bind in ("0.0.0.0", "::") else bind
        self.nat_pending = True

        def check() -> None:
            try:
                report = detect_nat(host, port or DEFAULT_STUN_PORT, bind=bind)
            except Exception as exc:  # a bug must not leave the test unanswered
                log.exception("NAT check failed")
                report = NatReport("error", detail=str(exc))
            self.session.post(lambda: self._nat_checked(report))

        threading.Thread(target=check, name="nat check", daemon=True).start()

    def _nat_checked(self, report: NatReport) -> None:
        log.info("account test %s: NAT through %s: %s", self.settings.name,
                 self.settings.stun_server, report.summary)
        self.nat = report
        self.nat_pending = False
        self._complete()

    def _complete(self) -> None:
        """Answer once the registration has answered and the NAT check (if any) is done."""
        if self.result is None or self.nat_pending or self.future.done():
            return
        self.future.set_result(dataclasses.replace(self.result, nat=self.nat))

    def _finish(self, result: ProbeResult) -> None:
        result = dataclasses.replace(result,
                                     seconds=round(time.monotonic() - self.started, 3))
        account, self.account = self.account, None
        if account is not None:
            # pjsua_acc_del sends the un-REGISTER (Expires: 0, our Contact only) by itself.
            with contextlib.suppress(pj.Error):
                account.shutdown()
            # It stays in retired_accounts until the engine stops, like a removed real account:
            # pjsua2's Account destructor deletes its account id again if that id is valid, and
            # pjsua gives the freed id to the next account created (the next test, a new real
            # account), which dropping this object would then delete.
        log.info("account test %s: %s %s %s", self.settings.name, result.outcome, result.code,
                 result.reason)
        if self.result is None:
            self.result = result
        self._complete()


def start_probe(session: SipSession, settings: AccountSettings, timeout: float,
                future: concurrent.futures.Future[ProbeResult]) -> None:
    """Start a probe on the SIP thread; ``future`` gets its result (never an exception for a
    server's answer, only for a bug)."""
    if not future.set_running_or_notify_cancel():
        return
    probe = AccountProbe(session, settings, timeout, future)
    try:
        probe.start()
    except Exception as exc:
        log.exception("account test failed to start")
        if not future.done():
            future.set_exception(exc)
