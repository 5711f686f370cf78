"""The office through the PBX, in the window: voicemail, chat and colleagues' presence.

:class:`OfficePbx` is made by the composition root (``app.create_office_pbx``) beside the LAN
office (``ui/colleagues.py``). It gets every SIP event and:

* voicemail: ``VoicemailStatus`` -> :class:`~softphone.ui.voicemail.VoicemailIndicator` (the
  status-bar button, the tray's line and menu action); the button dials the mailbox;
* chat: ``MessageReceived``/``MessageStatus`` -> :class:`~softphone.ui.chat.ChatCenter` (the
  contact card's pane, chat windows, the unread badge, a tray notification);
* colleagues: the account's ``colleagues`` setting and the CRM's contacts tagged as colleagues
  (``chat_flow.COLLEAGUE_TAGS``) are watched by the engine (``watch_presence``); their
  ``BuddyPresence`` events become the PBX half of the Colleagues tab.

Our own state (available / on the phone / do not disturb) is published by the SIP layer
itself (``sip/presence.py``): it follows the calls and the DND rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Slot

from softphone.chat_flow import COLLEAGUE_TAGS, colleague_targets
from softphone.sip.uris import InvalidTarget, account_domain, target_to_uri
from softphone.ui.chat import ChatCenter
from softphone.ui.common import translate
from softphone.ui.voicemail import VoicemailIndicator

log = logging.getLogger("softphone.ui")


@dataclass(frozen=True)
class PbxColleague:
    """A colleague watched through the PBX (the Colleagues tab reads these fields)."""

    id: str
    name: str
    extension: str
    uri: str
    address: str
    state: str
    account: str
    note: str = ""
    port: int = 0


def _user_and_host(uri: str) -> tuple[str, str]:
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    rest = rest.split(";", 1)[0]
    user, _at, host = rest.rpartition("@")
    return user, host


class OfficePbx(QObject):
    def __init__(self, window: Any, settings: Any, db: Any, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent or window)
        self.window = window
        self.settings = settings
        self.db = db
        self.voicemail = VoicemailIndicator(settings.accounts, self)
        self.chat = ChatCenter(db, lambda: window.engine, self,
                               contacts=lambda: window.built("contacts"))
        self.presence: dict[tuple[str, str], Any] = {}  # (account, uri) -> BuddyPresence
        self.crm_colleagues: list[tuple[str, str]] = []  # (number, name) from the CRM
        bar = window.statusBar()
        bar.addPermanentWidget(self.chat.badge)
        bar.addPermanentWidget(self.voicemail.button)
        self.voicemail.dial_requested.connect(self._on_voicemail_dial)
        self.voicemail.problem.connect(window.show_message)
        self.voicemail.changed.connect(lambda _n: window.refresh_tray())
        self.chat.unread_changed.connect(self._on_unread_changed)
        self.chat.message_arrived.connect(self._on_message_arrived)
        window.colleagues.message_requested.connect(self._on_colleague_message)
        window.office_pbx = self
        contacts = window.built("contacts")
        if contacts is not None:
            self.contacts_built(contacts)
        if window.tray is not None:
            self.tray_made(window.tray)
        self._show_colleagues()

    # --- in ---------------------------------------------------------------------------------
    @Slot(object)
    def on_sip_event(self, event: Any) -> None:
        kind = type(event).__name__
        if kind == "VoicemailStatus":
            self.voicemail.on_sip_event(event)
        elif kind in ("MessageReceived", "MessageStatus"):
            self.chat.on_sip_event(event)
        elif kind == "BuddyPresence":
            self.presence[(event.account, event.uri)] = event
            self._show_colleagues()
        elif kind == "EngineStarted":
            self._watch()

    def store_opened(self, _store: Any = None) -> None:
        self.chat.store_opened()
        self.reload_crm_colleagues()

    @Slot(set)
    def on_tables_changed(self, tables: set[str]) -> None:
        if "*" in tables or "contacts" in tables:
            self.reload_crm_colleagues()
        if "*" in tables or "messages" in tables:
            self.chat.flow.refresh_unread()

    def settings_changed(self, settings: Any) -> None:
        self.settings = settings
        self.voicemail.set_accounts(settings.accounts)
        names = {a.name for a in settings.accounts}
        self.presence = {k: v for k, v in self.presence.items() if k[0] in names}
        if self.db.store is not None:  # a PBX account added (or gone): its CRM colleagues
            self.reload_crm_colleagues()
        self._watch()
        self._show_colleagues()

    def contacts_built(self, contacts: Any) -> None:
        card = contacts.card
        card.message_requested.connect(
            lambda contact, number, text: self.chat.send(
                card.chat, number, text, contact_id=contact.id, display_name=contact.name))
        contacts.contact_chat_shown.connect(self.chat.contact_shown)
        contacts.changed.connect(self.reload_crm_colleagues)  # a colleague tag added here

    def tray_made(self, tray: Any) -> None:
        tray.add_action(self.voicemail.action)

    def tray_lines(self) -> list[str]:
        lines = [self.voicemail.tray_line()]
        if self.chat.unread_total:
            lines.append(translate("ChatCenter", "Unread messages: %1").replace(
                "%1", str(self.chat.unread_total)))
        return [line for line in lines if line]

    def stop(self) -> None:
        self.chat.close_windows()

    # --- colleagues -----------------------------------------------------------------------
    def reload_crm_colleagues(self) -> None:
        """The CRM's colleagues, read only while an account can watch them (a PBX account):
        a phone without one never asks the contact store."""
        if self._pbx_account() is None:
            self.crm_colleagues = []
            return

        def done(contacts: Any) -> None:
            found = colleague_targets(contacts)
            if found != self.crm_colleagues:
                self.crm_colleagues = found
                self._watch()
                self._show_colleagues()

        self.db.submit(lambda store: store.contacts_tagged(COLLEAGUE_TAGS), done,
                       lambda exc: log.warning("colleagues from the CRM: %s", exc))

    def _pbx_account(self) -> Any | None:
        """The account that watches the CRM's colleagues: the first enabled one with a
        server."""
        return next((a for a in self.settings.accounts if a.enabled and not a.is_lan), None)

    def _watch(self) -> None:
        engine = self.window.engine
        account = self._pbx_account()
        if engine is None or not getattr(engine, "running", False) or account is None:
            return
        try:
            engine.watch_presence(account.name, [number for number, _ in self.crm_colleagues])
        except Exception as exc:
            log.warning("colleagues from the CRM not watched: %s", exc)

    def watched(self) -> list[tuple[Any, str, str]]:
        """(account, URI, name) of every colleague watched through a PBX."""
        out: list[tuple[Any, str, str]] = []
        seen: set[tuple[str, str]] = set()
        crm_account = self._pbx_account()
        for account in self.settings.accounts:
            if not account.enabled or account.is_lan:
                continue
            entries = [(t, "") for t in account.colleagues]
            if account is crm_account:
                entries += self.crm_colleagues
            for target, name in entries:
                try:
                    uri = target_to_uri(target, account_domain(account.address),
                                        account.transport)
                except InvalidTarget:
                    continue
                if (account.name, uri) not in seen:
                    seen.add((account.name, uri))
                    out.append((account, uri, name))
        return out

    def _show_colleagues(self) -> None:
        colleagues = []
        for account, uri, name in self.watched():
            user, host = _user_and_host(uri)
            event = self.presence.get((account.name, uri))
            colleagues.append(PbxColleague(
                id=f"{account.name}|{uri}", name=name or user or uri, extension=user,
                uri=uri, address=host, state=event.state if event is not None else "unknown",
                account=account.name, note=event.note if event is not None else ""))
        self.window.colleagues.set_pbx_colleagues(colleagues)

    # --- reactions ------------------------------------------------------------------------
    @Slot(str, str)
    def _on_voicemail_dial(self, target: str, account: str) -> None:
        self.window.phone.dial(target, account=account)

    @Slot(str, str)
    def _on_colleague_message(self, uri: str, name: str) -> None:
        self.chat.open_peer(uri, name)

    @Slot(int)
    def _on_unread_changed(self, _total: int) -> None:
        from softphone.crm.peer import peer_key

        counts: dict[str, int] = {}
        for c in self.chat.unread:
            counts[peer_key(c.remote_uri)] = counts.get(peer_key(c.remote_uri), 0) + c.unread
        self.window.colleagues.set_unread(counts)
        self.window.refresh_tray()

    @Slot(str, str)
    def _on_message_arrived(self, who: str, text: str) -> None:
        title = translate("ChatCenter", "Message from %1").replace("%1", who)
        self.window.show_message(title)
        self.window.notify(title, text[:200])
