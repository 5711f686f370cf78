"""The settings dialog: accounts, audio devices, CRM, call handling and language.

It only edits values; the caller saves them (``save_settings`` + the keyring) and applies them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.crm.phones import region_known
from softphone.settings import (
    DIALABLE,
    ECHO_TAIL_MAX_MS,
    ECHO_TAIL_MIN_MS,
    TRANSPORTS,
    AccountSettings,
    Settings,
)
from softphone.settings_network import TURN_SECRET_SUFFIX, turn_secret_name
from softphone.ui.account_advanced import NETWORK_KEYS, AccountAdvanced
from softphone.ui.codec_order import CodecOrderEditor
from softphone.ui.common import button, plain_label
from softphone.ui.levels import LevelMeter
from softphone.ui.look import text_style


class SettingsDialog(QDialog):
    #: new settings, passwords {account name: password or None to delete}
    accepted_settings = Signal(object, dict)
    test_account_requested = Signal(object)  # AccountSettings
    test_sound_requested = Signal(str)  # ringer/output device name ("" default)

    def __init__(self, settings: Settings, passwords: dict[str, str | None],
                 devices: tuple[list[str], list[str]] = ([], []),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.accounts: list[AccountSettings] = list(settings.accounts)
        self.passwords = dict(passwords)
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        lay.addWidget(self.tabs)
        self.tabs.addTab(self._accounts_tab(), self.tr("Accounts"))
        self.tabs.addTab(self._audio_tab(*devices), self.tr("Audio"))
        self.tabs.addTab(self._crm_tab(), self.tr("CRM"))
        self.tabs.addTab(self._calls_tab(), self.tr("Call handling"))
        self.tabs.addTab(self._language_tab(), self.tr("Language"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        lay.addWidget(buttons)
        buttons.accepted.connect(self._on_ok_clicked)
        buttons.rejected.connect(self.reject)
        self.resize(620, 460)

    # --- accounts ---------------------------------------------------------------------------
    def _accounts_tab(self) -> QWidget:
        w = QWidget(self)
        lay = QHBoxLayout(w)
        left = QVBoxLayout()
        self.account_list = QListWidget(w)
        self.account_list.setObjectName("accountList")
        left.addWidget(self.account_list)
        row = QHBoxLayout()
        self.add_account_button = button(self.tr("Add"), w, name="addAccount")
        self.remove_account_button = button(self.tr("Remove"), w, name="removeAccount")
        row.addWidget(self.add_account_button)
        row.addWidget(self.remove_account_button)
        left.addLayout(row)
        lay.addLayout(left, 1)
        right = QVBoxLayout()
        self.no_account_label = plain_label(
            self.tr("No account: the phone calls other phones on the local network directly. "
                    "Add an account to use a PBX or a SIP provider."), w)
        right.addWidget(self.no_account_label)
        self.account_form = QWidget(w)
        form = QFormLayout(self.account_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.acc_name = QLineEdit(w)
        self.acc_address = QLineEdit(w)
        self.acc_address.setPlaceholderText("sip:1001@pbx.example.com")
        self.acc_registrar = QLineEdit(w)
        self.acc_registrar.setPlaceholderText(self.tr("sip:pbx.example.com (empty: LAN)"))
        self.acc_username = QLineEdit(w)
        self.acc_password = QLineEdit(w)
        self.acc_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.acc_transport = QComboBox(w)
        self.acc_transport.addItems(list(TRANSPORTS))
        self.acc_voicemail = QLineEdit(w)
        self.acc_voicemail.setObjectName("accountVoicemail")
        self.acc_voicemail.setPlaceholderText(self.tr("*97 (what the Voicemail button dials)"))
        self.acc_colleagues = QLineEdit(w)
        self.acc_colleagues.setObjectName("accountColleagues")
        self.acc_colleagues.setPlaceholderText(self.tr("101, 102, sip:bob@pbx.example.com"))
        self.acc_colleagues.setToolTip(self.tr(
            "Colleagues whose presence the server tells (extensions or SIP addresses, "
            "separated by commas); your own state is published to them"))
        self.acc_enabled = QCheckBox(self.tr("Enabled"), w)
        self.test_account_button = button(self.tr("Test"), w, name="testAccount")
        # The answer shows next to the button; the dialog stays usable meanwhile.
        self.account_test_label = plain_label("", w)
        self.account_test_label.setObjectName("accountTestResult")
        self.account_test_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_account_button)
        test_row.addWidget(self.account_test_label, 1)
        self.account_error = plain_label("", w)
        self.account_error.setStyleSheet(text_style("failed", self))
        for label, field in ((self.tr("Name"), self.acc_name),
                             (self.tr("Address"), self.acc_address),
                             (self.tr("Registrar"), self.acc_registrar),
                             (self.tr("User name"), self.acc_username),
                             (self.tr("Password"), self.acc_password),
                             (self.tr("Transport"), self.acc_transport),
                             (self.tr("Voicemail"), self.acc_voicemail),
                             (self.tr("Colleagues"), self.acc_colleagues)):
            form.addRow(label, field)
        form.addRow(self.acc_enabled)
        # Advanced: NAT traversal and encrypted media (ui/account_advanced.py), folded away
        self.advanced_button = button(self.tr("Advanced…"), w, name="accountAdvancedButton")
        self.advanced_button.setCheckable(True)
        self.account_advanced = AccountAdvanced(w)
        self.account_advanced.hide()
        self.advanced_button.toggled.connect(self.account_advanced.setVisible)
        form.addRow(self.advanced_button)
        form.addRow(self.account_advanced)
        form.addRow(test_row)
        form.addRow(self.account_error)
        right.addWidget(self.account_form)
        right.addStretch(1)
        lay.addLayout(right, 2)
        for a in self.accounts:
            self.account_list.addItem(a.name)
        self.account_list.currentRowChanged.connect(self._on_account_selected)
        self.add_account_button.clicked.connect(self._on_add_account_clicked)
        self.remove_account_button.clicked.connect(self._on_remove_account_clicked)
        self.test_account_button.clicked.connect(self._on_test_account_clicked)
        self._current_account = -1
        if self.accounts:
            self.account_list.setCurrentRow(0)
        self._update_account_form()
        return w

    def _update_account_form(self) -> None:
        has = 0 <= self._current_account < len(self.accounts)
        self.account_form.setEnabled(has)
        self.no_account_label.setVisible(not self.accounts)
        self.remove_account_button.setEnabled(has)

    def _form_account(self) -> AccountSettings | None:
        name = self.acc_name.text().strip()
        address = self.acc_address.text().strip()
        if not name or not address.startswith(("sip:", "sips:")) or "@" not in address:
            self.account_error.setText(self.tr("An account needs a name and an address "
                                               "like sip:user@host."))
            return None
        voicemail = self.acc_voicemail.text().strip() or None
        colleagues = tuple(dict.fromkeys(
            c.strip() for c in self.acc_colleagues.text().replace(";", ",").split(",")
            if c.strip()))
        bad = [c for c in ((voicemail,) if voicemail else ()) + colleagues
               if not DIALABLE.match(c)]
        if bad:
            self.account_error.setText(self.tr("Not an extension, a number or a SIP address: "
                                               "%1").replace("%1", bad[0]))
            return None
        transport = self.acc_transport.currentText()
        try:
            network = self.account_advanced.values(transport)
        except ValueError as exc:
            self.advanced_button.setChecked(True)
            self.account_error.setText(str(exc))
            return None
        self.account_error.setText("")
        return AccountSettings(
            name=name, address=address, registrar=self.acc_registrar.text().strip() or None,
            username=self.acc_username.text().strip() or None,
            transport=transport, enabled=self.acc_enabled.isChecked(),
            voicemail=voicemail, colleagues=colleagues, **network)

    def _store_current_account(self) -> None:
        i = self._current_account
        if not 0 <= i < len(self.accounts):
            return
        account = self._form_account()
        if account is None:
            return
        old = self.accounts[i]
        account = dataclasses.replace(old, **{k: getattr(account, k) for k in (
            "name", "address", "registrar", "username", "transport", "enabled", "voicemail",
            "colleagues", *NETWORK_KEYS)})
        self.accounts[i] = account
        password = self.acc_password.text()
        if old.name != account.name:
            self.passwords[old.name] = None
            self.passwords[turn_secret_name(old.name)] = None
        self.passwords[account.name] = password or None
        # the TURN password goes to the keyring like the account's (none without a server)
        self.passwords[turn_secret_name(account.name)] = (
            self.account_advanced.turn_password_value() if account.turn_server else None)
        item = self.account_list.item(i)
        if item is not None:
            item.setText(account.name)

    @Slot(int)
    def _on_account_selected(self, row: int) -> None:
        self._store_current_account()
        self._current_account = row
        self._update_account_form()
        self.account_test_label.setText("")  # an answer about another account
        if not 0 <= row < len(self.accounts):
            return
        a = self.accounts[row]
        self.acc_name.setText(a.name)
        self.acc_address.setText(a.address)
        self.acc_registrar.setText(a.registrar or "")
        self.acc_username.setText(a.username or "")
        self.acc_password.setText(self.passwords.get(a.name) or "")
        self.acc_transport.setCurrentText(a.transport)
        self.acc_voicemail.setText(a.voicemail or "")
        self.acc_colleagues.setText(", ".join(a.colleagues))
        self.acc_enabled.setChecked(a.enabled)
        self.account_advanced.load(a, self.passwords.get(turn_secret_name(a.name)))

    @Slot()
    def _on_add_account_clicked(self) -> None:
        self._store_current_account()
        n = len(self.accounts) + 1
        self.accounts.append(AccountSettings(name=self.tr("Account %1").replace("%1", str(n)),
                                             address="sip:user@example.com"))
        self.account_list.addItem(self.accounts[-1].name)
        self.account_list.setCurrentRow(len(self.accounts) - 1)

    @Slot()
    def _on_remove_account_clicked(self) -> None:
        row = self.account_list.currentRow()
        if 0 <= row < len(self.accounts):
            self.passwords[self.accounts[row].name] = None
            self.passwords[turn_secret_name(self.accounts[row].name)] = None
            del self.accounts[row]
            self._current_account = -1
            self.account_list.takeItem(row)
            self._update_account_form()

    @Slot()
    def _on_test_account_clicked(self) -> None:
        account = self._form_account()
        if account is not None:
            account = dataclasses.replace(
                account, password=self.acc_password.text() or None,
                turn_password=self.account_advanced.turn_password_value())
            self.account_test_label.setStyleSheet("")
            self.account_test_label.setText(self.tr("Testing…"))
            self.test_account_button.setEnabled(False)
            self.test_account_requested.emit(account)

    @Slot(str, bool)
    def show_account_test(self, text: str, ok: bool) -> None:
        """The test's answer, next to the Test button (green when it worked)."""
        self.test_account_button.setEnabled(True)
        self.account_test_label.setStyleSheet(text_style("talking" if ok else "failed", self))
        self.account_test_label.setText(text)

    # --- audio --------------------------------------------------------------------------------
    def _audio_tab(self, inputs: list[str], outputs: list[str]) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        a = self.settings.audio

        def combo(names: list[str], current: str | None) -> QComboBox:
            c = QComboBox(w)
            c.addItem(self.tr("System default"), None)
            for n in names:
                c.addItem(n, n)
            if current:
                if c.findData(current) < 0:
                    c.addItem(current, current)
                c.setCurrentIndex(c.findData(current))
            return c

        self.input_combo = combo(inputs, a.input)
        self.output_combo = combo(outputs, a.output)
        self.ringer_combo = combo(outputs, a.ringer)
        self.ring_volume = QSpinBox(w)
        self.ring_volume.setRange(0, 100)
        self.ring_volume.setSuffix(" %")
        self.ring_volume.setValue(int(a.ring_volume * 100))
        self.test_sound_button = button(self.tr("Play a test sound"), w, name="testSound")
        self.input_meter = LevelMeter(w)
        form.addRow(self.tr("Microphone"), self.input_combo)
        form.addRow(self.tr("Speaker / headset"), self.output_combo)
        form.addRow(self.tr("Ringer"), self.ringer_combo)
        form.addRow(self.tr("Ring volume"), self.ring_volume)
        form.addRow(self.test_sound_button)
        form.addRow(self.tr("Microphone level"), self.input_meter)
        self.codec_order = CodecOrderEditor(a.codecs, w)
        form.addRow(self.tr("Codecs"), self.codec_order)
        # what runs on the call's microphone (voice.c); a call in progress follows at once
        self.echo_cancellation = QCheckBox(self.tr("Echo cancellation (for speakers, not "
                                                   "needed with a headset)"), w)
        self.echo_cancellation.setObjectName("echoCancellation")
        self.echo_cancellation.setChecked(a.echo_cancellation)
        self.noise_suppression = QCheckBox(self.tr("Noise suppression"), w)
        self.noise_suppression.setObjectName("noiseSuppression")
        self.noise_suppression.setChecked(a.noise_suppression)
        self.automatic_gain = QCheckBox(self.tr("Automatic microphone gain"), w)
        self.automatic_gain.setObjectName("automaticGain")
        self.automatic_gain.setChecked(a.automatic_gain)
        self.echo_tail = QSpinBox(w)
        self.echo_tail.setObjectName("echoTail")
        self.echo_tail.setRange(ECHO_TAIL_MIN_MS, ECHO_TAIL_MAX_MS)
        self.echo_tail.setSingleStep(50)
        self.echo_tail.setSuffix(self.tr(" ms"))
        self.echo_tail.setValue(a.echo_tail_ms)
        self.echo_tail.setToolTip(self.tr("The longest echo the canceller removes: raise it "
                                          "when the other side still hears itself late"))
        self.echo_tail.setEnabled(a.echo_cancellation)
        self.echo_cancellation.toggled.connect(self.echo_tail.setEnabled)
        form.addRow(self.echo_cancellation)
        form.addRow(self.tr("Echo tail length"), self.echo_tail)
        form.addRow(self.noise_suppression)
        form.addRow(self.automatic_gain)
        self.test_sound_button.clicked.connect(
            lambda: self.test_sound_requested.emit(self.ringer_combo.currentData() or ""))
        return w

    def set_devices(self, inputs: list[str], outputs: list[str]) -> None:
        """The devices, listed after the dialog opened (sound loads on first need): the
        choices are refilled, what is chosen stays chosen."""
        for c, names in ((self.input_combo, inputs), (self.output_combo, outputs),
                         (self.ringer_combo, outputs)):
            chosen = c.currentData()
            for n in names:
                if c.findData(n) < 0:
                    c.addItem(n, n)
            c.setCurrentIndex(max(0, c.findData(chosen)))

    def set_input_level(self, level: float) -> None:
        self.input_meter.set_level(level)

    # --- CRM, calls, language ----------------------------------------------------------------
    def _crm_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        c = self.settings.crm
        self.db_url = QLineEdit(c.database_url or "", w)
        self.db_url.setPlaceholderText(self.tr("empty: the profile's SQLite file"))
        self.region = QLineEdit(c.default_region, w)
        self.region.setObjectName("region")
        self.region.setMaxLength(2)
        self.region.setPlaceholderText(self.tr("e.g. RU, DE, US"))
        self.region_note = plain_label(self.tr(
            "The country of numbers dialled without a country code (8 495…, 030…). Without "
            "one, such numbers are kept as they came until a region is set."), w,
            name="regionNote")
        self.region_note.setWordWrap(True)
        self.agent = QLineEdit(c.agent or "", w)
        form.addRow(self.tr("Database URL"), self.db_url)
        form.addRow(self.tr("Default region (for numbers)"), self.region)
        form.addRow(self.region_note)
        form.addRow(self.tr("Agent name"), self.agent)
        form.addRow(plain_label(self.tr("Database changes apply after a restart."), w))
        return w

    def _calls_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        c = self.settings.calls
        self.auto_answer = QCheckBox(self.tr("Answer calls automatically"), w)
        self.auto_answer.setChecked(c.auto_answer)
        self.auto_answer_delay = QSpinBox(w)
        self.auto_answer_delay.setRange(0, 600)
        self.auto_answer_delay.setSuffix(self.tr(" s"))
        self.auto_answer_delay.setValue(c.auto_answer_delay)
        self.dnd = QCheckBox(self.tr("Do not disturb"), w)
        self.dnd.setChecked(c.dnd)
        self.forward_always = QLineEdit(c.forward_always or "", w)
        self.forward_busy = QLineEdit(c.forward_busy or "", w)
        self.forward_no_answer = QLineEdit(c.forward_no_answer or "", w)
        self.forward_after = QSpinBox(w)
        self.forward_after.setRange(1, 600)
        self.forward_after.setSuffix(self.tr(" s"))
        self.forward_after.setValue(c.forward_no_answer_after)
        self.record_all = QCheckBox(self.tr("Record every call"), w)
        self.record_all.setChecked(c.record_all)
        self.only_from_my_servers = QCheckBox(
            self.tr("Ghost-call protection: take calls only from my servers (and, for a LAN "
                    "account, the local network)"), w)
        self.only_from_my_servers.setObjectName("onlyFromMyServers")
        self.only_from_my_servers.setChecked(c.only_from_my_servers)
        self.outcomes = QLineEdit(", ".join(c.outcomes), w)
        form.addRow(self.auto_answer)
        form.addRow(self.tr("Auto-answer after"), self.auto_answer_delay)
        form.addRow(self.dnd)
        form.addRow(self.tr("Forward all calls to"), self.forward_always)
        form.addRow(self.tr("Forward when busy to"), self.forward_busy)
        form.addRow(self.tr("Forward unanswered to"), self.forward_no_answer)
        form.addRow(self.tr("…after"), self.forward_after)
        form.addRow(self.record_all)
        form.addRow(self.only_from_my_servers)
        form.addRow(self.tr("Wrap-up outcomes"), self.outcomes)
        return w

    def _language_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        self.language = QComboBox(w)
        for code, text in (("system", self.tr("System language")), ("en", "English"),
                           ("ru", "Русский")):
            self.language.addItem(text, code)
        self.language.setCurrentIndex(max(0, self.language.findData(
            self.settings.ui.language or "system")))
        self.close_to_tray = QCheckBox(self.tr("Closing the window keeps the phone running "
                                               "in the tray"), w)
        self.close_to_tray.setChecked(self.settings.ui.close_to_tray)
        self.start_at_login = QCheckBox(self.tr("Start Softphone in the tray when I log in"), w)
        self.start_at_login.setObjectName("startAtLogin")
        self.start_at_login.setChecked(self.settings.ui.start_at_login)
        from softphone.autostart import supported

        if not supported():  # Windows: the installer's task; macOS: Login Items
            self.start_at_login.setEnabled(False)
            self.start_at_login.setToolTip(self.tr(
                "Set by the installer on Windows, in System Settings > Login Items on macOS"))
        self.register_handlers = QCheckBox(self.tr("Open tel:, sip: and callto: links with "
                                                   "Softphone"), w)
        self.register_handlers.setObjectName("registerHandlers")
        self.register_handlers.setChecked(self.settings.ui.register_handlers)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.close_to_tray)
        form.addRow(self.start_at_login)
        form.addRow(self.register_handlers)
        form.addRow(plain_label(self.tr("A new language applies after a restart."), w))
        return w

    # ----------------------------------------------------------------------------------------
    def result_settings(self) -> Settings:
        self._store_current_account()
        s = self.settings
        region = self.region.text().strip().upper()
        outcomes = tuple(o.strip() for o in self.outcomes.text().split(",") if o.strip())
        language: Any = self.language.currentData()
        return dataclasses.replace(
            s,
            accounts=tuple(self.accounts),
            audio=dataclasses.replace(s.audio, input=self.input_combo.currentData(),
                                      output=self.output_combo.currentData(),
                                      ringer=self.ringer_combo.currentData(),
                                      ring_volume=self.ring_volume.value() / 100,
                                      codecs=self.codec_order.codecs(),
                                      echo_cancellation=self.echo_cancellation.isChecked(),
                                      noise_suppression=self.noise_suppression.isChecked(),
                                      automatic_gain=self.automatic_gain.isChecked(),
                                      echo_tail_ms=self.echo_tail.value()),
            crm=dataclasses.replace(s.crm, database_url=self.db_url.text().strip() or None,
                                    default_region=region if region_known(region) else "",
                                    agent=self.agent.text().strip() or None),
            calls=dataclasses.replace(
                s.calls, auto_answer=self.auto_answer.isChecked(),
                auto_answer_delay=self.auto_answer_delay.value(), dnd=self.dnd.isChecked(),
                forward_always=self.forward_always.text().strip() or None,
                forward_busy=self.forward_busy.text().strip() or None,
                forward_no_answer=self.forward_no_answer.text().strip() or None,
                forward_no_answer_after=self.forward_after.value(),
                record_all=self.record_all.isChecked(),
                only_from_my_servers=self.only_from_my_servers.isChecked(),
                outcomes=outcomes or s.calls.outcomes),
            ui=dataclasses.replace(s.ui, language=None if language == "system" else language,
                                   close_to_tray=self.close_to_tray.isChecked(),
                                   start_at_login=self.start_at_login.isChecked(),
                                   register_handlers=self.register_handlers.isChecked()),
        )

    @Slot()
    def _on_ok_clicked(self) -> None:
        region = self.region.text().strip().upper()
        if region and not region_known(region):  # said, never replaced by a guess
            self.tabs.setCurrentIndex(self.tabs.indexOf(self.region.parentWidget()))
            self.region_note.setStyleSheet(text_style("failed", self))
            self.region_note.setText(self.tr(
                "\"%1\" is not a country code: use two letters such as RU, DE or US, or leave "
                "it empty.").replace("%1", self.region.text().strip()))
            self.region.setFocus()
            self.region.selectAll()
            return
        if 0 <= self._current_account < len(self.accounts) and self._form_account() is None:
            # what was typed stays: the dialog says why it cannot be saved
            self.tabs.setCurrentIndex(self.tabs.indexOf(self.account_form.parentWidget()))
            return
        settings = self.result_settings()
        names = {a.name for a in settings.accounts}
        passwords = {k: v for k, v in self.passwords.items()
                     if k.removesuffix(TURN_SECRET_SUFFIX) in names or v is None}
        self.accepted_settings.emit(settings, passwords)
        self.accept()
