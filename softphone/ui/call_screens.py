"""What the agent sees of the calls: the caller cards of ringing calls, the phone page (idle,
in call, wrap-up) and the wrap-up's actions. The main window owns the widgets; this object
follows the workflow's call updates and drives them (``MainWindow.on_workflow_update``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QStackedWidget, QTabWidget, QWidget

from softphone.sip import events as ev
from softphone.sip.events import CallState
from softphone.ui.call_keys import CallKeys
from softphone.ui.colleagues import ColleaguesView
from softphone.ui.common import translate
from softphone.ui.phone import PhoneController
from softphone.workflow import CallWorkflow
from softphone.workflow_updates import (
    CallChanged,
    CallEnded,
    CallerFound,
    CallInfo,
    CallRefused,
    CallRow,
    WorkflowUpdate,
)

if TYPE_CHECKING:  # built for the first call (phone_pages.py), their modules imported then
    from softphone.ui.call_panel import CallPanel
    from softphone.ui.caller_card import CallerCard
    from softphone.ui.phone_pages import LazyPage
    from softphone.ui.wrapup import WrapupPanel


class CallScreensHost(Protocol):
    """What the call screens use of the main window (read-only: the window owns them)."""

    @property
    def workflow(self) -> CallWorkflow: ...
    @property
    def phone(self) -> PhoneController: ...
    @property
    def call_panel(self) -> CallPanel: ...
    @property
    def call_page(self) -> LazyPage[CallPanel]: ...
    @property
    def colleagues(self) -> ColleaguesView: ...
    @property
    def wrapup(self) -> WrapupPanel: ...
    @property
    def wrapup_page(self) -> LazyPage[WrapupPanel]: ...
    @property
    def phone_page(self) -> QStackedWidget: ...
    @property
    def idle_page(self) -> QWidget: ...
    @property
    def tabs(self) -> QTabWidget: ...
    @property
    def call_keys(self) -> CallKeys: ...

    def screen(self) -> QScreen: ...
    def search_contacts(self, query: str, show: Callable[[list[Any]], None]) -> None: ...
    def show_message(self, text: str) -> None: ...
    def notify(self, title: str, text: str) -> None: ...
    def built(self, name: str) -> Any | None: ...


class CallScreens(QObject):
    def __init__(self, host: CallScreensHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._w = host
        self.cards: dict[int, CallerCard] = {}  # the ringing calls' cards by call id
        self._pending_wrapup: CallInfo | None = None  # shown once no call is left

    def wire_wrapup(self, w: WrapupPanel) -> None:
        """The wrap-up page, when it is built (phone_pages.build_wrapup)."""
        w.changed.connect(self._on_wrapup_changed)
        w.next_action_requested.connect(self._on_next_action_requested)
        w.create_contact_requested.connect(self._on_wrapup_create_contact)
        w.closed.connect(self._on_wrapup_closed)

    def on_update(self, update: WorkflowUpdate) -> None:
        """A call's update (other kinds are the window's)."""
        if isinstance(update, CallChanged | CallerFound):
            call = update.call
            if call.ringing_in:
                self._show_card(call)
            else:
                self.close_card(call.call_id)
                self.show_phone_page()
            self.refresh_call_panel()
        elif isinstance(update, CallEnded):
            call = update.call
            self.close_card(call.call_id)
            self._w.phone.ended(call.call_id)
            if call.outcome == "missed":
                self._w.notify(translate("MainWindow", "Missed call"), call.title)
            if update.wrapup:
                self._pending_wrapup = call
            self.refresh_call_panel()
            self.show_phone_page()
        elif isinstance(update, CallRefused):
            self._on_call_refused(update.event)

    def _on_call_refused(self, event: ev.IncomingCallRefused) -> None:
        """A customer called and the phone could not take the call (no common codec): the
        agent is told now; the call is in History and the missed-call inbox."""
        from softphone.ui.common import end_reason_text
        from softphone.workflow import refusal_reason

        who = event.display_name or event.number or event.remote_uri
        why = end_reason_text(event.code, refusal_reason(event)) or event.reason
        text = translate("MainWindow", "Call from %1 refused: %2").replace(
            "%1", who).replace("%2", why)
        self._w.show_message(text)
        self._w.notify(translate("MainWindow", "Missed call"), text)

    # --- caller cards -------------------------------------------------------------------------
    def _show_card(self, call: CallInfo) -> None:
        card = self.cards.get(call.call_id)
        if card is None:
            from softphone.ui.caller_card import CallerCard

            phone = self._w.phone
            card = CallerCard(call, self._w.search_contacts)
            card.answer_requested.connect(phone.answer)
            card.end_current_and_answer_requested.connect(phone.hangup_and_answer)
            card.decline_requested.connect(phone.decline)
            card.create_contact_requested.connect(self._on_card_create_contact)
            card.add_to_contact_requested.connect(self._on_card_add_to_contact)
            card.ignore_requested.connect(self._w.workflow.ignore_number)
            self.cards[call.call_id] = card
            self._w.call_keys.watch(card)  # headset/media keys while the card has the focus
            self._place_card(card)
            card.show()
            card.raise_()
            self._w.notify(translate("MainWindow", "Call waiting") if call.waiting
                           else translate("MainWindow", "Incoming call"), call.title)
        else:
            card.set_call(call)
        card.resize(card.sizeHint())  # adjustSize() caps the size at a share of the screen

    def _place_card(self, card: CallerCard) -> None:
        screen = self._w.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        card.resize(card.sizeHint())  # adjustSize() caps the size at a share of the screen
        offset = (len(self.cards) - 1) * 40
        card.move(area.right() - card.width() - 24 - offset, area.top() + 24 + offset)

    def close_card(self, call_id: int) -> None:
        card = self.cards.pop(call_id, None)
        if card is not None:
            card.hide()
            card.deleteLater()

    @Slot(int, str, str, str)
    def _on_card_create_contact(self, call_id: int, name: str, company: str,
                                deal: str) -> None:
        self._w.workflow.create_contact_for_call(call_id, name, company=company or None,
                                                 deal_title=deal or None)

    @Slot(int, int)
    def _on_card_add_to_contact(self, call_id: int, contact_id: int) -> None:
        self._w.workflow.add_number_to_contact(call_id, contact_id)

    # --- the phone page -----------------------------------------------------------------------
    @Slot()
    def refresh_call_panel(self) -> None:
        w = self._w
        current = w.phone.current()
        calls = [c for c in w.workflow.calls() if not c.ringing_in]
        if calls or w.call_page.built is not None:  # no panel to empty before the first call
            w.call_panel.consults = dict(w.phone.consults)
            w.call_panel.set_calls(calls, current.call_id if current else None)
        w.colleagues.set_in_call(current is not None and current.state == CallState.CONFIRMED)

    def show_phone_page(self) -> None:
        w = self._w
        active = [c for c in w.workflow.calls() if not c.ringing_in]
        if active:
            shown = w.phone_page.currentWidget()
            if shown is not None and shown is w.wrapup_page.built:
                w.wrapup.flush()
            w.phone_page.setCurrentWidget(w.call_panel)
            w.tabs.setCurrentWidget(w.phone_page)
            return
        if self._pending_wrapup is not None:
            call = self._pending_wrapup
            self._pending_wrapup = None
            talk = (int((call.ended_at - call.answered_at).total_seconds())
                    if call.answered_at and call.ended_at else None)
            known = call.caller.known if call.caller else False
            from softphone.ui.wrapup import summary_text

            w.wrapup.start(title=call.title, call_id=call.call_id, row=call.row,
                           number=call.number,
                           summary=summary_text(call.direction.value, call.number, talk,
                                                call.outcome or ""), known=known)
            w.phone_page.setCurrentWidget(w.wrapup)
            w.tabs.setCurrentWidget(w.phone_page)
        elif (w.call_page.built is not None
              and w.phone_page.currentWidget() is w.call_page.built):
            w.phone_page.setCurrentWidget(w.idle_page)

    # --- the wrap-up --------------------------------------------------------------------------
    def _wrapup_target(self) -> dict[str, Any]:
        w = self._w.wrapup  # the call (its contact) while known, and the CRM row
        return {"row": w.row, "call_id": w.call_id}

    @Slot(str, str, str)
    def _on_wrapup_changed(self, outcome: str, reason: str, note: str) -> None:
        self._w.workflow.save_wrapup(outcome=outcome or None, reason=reason, note=note,
                                     on_done=lambda _w: self._on_wrapup_saved(),
                                     **self._wrapup_target())

    def _on_wrapup_saved(self) -> None:
        w = self._w
        w.wrapup.set_saved(True)
        history = w.built("history")
        if history is not None and w.tabs.currentIndex() == w.tabs.indexOf(history):
            history.refresh()

    @Slot(str, str, object)
    def _on_next_action_requested(self, kind: str, title: str, due: Any) -> None:
        self._w.workflow.add_next_action(kind, title, due, number=self._w.wrapup.number or None,
                                         **self._wrapup_target())

    @Slot(str, str, str)
    def _on_wrapup_create_contact(self, name: str, company: str, deal: str) -> None:
        target = self._wrapup_target()
        self._w.workflow.create_contact_for_call(target.get("call_id"), name,
                                                 company=company or None,
                                                 number=self._w.wrapup.number,
                                                 deal_title=deal or None,
                                                 row=target.get("row"))

    @Slot()
    def _on_wrapup_closed(self) -> None:
        self._w.phone_page.setCurrentWidget(self._w.idle_page)
        self.show_phone_page()

    @Slot(object)
    def on_history_wrapup_requested(self, row: Any) -> None:
        w = self._w
        if w.workflow.calls():
            w.show_message(translate("MainWindow", "Finish the call first."))
            return
        from softphone.ui.wrapup import summary_text

        w.wrapup.start(title=row.contact_name or row.display_name or row.number,
                       row=CallRow(row.id), number=row.number,
                       known=row.contact_id is not None,
                       summary=summary_text(row.direction, row.number, row.talk_seconds,
                                            row.outcome or ""), wrapup=row.wrapup)
        w.phone_page.setCurrentWidget(w.wrapup)
        w.tabs.setCurrentWidget(w.phone_page)
