"""The composition root: builds the parts of the desktop app and wires them together.

Order: Qt application -> passwords from the keyring into the account settings -> the contact
store, opened on the DB worker -> the audio backend -> the SIP engine (its listener is a bridge
that queues events to the Qt thread) -> the call workflow -> the main window -> the single
instance server. Shutdown runs the other way round.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softphone.live_settings import apply_live, relaunch, restart_reasons
from softphone.profile import database_file
from softphone.settings import (
    AccountSettings,
    Settings,
    SipSettings,
    default_lan_account,
    save_settings,
)
from softphone.settings_network import turn_secret_name
from softphone.sip.events import EngineError

log = logging.getLogger("softphone.app")


@dataclass
class AppParts:
    profile: Path
    settings: Settings
    db: Any
    bridge: Any
    engine: Any
    workflow: Any
    window: Any
    secrets: Any = None
    ipc: Any = None
    office: Any = None  # ui.colleagues.OfficeLink: colleagues on the LAN, shared-CRM feed
    office_pbx: Any = None  # ui.office_pbx.OfficePbx: voicemail, chat, colleagues via the PBX
    notices: list[str] = field(default_factory=list)
    own_engine: bool = True
    collector: Any = None  # ui.gc_collector.MainThreadCollector
    #: softphone.toml was refused and the app runs on defaults: settings are not saved
    settings_error: str = ""
    integrations: Any = None  # ui.integrations.IntegrationsLink: CardDAV, LDAP, webhooks...


def translate(context: str, text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate(context, text)


def port_is_free(host: str, port: int) -> bool:
    """Whether a UDP socket can bind ``host:port`` now (another softphone may hold 5060)."""
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host if host not in ("", "0.0.0.0") else "0.0.0.0", port))
        except OSError:
            return False
    return True


def accounts_with_passwords(settings: Settings, secrets: Any) -> tuple[AccountSettings, ...]:
    """The configured accounts (or the LAN account) with passwords from the keyring.

    With no account configured, the implicit LAN account has no password to look up (the
    settings dialog stores passwords only for configured accounts): the keyring is not asked,
    so its backends (secretstorage, cryptography: ~10 MiB, ~90 ms CPU) are not loaded."""
    if not settings.accounts:
        return (default_lan_account(),)
    accounts = settings.accounts
    if secrets is None:
        return tuple(accounts)
    out = []
    for a in accounts:
        try:
            password = secrets.get(a.name)
            turn_password = secrets.get(turn_secret_name(a.name)) if a.turn_server else None
        except Exception as exc:
            log.warning("cannot read the password of %s: %s", a.name, exc)
            password = turn_password = None
        out.append(dataclasses.replace(a, password=password or a.password,
                                       turn_password=turn_password or a.turn_password))
    return tuple(out)


def choose_sip_settings(sip: SipSettings) -> tuple[SipSettings, str]:
    """The listen settings to use, and a notice when the configured port is taken."""
    if port_is_free(sip.listen_host, sip.listen_port):
        return sip, ""
    notice = translate("App", "Port %1 is in use (is another softphone running?): "
                              "using another port.")
    return dataclasses.replace(sip, listen_port=0), notice.replace("%1", str(sip.listen_port))


def create_engine(settings: Settings, profile: Path, bridge: Any, secrets: Any = None
                  ) -> tuple[Any, list[str]]:
    """Audio backend + SIP engine, not started yet. Returns (engine, notices)."""
    from softphone.profile import recordings_dir
    from softphone.sip.audio.deferred import DeferredAudioBackend
    from softphone.sip.engine import Engine

    notices: list[str] = []
    sip, notice = choose_sip_settings(settings.sip)
    if notice:
        notices.append(notice)
    # PortAudio is loaded when sound is first needed (a ring, a call, a tone, the devices
    # listed), not at start: ~4 MiB less while idle (softphone/sip/audio/deferred.py)
    audio = DeferredAudioBackend(settings.audio)
    accounts = accounts_with_passwords(settings, secrets)
    if secrets is not None:
        try:  # first start: provisioned passwords move from softphone.toml to the keyring
            from softphone.provisioning import accounts_with_passwords as provisioned

            accounts = provisioned(profile, settings, secrets)
        except Exception as exc:
            log.warning("provisioning: %s", exc)
    engine = Engine(sip, accounts, settings.calls, bridge,
                    audio=audio, recordings_dir=recordings_dir(profile),
                    codecs=settings.audio.codecs)
    return engine, notices


def start_engine_in_background(engine: Any, bridge: Any) -> threading.Thread:
    """Start the engine on a helper thread: binding sockets and loading codecs never stall
    the window. It reports through ``bridge`` (EngineStarted, or an EngineError)."""

    def start() -> None:
        try:
            engine.start(timeout=10.0)
        except Exception as exc:
            log.error("the SIP engine did not start: %s", exc)
            bridge(EngineError(at=time.time(), message=_start_failed(exc), command="start"))

    thread = threading.Thread(target=start, name="engine-start", daemon=True)
    thread.start()
    return thread


def _start_failed(exc: BaseException) -> str:
    return translate("App", "The phone could not start: %1").replace("%1", str(exc))


def create_parts(profile: Path, settings: Settings, *, engine: Any = None, bridge: Any = None,
                 secrets: Any = None, use_secrets: bool = True,
                 start_engine: bool = True,
                 later: list[Callable[[], Any]] | None = None) -> AppParts:
    """Everything but the event loop. Pass ``engine`` and ``bridge`` to share a running engine
    (tests: one Endpoint per process); otherwise one is created and started here, unless
    ``start_engine`` is false (screenshots: the window without a phone). With ``later``,
    opening the store and starting the engine are appended there for the caller to run once
    the window shows (start-up: they compete with the window for the GIL)."""
    from softphone.ui.bridge import DbWorker, SipBridge
    from softphone.ui.gc_collector import MainThreadCollector
    from softphone.ui.main_window import MainWindow
    from softphone.workflow import CallWorkflow

    collector = MainThreadCollector()  # before any worker thread starts allocating
    collector.start()

    if secrets is None and use_secrets:
        from softphone.secrets import SecretStore

        try:
            secrets = SecretStore(profile)
        except Exception as exc:
            log.warning("no password store: %s", exc)
    agent = settings.crm.agent or _user_name()
    db = DbWorker()
    crm = settings.crm

    shown = threading.Event()  # jobs queue behind the opening store, as before

    def open_store() -> Any:
        shown.wait(10.0)
        # the embedded database is read with plain sqlite3 until something needs the full
        # (SQLAlchemy) store: ~30 MiB less while idle (softphone.crm.light)
        from softphone.crm.light import open_store

        store = open_store(crm.database_url, profile, crm.default_region, agent)
        # Call-log writes kept for later (locked, disk full): tell the user (queued to the UI).
        store.on_pending = lambda err: db.store_failed.emit(getattr(err, "message", str(err)))
        return store

    db.open(open_store)
    deferred: list[Callable[[], Any]] = [] if later is None else later
    deferred.append(shown.set)
    retry_pending_writes(db)
    notices: list[str] = []
    own_engine = engine is None
    if bridge is None:
        bridge = SipBridge()
    engine_later = engine is None and start_engine and later is not None
    if engine is None and start_engine and not engine_later:
        engine, notices = create_engine(settings, profile, bridge, secrets)
    elif not engine_later:
        own_engine = False
    workflow = CallWorkflow(db, lambda _u: None, engine=engine, agent=agent)

    def passwords() -> dict[str, str | None]:
        if secrets is None:
            return {}
        found = {a.name: _safe_get(secrets, a.name) for a in settings.accounts}
        for a in settings.accounts:
            if a.turn_server:
                found[turn_secret_name(a.name)] = _safe_get(secrets, turn_secret_name(a.name))
        return found

    window = MainWindow(settings=settings, db=db, workflow=workflow, engine=engine,
                        profile=profile, passwords=passwords)
    window.port_notice = next((n for n in notices if str(settings.sip.listen_port) in n), "")
    # the workflow first: the window reads the calls it keeps
    bridge.sip_event.connect(workflow.on_sip_event)
    bridge.sip_event.connect(window.on_sip_event)
    workflow.listener = window.on_workflow_update
    db.store_failed.connect(window.show_message)
    db.store_opened.connect(lambda _s: window.refresh_data())
    parts = AppParts(profile=profile, settings=settings, db=db, bridge=bridge, engine=engine,
                     workflow=workflow, window=window, secrets=secrets, notices=notices,
                     own_engine=own_engine, collector=collector)
    window.settings_changed.connect(lambda s, p: apply_settings(parts, s, p))
    parts.office = create_office_link(parts, agent)
    parts.integrations = create_integrations(parts)
    deferred.insert(0, window.call_keys.start)  # global shortcuts: after the window shows
    if later is None:
        parts.office_pbx = create_office_pbx(parts)
    else:  # voicemail, chat, the PBX's colleagues (~15 ms): once the window shows, before the
        # store opens and the engine starts, so no event of theirs is missed
        deferred.insert(0, lambda: setattr(parts, "office_pbx", create_office_pbx(parts)))
    if engine is not None:
        for name in [a.name for a in accounts_with_passwords(settings, None)]:
            state = engine.registration(name)
            if state is not None:
                window.on_sip_event(state)
    for notice in notices:
        window.show_message(notice)
    if own_engine and engine is not None:  # after the window listens: no event is missed
        deferred.append(lambda: start_engine_in_background(engine, bridge))
    if engine_later:  # its imports and PortAudio probing wait until the window shows
        deferred.append(lambda: attach_engine(
            parts, *create_engine(settings, profile, bridge, secrets)))
    if later is None:
        for job in deferred:
            job()
    return parts


def create_office_link(parts: AppParts, agent: str | None) -> Any:
    """The office features (colleagues' presence for a LAN account, the change feed of a
    shared database): started once the engine listens and the store is open."""
    from softphone.ui.colleagues import OfficeLink

    def make_office(listen: str, on_colleagues: Any, on_change: Any) -> Any:
        from softphone.office.service import Office

        # the embedded database too: a command-line import while the app runs shows at once
        url = parts.settings.crm.database_url or f"sqlite:///{database_file(parts.profile)}"
        return Office(parts.settings, listen=listen, agent=agent,
                      on_colleagues=on_colleagues, on_change=on_change, database_url=url)

    link = OfficeLink(make_office, parts.window)
    parts.bridge.sip_event.connect(link.on_sip_event)
    parts.db.store_opened.connect(link.store_opened)
    parts.window.attach_office(link)
    if parts.db.store is not None:
        link.store_opened()
    if parts.engine is not None and getattr(parts.engine, "running", False):
        link.engine_listening(parts.engine.listen_address)
    return link


def create_integrations(parts: AppParts) -> Any:
    """CardDAV sync, the LDAP directory, webhooks and Bitrix24 (the outbox), click-to-call:
    only what is configured, started on a helper thread (keyring, imports, sockets)."""
    from softphone.integrations.service import Integrations

    if not Integrations.wanted(parts.settings):
        return None
    from softphone.ui.integrations import IntegrationsLink

    window = parts.window
    link = IntegrationsLink(window, window)
    service = Integrations(parts.profile, parts.settings, parts.secrets,
                           dial=link.dial_from_outside, on_outbox_status=link.outbox_status,
                           on_sync_done=link.sync_done, on_sync_failed=link.sync_failed,
                           on_problem=link.problem)
    link.service = service
    parts.workflow.call_events = service.publish_call_event
    parts.workflow.directory = link if parts.settings.integrations.directory.enabled else None
    window.integrations = link
    link.message.connect(window.show_message)
    link.contacts_changed.connect(window.refresh_data)
    threading.Thread(target=service.start, name="integrations-start", daemon=True).start()

    def store_opened(_store: Any = None) -> None:
        threading.Thread(target=service.store_opened, name="integrations-store",
                         daemon=True).start()

    parts.db.store_opened.connect(store_opened)
    if parts.db.store is not None:
        store_opened()
    return link


def stop_integrations(parts: AppParts) -> None:
    """At shutdown: stop them all (a request in flight may take its timeout)."""
    link, parts.integrations = parts.integrations, None
    if link is None:
        return
    parts.workflow.call_events = None
    parts.workflow.directory = None
    parts.window.integrations = None
    link.service.stop()
    link.stop()


def create_office_pbx(parts: AppParts) -> Any:
    """Voicemail, chat and colleagues' presence through the PBX (ui/office_pbx.py)."""
    from softphone.ui.office_pbx import OfficePbx

    pbx = OfficePbx(parts.window, parts.settings, parts.db)
    parts.bridge.sip_event.connect(pbx.on_sip_event)
    parts.db.store_opened.connect(pbx.store_opened)
    if parts.office is not None:
        parts.office.tables_changed.connect(pbx.on_tables_changed)
    if parts.db.store is not None:
        pbx.store_opened()
    return pbx


def restart_integrations(parts: AppParts) -> None:
    """New settings: the old integrations stop on a helper thread (a sync or a delivery in
    flight never holds the window), then the new ones start. Until then call events still go
    into the outbox through the old publisher, so none is lost and none is sent twice."""
    old = parts.integrations
    if old is None:
        parts.integrations = create_integrations(parts)
        return
    parts.integrations = None
    parts.workflow.directory = None
    parts.window.integrations = None
    old.stop()

    def started_again() -> None:
        parts.workflow.call_events = None
        parts.integrations = create_integrations(parts)
        # after any DB job that may still hold the old publisher
        parts.db.submit(lambda _store: old.service.close(), None,
                        lambda exc: log.warning("closing the old outbox: %s", exc))

    from PySide6.QtCore import Qt

    old.stopped.connect(started_again, Qt.ConnectionType.QueuedConnection)
    threading.Thread(target=lambda: (old.service.stop_delivery(), old.stopped.emit()),
                     name="integrations-stop", daemon=True).start()


def attach_engine(parts: AppParts, engine: Any, notices: list[str]) -> None:
    """Hand an engine made after the window showed to everything that uses it; start it."""
    window = parts.window
    parts.engine = window.engine = window.phone.engine = parts.workflow.engine = engine
    parts.notices.extend(notices)
    window.port_notice = next(
        (n for n in notices if str(parts.settings.sip.listen_port) in n), "")
    for notice in notices:
        window.show_message(notice)
    start_engine_in_background(engine, parts.bridge)


def retry_pending_writes(db: Any, interval_ms: int = 5000) -> Any:
    """Write out journaled call-log entries once the database takes writes again (on the DB
    worker, every ``interval_ms`` while any are pending), not only at the next call."""
    from PySide6.QtCore import QTimer

    def flush(store: Any) -> int:
        return int(store.flush_pending()) if store.journal else 0

    def tick() -> None:
        if db.store is not None:
            db.submit(flush, None, lambda exc: log.warning("pending call-log writes: %s", exc))

    timer = QTimer(db)
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    timer.start()
    return timer


def _safe_get(secrets: Any, name: str) -> str | None:
    try:
        return secrets.get(name)  # type: ignore[no-any-return]
    except Exception:
        return None


def _user_name() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def apply_settings(parts: AppParts, settings: Settings, passwords: dict[str, str | None]) -> None:
    """The settings dialog was accepted: write the file and keyring, apply what can be."""
    before = {name: _safe_get(parts.secrets, name) for name in passwords} \
        if parts.secrets is not None else {}
    settings, autostart_problem = apply_start_at_login(parts, settings)
    try:
        if not parts.settings_error:  # a file with an error is never written over
            save_settings(parts.profile, settings)
        if parts.secrets is not None:
            for name, password in passwords.items():
                parts.secrets.set(name, password)
    except Exception as exc:
        message = translate("App", "Settings not saved: %1")
        parts.window.show_message(message.replace("%1", str(exc)))
        return
    old = parts.settings
    parts.settings = settings
    parts.window.settings = settings
    if parts.engine is not None:
        try:
            passwords_changed = any(before.get(n) != p for n, p in passwords.items()
                                    if parts.secrets is not None)
            if settings.accounts != old.accounts or passwords_changed:
                parts.engine.set_accounts(accounts_with_passwords(settings, parts.secrets))
            if settings.calls != old.calls:
                parts.engine.set_call_settings(settings.calls)
            if settings.audio.codecs != old.audio.codecs:
                parts.engine.set_codecs(settings.audio.codecs)
            apply_voice_settings(parts.engine, settings.audio, old.audio)
        except Exception as exc:
            parts.window.show_message(str(exc))
            return
    parts.window.accounts_changed({a.name for a in settings.accounts}
                                  or {default_lan_account().name})
    if settings.ui.register_handlers != old.ui.register_handlers:
        apply_url_handlers_in_background(parts, settings.ui.register_handlers)
    apply_live(parts, old, settings, settings.crm.agent or _user_name())
    parts.window.dnd_action.setChecked(settings.calls.dnd)
    parts.window.outgoing.set_accounts(settings.accounts)
    parts.window.call_keys.apply_settings(settings.ui)
    if parts.office_pbx is not None:
        parts.office_pbx.settings_changed(settings)
    if parts.office is not None and (settings.accounts, settings.office, settings.crm) != (
            old.accounts, old.office, old.crm):
        parts.office.restart()  # presence for the new account / feed of the new database
    if (settings.integrations, settings.crm) != (old.integrations, old.crm):
        restart_integrations(parts)
    if autostart_problem:
        parts.window.show_message(translate(
            "App", "Settings saved, but start at login was not changed: %1")
            .replace("%1", autostart_problem))
    elif parts.settings_error:
        parts.window.show_message(translate(
            "App", "Settings applied until you quit, not saved: softphone.toml has an error. "
                   "Fix the file, then restart."))
    else:
        parts.window.show_message(translate("App", "Settings saved"))
    reasons = restart_reasons(old, settings)
    if reasons:  # used from the next start: said so, with a restart offered
        parts.window.offer_restart(reasons)


def apply_voice_settings(engine: Any, new: Any, old: Any) -> None:
    """Echo cancellation, noise suppression, gain and tail apply to a call in progress too
    (the audio backend changes them on its own threads)."""
    wanted = (new.echo_cancellation, new.noise_suppression, new.automatic_gain,
              new.echo_tail_ms)
    if wanted != (old.echo_cancellation, old.noise_suppression, old.automatic_gain,
                  old.echo_tail_ms):
        audio = engine.audio
        engine.run_on_sip_thread(lambda: audio.set_voice_processing(*wanted))


def apply_start_at_login(parts: AppParts, settings: Settings) -> tuple[Settings, str]:
    """Write or remove the login autostart entry when ``[ui] start_at_login`` changed. When
    that fails the old value is kept (the setting says what really happens at login) and the
    reason is returned for the status bar."""
    from softphone.autostart import AutostartError
    from softphone.autostart import apply_start_at_login as apply_entry

    wanted = settings.ui.start_at_login
    if wanted == parts.settings.ui.start_at_login:
        return settings, ""
    try:
        path = apply_entry(wanted, parts.profile)
    except AutostartError as exc:
        log.warning("start at login not changed: %s", exc)
        ui = dataclasses.replace(settings.ui, start_at_login=not wanted)
        return dataclasses.replace(settings, ui=ui), str(exc)
    log.info("start at login %s%s", "on: " if wanted else "off", path or "")
    return settings, ""


def apply_url_handlers_in_background(parts: AppParts, enabled: bool) -> threading.Thread:
    """Register (or remove) the tel:/sip:/callto: handlers for the user off the UI thread
    (files and update-desktop-database); a failure goes to the log and the status bar."""
    from softphone.url_handlers import HandlerError, apply_url_handlers

    def run() -> None:
        try:
            log.info("%s", apply_url_handlers(enabled, parts.profile))
        except HandlerError as exc:
            log.warning("links: %s", exc)
            message = translate("App", "tel:, sip: and callto: links were not registered: %1")
            parts.window.phone.message.emit(message.replace("%1", str(exc)))  # queued

    thread = threading.Thread(target=run, name="url-handlers", daemon=True)
    thread.start()
    return thread


def refresh_start_at_login(parts: AppParts) -> None:
    """At start: rewrite the entry when it is on (the program or the profile may have moved)."""
    if not parts.settings.ui.start_at_login:
        return
    from softphone.autostart import AutostartError
    from softphone.autostart import apply_start_at_login as apply_entry

    try:
        apply_entry(True, parts.profile)
    except AutostartError as exc:
        log.warning("start at login: %s", exc)


def handle_command(parts: AppParts, command: str, args: list[str]) -> str:
    """A command from another start of softphone (``softphone dial ...``, a clicked link)."""
    from softphone.ipc import CommandError

    window = parts.window
    if command == "dial":
        if not args:
            raise CommandError(translate("App", "nothing to dial"))
        if not window.dial_when_ready(args[0]):
            raise CommandError(window.statusBar().currentMessage()
                               or translate("App", "cannot dial"))
        return translate("App", "calling %1").replace("%1", args[0])
    if command == "answer":
        if not window.phone.answer_ringing():
            raise CommandError(translate("App", "no incoming call"))
        return translate("App", "answered")
    if command == "hangup":
        if not window.phone.end_call():
            raise CommandError(translate("App", "no call"))
        return translate("App", "hung up")
    if command == "dnd":
        on = bool(args) and args[0] == "on"
        window.dnd_action.setChecked(on)
        if on:
            return translate("App", "do not disturb is on")
        return translate("App", "do not disturb is off")
    if command == "status":
        listen = parts.engine.listen_address if parts.engine is not None else ""
        return "\n".join(x for x in (f"listen: {listen}", window.listen_label.text(),
                                      window.account_label.text(),
                                      window.statusBar().currentMessage()) if x)
    if command in ("show", "activate", "raise"):
        window.bring_to_front()
        return ""
    if command == "colleagues":
        import json

        office = parts.office
        return json.dumps([dataclasses.asdict(c) for c in
                           (office.colleagues if office is not None else [])])
    if command == "diagnostics":
        from softphone.diagnostics import collect_diagnostics

        return collect_diagnostics(parts.profile, parts.settings, parts.engine)
    raise CommandError(translate("App", "unknown command: %1").replace("%1", command))


def start_instance_server(parts: AppParts) -> None:
    try:
        from softphone.ipc import AlreadyRunning, InstanceServer
    except ImportError:
        return
    try:
        parts.ipc = InstanceServer(parts.profile,
                                   lambda c, a: handle_command(parts, c, a))
    except AlreadyRunning:
        parts.window.show_message(
            translate("App", "Another Softphone already runs for this profile."))
    except Exception as exc:
        log.warning("no instance server: %s", exc)


def shutdown(parts: AppParts) -> None:
    if parts.ipc is not None:
        with contextlib.suppress(Exception):
            parts.ipc.close()
        parts.ipc = None
    if parts.window.wrapup_page.built is not None:
        parts.window.wrapup_page.built.flush()
    parts.window.reminders.stop()  # the notifications' D-Bus thread, if one started
    # The engine's events stop reaching the window and the office first, while Qt's D-Bus
    # thread is idle: a disconnect waits for a Qt signal-slot mutex holding the GIL, and the
    # MPRIS name going away (call_keys.stop) keeps that thread busy in our adaptors, where it
    # can hold such a mutex while it waits for the GIL (a deadlock seen once in a test run).
    with contextlib.suppress(RuntimeError, TypeError):
        parts.bridge.sip_event.disconnect(parts.workflow.on_sip_event)
    with contextlib.suppress(RuntimeError, TypeError):
        parts.bridge.sip_event.disconnect(parts.window.on_sip_event)
    if parts.office is not None:
        with contextlib.suppress(RuntimeError, TypeError):
            parts.bridge.sip_event.disconnect(parts.office.on_sip_event)
    if parts.office_pbx is not None:
        with contextlib.suppress(RuntimeError, TypeError):
            parts.bridge.sip_event.disconnect(parts.office_pbx.on_sip_event)
        parts.office_pbx.stop()
    parts.window.call_keys.stop()  # the global keys and the MPRIS name go back to the desktop
    if parts.office is not None:  # goodbye to colleagues while the engine still runs
        parts.office.stop()
    with contextlib.suppress(Exception):  # click-to-call closes; undelivered events stay queued
        stop_integrations(parts)
    if parts.collector is not None:  # Qt leftovers die here, not in the SIP thread's collect
        parts.collector.stop()
    if parts.own_engine and parts.engine is not None:
        parts.engine.stop(10.0)
    parts.db.close()


def install_translation(app: Any, language: str | None) -> None:
    """English source strings; a .qm for the chosen (or the system) language when there is one."""
    try:
        from softphone.i18n import install_translators
    except ImportError:
        return
    try:
        install_translators(app, language)
    except Exception as exc:
        log.warning("translations not loaded: %s", exc)


def cheap_pyside_import_hook() -> None:
    """PySide6 (6.12) asks of every module imported after it whether it uses PySide6 with
    ``inspect.getsource``, which keeps every module's source in ``linecache`` for good: +28 MiB
    and +75 ms CPU for the store's and the engine's imports (bench/bench_startup.py). Same
    answer, from the file's bytes, nothing kept."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not hasattr(feature, "_mod_uses_pyside"):
        return

    def uses_pyside(module: Any) -> bool:
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            return False
        try:
            with open(origin, "rb") as f:
                return b"PySide6" in f.read()
        except OSError:
            return False

    feature._mod_uses_pyside = uses_pyside


def quit_on_signals(app: Any, window: Any = None) -> None:
    """SIGTERM / SIGINT (logout, ``kill``, Ctrl+C) quit through the event loop, so that
    shutdown runs: colleagues get a goodbye, calls are hung up, the store is closed. The C
    handler writes to a socket the event loop watches; Python then runs ``app.quit``.

    ``window`` is marked as quitting first: ``app.quit`` closes the windows and gives up
    if one refuses, which the main window does when it closes to the tray."""
    import signal

    from PySide6.QtCore import QSocketNotifier

    try:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno())
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _sig, _frame: _quit(app, window))
    except (ValueError, OSError) as exc:  # not the main thread, or no socketpair
        log.debug("no signal handling: %s", exc)
        return
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(lambda *_: reader.recv(64))
    app._quit_signal_sockets = (reader, writer, notifier)  # kept for the app's lifetime


def _quit(app: Any, window: Any) -> None:
    if window is not None:
        window.quitting = True  # a quit, not a close to the tray
    app.quit()


def follow_scheme(app: Any) -> None:
    """The desktop's light or dark scheme, as it changes (softphone.ui.theme)."""
    from softphone.ui.theme import follow_color_scheme

    follow_color_scheme(app)


def run_gui(args: argparse.Namespace, profile: Path, settings: Settings,
            settings_error: str = "") -> int:
    """The desktop app. ``settings_error``: softphone.toml was refused and the user chose
    to start with the defaults (nothing is saved over the file meanwhile)."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    cheap_pyside_import_hook()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("softphone")
    app.setApplicationDisplayName("Softphone")
    app.setQuitOnLastWindowClosed(False)
    install_translation(app, settings.ui.language)
    dark_desktop = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    if dark_desktop:  # the first paint must be dark already
        follow_scheme(app)
    # The SIP thread must not wait 5 ms (the default) for the GIL held by the UI or the DB
    # worker: that wait is most of the app's INVITE -> 200 OK time (bench_setup_time.py).
    sys.setswitchinterval(0.0005)
    later: list[Callable[[], Any]] = []
    parts = create_parts(profile, settings, later=later)
    window = parts.window
    if settings_error:
        parts.settings_error = settings_error
        window.show_settings_notice(translate(
            "App", "Default settings: softphone.toml has an error and is not used (%1)")
            .replace("%1", settings_error))
    window.quit_requested.connect(app.quit)
    minimized = settings.ui.start_minimized or bool(getattr(args, "minimized", False))
    if not (minimized and window.tray is not None):
        # no tray to hide in: a minimized start (login) still leaves a window to come back to
        window.showMinimized() if minimized else window.show()
        app.processEvents()  # the window maps before the store and the engine load
    if not dark_desktop:  # the scheme follower (~6 ms) once the window has shown
        QTimer.singleShot(0, app, lambda: follow_scheme(app))
    for job in later:
        job()
    if window.tray is None:
        app.setQuitOnLastWindowClosed(True)
    from softphone.ui.when_listening import WhenPhoneListens

    # Found running means reachable: the instance server opens once SIP listens (or its start
    # failed), so a restarted app answers the far end's BYE of a call a crash cut off.
    WhenPhoneListens(parts.bridge, parts.engine, lambda: start_instance_server(parts), window)
    refresh_start_at_login(parts)
    if settings.ui.register_handlers:  # a source install: links and the menu entry
        apply_url_handlers_in_background(parts, True)
    quit_on_signals(app, window)
    target = getattr(args, "dial_target", None)
    if target:
        window.dial_when_ready(target)
    try:
        status = int(app.exec())
    finally:
        shutdown(parts)
    if window.restarting:  # the user chose to restart for settings used at start
        relaunch(profile, bool(getattr(args, "verbose", False)))
    return status
