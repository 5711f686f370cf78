"""The integrations of one running app, Qt-free: built from the settings, started off the UI
thread (keyring, imports, sockets), stopped at shutdown. ``softphone/ui/integrations.py`` is
the window's side; ``softphone/app.py`` wires the two.

* the outbox worker (webhooks, Bitrix24) and the publisher the call workflow feeds;
* the LDAP directory (queried by the window's side on its own threads);
* the CardDAV sync thread: a sync at start and every ``interval`` minutes, or on demand;
* the click-to-call server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.integrations.config import IntegrationSettings, click_to_call_token

log = logging.getLogger("softphone.integrations")


class Integrations:
    def __init__(self, profile: Path, settings: Any, secrets: Any, *,
                 dial: Callable[[str], tuple[bool, str]] | None = None,
                 on_outbox_status: Callable[[Any], None] | None = None,
                 on_sync_done: Callable[[Any], None] | None = None,
                 on_sync_failed: Callable[[str], None] | None = None,
                 on_problem: Callable[[str], None] | None = None) -> None:
        self.profile = profile
        self.settings = settings
        self.secrets = secrets
        self.dial = dial
        self.on_outbox_status = on_outbox_status
        self.on_sync_done = on_sync_done
        self.on_sync_failed = on_sync_failed
        self.on_problem = on_problem
        self.config: IntegrationSettings = settings.integrations
        self.outbox: Any = None
        self.worker: Any = None
        self.publisher: Any = None
        self.directory: Any = None
        self.click_to_call: Any = None
        self.click_to_call_token: str | None = None
        self.carddav: CardDavThread | None = None
        self.problems: list[str] = []
        self._ready = threading.Event()

    @staticmethod
    def wanted(settings: Any) -> bool:
        it = settings.integrations
        return bool(it.uses_outbox or it.directory.enabled or it.carddav.enabled
                    or it.click_to_call.enabled)

    # --- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Build and start what is configured (call off the UI thread). A part that cannot
        start is logged and listed in ``problems``; the others run."""
        try:
            self._start()
        finally:
            self._ready.set()

    def _start(self) -> None:
        from softphone.integrations.config import provision_secrets

        if self.secrets is not None:
            try:
                self.config = provision_secrets(self.profile, self.settings.integrations,
                                                self.secrets)
            except Exception as exc:
                self._problem(f"secrets: {exc}")
        it = self.config
        if it.uses_outbox:
            self._guard("outbox", self._start_outbox)
        if it.directory.enabled:
            self._guard("directory", self._make_directory)
        if it.click_to_call.enabled and self.dial is not None:
            self._guard("click-to-call", self._start_click_to_call)
        if it.carddav.enabled:
            self.carddav = CardDavThread(self)

    def _guard(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as exc:
            log.exception("%s did not start", what)
            self._problem(f"{what}: {exc}")

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        if self.on_problem is not None:
            self.on_problem(text)

    def _start_outbox(self) -> None:
        from softphone.integrations.call_events import CallEventPublisher
        from softphone.integrations.outbox import Outbox, OutboxWorker

        it = self.config
        targets: list[Any] = []
        if it.webhooks.enabled:
            from softphone.integrations.webhooks import WebhookTarget

            assert it.webhooks.url is not None
            targets.append(WebhookTarget(it.webhooks.url, it.webhooks.secret,
                                         events=it.webhooks.events,
                                         timeout=it.webhooks.timeout,
                                         verify_tls=it.webhooks.verify_tls))
        if it.bitrix24.enabled:
            from softphone.integrations.bitrix24 import Bitrix24Target

            b = it.bitrix24
            if not b.webhook_url:
                raise RuntimeError("Bitrix24 is on but its webhook URL is not set "
                                   "(softphone integrations secret bitrix24)")
            targets.append(Bitrix24Target(
                b.webhook_url, user_id=b.user_id, user_phone_inner=b.user_phone_inner,
                crm_create=b.crm_create, show_card=b.show_card,
                attach_recordings=b.attach_recordings, timeout=b.timeout,
                verify_tls=b.verify_tls))
        self.outbox = Outbox.in_profile(self.profile)
        self.worker = OutboxWorker(self.outbox, {t.name: t for t in targets},
                                   retry_initial=it.outbox.retry_initial,
                                   retry_max=it.outbox.retry_max,
                                   keep_days=it.outbox.keep_days,
                                   on_status=self.on_outbox_status)
        self.publisher = CallEventPublisher(self.outbox, targets, self.worker.wake)
        self.worker.start()
        pending = self.outbox.pending_count()
        if pending:
            log.info("outbox: %d event(s) from before are sent now", pending)

    def _make_directory(self) -> None:
        from softphone.integrations.ldap_directory import LdapDirectory

        d = self.config.directory
        assert d.url is not None
        self.directory = LdapDirectory(
            d.url, d.base_dn, bind_dn=d.bind_dn, password=d.password, timeout=d.timeout,
            phone_attributes=d.phone_attributes, name_attributes=d.name_attributes,
            extra_filter=d.filter, verify_tls=d.verify_tls,
            region=self.settings.crm.default_region)

    def _start_click_to_call(self) -> None:
        from softphone.integrations.click_to_call import ClickToCallServer

        assert self.dial is not None
        if self.secrets is not None:
            token = click_to_call_token(self.secrets)
        else:  # no secret store (tests, a broken keyring): a token for this run only
            import secrets as random_source

            token = random_source.token_urlsafe(24)
            log.warning("click-to-call: no secret store; this run's token is not kept")
        self.click_to_call_token = token
        from softphone.logs import register_secret

        register_secret(token)
        self.click_to_call = ClickToCallServer(self.config.click_to_call.port, token, self.dial)
        self.click_to_call.start()

    def store_opened(self) -> None:
        """The CRM is open (and migrated): contact sync may start."""
        self._ready.wait(30)
        if self.carddav is not None:
            self.carddav.start()

    def stop(self) -> None:
        """At shutdown: threads are given 2 s (what they were doing is on disk anyway)."""
        self.stop_delivery(timeout=2.0)
        self.close()

    def stop_delivery(self, timeout: float = 10.0) -> None:
        """Stop every thread and server (may wait for a request in flight: not on the UI
        thread). The outbox stays open: events published meanwhile are still written down."""
        self._ready.wait(timeout)
        if self.carddav is not None:
            self.carddav.stop(timeout)
        if self.click_to_call is not None:
            self.click_to_call.stop()
            self.click_to_call = None
        if self.worker is not None:
            self.worker.stop(timeout)

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        self.publisher = None

    # --- for the call workflow (on the DB worker) ----------------------------------------------
    def publish_call_event(self, kind: str, call: Any) -> None:
        if not self._ready.wait(10):
            log.warning("integrations not ready: %s event of call %s not queued", kind,
                        getattr(call, "id", "?"))
            return
        if self.publisher is not None:
            self.publisher.publish(kind, call)


class CardDavThread:
    """Contact sync on its own thread with its own store connection: a sync never holds up
    the DB worker (the caller card's lookups) nor the window."""

    def __init__(self, owner: Integrations) -> None:
        self.owner = owner
        self.config = owner.config.carddav
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="carddav-sync", daemon=True)
        self.last_report: Any = None
        self.last_error: str | None = None

    def start(self) -> None:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def sync_now(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        from softphone.crm.store import Store

        crm = self.owner.settings.crm
        store = None
        interval = self.config.interval * 60.0
        while not self._stop.is_set():
            try:
                if store is None:
                    store = Store.open(crm.database_url, self.owner.profile, crm.default_region,
                                       crm.agent)
                self._sync(store)
            except Exception as exc:
                log.warning("CardDAV sync: %s", exc)
                self.last_error = str(exc)
                if self.owner.on_sync_failed is not None:
                    self.owner.on_sync_failed(str(exc))
            self._wake.clear()
            if interval > 0:
                self._wake.wait(interval)
            else:
                self._wake.wait()
        if store is not None:
            store.close()

    def _sync(self, store: Any) -> None:
        from softphone.integrations.carddav import sync_once

        c = self.config
        assert c.url is not None
        report = sync_once(store, c.url, c.username, c.password, timeout=c.timeout,
                           verify_tls=c.verify_tls)
        self.last_report, self.last_error = report, None
        if self.owner.on_sync_done is not None:
            self.owner.on_sync_done(report)
