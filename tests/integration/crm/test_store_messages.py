"""Chat messages in the CRM (SQLite and PostgreSQL): logged beside calls, matched to the
contact, answered (delivered/failed), unread per agent, never lost when the database is
locked, erased with the contact."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.messages import peer_key
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_peer_keys() -> None:
    assert peer_key("sip:bob@PBX.example.com:5060;transport=tcp") == "bob@pbx.example.com"
    assert peer_key('"Bob" <sip:bob@pbx.example.com>') == "bob@pbx.example.com"
    assert peer_key("sip:bob@[fd00::1]:5060") == "bob@[fd00::1]"
    assert peer_key("sips:%2B7495@h") == "+7495@h"
    assert peer_key("tel:+74951234567") == "+74951234567"


def test_a_conversation_with_a_contact(store: Store) -> None:
    ivan = store.create_contact("Иван Петров", phones=["+7 495 123-45-67"])
    got = store.message_received(account="office", remote_uri="sip:+74951234567@pbx:5060",
                                 display_name="Ivan", body="Перезвоните, пожалуйста",
                                 received_at=T0)
    assert got is not None and got.contact_id == ivan.id and got.status == "received"
    key = uuid.uuid4().hex
    sent = store.message_sent(account="office", remote_uri="sip:+74951234567@pbx",
                              body="Через 5 минут", client_key=key, sent_at=T0 + timedelta(1))
    assert sent is not None and sent.status == "sending" and sent.contact_id == ivan.id
    answered = store.message_answered(key, delivered=False, sip_status=480,
                                      reason="Temporarily Unavailable")
    assert answered is not None and answered.failed and answered.sip_status == 480
    # the timeline of the contact, oldest first; the conversation by any URI of the peer
    thread = store.conversation(contact_id=ivan.id)
    assert [m.body for m in thread] == ["Перезвоните, пожалуйста", "Через 5 минут"]
    assert [m.body for m in store.conversation(peer="sip:+74951234567@pbx")] == \
        [m.body for m in thread]
    assert store.contact_bundle(ivan.id)["messages"][1]["reason"] == "Temporarily Unavailable"


def test_unread_counts_are_ours_and_clear_when_read(store: Store,
                                                   profile_dir: Path) -> None:
    for i in range(3):
        store.message_received(account="office", remote_uri="sip:bob@pbx", body=f"m{i}",
                               display_name="Bob", received_at=T0 + timedelta(minutes=i))
    store.message_received(account="office", remote_uri="sip:carol@pbx", body="hi",
                           received_at=T0 + timedelta(hours=1))
    # a colleague's conversation on the same (shared) database is not unread for us
    other = Store(store.engine, profile_dir, default_region="RU", agent="bob-the-agent")
    other.message_received(account="office", remote_uri="sip:bob@pbx", body="for bob")
    unread = store.unread_conversations()
    assert [(c.peer_key, c.unread) for c in unread] == [("carol@pbx", 1), ("bob@pbx", 3)]
    assert unread[1].last_body == "m2" and unread[1].display_name == "Bob"
    assert store.mark_read(peer="sip:bob@pbx:5060") == 3
    assert [c.peer_key for c in store.unread_conversations()] == ["carol@pbx"]
    assert [c.unread for c in other.unread_conversations()] == [1]


def test_a_sent_message_written_twice_is_kept_once(store: Store) -> None:
    """The journal replays a write that may have reached the database already."""
    args = dict(account="a", remote_uri="sip:x@h", body="once", client_key="k-1")
    first = store.message_sent(**args)  # type: ignore[arg-type]
    again = store.message_sent(**args)  # type: ignore[arg-type]
    assert first is not None and again is not None and first.id == again.id
    assert len(store.conversation(peer="sip:x@h")) == 1


def test_erasing_a_contact_erases_their_messages(store: Store) -> None:
    ivan = store.create_contact("Ivan", phones=["+74951234567"])
    store.message_received(account="a", remote_uri="sip:+74951234567@h", body="secret")
    store.erase_contact(ivan.id)
    assert store.conversation(peer="sip:+74951234567@h") == []


def test_messages_wait_in_the_journal_while_the_database_is_locked(profile_dir: Path) -> None:
    store = Store.open(None, profile_dir, default_region="RU", agent="alice",
                       busy_timeout_ms=50)
    try:
        blocker = sqlite3.connect(profile_dir / "softphone.sqlite3", timeout=0.05)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            assert store.message_received(account="a", remote_uri="sip:bob@h",
                                          body="while locked") is None
            assert store.pending_count() == 1
        finally:
            blocker.rollback()
            blocker.close()
        store.flush_pending()
        assert [m.body for m in store.conversation(peer="sip:bob@h")] == ["while locked"]
    finally:
        store.close()


@pytest.mark.parametrize("kwargs", [{}, {"peer": None, "contact_id": None}])
def test_conversation_needs_a_peer_or_contact(store: Store, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        store.conversation(**kwargs)  # type: ignore[arg-type]


def test_colleagues_tagged_in_the_crm(store: Store) -> None:
    store.create_contact("Dana", phones=["7002"], tags=["Colleague"])
    store.create_contact("Егор", phones=["7003"], tags=["коллега", "sales"])
    store.create_contact("Colleague Corp client", phones=["+74951234567"], tags=["vip"])
    found = store.contacts_tagged(["colleague", "коллега"])
    assert [c.name for c in found] == ["Dana", "Егор"]
    assert found[0].phones[0].raw == "7002"


def test_the_light_reader_gives_the_same_unread_and_colleagues(profile_dir: Path) -> None:
    """At start the badge and the colleagues come from plain sqlite3 (no SQLAlchemy)."""
    from softphone.crm.light import open_store

    with Store.open(None, profile_dir, default_region="RU", agent="alice") as full:
        full.create_contact("Dana", phones=["7002"], tags=["colleague"])
        full.message_received(account="a", remote_uri="sip:7002@pbx", body="hi",
                              received_at=T0)
        want = (full.unread_conversations(), full.contacts_tagged(["colleague"]))
    light = open_store(None, profile_dir, "RU", "alice")
    try:
        assert type(light).__name__ == "LightStore" and not light.full_loaded
        assert (light.unread_conversations(), light.contacts_tagged(["colleague"])) == want
        assert not light.full_loaded
        assert want[0][0].contact_name == "Dana" and want[0][0].unread == 1
    finally:
        light.close()


def test_messages_a_stopped_run_left_sending_become_failed(store: Store) -> None:
    old = store.message_sent(account="a", remote_uri="sip:x@h", body="before the crash",
                             client_key="k-old", sent_at=datetime.now(UTC) - timedelta(hours=1))
    new = store.message_sent(account="a", remote_uri="sip:x@h", body="just now",
                             client_key="k-new")
    assert old is not None and new is not None
    assert store.close_unanswered_messages() == 1
    by_body = {m.body: m for m in store.conversation(peer="sip:x@h")}
    assert by_body["before the crash"].failed
    assert by_body["before the crash"].reason == "no answer before the phone stopped"
    assert by_body["just now"].status == "sending"  # may still be answered
