"""The main window: dial bar, the phone page (in-call panel / wrap-up), contacts, history,
missed calls, tasks, statistics; account status and do-not-disturb in the status bar; tray."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
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
from softphone.ui.account_status import AccountStatus
from softphone.ui.call_keys import CallKeys
from softphone.ui.call_screens import CallScreens
from softphone.ui.colleagues import ColleaguesView, reload_for_changes
from softphone.ui.common import button, paint_button
from softphone.ui.engine_messages import event_message
from softphone.ui.history import HistoryView, MissedInbox
from softphone.ui.lazy_tabs import LazyTabs
from softphone.ui.look import fit_to_screen, text_style
from softphone.ui.menus import build_menus
from softphone.ui.outgoing import OutgoingCalls
from softphone.ui.phone import PhoneController
from softphone.ui.phone_pages import LazyPage, build_call_panel, build_wrapup, show_output_devices
from softphone.ui.pickers import ContactSearchField
from softphone.ui.reminders import Reminders
from softphone.ui.restart_offer import restart_offer
from softphone.ui.sound_devices import SoundDevices
from softphone.ui.status_line import ElidedLabel, StatusBar
from softphone.ui.tasks import TasksView
from softphone.ui.today import TodayPage
from softphone.ui.tray import Tray, TrayWatch, app_icon, tray_status
from softphone.workflow import CallWorkflow
from softphone.workflow_updates import (
    CallChanged,
    CallEnded,
    DataChanged,
    WorkflowError,
    WorkflowUpdate,
)

if TYPE_CHECKING:
    from softphone.ui.call_panel import CallPanel
    from softphone.ui.contacts import ContactsView
    from softphone.ui.stats import StatsView
    from softphone.ui.wrapup import WrapupPanel


class MainWindow(QMainWindow):
    #: the settings dialog was accepted: (settings, passwords)
    settings_changed = Signal(object, dict)
    quit_requested = Signal()

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
        self.quitting = False
        self.restarting = False  # quitting to start again (settings used at start)
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
            accounts=settings.accounts, profile=profile, db=db, show_message=self.show_message,
            place_bar=lambda bar: lay.insertWidget(1, bar))  # under the dial field
        top.insertWidget(1, self.outgoing.chooser)
        self.dial_field.submitted.connect(self._on_dial_submitted)
        self.dial_field.chosen.connect(self._on_dial_contact_chosen)
        self.call_button.clicked.connect(lambda: self._on_dial_submitted(self.dial_field.text()))

        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        # phone page: idle / in call / wrap-up
        self.phone_page = QStackedWidget(self)
        self.idle_page = TodayPage(self, dialpad=lambda: self.outgoing.pad)
        self.outgoing.place_pad = self.idle_page.place_dialpad
        self.phone_page.addWidget(self.idle_page)
        # the calls up and the wrap-up, built when first needed (phone_pages.py)
        self.call_page = LazyPage(self.phone_page, lambda: build_call_panel(self))
        self.wrapup_page = LazyPage(self.phone_page, lambda: build_wrapup(self))
        self.first_start: QWidget | None = None  # "Connect your phone" (ui/first_start.py)
        if settings.ui.first_start_page and not settings.accounts:  # its module only then
            from softphone.ui.first_start import attach_first_start

            attach_first_start(self)
        self.missed = MissedInbox(db, self)
        self.tasks = TasksView(db, self)
        self.colleagues = ColleaguesView(self)
        # Contacts, History and Statistics are built when first opened (lazy_tabs.py)
        self.lazy_tabs = LazyTabs(self.tabs, self._build_view)
        tabs: tuple[tuple[QWidget | str, str], ...] = (
            (self.phone_page, self.tr("Phone")), ("contacts", self.tr("Contacts")),
            ("history", self.tr("History")), (self.missed, self.tr("Missed")),
            (self.tasks, self.tr("Tasks")), ("stats", self.tr("Statistics")),
            (self.colleagues, self.tr("Colleagues")))
        for widget, title in tabs:
            if isinstance(widget, str):
                self.lazy_tabs.add(widget, title)
            else:
                self.tabs.addTab(widget, title)
        self.tabs.currentChanged.connect(self._on_tab_changed)

        # the caller cards, the phone page and the wrap-up follow the calls (call_screens.py)
        self.call_screens = CallScreens(self, self)
        self.cards = self.call_screens.cards
        self.phone.current_changed.connect(self.call_screens.refresh_call_panel)
        self._connect_views()
        self._build_status_bar()
        self._build_actions()
        self.tray: Tray | None = None
        self._tray_watch = TrayWatch(self, self._make_tray)
        self.call_keys = CallKeys(self, settings.ui)  # headset buttons, global shortcuts
        # listed when first needed (a call, the settings): listing loads PortAudio
        self.sound_devices = SoundDevices(
            lambda: self.engine, lambda devices: self.call_page.built and show_output_devices(
                self.call_page.built, devices, self.settings.audio.output), self)
        fit_to_screen(self, 960, 640)  # smaller on a small screen or at 200 %
        self.setTabOrder(self.dial_field, self.call_button)
        self.setTabOrder(self.call_button, self.tabs)

    @property
    def call_panel(self) -> CallPanel:
        return self.call_page.get()

    @property
    def wrapup(self) -> WrapupPanel:
        return self.wrapup_page.get()

    # --- the tabs built on first use -----------------------------------------------------------
    @property
    def contacts(self) -> ContactsView:
        return self.lazy_tabs.view("contacts")  # type: ignore[return-value]

    @property
    def history(self) -> HistoryView:
        return self.lazy_tabs.view("history")  # type: ignore[return-value]

    @property
    def stats(self) -> StatsView:
        return self.lazy_tabs.view("stats")  # type: ignore[return-value]

    def built(self, name: str) -> Any | None:
        """The view ``name`` ("contacts", "history", "stats") if it was built, else None."""
        return self.lazy_tabs.views.get(name)

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
            history.wrapup_requested.connect(self.call_screens.on_history_wrapup_requested)
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
        self.account_status = AccountStatus(self.account_label)
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

    # --- data ---------------------------------------------------------------------------------
    def search_contacts(self, query: str, show: Callable[[list[Any]], None]) -> None:
        from softphone.ui.integrations import with_directory  # the LDAP phone book, if any

        show = with_directory(getattr(self, "integrations", None), query, show)
        self.db.submit(lambda store: store.search(query, limit=10), show, lambda _e: None)

    def refresh_data(self) -> None:
        self.missed.refresh()
        self.tasks.refresh()
        current = self.tabs.currentWidget()
        if current is not None and current in self.lazy_tabs.views.values():
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
        name = self.lazy_tabs.placeholder_name(current)
        if name is not None:
            current = self.lazy_tabs.view(name)  # opened for the first time: built now
        if current in (*self.lazy_tabs.views.values(), self.tasks, self.missed):
            current.refresh()  # type: ignore[attr-defined]

    # --- SIP events (the workflow has had them first: app.py connects it before the window) --
    def on_sip_event(self, event: ev.SipEvent) -> None:
        devices = self.sound_devices
        if isinstance(event, ev.IncomingCall | ev.CallStateChanged) and not devices.wanted:
            devices.request()  # the call's output picker (sound is loaded for the call)
        if isinstance(event, ev.EngineStarted):
            if devices.wanted:  # a restarted engine: its devices
                devices.request()
            if self.pending_dial:
                target, self.pending_dial = self.pending_dial, ""
                self.dial(target)
        if isinstance(event, ev.EngineStarted) and self.port_notice:
            # stays in the status bar: calls to the usual port will not reach this phone
            self.listen_label.setText(self.port_notice + " " + self.tr(
                "Listening on %1.").replace("%1", event.listen))
            self.listen_label.show()
        elif isinstance(event, ev.RegistrationChanged):
            self.account_status.registration_changed(event)
            self.refresh_tray()
        elif isinstance(event, ev.AudioLevels):
            if self.call_page.built is not None:
                self.call_page.built.set_levels(event.mic, event.speaker)
            dialog = getattr(self, "settings_dialog", None)
            if dialog is not None and dialog.isVisible():
                dialog.set_input_level(event.mic)
        elif isinstance(event, ev.VoiceProcessing):
            self.call_panel.set_voice_processing(event.echo_cancellation,
                                                 event.noise_suppression,
                                                 event.automatic_gain, event.note)
        elif (text := event_message(event)) is not None:
            self.show_message(text)

    def accounts_changed(self, names: set[str]) -> None:
        """The settings now configure the accounts ``names``: the others leave the status
        bar at once (the engine's "removed" event follows)."""
        self.account_status.accounts_changed(names)
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
        calls = self.workflow.calls()
        ringing = [c.title for c in calls if c.ringing_in]
        talking = [c.title for c in calls if not c.ringing_in]
        tray.set_status(*tray_status(
            account_state=self.account_status.state, ringing=next(iter(ringing), None),
            talking=next(iter(talking), None), dnd=self.dnd_action.isChecked(),
            missed=self._missed_count, reminders=self.reminders.tray_lines(),
            attention=self.office_pbx.tray_lines() if self.office_pbx is not None else [],
            accounts=self.account_label.text()))

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
        self.call_screens.on_update(update)
        if isinstance(update, DataChanged):
            reload_for_changes(self, set(update.tables))
        elif isinstance(update, WorkflowError):
            self.show_message(update.message)
        if isinstance(update, CallChanged | CallEnded):
            self.refresh_tray()
            self.call_keys.calls_changed()  # the headset button is ours while a call is

    def notify(self, title: str, text: str) -> None:
        if self.tray is not None:
            self.tray.notify(title, text)

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
        self.refresh_tray()

    def play_recording(self, path: str) -> None:
        from softphone.ui.player import show_player  # its own window (player.py)

        show_player(self, self.engine, path)

    def open_settings(self) -> None:
        from softphone.ui.account_test import attach_account_tester
        from softphone.ui.settings_dialog import SettingsDialog

        devices = self.sound_devices
        dialog = SettingsDialog(self.settings, self._passwords(), devices.names(),
                                parent=self)
        dialog.accepted_settings.connect(self.settings_changed)
        dialog.test_sound_requested.connect(devices.play_test_sound)
        attach_account_tester(dialog, self.engine)
        dialog.setModal(False)
        dialog.show()
        self.settings_dialog = dialog
        if not devices.devices:  # the audio page's choices, once sound is loaded and listed
            devices.request(lambda: self._fill_device_choices(dialog))

    def offer_restart(self, reasons: list[str]) -> None:
        """Settings that apply at the next start were saved: say so, offer to restart now."""
        self.restart_box = restart_offer(self, reasons, in_call=bool(self.workflow.calls()),
                                         restart=self.restart)

    @Slot()
    def restart(self) -> None:
        """Quit, and have the app started again once it has shut down (app.run_gui)."""
        self.restarting = True
        self._on_quit_requested()

    def _fill_device_choices(self, dialog: Any) -> None:
        with contextlib.suppress(RuntimeError):  # closed (and deleted) meanwhile
            dialog.set_devices(*self.sound_devices.names())

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
        if self.wrapup_page.built is not None:
            self.wrapup_page.built.flush()
        for call_id in list(self.cards):
            self.call_screens.close_card(call_id)
        event.accept()
