"""The main window: dial bar, the phone page (in-call panel / wrap-up), contacts, history,
missed calls, tasks, statistics; account status and do-not-disturb in the status bar; tray."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from softphone.settings import Settings
from softphone.sip import events as ev
from softphone.sip.events import CallState
from softphone.ui.call_keys import CallKeys
from softphone.ui.call_panel import CallPanel
from softphone.ui.caller_card import CallerCard
from softphone.ui.colleagues import ColleaguesView, reload_for_changes
from softphone.ui.common import button, paint_button
from softphone.ui.engine_messages import notice_text
from softphone.ui.first_start import attach_first_start, needs_first_start
from softphone.ui.history import HistoryView, MissedInbox
from softphone.ui.look import fit_to_screen, text_style
from softphone.ui.menus import build_menus
from softphone.ui.outgoing import OutgoingCalls
from softphone.ui.phone import PhoneController
from softphone.ui.pickers import ContactSearchField
from softphone.ui.reminders import Reminders
from softphone.ui.status_line import ElidedLabel, StatusBar
from softphone.ui.tasks import TasksView
from softphone.ui.today import TodayPage
from softphone.ui.tray import Tray, TrayWatch, app_icon
from softphone.ui.wrapup import WrapupPanel, summary_text
from softphone.workflow import CallWorkflow
from softphone.workflow_updates import (
    CallChanged,
    CallEnded,
    CallerFound,
    CallInfo,
    CallRefused,
    CallRow,
    DataChanged,
    WorkflowError,
    WorkflowUpdate,
)

if TYPE_CHECKING:
    from softphone.ui.contacts import ContactsView
    from softphone.ui.stats import StatsView

log = logging.getLogger("softphone.ui")


class MainWindow(QMainWindow):
    #: the settings dialog was accepted: (settings, passwords)
    settings_changed = Signal(object, dict)
    quit_requested = Signal()
    _devices_listed = Signal(list)

    def __init__(self, *, settings: Settings, db: Any, workflow: CallWorkflow,
                 engine: Any = None, profile: Path | None = None,
                 passwords: Callable[[], dict[str, str | None]] | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Softphone"))
        self.setWindowIcon(app_icon())
        self.settings = settings
        self.db = db
        self.engine = engine
        self.profile = profile
        self._passwords = passwords or dict
        self.workflow = workflow  # its updates come to on_workflow_update (app.py wires it)
        self.phone = PhoneController(engine, workflow, self)
        self.phone.message.connect(self.show_message)
        self.phone.current_changed.connect(self._refresh_call_panel)
        self.cards: dict[int, CallerCard] = {}
        self._pending_wrapup: CallInfo | None = None
        self._registration: dict[str, ev.RegistrationChanged] = {}
        self.quitting = False
        self.restarting = False  # quitting to start again (settings used at start)
        self._account_state = "ok"  # the tray's status: "ok" or "failed" (an account failed)
        self._missed_count = 0
        self.pending_dial = ""
        self.office: Any = None  # OfficeLink, when the composition root made one
        self.office_pbx: Any = None  # ui.office_pbx.OfficePbx: voicemail, chat, PBX colleagues
        self.port_notice = ""  # the configured port was taken: shown once the engine runs

        central = QWidget(self)
        lay = QVBoxLayout(central)
        top = QHBoxLayout()
        self.dial_field = ContactSearchField(self.search_contacts, central)
        self.dial_field.setObjectName("dialField")
        self.dial_field.setPlaceholderText(self.tr("Number, SIP address or name — Enter calls"))
        self.call_button = button(self.tr("Call"), central, name="dialButton")
        paint_button(self.call_button, "#2e7d32")
        top.addWidget(self.dial_field, 1)
        top.addWidget(self.call_button)
        lay.addLayout(top)
        # the account a call leaves from, its progress and failure, redial, the dial pad
        self.outgoing = OutgoingCalls(
            self, phone=self.phone, workflow=workflow, dial_field=self.dial_field,
            accounts=settings.accounts, profile=profile, db=db, show_message=self.show_message)
        top.insertWidget(1, self.outgoing.chooser)
        lay.addWidget(self.outgoing.bar)
        self.dial_field.submitted.connect(self._on_dial_submitted)
        self.dial_field.chosen.connect(self._on_dial_contact_chosen)
        self.call_button.clicked.connect(lambda: self._on_dial_submitted(self.dial_field.text()))

        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        # phone page: idle / in call / wrap-up
        self.phone_page = QStackedWidget(self)
        self.idle_page = TodayPage(self, dialpad=self.outgoing.pad)
        self.call_panel = CallPanel(self.search_contacts, self)
        # live figures in a call (the engine may be attached later: read it at each tick)
        self.call_panel.quality_source = lambda call_id: getattr(
            self.engine, "call_quality", lambda _c: None)(call_id)
        self.wrapup = WrapupPanel(settings.calls.outcomes, self)
        for page in (self.idle_page, self.call_panel, self.wrapup):
            self.phone_page.addWidget(page)
        self.first_start: QWidget | None = None  # "Connect your phone" (ui/first_start.py)
        if needs_first_start(settings):
            attach_first_start(self)
        self.missed = MissedInbox(db, self)
        self.tasks = TasksView(db, self)
        self.colleagues = ColleaguesView(self)
        # Contacts, History and Statistics are built when first opened (or asked for): a
        # phone idling in the tray never pays for them (~4 MiB: bench/bench_startup.py)
        self._views: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        tabs: tuple[tuple[QWidget | str, str], ...] = (
            (self.phone_page, self.tr("Phone")), ("contacts", self.tr("Contacts")),
            ("history", self.tr("History")), (self.missed, self.tr("Missed")),
            (self.tasks, self.tr("Tasks")), ("stats", self.tr("Statistics")),
            (self.colleagues, self.tr("Colleagues")))
        for widget, title in tabs:
            if isinstance(widget, str):
                widget = self._placeholders.setdefault(widget, QWidget(self.tabs))
            self.tabs.addTab(widget, title)
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self._connect_call_panel()
        self._connect_views()
        self._build_status_bar()
        self._build_actions()
        self.tray: Tray | None = None
        self._tray_watch = TrayWatch(self, self._make_tray)
        self.call_keys = CallKeys(self, settings.ui)  # headset buttons, global shortcuts
        # listed when first needed (a call, the settings): listing loads PortAudio
        self.devices: list[Any] = []
        self._devices_wanted = False
        self._after_devices: list[Callable[[], None]] = []
        self._devices_listed.connect(self._on_devices_listed)
        fit_to_screen(self, 960, 640)  # smaller on a small screen or at 200 %
        self.setTabOrder(self.dial_field, self.call_button)
        self.setTabOrder(self.call_button, self.tabs)

    # --- wiring -------------------------------------------------------------------------------
    def _connect_call_panel(self) -> None:
        p, ph = self.call_panel, self.phone
        p.hangup_requested.connect(ph.hangup)
        p.hold_requested.connect(ph.hold)
        p.mute_requested.connect(ph.mute)
        p.dtmf_requested.connect(ph.dtmf)
        p.transfer_requested.connect(ph.transfer)
        p.consult_requested.connect(ph.consult)
        p.complete_transfer_requested.connect(ph.complete_transfer)
        p.conference_requested.connect(ph.conference)
        p.record_requested.connect(ph.record)
        p.switch_requested.connect(ph.switch_to)
        p.output_device_chosen.connect(
            lambda name: ph.set_output_device(name, self.settings.audio))
        w = self.wrapup
        w.changed.connect(self._on_wrapup_changed)
        w.next_action_requested.connect(self._on_next_action_requested)
        w.create_contact_requested.connect(self._on_wrapup_create_contact)
        w.closed.connect(self._on_wrapup_closed)

    # --- the tabs built on first use -----------------------------------------------------------
    @property
    def contacts(self) -> ContactsView:
        return self._view("contacts")  # type: ignore[return-value]

    @property
    def history(self) -> HistoryView:
        return self._view("history")  # type: ignore[return-value]

    @property
    def stats(self) -> StatsView:
        return self._view("stats")  # type: ignore[return-value]

    def built(self, name: str) -> Any | None:
        """The view ``name`` ("contacts", "history", "stats") if it was built, else None."""
        return self._views.get(name)

    def _view(self, name: str) -> QWidget:
        view = self._views.get(name)
        if view is not None:
            return view
        view = self._build_view(name)
        self._views[name] = view
        placeholder = self._placeholders.pop(name)
        index = self.tabs.indexOf(placeholder)
        was_current = self.tabs.currentIndex() == index
        blocked = self.tabs.blockSignals(True)  # the same tab, now real: no tab change
        try:
            self.tabs.insertTab(index, view, self.tabs.tabText(index))
            self.tabs.removeTab(index + 1)
            if was_current:
                self.tabs.setCurrentIndex(index)
        finally:
            self.tabs.blockSignals(blocked)
        placeholder.deleteLater()
        return view

    def _build_view(self, name: str) -> QWidget:
        if name == "contacts":
            from softphone.ui.contacts import ContactsView

            contacts = ContactsView(self.db, self)
            contacts.call_requested.connect(self.call_number)
            contacts.play_requested.connect(self.play_recording)
            contacts.changed.connect(self.refresh_data)
            if self.office_pbx is not None:  # the card's chat pane
                self.office_pbx.contacts_built(contacts)
            return contacts
        if name == "history":
            history = HistoryView(self.db, self)
            history.call_requested.connect(self.call_number)
            history.play_requested.connect(self.play_recording)
            history.wrapup_requested.connect(self._on_history_wrapup_requested)
            return history
        from softphone.ui.stats import StatsView

        return StatsView(self.db, self)

    def _connect_views(self) -> None:
        for view in (self.missed, self.tasks):
            view.call_requested.connect(self.call_number)
        self.missed.count_changed.connect(self._on_missed_count_changed)
        self.missed.items_changed.connect(self.idle_page.set_missed)
        self.tasks.due_changed.connect(self.idle_page.set_tasks)
        self.idle_page.call_requested.connect(self.call_number)
        self.reminders = Reminders(self)  # notification, tray (ui/reminders.py)
        self.tasks.reminder_due.connect(self.reminders.on_due)
        self.colleagues.call_requested.connect(self._on_colleague_call_requested)
        self.colleagues.transfer_requested.connect(self._on_colleague_transfer_requested)
        self.colleagues.count_changed.connect(lambda found: self.tabs.setTabText(
            self.tabs.indexOf(self.colleagues),
            self.tr("Colleagues (%1)").replace("%1", str(found)) if found
            else self.tr("Colleagues")))
        self.tasks.changed.connect(self.refresh_data)

    def _build_status_bar(self) -> None:
        # messages get their own elided place, never painted over the account status
        bar = StatusBar(self)
        self.setStatusBar(bar)
        self.account_label = ElidedLabel(self)
        self.account_label.setObjectName("accountStatus")
        self.dnd_button = QToolButton(self)
        self.dnd_button.setObjectName("dndButton")
        self.listen_label = ElidedLabel(self)
        self.listen_label.setObjectName("listenNotice")
        self.listen_label.setStyleSheet(text_style("failed", self))
        self.listen_label.hide()
        bar.insertWidget(0, self.listen_label)
        self.settings_notice = ElidedLabel(self)  # running on defaults: the file's error
        self.settings_notice.setObjectName("settingsNotice")
        self.settings_notice.setStyleSheet(text_style("failed", self))
        self.settings_notice.hide()
        bar.insertWidget(0, self.settings_notice)
        bar.addPermanentWidget(self.account_label)
        bar.addPermanentWidget(self.dnd_button)

    def _build_actions(self) -> None:
        self.window_actions: dict[str, QAction] = {}  # by name: the menus show them

        def action(text: str, shortcut: str, slot: Callable[[], None],
                   name: str = "") -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            self.addAction(a)
            self.window_actions[name or text] = a
            return a

        # window-wide: the caller card has the same keys for when it has the focus
        self.answer_action = action(self.tr("Answer"), "Ctrl+Shift+A",
                                    self.phone.answer_ringing)
        self.decline_action = action(self.tr("Decline"), "Ctrl+Shift+D",
                                     self.phone.decline_ringing)
        action(self.tr("Focus the dial field"), "Ctrl+L", self._focus_dial_field, "dial")
        action(self.tr("Settings…"), "Ctrl+,", self.open_settings, "settings")
        action(self.tr("Quit"), "Ctrl+Q", self._on_quit_requested, "quit")
        for i in range(self.tabs.count()):
            action(self.tabs.tabText(i), f"Ctrl+{i + 1}",
                   lambda i=i: self.tabs.setCurrentIndex(i), f"tab{i}")
        self.dnd_action = QAction(self.tr("Do not disturb"), self)
        self.dnd_action.setCheckable(True)
        self.dnd_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.dnd_action.setChecked(self.settings.calls.dnd)
        self.dnd_action.toggled.connect(self._on_dnd_toggled)
        self.addAction(self.dnd_action)
        self.dnd_button.setDefaultAction(self.dnd_action)
        self.settings_button = button(self.tr("Settings"), self, name="settingsButton",
                                      tooltip=self.tr("Settings (Ctrl+,)"))
        self.settings_button.clicked.connect(self.open_settings)
        self.statusBar().addPermanentWidget(self.settings_button)
        build_menus(self)  # the menu bar shows these actions and adds Import/Export (menus.py)

    # --- sound devices (listed on the SIP thread, which owns the audio backend) ---------------
    def list_devices(self, then: Callable[[], None] | None = None) -> bool:
        """Ask the SIP thread for the sound devices (``then`` runs once they are in
        ``self.devices``). Listing loads PortAudio if no sound was needed yet, so it is done
        when a call comes or goes out and when the settings open, not at start (idle memory:
        softphone/sip/audio/deferred.py). False when there is no running engine to ask."""
        engine = self.engine
        if engine is None or not getattr(engine, "running", False):
            return False
        self._devices_wanted = True
        if then is not None:
            self._after_devices.append(then)
        try:
            future = engine.run_on_sip_thread(lambda: list(engine.audio.list_devices()))
        except Exception as exc:
            log.warning("cannot list sound devices: %s", exc)
            self._on_devices_listed([])
            return True
        future.add_done_callback(
            lambda f: self._devices_listed.emit(f.result() if not f.exception() else []))
        return True

    @Slot(list)
    def _on_devices_listed(self, devices: list[Any]) -> None:
        self.devices = devices
        outputs = [d.name for d in devices if d.max_output_channels > 0]
        self.call_panel.set_output_devices(outputs, self.settings.audio.output)
        waiting, self._after_devices = self._after_devices, []
        for job in waiting:
            job()

    def device_names(self) -> tuple[list[str], list[str]]:
        return ([d.name for d in self.devices if d.max_input_channels > 0],
                [d.name for d in self.devices if d.max_output_channels > 0])

    def _on_test_sound_requested(self, _device: str) -> None:
        if self.engine is not None:
            audio = self.engine.audio
            self.engine.run_on_sip_thread(lambda: audio.play_tone("busy"))

    # --- data ---------------------------------------------------------------------------------
    def search_contacts(self, query: str, show: Callable[[list[Any]], None]) -> None:
        from softphone.ui.integrations import with_directory  # the LDAP phone book, if any

        show = with_directory(getattr(self, "integrations", None), query, show)
        self.db.submit(lambda store: store.search(query, limit=10), show, lambda _e: None)

    def refresh_data(self) -> None:
        self.missed.refresh()
        self.tasks.refresh()
        current = self.tabs.currentWidget()
        if current is not None and current in self._views.values():
            current.refresh()  # type: ignore[attr-defined]  # the built views all refresh

    # --- the office: colleagues on the LAN, changes made on other desks ----------------------
    def attach_office(self, link: Any) -> None:
        """Show ``link``'s colleagues, reload on its CRM changes, tell it about DND."""
        self.office = link
        link.colleagues_changed.connect(self.colleagues.set_colleagues)
        link.presence_status.connect(self.colleagues.set_presence_status)
        link.tables_changed.connect(self.on_crm_tables_changed)
        self.dnd_action.toggled.connect(link.set_dnd)
        link.set_dnd(self.dnd_action.isChecked())

    @Slot(set)
    def on_crm_tables_changed(self, tables: set[str]) -> None:
        """Another desk (or this one) changed the shared CRM: reload what shows it."""
        reload_for_changes(self, tables)

    @Slot(str)
    def _on_colleague_call_requested(self, uri: str) -> None:
        self.phone.dial(uri)

    @Slot(str)
    def _on_colleague_transfer_requested(self, uri: str) -> None:
        current = self.phone.current()
        if current is None:
            self.show_message(self.tr("No call to transfer."))
            return
        self.phone.transfer(current.call_id, uri)

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        current = self.tabs.currentWidget()
        name = next((n for n, p in self._placeholders.items() if p is current), None)
        if name is not None:
            current = self._view(name)  # opened for the first time: built now
        if current in (*self._views.values(), self.tasks, self.missed):
            current.refresh()  # type: ignore[attr-defined]

    # --- SIP events (the workflow has had them first: app.py connects it before the window) --
    def on_sip_event(self, event: ev.SipEvent) -> None:
        if isinstance(event, ev.IncomingCall | ev.CallStateChanged) and not self._devices_wanted:
            self.list_devices()  # the call's output picker (sound is loaded for the call)
        if isinstance(event, ev.EngineStarted):
            if self._devices_wanted:  # a restarted engine: its devices
                self.list_devices()
            if self.pending_dial:
                target, self.pending_dial = self.pending_dial, ""
                self.dial(target)
        if isinstance(event, ev.EngineStarted) and self.port_notice:
            # stays in the status bar: calls to the usual port will not reach this phone
            self.listen_label.setText(self.port_notice + " " + self.tr(
                "Listening on %1.").replace("%1", event.listen))
            self.listen_label.show()
        elif isinstance(event, ev.RegistrationChanged):
            if event.state == ev.RegistrationState.UNREGISTERED and event.reason == "removed":
                self._registration.pop(event.account, None)  # no longer configured
            else:
                self._registration[event.account] = event
            self._show_account_status()
        elif isinstance(event, ev.AudioLevels):
            self.call_panel.set_levels(event.mic, event.speaker)
            dialog = getattr(self, "settings_dialog", None)
            if dialog is not None and dialog.isVisible():
                dialog.set_input_level(event.mic)
        elif isinstance(event, ev.VoiceProcessing):
            self.call_panel.set_voice_processing(event.echo_cancellation,
                                                 event.noise_suppression,
                                                 event.automatic_gain, event.note)
        elif isinstance(event, ev.AudioDeviceNotice | ev.EngineError):
            log.info("shown: %s", event.message)  # the engine's own words, for the log
            self.show_message(notice_text(event))
        elif isinstance(event, ev.CallForwarded):
            self.show_message(self.tr("Call from %1 forwarded to %2").replace(
                "%1", event.number or event.remote_uri).replace("%2", event.target))
        elif isinstance(event, ev.TransferStatus) and event.final:
            ok = 200 <= event.code < 300
            self.show_message(self.tr("Transfer done") if ok else
                              self.tr("Transfer failed (%1)").replace("%1", str(event.code)))

    def accounts_changed(self, names: set[str]) -> None:
        """The settings now configure the accounts ``names``: the others leave the status
        bar at once (the engine's "removed" event follows)."""
        for gone in [n for n in self._registration if n not in names]:
            del self._registration[gone]
        self._show_account_status()

    def _show_account_status(self) -> None:
        parts = []
        worst = "ok"
        for name, r in self._registration.items():
            if r.state == ev.RegistrationState.REGISTERED:
                parts.append(self.tr("%1: registered").replace("%1", name))
            elif r.state == ev.RegistrationState.LAN:
                parts.append(self.tr("%1: ready (LAN)").replace("%1", name))
            elif r.state == ev.RegistrationState.FAILED:
                worst = "failed"
                why = f"{r.code} {r.reason}".strip()
                parts.append(self.tr("%1: failed (%2)").replace("%1", name).replace("%2", why))
            elif r.state == ev.RegistrationState.REGISTERING:
                parts.append(self.tr("%1: registering…").replace("%1", name))
            else:
                parts.append(self.tr("%1: offline").replace("%1", name))
        self.account_label.setText("; ".join(parts))
        self._account_state = worst
        self.refresh_tray()

    def _make_tray(self) -> None:
        tray = Tray(self.dnd_action, self)
        tray.show_requested.connect(self.bring_to_front)
        tray.quit_requested.connect(self._on_quit_requested)
        tray.message_clicked.connect(
            lambda: self.reminders.on_tray_message_clicked() or self.bring_to_front())
        self.tray = tray
        if self.office_pbx is not None:  # "call voicemail" in its menu
            self.office_pbx.tray_made(tray)
        self.refresh_tray()

    def refresh_tray(self) -> None:
        """The tray icon shows the most pressing state (a call, do-not-disturb, a failed
        account, missed calls); its tooltip lists them all."""
        tray = getattr(self, "tray", None)  # None before __init__ made it, or with no tray
        if tray is None:
            return
        status, lines = self._account_state, [self.tr("Softphone")]
        calls = self.workflow.calls()
        ringing = [c for c in calls if c.ringing_in]
        talking = [c for c in calls if c not in ringing]
        if ringing:
            lines.append(self.tr("Incoming call: %1").replace("%1", ringing[0].title))
        if talking:
            lines.append(self.tr("In call: %1").replace("%1", talking[0].title))
        if self.dnd_action.isChecked():
            lines.append(self.tr("Do not disturb is on"))
        if self._missed_count:
            lines.append(self.tr("Missed calls: %1").replace("%1", str(self._missed_count)))
        lines += self.reminders.tray_lines()
        attention = False
        if self.office_pbx is not None:  # voicemail waiting, unread messages
            for line in self.office_pbx.tray_lines():
                lines.append(line)
                attention = True
        if self.account_label.text():
            lines.append(self.account_label.text())
        if ringing or talking:
            status = "ringing"
        elif self.dnd_action.isChecked():
            status = "dnd"
        elif status == "ok" and (self._missed_count or attention):
            status = "missed"
        tray.set_status(status, "\n".join(lines))

    def show_settings_notice(self, text: str) -> None:
        """Stays in the status bar (whole text in its tooltip when cut)."""
        self.settings_notice.setText(text)
        self.settings_notice.setVisible(bool(text))

    @Slot(str)
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    # --- workflow updates --------------------------------------------------------------------
    def on_workflow_update(self, update: WorkflowUpdate) -> None:
        self.outgoing.on_update(update)
        if isinstance(update, CallChanged | CallerFound):
            call = update.call
            if call.ringing_in:
                self._show_card(call)
            else:
                self._close_card(call.call_id)
                self._show_phone_page()
            self._refresh_call_panel()
        elif isinstance(update, CallEnded):
            call = update.call
            self._close_card(call.call_id)
            self.phone.ended(call.call_id)
            if call.outcome == "missed":
                self._notify(self.tr("Missed call"), call.title)
            if update.wrapup:
                self._pending_wrapup = call
            self._refresh_call_panel()
            self._show_phone_page()
        elif isinstance(update, DataChanged):
            reload_for_changes(self, set(update.tables))
        elif isinstance(update, WorkflowError):
            self.show_message(update.message)
        elif isinstance(update, CallRefused):
            self._on_call_refused(update.event)
        if isinstance(update, CallChanged | CallEnded):
            self.refresh_tray()
            self.call_keys.calls_changed()  # the headset button is ours while a call is

    def _on_call_refused(self, event: ev.IncomingCallRefused) -> None:
        """A customer called and the phone could not take the call (no common codec): the
        agent is told now; the call is in History and the missed-call inbox."""
        from softphone.ui.common import end_reason_text
        from softphone.workflow import refusal_reason

        who = event.display_name or event.number or event.remote_uri
        why = end_reason_text(event.code, refusal_reason(event)) or event.reason
        text = self.tr("Call from %1 refused: %2").replace("%1", who).replace("%2", why)
        self.show_message(text)
        self._notify(self.tr("Missed call"), text)

    def _show_card(self, call: CallInfo) -> None:
        card = self.cards.get(call.call_id)
        if card is None:
            card = CallerCard(call, self.search_contacts)
            card.answer_requested.connect(self.phone.answer)
            card.end_current_and_answer_requested.connect(self.phone.hangup_and_answer)
            card.decline_requested.connect(self.phone.decline)
            card.create_contact_requested.connect(self._on_card_create_contact)
            card.add_to_contact_requested.connect(self._on_card_add_to_contact)
            card.ignore_requested.connect(self.workflow.ignore_number)
            self.cards[call.call_id] = card
            self.call_keys.watch(card)  # headset/media keys while the card has the focus
            self._place_card(card)
            card.show()
            card.raise_()
            self._notify(self.tr("Call waiting") if call.waiting else self.tr("Incoming call"),
                         call.title)
        else:
            card.set_call(call)
        card.resize(card.sizeHint())  # adjustSize() caps the size at a share of the screen

    def _place_card(self, card: CallerCard) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        card.resize(card.sizeHint())  # adjustSize() caps the size at a share of the screen
        offset = (len(self.cards) - 1) * 40
        card.move(area.right() - card.width() - 24 - offset, area.top() + 24 + offset)

    def _close_card(self, call_id: int) -> None:
        card = self.cards.pop(call_id, None)
        if card is not None:
            card.hide()
            card.deleteLater()

    def _notify(self, title: str, text: str) -> None:
        if self.tray is not None:
            self.tray.notify(title, text)

    @Slot()
    def _refresh_call_panel(self) -> None:
        current = self.phone.current()
        self.call_panel.consults = dict(self.phone.consults)
        calls = [c for c in self.workflow.calls() if not c.ringing_in]
        self.call_panel.set_calls(calls, current.call_id if current else None)
        self.colleagues.set_in_call(current is not None and current.state == CallState.CONFIRMED)

    def _show_phone_page(self) -> None:
        active = [c for c in self.workflow.calls() if not c.ringing_in]
        if active:
            if self.phone_page.currentWidget() is self.wrapup:
                self.wrapup.flush()
            self.phone_page.setCurrentWidget(self.call_panel)
            self.tabs.setCurrentWidget(self.phone_page)
            return
        if self._pending_wrapup is not None:
            call = self._pending_wrapup
            self._pending_wrapup = None
            talk = (int((call.ended_at - call.answered_at).total_seconds())
                    if call.answered_at and call.ended_at else None)
            known = call.caller.known if call.caller else False
            self.wrapup.start(title=call.title, call_id=call.call_id, row=call.row,
                              number=call.number,
                              summary=summary_text(call.direction.value, call.number, talk,
                                                   call.outcome or ""), known=known)
            self.phone_page.setCurrentWidget(self.wrapup)
            self.tabs.setCurrentWidget(self.phone_page)
        elif self.phone_page.currentWidget() is self.call_panel:
            self.phone_page.setCurrentWidget(self.idle_page)

    # --- caller card and wrap-up actions ------------------------------------------------------
    @Slot(int, str, str, str)
    def _on_card_create_contact(self, call_id: int, name: str, company: str,
                                deal: str) -> None:
        self.workflow.create_contact_for_call(call_id, name, company=company or None,
                                              deal_title=deal or None)

    @Slot(int, int)
    def _on_card_add_to_contact(self, call_id: int, contact_id: int) -> None:
        self.workflow.add_number_to_contact(call_id, contact_id)

    def _wrapup_target(self) -> dict[str, Any]:
        w = self.wrapup  # the call (its contact) while known, and the CRM row
        return {"row": w.row, "call_id": w.call_id}

    @Slot(str, str, str)
    def _on_wrapup_changed(self, outcome: str, reason: str, note: str) -> None:
        self.workflow.save_wrapup(outcome=outcome or None, reason=reason, note=note,
                                  on_done=lambda _w: self._on_wrapup_saved(),
                                  **self._wrapup_target())

    def _on_wrapup_saved(self) -> None:
        self.wrapup.set_saved(True)
        history = self.built("history")
        if history is not None and self.tabs.currentIndex() == self.tabs.indexOf(history):
            history.refresh()

    @Slot(str, str, object)
    def _on_next_action_requested(self, kind: str, title: str, due: Any) -> None:
        self.workflow.add_next_action(kind, title, due, number=self.wrapup.number or None,
                                      **self._wrapup_target())

    @Slot(str, str, str)
    def _on_wrapup_create_contact(self, name: str, company: str, deal: str) -> None:
        target = self._wrapup_target()
        self.workflow.create_contact_for_call(target.get("call_id"), name,
                                              company=company or None, number=self.wrapup.number,
                                              deal_title=deal or None,
                                              row=target.get("row"))

    @Slot()
    def _on_wrapup_closed(self) -> None:
        self.phone_page.setCurrentWidget(self.idle_page)
        self._show_phone_page()

    @Slot(object)
    def _on_history_wrapup_requested(self, row: Any) -> None:
        if self.workflow.calls():
            self.show_message(self.tr("Finish the call first."))
            return
        self.wrapup.start(title=row.contact_name or row.display_name or row.number,
                          row=CallRow(row.id), number=row.number,
                          known=row.contact_id is not None,
                          summary=summary_text(row.direction, row.number, row.talk_seconds,
                                               row.outcome or ""), wrapup=row.wrapup)
        self.phone_page.setCurrentWidget(self.wrapup)
        self.tabs.setCurrentWidget(self.phone_page)

    # --- dialling -----------------------------------------------------------------------------
    @Slot(str)
    def _on_dial_submitted(self, text: str) -> None:
        if self.phone.dial(text) is not None:
            self.dial_field.clear()

    @Slot(int, str)
    def _on_dial_contact_chosen(self, contact_id: int, number: str) -> None:
        # a directory entry (id -1) is no contact of the CRM
        if number and self.phone.dial(number, contact_id if contact_id > 0 else None) \
                is not None:
            self.dial_field.clear()

    @Slot(str, int)
    def call_number(self, number: str, contact_id: int) -> None:
        self.phone.dial(number, contact_id if contact_id >= 0 else None)

    def dial(self, target: str) -> int | None:
        """Dial from outside (command line, a clicked link)."""
        return self.phone.dial(target)

    def dial_when_ready(self, target: str) -> bool:
        """Dial now, or as soon as the engine has started (a link that started the app)."""
        if self.engine is not None and not getattr(self.engine, "running", True):
            self.pending_dial = target
            self.show_message(self.tr("Calling %1 as soon as the phone is ready…")
                              .replace("%1", target))
            return True
        return self.dial(target) is not None

    def _focus_dial_field(self) -> None:
        self.dial_field.setFocus()
        self.dial_field.selectAll()

    # --- misc ---------------------------------------------------------------------------------
    @Slot(int)
    def _on_missed_count_changed(self, count: int) -> None:
        i = self.tabs.indexOf(self.missed)
        self.tabs.setTabText(i, self.tr("Missed (%1)").replace("%1", str(count)) if count
                             else self.tr("Missed"))
        self._missed_count = count
        self.refresh_tray()

    @Slot(bool)
    def _on_dnd_toggled(self, on: bool) -> None:
        calls = dataclasses.replace(self.settings.calls, dnd=on)
        self.settings = dataclasses.replace(self.settings, calls=calls)
        if self.engine is not None:
            self.engine.set_call_settings(calls)
        self.show_message(self.tr("Do not disturb is on: calls are declined") if on
                          else self.tr("Do not disturb is off"))
        self._show_account_status()

    def play_recording(self, path: str) -> None:
        from softphone.ui.player import show_player  # its own window (player.py)

        show_player(self, self.engine, path)

    def open_settings(self) -> None:
        from softphone.ui.account_test import attach_account_tester
        from softphone.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self._passwords(), self.device_names(),
                                parent=self)
        dialog.accepted_settings.connect(self.settings_changed)
        dialog.test_sound_requested.connect(self._on_test_sound_requested)
        attach_account_tester(dialog, self.engine)
        dialog.setModal(False)
        dialog.show()
        self.settings_dialog = dialog
        if not self.devices:  # the audio page's choices, once sound is loaded and listed
            self.list_devices(lambda: self._fill_device_choices(dialog))

    def offer_restart(self, reasons: list[str]) -> None:
        """Settings that apply at the next start were saved: say so, offer to restart now."""
        from PySide6.QtWidgets import QMessageBox

        text = self.tr("The new settings for %1 apply when Softphone starts again.").replace(
            "%1", ", ".join(reasons))
        if self.workflow.calls():
            text += " " + self.tr("Restarting now ends the calls in progress.")
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Restart Softphone?"), text,
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("restartOffer")
        restart = box.addButton(self.tr("Restart now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        restart.clicked.connect(self.restart)
        box.setModal(False)
        box.show()
        self.restart_box = box

    @Slot()
    def restart(self) -> None:
        """Quit, and have the app started again once it has shut down (app.run_gui)."""
        self.restarting = True
        self._on_quit_requested()

    def _fill_device_choices(self, dialog: Any) -> None:
        with contextlib.suppress(RuntimeError):  # closed (and deleted) meanwhile
            dialog.set_devices(*self.device_names())

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    @Slot()
    def _on_quit_requested(self) -> None:
        self.quitting = True
        self.quit_requested.emit()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray is not None and self.settings.ui.close_to_tray and not self.quitting:
            event.ignore()
            self.hide()
            return
        self.wrapup.flush()
        for call_id in list(self.cards):
            self._close_card(call_id)
        event.accept()
