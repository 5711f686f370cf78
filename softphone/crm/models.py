"""SQLAlchemy models of the mini-CRM (schema at the migration head).

The schema itself is created and changed only by the Alembic migrations in
``softphone/crm/migrations``; these classes must describe the head revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (portable), always returned timezone-aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Company(Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_fold: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime]


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_fold: Mapped[str] = mapped_column(String(300), index=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[str | None] = mapped_column(String(300))
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    search_fold: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class Phone(Base):
    __tablename__ = "phones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    raw: Mapped[str] = mapped_column(String(100))
    e164: Mapped[str | None] = mapped_column(String(20), index=True)
    national: Mapped[str | None] = mapped_column(String(30), index=True)
    rev: Mapped[str | None] = mapped_column(String(30), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(40), default="work")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        # revision 0002: month statistics as one covering-index range scan; open calls
        Index(
            "ix_calls_stats", "start_hour", "direction", "outcome", "talk_seconds",
            "ring_seconds", "contact_id", "account", "agent", "started_at",
        ),
        Index(
            "ix_calls_open", "agent",
            sqlite_where=text("outcome IS NULL"), postgresql_where=text("outcome IS NULL"),
        ),
        # revision 0004: numbers that arrived with no region set, normalised once one is
        Index(
            "ix_calls_needs_region", "id",
            sqlite_where=text("needs_region"), postgresql_where=text("needs_region"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    account: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[str] = mapped_column(String(200), default="")
    number_key: Mapped[str | None] = mapped_column(String(30), index=True)
    remote_uri: Mapped[str] = mapped_column(String(500), default="")
    display_name: Mapped[str] = mapped_column(String(300), default="")
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    start_hour: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    ring_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    sip_status: Mapped[int | None] = mapped_column(Integer)
    recording_path: Mapped[str | None] = mapped_column(String(1000))
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    agent: Mapped[str | None] = mapped_column(String(200))
    sip_call_id: Mapped[str] = mapped_column(String(300), default="")
    client_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: revision 0004: ``number`` is national digits read with no region set (not E.164)
    needs_region: Mapped[bool] = mapped_column(Boolean, default=False,
                                               server_default=false())
    #: revision 0007: why it ended so, in words (a refused call: the caller's codecs)
    end_reason: Mapped[str | None] = mapped_column(String(300))


class Wrapup(Base):
    __tablename__ = "wrapups"
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    #: revision 0005: outcome, reason and note folded (queries.wrapup_fold): the history search
    search_fold: Mapped[str] = mapped_column(Text, default="", server_default="")


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    number: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class IgnoredNumber(Base):
    __tablename__ = "ignored_numbers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_key: Mapped[str] = mapped_column(String(30), unique=True)
    raw: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class MissedEntry(Base):
    """The missed-call inbox: one open entry per number until a connected call clears it."""

    __tablename__ = "missed_inbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_key: Mapped[str] = mapped_column(String(30), index=True)
    number: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    account: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    callback_seconds: Mapped[int | None] = mapped_column(Integer)
    cleared_by_call_id: Mapped[int | None] = mapped_column(Integer)


class Deal(Base):
    """Added by revision 0002."""

    __tablename__ = "deals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    stage: Mapped[str] = mapped_column(String(40), default="new")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ContactHistory(Base):
    """Added by revision 0003: what a sync conflict replaced (nothing a user typed is lost)."""

    __tablename__ = "contact_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


class CardDavItem(Base):
    """Added by revision 0003: a card of a CardDAV address book and the contact it is."""

    __tablename__ = "carddav_items"
    __table_args__ = (UniqueConstraint("book", "href", name="uq_carddav_items_book_href"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book: Mapped[str] = mapped_column(String(1000))
    href: Mapped[str] = mapped_column(String(1000))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    uid: Mapped[str] = mapped_column(String(300))
    etag: Mapped[str | None] = mapped_column(String(300))
    base_card: Mapped[str | None] = mapped_column(Text)
    synced_version: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))


class CardDavState(Base):
    """Added by revision 0003: per address book values (its sync token)."""

    __tablename__ = "carddav_state"
    book: Mapped[str] = mapped_column(String(1000), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Message(Base):
    """A chat message (SIP MESSAGE) sent or received; added by revision 0006.

    ``peer_key`` names the conversation (``user@host``, lower-case host, no port or
    parameters: one colleague's messages stay together whichever server port they come
    through). ``status``: received | sending | delivered | failed.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_contact", "contact_id", "sent_at"),
        Index("ix_messages_peer", "peer_key", "sent_at"),
        Index(
            "ix_messages_unread", "agent", "peer_key",
            sqlite_where=text("read_at IS NULL AND direction = 'in'"),
            postgresql_where=text("read_at IS NULL AND direction = 'in'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    account: Mapped[str] = mapped_column(String(200), default="")
    remote_uri: Mapped[str] = mapped_column(String(500))
    peer_key: Mapped[str] = mapped_column(String(300))
    number_key: Mapped[str | None] = mapped_column(String(30), index=True)
    display_name: Mapped[str] = mapped_column(String(300), default="")
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100), default="text/plain")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12))
    sip_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime | None]
    agent: Mapped[str | None] = mapped_column(String(200))
    client_key: Mapped[str | None] = mapped_column(String(40), unique=True)
