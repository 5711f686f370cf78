"""A chat message's life, Qt-free: SIP MESSAGE events -> CRM rows -> what the UI must show.

Like :mod:`softphone.workflow` for calls, :class:`ChatFlow` is plain Python: it gets the
engine's chat events (``MessageReceived``, ``MessageStatus``), writes them through the DB
worker (``db.submit(job, on_done, on_error)``) and tells its ``listener`` what changed as
:class:`ChatUpdate` values. The UI (``ui/chat.py``) turns those into widgets.

Sending: :meth:`ChatFlow.send` asks the engine to send (input errors raise at once, nothing
is stored), logs the message as ``sending`` under a fresh ``client_key`` and keeps the
engine's message id -> key, so the server's answer (``MessageStatus``) marks the same row
delivered or failed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from softphone.sip import events as ev

log = logging.getLogger("softphone.chat")

#: contacts with one of these tags (any case) are colleagues: their presence is watched
COLLEAGUE_TAGS = ("colleague", "коллега")


@dataclass(frozen=True)
class ChatUpdate:
    """What changed. ``kind``:

    * ``arrived``: a message came in (``event``; ``message`` once it is stored, else None:
      the database refused it for now and it waits in the journal);
    * ``message``: a message was stored or answered (``message``);
    * ``unread``: our conversations with unread messages (``unread``);
    * ``error``: a write failed (``error``, fit to show).
    """

    kind: str
    message: Any = None  # crm.messages.MessageView
    event: ev.SipEvent | None = None
    unread: tuple[Any, ...] = field(default_factory=tuple)  # ConversationView, newest first
    error: str = ""


class ChatFlow:
    def __init__(self, db: Any, engine: Any, listener: Callable[[ChatUpdate], None]) -> None:
        self.db = db
        self.engine = engine
        self.listener = listener
        self._keys: dict[int, str] = {}  # engine message id -> client_key

    # --- from the engine ------------------------------------------------------------------
    def on_sip_event(self, event: ev.SipEvent) -> None:
        if isinstance(event, ev.MessageReceived):
            self._on_message_received(event)
        elif isinstance(event, ev.MessageStatus):
            self._on_message_status(event)

    def _on_message_received(self, event: ev.MessageReceived) -> None:
        body = event.body if event.content_type.lower().startswith("text/") else ""

        def job(store: Any) -> Any:
            return store.message_received(
                account=event.account, remote_uri=event.remote_uri, body=body,
                display_name=event.display_name, content_type=event.content_type)

        def done(view: Any) -> None:
            self._emit(ChatUpdate("arrived", message=view, event=event))
            self.refresh_unread()

        self.db.submit(job, done, self._on_error)

    def _on_message_status(self, event: ev.MessageStatus) -> None:
        key = self._keys.pop(event.message_id, None)
        if key is None:
            return
        reason = event.reason or ("" if event.delivered else "no answer")

        def job(store: Any) -> Any:
            return store.message_answered(key, delivered=event.delivered,
                                          sip_status=event.code, reason=reason)

        self.db.submit(job, self._on_stored, self._on_error)

    # --- from the UI ----------------------------------------------------------------------
    def send(self, target: str, text: str, *, contact_id: int | None = None,
             account: str | None = None, display_name: str = "") -> str:
        """Send ``text`` to ``target`` (a number, extension or SIP URI); returns the
        message's client key. Raises (nothing sent, nothing stored) ``InvalidTarget`` or
        ``ValueError`` for bad input and the engine's error when it is not running."""
        if self.engine is None:
            raise RuntimeError("the phone is not running")
        name, uri = self.engine.resolve_target(target, account)
        message_id = self.engine.send_message(uri, text, name)
        key = uuid.uuid4().hex
        self._keys[message_id] = key

        def job(store: Any) -> Any:
            return store.message_sent(account=name, remote_uri=uri, body=text, client_key=key,
                                      contact_id=contact_id, display_name=display_name)

        self.db.submit(job, self._on_stored, self._on_error)
        return key

    def mark_read(self, *, peer: str | None = None, contact_id: int | None = None) -> None:
        def job(store: Any) -> Any:
            changed = store.mark_read(peer=peer, contact_id=contact_id)
            return store.unread_conversations() if changed else None

        self.db.submit(job, lambda unread: unread is not None and self._emit(
            ChatUpdate("unread", unread=tuple(unread))), self._on_error)

    def store_opened(self) -> None:
        """Messages a stopped run left without an answer are failed; then the unread."""
        self.db.submit(lambda store: store.close_unanswered_messages(), None, self._on_error)
        self.refresh_unread()

    def refresh_unread(self) -> None:
        self.db.submit(lambda store: store.unread_conversations(),
                       lambda unread: self._emit(ChatUpdate("unread", unread=tuple(unread))),
                       self._on_error)

    # --- results --------------------------------------------------------------------------
    def _on_stored(self, view: Any) -> None:
        if view is not None:
            self._emit(ChatUpdate("message", message=view))

    def _on_error(self, exc: Exception) -> None:
        log.warning("chat message not stored: %s", exc)
        self._emit(ChatUpdate("error", error=str(getattr(exc, "message", "") or exc)))

    def _emit(self, update: ChatUpdate) -> None:
        try:
            self.listener(update)
        except Exception:
            log.exception("chat listener failed on %s", update.kind)


def colleague_targets(contacts: Any) -> list[tuple[str, str]]:
    """(number, name) of the CRM's contacts tagged as colleagues: their first phone (an
    extension on the office's server, usually)."""
    out: list[tuple[str, str]] = []
    for contact in contacts:
        tags = {t.casefold() for t in contact.tags}
        if not tags & set(COLLEAGUE_TAGS) or not contact.phones:
            continue
        phone = contact.primary_phone or contact.phones[0]
        out.append((phone.raw, contact.name))
    return out
