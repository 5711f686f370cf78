"""The in-call panel: who, talk timer, hold, mute, keypad, transfer, conference, recording,
other calls (call waiting), audio device switch, level meters and call quality."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone.sip.events import CallState, Direction
from softphone.ui.avatars import Avatar
from softphone.ui.common import button, duration, paint_button, plain_label
from softphone.ui.icons import set_control_icon
from softphone.ui.levels import LevelMeter
from softphone.ui.look import state_colour, text_style
from softphone.ui.pickers import ContactSearchField, SearchFn
from softphone.workflow_updates import CallInfo

DTMF_KEYS = "123456789*0#"


def state_text(call: CallInfo) -> str:
    from softphone.ui.common import translate

    if call.held:
        return translate("CallPanel", "On hold")
    if call.remote_held:
        return translate("CallPanel", "Held by the other side")
    return {
        CallState.CALLING: translate("CallPanel", "Calling…"),
        CallState.INCOMING: translate("CallPanel", "Ringing (incoming)"),
        CallState.EARLY: translate("CallPanel", "Ringing…") if call.direction == Direction.OUTGOING
        else translate("CallPanel", "Ringing (incoming)"),
        CallState.CONNECTING: translate("CallPanel", "Connecting…"),
        CallState.CONFIRMED: translate("CallPanel", "Talking"),
        CallState.DISCONNECTED: translate("CallPanel", "Ended"),
    }.get(call.state, str(call.state))


def state_kind(call: CallInfo) -> str:
    """The colour family of a call's state (ui/look.py): calling, ringing, talking, held."""
    if call.held or call.remote_held:
        return "held"
    return {CallState.CALLING: "calling", CallState.CONNECTING: "calling",
            CallState.EARLY: "ringing", CallState.INCOMING: "ringing",
            CallState.CONFIRMED: "talking"}.get(call.state, "ended")


def context_text(call: CallInfo) -> str:
    """The last call's note, open tasks and deals of the other party, a few lines."""
    from softphone.ui.common import local_time, translate

    caller = call.caller
    if caller is None:
        return ""
    lines = []
    last = caller.last_call
    if last is not None:
        note = last.wrapup.note.splitlines()[0] if last.wrapup and last.wrapup.note else ""
        lines.append(translate("CallPanel", "Last call %1: %2").replace(
            "%1", local_time(last.started_at)).replace("%2", note or "—"))
    lines += [translate("CallPanel", "Task: %1").replace("%1", t.title) for t in caller.tasks[:2]]
    lines += [translate("CallPanel", "Deal: %1 (%2)").replace("%1", d.title).replace("%2", d.stage)
              for d in caller.deals[:2]]
    return "\n".join(lines)


def encryption_text(encryption: str | None) -> str:
    """The padlock line: the suite when the audio is encrypted, "not encrypted" when it is not
    (it fell back, or the account or the far end does not encrypt); "" before the audio."""
    from softphone.ui.common import translate

    if not encryption:
        return ""
    if encryption == "none":
        return translate("CallPanel", "Not encrypted")
    # the padlock outside the string: lupdate mangles characters beyond the BMP
    return "\U0001F512 " + translate("CallPanel", "Encrypted (%1)").replace("%1", encryption)


class CallPanel(QWidget):
    hangup_requested = Signal(int)
    hold_requested = Signal(int, bool)
    mute_requested = Signal(bool)
    dtmf_requested = Signal(int, str)
    transfer_requested = Signal(int, str)  # blind
    consult_requested = Signal(int, str, int)  # call to transfer, target, contact id (or -1)
    complete_transfer_requested = Signal(int, int)  # original call, consultation call
    conference_requested = Signal(list)
    record_requested = Signal(int, bool)
    switch_requested = Signal(int)
    output_device_chosen = Signal(str)

    def __init__(self, search: SearchFn | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callPanel")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._calls: list[CallInfo] = []
        #: the engine's live figures of a call (MainWindow sets Engine.call_quality)
        self.quality_source: Callable[[int], Any] | None = None
        self.current: CallInfo | None = None
        self.consults: dict[int, int] = {}  # consultation call -> call being transferred
        lay = QVBoxLayout(self)
        self.name_label = plain_label("", self, bold=True, size=1.6, name="callName")
        self.number_label = plain_label("", self, name="callNumber")
        self.company_label = plain_label("", self, name="callCompany")
        top = QHBoxLayout()
        who = QVBoxLayout()
        self.context_label = plain_label("", self, name="callContext")
        self.context_label.setStyleSheet("color:palette(dark)")
        for w in (self.name_label, self.number_label, self.company_label, self.context_label):
            who.addWidget(w)
        self.avatar = Avatar(56, self)  # initials on a colour (ui/avatars.py)
        top.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(who, 1)
        right = QVBoxLayout()
        self.timer_label = plain_label("0:00", self, bold=True, size=2.0, name="talkTimer")
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.state_label = plain_label("", self, name="callState")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.record_indicator = plain_label("● " + self.tr("REC"), self, name="recIndicator")
        self.record_indicator.setStyleSheet(text_style("failed", self) + "font-weight:bold")
        self.record_indicator.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.record_indicator.hide()
        for w in (self.timer_label, self.state_label, self.record_indicator):
            right.addWidget(w)
        top.addLayout(right)
        lay.addLayout(top)

        controls = QGridLayout()
        self.hangup_button = button(self.tr("Hang up"), self, name="hangup",
                                    shortcut="Ctrl+Shift+H", tooltip=self.tr("Hang up"))
        paint_button(self.hangup_button, "#c62828")
        self.hold_button = self._toggle(self.tr("Hold"), "hold", "Ctrl+Shift+L")
        self.mute_button = self._toggle(self.tr("Mute"), "mute", "Ctrl+Shift+M")
        self.keypad_button = self._toggle(self.tr("Keypad"), "keypad", "Ctrl+Shift+K")
        self.record_button = self._toggle(self.tr("Record"), "record", "Ctrl+Shift+R")
        self.conference_button = button(self.tr("Merge calls"), self, name="conference",
                                        shortcut="Ctrl+Shift+C",
                                        tooltip=self.tr("Merge all calls into a conference"))
        for i, w in enumerate((self.hold_button, self.mute_button, self.keypad_button,
                               self.record_button, self.conference_button, self.hangup_button)):
            controls.addWidget(w, i // 3, i % 3)
        lay.addLayout(controls)
        for b, control in ((self.hangup_button, "hangup"), (self.hold_button, "hold"),
                           (self.mute_button, "mute"), (self.keypad_button, "keypad"),
                           (self.record_button, "record")):
            set_control_icon(b, control, colour="#ffffff" if b is self.hangup_button else None)

        self.keypad = QWidget(self)
        grid = QGridLayout(self.keypad)
        for i, key in enumerate(DTMF_KEYS):
            b = QPushButton(key, self.keypad)
            b.setObjectName(f"dtmf_{key}")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=key: self._send_dtmf(k))
            grid.addWidget(b, i // 3, i % 3)
        self.keypad.hide()
        lay.addWidget(self.keypad)

        transfer = QHBoxLayout()
        self.transfer_field = ContactSearchField(search, self)
        self.transfer_field.setObjectName("transferTarget")
        self.transfer_field.setPlaceholderText(self.tr("Transfer to: name, number or SIP URI"))
        self.transfer_button = button(self.tr("Transfer"), self, name="transfer",
                                      shortcut="Ctrl+Shift+T",
                                      tooltip=self.tr("Blind transfer"))
        set_control_icon(self.transfer_button, "transfer")
        self.consult_button = button(self.tr("Consult first"), self, name="consult",
                                     tooltip=self.tr("Call the target, then transfer"))
        self.complete_button = button(self.tr("Complete transfer"), self,
                                      name="completeTransfer")
        self.complete_button.hide()
        transfer.addWidget(self.transfer_field, 1)
        transfer.addWidget(self.transfer_button)
        transfer.addWidget(self.consult_button)
        transfer.addWidget(self.complete_button)
        lay.addLayout(transfer)
        self._transfer_contact = -1
        self.transfer_field.chosen.connect(self._on_transfer_contact_chosen)

        self.others = QListWidget(self)
        self.others.setObjectName("otherCalls")
        self.others.setMaximumHeight(90)
        self.others.itemActivated.connect(self._on_other_call_activated)
        self.others.hide()
        lay.addWidget(self.others)

        form = QFormLayout()
        self.output_combo = QComboBox(self)
        self.output_combo.setObjectName("outputDevice")
        self.output_combo.activated.connect(self._on_output_activated)
        self.mic_meter = LevelMeter(self)
        self.speaker_meter = LevelMeter(self)
        self.quality_label = plain_label("", self, name="quality")
        # the padlock: what the call's audio really uses (the engine reads it from PJSIP)
        self.encryption_label = plain_label("", self, name="encryption")
        self.voice_label = plain_label("", self, name="voiceProcessing")
        form.addRow(self.tr("Sound"), self.output_combo)
        form.addRow(self.tr("Microphone"), self.mic_meter)
        form.addRow(self.tr("Speaker"), self.speaker_meter)
        form.addRow(self.tr("Quality"), self.quality_label)
        form.addRow(self.tr("Security"), self.encryption_label)
        form.addRow(self.tr("Voice"), self.voice_label)
        lay.addLayout(form)
        lay.addStretch(1)

        self.hangup_button.clicked.connect(self._on_hangup_clicked)
        self.hold_button.clicked.connect(self._on_hold_clicked)
        self.mute_button.clicked.connect(self._on_mute_clicked)
        self.keypad_button.toggled.connect(self.keypad.setVisible)
        self.record_button.clicked.connect(self._on_record_clicked)
        self.conference_button.clicked.connect(self._on_conference_clicked)
        self.transfer_button.clicked.connect(self._on_transfer_clicked)
        self.consult_button.clicked.connect(self._on_consult_clicked)
        self.complete_button.clicked.connect(self._on_complete_clicked)
        self._tick = QTimer(self, interval=500)
        self._tick.timeout.connect(self._update_timer)

    def _toggle(self, text: str, name: str, shortcut: str) -> QPushButton:
        b = button(text, self, name=name, shortcut=shortcut, tooltip=text)
        b.setCheckable(True)
        return b

    # --- state ----------------------------------------------------------------------------
    def set_calls(self, calls: list[CallInfo], current: int | None) -> None:
        self._calls = [c for c in calls if c.active]
        self.current = next((c for c in self._calls if c.call_id == current), None)
        if self.current is None and self._calls:
            self.current = self._calls[-1]
        self.consults = {k: v for k, v in self.consults.items()
                         if any(c.call_id == k for c in self._calls)}
        c = self.current
        if c is None:
            self._tick.stop()
            return
        self.name_label.setText(c.title)
        number = c.number or c.remote_uri
        self.number_label.setText(number if number != c.title else "")
        contact = c.caller.contact if c.caller else None
        self.company_label.setText(getattr(contact, "company", None) or "")
        self.state_label.setText(state_text(c))
        self.state_label.setStyleSheet(f"color:{state_colour(state_kind(c), self.palette())};"
                                       "font-weight:bold")
        self.avatar.set_name(c.title)
        self.context_label.setText(context_text(c))
        self.hold_button.setChecked(c.held)
        self.mute_button.setChecked(c.muted)
        self.record_button.setChecked(bool(c.recording_path))
        self.record_indicator.setVisible(bool(c.recording_path))
        talking = c.state == CallState.CONFIRMED
        for w in (self.hold_button, self.record_button, self.transfer_button,
                  self.consult_button, self.keypad_button):
            w.setEnabled(talking)
        self.conference_button.setEnabled(len(self._calls) > 1)
        self.complete_button.setVisible(c.call_id in self.consults)
        q = c.quality
        self.encryption_label.setText(encryption_text(q.get("encryption")))
        self._show_quality()
        self.others.clear()
        for other in self._calls:
            if other.call_id == c.call_id:
                continue
            item = QListWidgetItem(f"{other.title} — {state_text(other)}")
            item.setData(Qt.ItemDataRole.UserRole, other.call_id)
            self.others.addItem(item)
        self.others.setVisible(self.others.count() > 0)
        self._update_timer()
        if not self._tick.isActive():
            self._tick.start()

    def set_output_devices(self, names: list[str], current: str | None) -> None:
        self.output_combo.clear()
        self.output_combo.addItem(self.tr("System default"), None)
        for name in names:
            self.output_combo.addItem(name, name)
        if current:
            i = self.output_combo.findData(current)
            if i >= 0:
                self.output_combo.setCurrentIndex(i)

    def set_voice_processing(self, echo_cancellation: bool, noise_suppression: bool,
                             automatic_gain: bool, note: str = "") -> None:
        """What runs on our microphone now (Settings > Audio): shown under the quality."""
        parts = [text for on, text in (
            (echo_cancellation, self.tr("echo cancellation")),
            (noise_suppression, self.tr("noise suppression")),
            (automatic_gain, self.tr("automatic gain"))) if on]
        text = ", ".join(parts) if parts else self.tr("no echo cancellation or noise "
                                                      "suppression")
        self.voice_label.setText(text[:1].upper() + text[1:])
        self.voice_label.setToolTip(note)

    def set_levels(self, mic: float, speaker: float) -> None:
        self.mic_meter.set_level(mic)
        self.speaker_meter.set_level(speaker)

    def talk_seconds(self) -> int:
        c = self.current
        if c is None or c.answered_at is None:
            return 0
        end = c.ended_at or datetime.now(UTC)
        return max(0, int((end - c.answered_at).total_seconds()))

    def _show_quality(self) -> None:
        """This call's figures: the engine's live ones (refreshed every second on the SIP
        thread, read here without waiting), else the last the workflow had; never another
        call's."""
        c = self.current
        live = self.quality_source(c.call_id) if c is not None and \
            self.quality_source is not None else None
        q: dict[str, Any] = dict(c.quality) if c is not None else {}
        if live is not None and getattr(live, "codec", ""):
            q.update(codec=live.codec, rx_loss_percent=live.rx_loss_percent,
                     jitter_ms=live.jitter_ms)
        if q.get("codec") and q.get("jitter_ms") is None:  # jitter not measured right
            self.quality_label.setText(self.tr("%1, loss %2%")
                                       .replace("%1", str(q.get("codec", "")))
                                       .replace("%2", f"{q.get('rx_loss_percent', 0):.1f}"))
        elif q.get("codec"):
            self.quality_label.setText(self.tr("%1, loss %2%, jitter %3 ms")
                                       .replace("%1", str(q.get("codec", "")))
                                       .replace("%2", f"{q.get('rx_loss_percent', 0):.1f}")
                                       .replace("%3", f"{q.get('jitter_ms', 0):.0f}"))
        else:
            self.quality_label.setText("")

    @Slot()
    def _update_timer(self) -> None:
        c = self.current
        self._show_quality()
        if c is None or c.answered_at is None:
            self.timer_label.setText("0:00")
            return
        self.timer_label.setText(duration(self.talk_seconds()))

    # --- user actions -----------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text and text in DTMF_KEYS and self.current is not None and \
                event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                      Qt.KeyboardModifier.KeypadModifier,
                                      Qt.KeyboardModifier.ShiftModifier):
            self._send_dtmf(text)
            return
        super().keyPressEvent(event)

    def _send_dtmf(self, key: str) -> None:
        if self.current is not None:
            self.dtmf_requested.emit(self.current.call_id, key)

    @Slot()
    def _on_hangup_clicked(self) -> None:
        if self.current is not None:
            self.hangup_requested.emit(self.current.call_id)

    @Slot()
    def _on_hold_clicked(self) -> None:
        if self.current is not None:
            self.hold_requested.emit(self.current.call_id, self.hold_button.isChecked())

    @Slot()
    def _on_mute_clicked(self) -> None:
        self.mute_requested.emit(self.mute_button.isChecked())

    @Slot()
    def _on_record_clicked(self) -> None:
        if self.current is not None:
            self.record_requested.emit(self.current.call_id, self.record_button.isChecked())

    @Slot()
    def _on_conference_clicked(self) -> None:
        self.conference_requested.emit([c.call_id for c in self._calls])

    @Slot(int, str)
    def _on_transfer_contact_chosen(self, contact_id: int, _number: str) -> None:
        self._transfer_contact = contact_id

    @Slot()
    def _on_transfer_clicked(self) -> None:
        target = self.transfer_field.text().strip()
        if self.current is not None and target:
            self.transfer_requested.emit(self.current.call_id, target)

    @Slot()
    def _on_consult_clicked(self) -> None:
        target = self.transfer_field.text().strip()
        if self.current is not None and target:
            self.consult_requested.emit(self.current.call_id, target, self._transfer_contact)

    @Slot()
    def _on_complete_clicked(self) -> None:
        c = self.current
        if c is not None and c.call_id in self.consults:
            self.complete_transfer_requested.emit(self.consults[c.call_id], c.call_id)

    @Slot(QListWidgetItem)
    def _on_other_call_activated(self, item: QListWidgetItem) -> None:
        self.switch_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(int)
    def _on_output_activated(self, index: int) -> None:
        self.output_device_chosen.emit(self.output_combo.itemData(index) or "")
