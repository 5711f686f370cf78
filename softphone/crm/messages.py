"""Chat messages in the CRM timeline beside calls (the ``messages`` table, revision 0003).

A message is written when it arrives or is sent, linked to the contact its sender's number
matches (or the contact it was written to), and updated when the server answers (delivered
or failed, with the SIP status and reason). Like call-log writes, these writes are never lost:
a database that refuses one (locked, disk full, unavailable) gets it from the pending
journal later, in order (``softphone.crm.journaled``). ``client_key`` (a UUID the caller
chooses) makes each write idempotent and lets the answer find its message.

Unread counts are per agent: on a shared database, a colleague's conversations are visible
in the timeline but are not unread for us.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update

from softphone.crm.convert import as_utc, utcnow
from softphone.crm.database import Database
from softphone.crm.journaled import JournaledWrites
from softphone.crm.models import Contact, Message
from softphone.crm.office_queries import (
    ConversationView,
    close_unanswered_messages,
    contacts_tagged,
    unread_conversations,
)
from softphone.crm.peer import peer_key
from softphone.crm.views import ContactView, Match

__all__ = ["MESSAGE_STATUSES", "ConversationView", "MessageLog", "MessageView", "peer_key"]

MESSAGE_STATUSES = ("received", "sending", "delivered", "failed")
@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str  # in | out
    account: str
    remote_uri: str
    peer_key: str
    display_name: str
    contact_id: int | None
    body: str
    content_type: str
    sent_at: datetime
    status: str  # received | sending | delivered | failed
    sip_status: int | None
    reason: str
    read_at: datetime | None
    agent: str | None
    client_key: str | None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def _view(row: Message) -> MessageView:
    return MessageView(
        id=row.id, direction=row.direction, account=row.account, remote_uri=row.remote_uri,
        peer_key=row.peer_key, display_name=row.display_name, contact_id=row.contact_id,
        body=row.body, content_type=row.content_type, sent_at=row.sent_at, status=row.status,
        sip_status=row.sip_status, reason=row.reason, read_at=row.read_at, agent=row.agent,
        client_key=row.client_key)


class MessageLog:
    """The chat part of :class:`softphone.crm.store.Store`; ``lookup`` is the contacts'
    caller lookup (a message's sender is matched like a caller)."""

    def __init__(self, db: Database, writes: JournaledWrites,
                 lookup: Callable[[str], Match]) -> None:
        self.db = db
        self.writes = writes
        self.lookup = lookup
        writes.handle("message_logged", self._do_message_logged)
        writes.handle("message_answered", self._do_message_answered)

    # ------------------------------------------------------------------ writes

    def message_received(self, *, account: str, remote_uri: str, body: str,
                         display_name: str = "", content_type: str = "text/plain",
                         received_at: datetime | None = None,
                         client_key: str | None = None) -> MessageView | None:
        """Log an arrived message; its sender is matched to a contact by number. Returns
        the row, or None when the write was journaled (the database refused it for now)."""
        return self.writes.write("message_logged", dict(  # type: ignore[no-any-return]
            direction="in", account=account or "", remote_uri=remote_uri, body=body,
            display_name=display_name or "", content_type=content_type or "text/plain",
            sent_at=as_utc(received_at or utcnow()), status="received", contact_id=None,
            agent=self.db.agent, client_key=client_key or uuid.uuid4().hex))

    def message_sent(self, *, account: str, remote_uri: str, body: str, client_key: str,
                     contact_id: int | None = None, display_name: str = "",
                     sent_at: datetime | None = None) -> MessageView | None:
        """Log a message as it is sent (status ``sending``); ``contact_id`` when written from
        a contact's card, else matched by number."""
        return self.writes.write("message_logged", dict(  # type: ignore[no-any-return]
            direction="out", account=account or "", remote_uri=remote_uri, body=body,
            display_name=display_name or "", content_type="text/plain",
            sent_at=as_utc(sent_at or utcnow()), status="sending", contact_id=contact_id,
            agent=self.db.agent, client_key=client_key))

    def message_answered(self, client_key: str, *, delivered: bool, sip_status: int,
                         reason: str = "") -> MessageView | None:
        """The server's final answer to a sent message."""
        return self.writes.write("message_answered", dict(  # type: ignore[no-any-return]
            client_key=client_key, delivered=bool(delivered), sip_status=int(sip_status),
            reason=(reason or "")[:300]))

    def _do_message_logged(self, *, direction: str, account: str, remote_uri: str, body: str,
                           display_name: str, content_type: str, sent_at: datetime,
                           status: str, contact_id: int | None, agent: str | None,
                           client_key: str) -> MessageView:
        key = peer_key(remote_uri)
        number = self.db.normalize(remote_uri)
        if contact_id is None:
            match = self.lookup(remote_uri)
            contact_id = match.contact.id if match.contact is not None else None
        with self.db.session() as s:
            existing = s.scalar(select(Message).where(Message.client_key == client_key))
            if existing is not None:  # replayed from the journal after all: once only
                return _view(existing)
            if contact_id is not None and s.get(Contact, contact_id) is None:
                contact_id = None  # deleted meanwhile
            row = Message(
                direction=direction, account=account[:200], remote_uri=remote_uri[:500],
                peer_key=key, number_key=number.key, display_name=display_name[:300],
                contact_id=contact_id, body=body, content_type=content_type[:100],
                sent_at=as_utc(sent_at), status=status, sip_status=None, reason="",
                read_at=None, agent=agent, client_key=client_key)
            s.add(row)
            s.flush()
            return _view(row)

    def _do_message_answered(self, *, client_key: str, delivered: bool, sip_status: int,
                             reason: str) -> MessageView | None:
        with self.db.session() as s:
            row = s.scalar(select(Message).where(Message.client_key == client_key))
            if row is None:
                return None
            row.status = "delivered" if delivered else "failed"
            row.sip_status = sip_status
            row.reason = reason
            s.flush()
            return _view(row)

    def mark_read(self, *, peer: str | None = None, contact_id: int | None = None) -> int:
        """Mark our unread messages of a conversation (or of a contact) read; returns how
        many changed."""
        if peer is None and contact_id is None:
            raise ValueError("mark_read needs a conversation or a contact")
        where = [Message.direction == "in", Message.read_at.is_(None), self._ours()]
        where.append(Message.peer_key == peer_key(peer) if peer is not None
                     else Message.contact_id == contact_id)
        with self.db.session() as s:
            done = s.execute(update(Message).where(and_(*where)).values(read_at=utcnow())
                             .execution_options(synchronize_session=False))
            return int(done.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ reads

    def conversation(self, *, peer: str | None = None, contact_id: int | None = None,
                     limit: int = 200) -> list[MessageView]:
        """The latest ``limit`` messages with a peer (any URI of it) or a contact, oldest
        first."""
        if peer is None and contact_id is None:
            raise ValueError("conversation needs a peer or a contact")
        condition = (Message.peer_key == peer_key(peer) if peer is not None
                     else Message.contact_id == contact_id)
        with self.db.session() as s:
            rows = s.scalars(select(Message).where(condition)
                             .order_by(Message.sent_at.desc(), Message.id.desc())
                             .limit(limit)).all()
            return [_view(r) for r in reversed(rows)]

    def unread_conversations(self) -> list[ConversationView]:
        """Our conversations with unread messages, the most recent first."""
        with self.db.session() as s:
            return unread_conversations(self.db.runner(s), self.db.agent)

    def close_unanswered_messages(self) -> int:
        """Sent messages a stopped run left ``sending`` become ``failed`` (once a minute old)."""
        with self.db.session() as s:
            return close_unanswered_messages(self.db.runner(s), self.db.agent)

    def contacts_tagged(self, tags: Sequence[str], limit: int = 500) -> list[ContactView]:
        """Contacts that carry any of ``tags`` (any case), by name: the office's colleagues
        kept in the CRM."""
        with self.db.session() as s:
            return contacts_tagged(self.db.runner(s), tuple(tags), limit)

    def _ours(self) -> Any:
        return Message.agent == self.db.agent if self.db.agent else Message.agent.is_(None)
